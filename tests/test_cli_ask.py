"""`policyqa ask` in-process on a small made index: readable and JSON answers, batches, errors."""

from __future__ import annotations

import codecs
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from index.config import load_settings
from index.service import QAService
from index.store import open_index
from rag.answering.query import MAX_QUESTION_CHARS
from rag.types import Answer, Cell, Chunk, Citation, Hit, Table, TableRow
from tests.small_corpus import DOCS, build_small_index
from ui.cli import EXIT_BROKEN_PIPE, main
from ui.cmd_ask import format_answer

LLM_ENV = ("POLICYQA_LLM_BASE_URL", "POLICYQA_LLM_MODEL", "POLICYQA_LLM_API_KEY", "OPENAI_API_KEY")
HYDROGEN = "新乡高新区的氢能目标是什么"
XINXIANG_TITLE = "新乡高新区国民经济和社会发展第十四个五年规划纲要"
HYDROGEN_SECTION = "第四章建设实力高新,加快发展现代产业体系 › 第二节做精做强主导产业"
HYDROGEN_TARGET = "力争培育具有影响力的燃料电池电堆企业1-2家,动力系统企业2-3家,建设3-5座加氢站"

# A third document with many short sections, so a broad question retrieves more than ten.
HEYUAN = """发布日期:2021-06-30
河源高新区国民经济和社会发展第十四个五年规划
第一章发展基础
第一节产业基础
2020年,河源高新区规上工业总产值489.5亿元,同比增长4%。
第二节创新基础
全区建成省级以上研发机构30家,高新技术企业150家。
第二章产业发展
第一节电子信息产业
做大电子信息产业集群,引进智能终端龙头企业。
第二节新材料产业
发展新材料产业,建设新材料产业园。
第三节生物医药产业
培育生物医药产业,建设医药产业基地。
第四节现代服务业
发展现代物流和科技服务产业。
第三章发展保障
第一节人才保障
引进高层次人才,服务产业发展。
第二节资金保障
设立产业发展基金,支持企业发展。
"""
ALL_DOCS = {**DOCS, "heyuan.txt": HEYUAN}

# docs/design.md's contract, plus the fields the answer also carries for the UI and feedback log.
RECORD_FIELDS = {"question", "answer", "abstained", "citations", "hits"}
RECORD_EXTRAS = {"mode", "notices"}
PASSAGE_FIELDS = {"doc", "title", "region", "section", "start", "end", "text", "score"}
CITATION_EXTRAS = {"n", "spans"}


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    """The small corpus plus one more document, indexed once with the tiny model."""
    folder = tmp_path_factory.mktemp("ask")
    (folder / "docs").mkdir()
    (folder / "docs" / "heyuan.txt").write_text(HEYUAN, encoding="utf-8")
    index, _ = build_small_index(folder, tiny_model_dir)
    return index


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Extractive answers with default settings: no LLM from the environment, no stray toml."""
    for name in LLM_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def _ask(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["ask", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _ask_json(capsys: pytest.CaptureFixture[str], index: Path, *argv: str) -> dict[str, Any]:
    code, out, _ = _ask(capsys, *argv, "--index", str(index), "--json")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def _check_passage(p: dict[str, Any], extras: set[str] = frozenset()) -> None:
    assert set(p) == PASSAGE_FIELDS | extras
    assert isinstance(p["start"], int) and isinstance(p["end"], int)
    assert isinstance(p["score"], float)
    assert p["text"] and p["text"] == ALL_DOCS[p["doc"]][p["start"] : p["end"]]


# --- one question ------------------------------------------------------------------------


def test_a_question_prints_the_answer_then_each_source(
    capsys: pytest.CaptureFixture[str], index_dir: Path
) -> None:
    record = _ask_json(capsys, index_dir, HYDROGEN)
    code, out, err = _ask(capsys, HYDROGEN, "--index", str(index_dir))
    assert code == 0 and not err
    answer, sources = out.split("\n\n来源：\n")
    assert answer == record["answer"]
    assert HYDROGEN_TARGET in answer
    header = re.compile(rf"\[\d+\] {XINXIANG_TITLE}（2021-10-14） › {HYDROGEN_SECTION}")
    lines = sources.splitlines()
    at = next(i for i, line in enumerate(lines) if header.fullmatch(line))
    assert any(HYDROGEN_TARGET in line for line in lines[at + 1 :])
    # Every citation: its [n], title and section, then each cited sentence on its own line.
    for c in record["citations"]:
        start = lines.index(f"[{c['n']}] {c['title']}（2021-10-14） › {c['section']}")
        for s, e in c["spans"]:
            assert "    " + ALL_DOCS[c["doc"]][s:e] in lines[start + 1 :]


def test_an_unanswerable_question_says_so_and_shows_what_might_be_related(
    capsys: pytest.CaptureFixture[str], index_dir: Path
) -> None:
    code, out, _ = _ask(capsys, "量子计算机的价格是多少", "--index", str(index_dir))
    assert code == 0
    assert out.startswith("未在已收录的文件中找到相关内容。")
    assert "来源：" not in out
    related = out.split("\n可能相关：\n")[1].splitlines()
    assert 1 <= len(related) <= 3
    assert all(line.startswith("- ") and " › " in line for line in related)


def test_json_has_exactly_the_contract_fields(
    capsys: pytest.CaptureFixture[str], index_dir: Path
) -> None:
    record = _ask_json(capsys, index_dir, HYDROGEN)
    assert set(record) == RECORD_FIELDS | RECORD_EXTRAS
    assert record["question"] == HYDROGEN
    assert record["abstained"] is False
    assert record["mode"] == "extractive"
    assert [c["n"] for c in record["citations"]] == list(range(1, len(record["citations"]) + 1))
    assert {int(n) for n in re.findall(r"\[(\d+)\]", record["answer"])} == {
        c["n"] for c in record["citations"]
    }
    for c in record["citations"]:
        _check_passage(c, CITATION_EXTRAS)
        for s, e in c["spans"]:
            assert c["start"] <= s < e <= c["end"]
    assert 0 < len(record["hits"]) <= 10
    for h in record["hits"]:
        _check_passage(h)
    cited = {(c["doc"], c["start"]) for c in record["citations"]}
    assert cited <= {(h["doc"], h["start"]) for h in record["hits"]}
    assert any(HYDROGEN_TARGET in c["text"] for c in record["citations"])


def test_hits_are_the_top_ten_in_rank_order(
    capsys: pytest.CaptureFixture[str], index_dir: Path
) -> None:
    question = "高新区的产业发展规划"
    record = _ask_json(capsys, index_dir, question, "--k", "20")
    service = QAService(open_index(index_dir), load_settings(None, {"retrieval.k": 20}))
    ranked = service.retrieve(question).hits
    assert len(ranked) > 10  # the cap is what limits the output here
    assert [(h["doc"], h["start"], h["end"]) for h in record["hits"]] == [
        (h.chunk.doc, h.chunk.start, h.chunk.end) for h in ranked[:10]
    ]
    scores = [h["score"] for h in record["hits"]]
    assert scores == sorted(scores, reverse=True)


# --- batches -----------------------------------------------------------------------------


BATCH = [
    {"id": "q-2", "question": "襄阳高新区对新能源产业有什么部署?"},
    {"id": 7, "question": HYDROGEN},
    {"id": "q-1", "question": "新乡高新区的保障措施有哪些?"},
]


def _check_batch(out: str, singles: list[dict[str, Any]]) -> None:
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in records] == [item["id"] for item in BATCH]
    for record, single in zip(records, singles, strict=True):
        assert record == {"id": record["id"], **single}


@pytest.fixture(scope="module")
def singles(index_dir: Path) -> list[dict[str, Any]]:
    """Each batch question's --json record, to compare batch lines against."""
    from rag.serialize import answer_record

    service = QAService(open_index(index_dir), load_settings(None))
    return [answer_record(service.ask(item["question"])) for item in BATCH]


def test_jsonl_file_answers_in_input_order_with_ids(
    capsys: pytest.CaptureFixture[str],
    index_dir: Path,
    tmp_path: Path,
    singles: list[dict[str, Any]],
) -> None:
    batch = tmp_path / "in.jsonl"
    lines = [json.dumps(item, ensure_ascii=False) for item in BATCH]
    batch.write_text(lines[0] + "\n\n" + "\n".join(lines[1:]) + "\n", encoding="utf-8")
    code, out, _ = _ask(capsys, "--jsonl", str(batch), "--index", str(index_dir))
    assert code == 0
    _check_batch(out, singles)
    assert singles[0] == _ask_json(capsys, index_dir, BATCH[0]["question"])


def test_jsonl_from_stdin(
    capsys: pytest.CaptureFixture[str],
    index_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    singles: list[dict[str, Any]],
) -> None:
    text = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in BATCH)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))
    code, out, _ = _ask(capsys, "--jsonl", "-", "--index", str(index_dir))
    assert code == 0
    _check_batch(out, singles)


@pytest.mark.parametrize(
    ("bad_line", "says"),
    [
        (b"{not json", "not JSON"),
        ('{"id": 1, "text": "新乡"}'.encode(), '"question"'),
        ('["新乡高新区"]'.encode(), '"question"'),
        (b'{"id": 1, "question": "   "}', "empty"),
        (b'{"id": 1, "question": "\xff\xfe\xe6\x96"}', "not UTF-8"),
        (b'{"id": 1, "question": "\\ud800\\u65b0\\u4e61"}', "invalid character"),
        (('{"id": 1, "question": "' + "氢" * (MAX_QUESTION_CHARS + 1) + '"}').encode(), "2000"),
    ],
)
def test_a_bad_jsonl_line_becomes_an_error_line_and_the_rest_go_on(
    capsys: pytest.CaptureFixture[str],
    index_dir: Path,
    tmp_path: Path,
    singles: list[dict[str, Any]],
    bad_line: bytes,
    says: str,
) -> None:
    batch = tmp_path / "bad.jsonl"
    good = [json.dumps(item, ensure_ascii=False).encode() for item in BATCH[:2]]
    batch.write_bytes(good[0] + b"\n" + bad_line + b"\n" + good[1] + b"\n")
    code, out, err = _ask(capsys, "--jsonl", str(batch), "--index", str(index_dir))
    assert code == 2
    first, failed, last = (json.loads(line) for line in out.splitlines())
    assert first == {"id": BATCH[0]["id"], **singles[0]}
    assert last == {"id": BATCH[1]["id"], **singles[1]}
    assert set(failed) == {"id", "error"} and failed["error"].startswith(f"{batch}:2: ")
    assert says in failed["error"] and failed["error"] in err
    assert "1 of 3 lines" in err.splitlines()[-1] and "Traceback" not in err


def test_a_batch_with_a_byte_order_mark_is_read(
    capsys: pytest.CaptureFixture[str],
    index_dir: Path,
    tmp_path: Path,
    singles: list[dict[str, Any]],
) -> None:
    batch = tmp_path / "bom.jsonl"
    text = "".join(json.dumps(item, ensure_ascii=False) + "\r\n" for item in BATCH)
    batch.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    code, out, err = _ask(capsys, "--jsonl", str(batch), "--index", str(index_dir))
    assert code == 0 and not err
    _check_batch(out, singles)


def test_an_undecodable_id_is_written_escaped(
    capsys: pytest.CaptureFixture[str], index_dir: Path, tmp_path: Path
) -> None:
    batch = tmp_path / "id.jsonl"
    batch.write_bytes(b'{"id": "\\udc80", "question": ""}\n')
    code, out, _ = _ask(capsys, "--jsonl", str(batch), "--index", str(index_dir))
    assert code == 2
    assert json.loads(out)["id"] == "\udc80" and "\\udc80" in out


@pytest.mark.parametrize("path", ["nope.jsonl", "."])
def test_an_unreadable_batch_file_is_one_line_before_loading(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, path: str
) -> None:
    missing = tmp_path / path
    code, out, err = _ask(capsys, "--jsonl", str(missing), "--index", str(tmp_path / "no-index"))
    assert code == 2 and not out
    assert str(missing) in err and len(err.strip().splitlines()) == 1
    assert "no index" not in err  # the file is checked first


# --- follow-ups --------------------------------------------------------------------------


def _history(folder: Path, *lines: str, encoding: str = "utf-8", end: str = "\n") -> Path:
    path = folder / "history.txt"
    path.write_text(end.join(lines) + end, encoding=encoding)
    return path


def test_a_follow_up_is_answered_as_the_question_it_completes(
    capsys: pytest.CaptureFixture[str], index_dir: Path, tmp_path: Path
) -> None:
    history = str(_history(tmp_path, HYDROGEN))
    record = _ask_json(capsys, index_dir, "那襄阳呢?", "--history", history)
    assert list(record)[:2] == ["asked", "question"]  # as typed, then as answered
    assert (record["asked"], record["question"]) == ("那襄阳呢?", "襄阳高新区的氢能目标是什么")
    assert set(record) == RECORD_FIELDS | RECORD_EXTRAS | {"asked"}
    assert record["citations"] and {c["doc"] for c in record["citations"]} == {"xiangyang.txt"}
    code, out, err = _ask(capsys, "那襄阳呢?", "--index", str(index_dir), "--history", history)
    assert code == 0 and not err
    first, rest = out.split("\n", 1)
    assert first == "按「襄阳高新区的氢能目标是什么」回答"
    assert rest.startswith(record["answer"] + "\n")


def test_each_earlier_question_is_completed_from_the_one_before(
    capsys: pytest.CaptureFixture[str], index_dir: Path, tmp_path: Path
) -> None:
    # 那新乡呢? becomes 新乡高新区的主导产业有哪些, and the new question takes its region.
    history = _history(tmp_path, "河源高新区的主导产业有哪些", "", "那新乡呢?", end="\r\n")
    record = _ask_json(capsys, index_dir, "其中加氢站有多少?", "--history", str(history))
    assert record["question"] == "新乡高新区加氢站有多少?"
    assert any("建设3-5座加氢站" in c["text"] for c in record["citations"])
    assert {c["doc"] for c in record["citations"]} == {"xinxiang.txt"}


def test_a_year_is_swapped_into_the_previous_question(
    capsys: pytest.CaptureFixture[str], index_dir: Path, tmp_path: Path
) -> None:
    history = _history(tmp_path, "河源高新区2020年规上工业总产值是多少", encoding="utf-8-sig")
    record = _ask_json(capsys, index_dir, "那2019年呢?", "--history", str(history))
    assert record["question"] == "河源高新区2019年规上工业总产值是多少"


@pytest.mark.parametrize("lines", [(HYDROGEN,), ()])
def test_a_question_of_its_own_is_answered_as_typed(
    capsys: pytest.CaptureFixture[str], index_dir: Path, tmp_path: Path, lines: tuple[str, ...]
) -> None:
    own = "河源高新区的新材料产业怎么发展"
    history = str(_history(tmp_path, *lines))
    record = _ask_json(capsys, index_dir, own, "--history", history)
    assert record["question"] == own and "asked" not in record
    code, out, _ = _ask(capsys, own, "--index", str(index_dir), "--history", history)
    assert code == 0 and not out.startswith("按「") and "新材料产业园" in out


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"\xe6\x96\xb0\xe4\xb9\xa1\n\xff\xfe\n", "history.txt:2: not UTF-8 (byte 1 of the line)"),
        ("新乡\n".encode() + ("氢" * 2001).encode(), "history.txt:2: question is 2001 characters"),
    ],
)
def test_an_unusable_history_line_is_named_before_loading(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes, says: str
) -> None:
    history = tmp_path / "history.txt"
    history.write_bytes(content)
    argv = ["那襄阳呢?", "--history", str(history), "--index", str(tmp_path / "no-index")]
    code, out, err = _ask(capsys, *argv)
    assert code == 2 and not out
    assert says in err and len(err.strip().splitlines()) == 1
    assert "policyqa index build" not in err  # the file is checked before the index


@pytest.mark.parametrize("path", ["nope.txt", "."])
def test_a_missing_history_file_is_one_line_before_loading(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, path: str
) -> None:
    missing = tmp_path / path
    argv = [HYDROGEN, "--history", str(missing), "--index", str(tmp_path / "no-index")]
    code, out, err = _ask(capsys, *argv)
    assert code == 2 and not out
    assert f"--history file {missing}" in err and len(err.strip().splitlines()) == 1


def test_history_goes_with_one_question_not_a_batch(
    capsys: pytest.CaptureFixture[str], index_dir: Path, tmp_path: Path
) -> None:
    history = str(_history(tmp_path, HYDROGEN))
    code, out, err = _ask(capsys, "--jsonl", "-", "--history", history, "--index", str(index_dir))
    assert code == 2 and not out
    assert "--history goes with one question" in err and len(err.strip().splitlines()) == 1


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("", "question is empty"),
        (" \t\n ", "question is empty"),
        ("氢" * (MAX_QUESTION_CHARS + 1), f"at most {MAX_QUESTION_CHARS}"),
    ],
)
def test_an_unusable_question_is_bad_input(
    capsys: pytest.CaptureFixture[str], index_dir: Path, question: str, says: str
) -> None:
    code, out, err = _ask(capsys, question, "--index", str(index_dir))
    assert code == 2 and not out
    assert err.startswith("policyqa: error: ") and says in err


def test_a_question_of_the_longest_allowed_length_is_answered(
    capsys: pytest.CaptureFixture[str], index_dir: Path
) -> None:
    question = ("新乡高新区的氢能目标" * MAX_QUESTION_CHARS)[:MAX_QUESTION_CHARS]
    assert _ask_json(capsys, index_dir, question)["question"] == question


def test_a_missing_index_names_the_build_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = _ask(capsys, HYDROGEN, "--index", str(tmp_path / "no-index"))
    assert code == 2 and not out
    assert "policyqa index build" in err and str(tmp_path / "no-index") in err


@pytest.mark.parametrize("argv", [[HYDROGEN, "--jsonl", "-"], []])
def test_a_question_or_a_batch_but_not_both_nor_neither(
    capsys: pytest.CaptureFixture[str], index_dir: Path, argv: list[str]
) -> None:
    code, out, err = _ask(capsys, *argv, "--index", str(index_dir))
    assert code == 2 and not out
    assert "--jsonl" in err


# --- arguments checked before loading ----------------------------------------------------


@pytest.mark.parametrize("k", ["0", "-3", "x"])
def test_k_must_be_a_positive_number(
    capsys: pytest.CaptureFixture[str], index_dir: Path, k: str
) -> None:
    code, out, err = _ask(capsys, HYDROGEN, "--index", str(index_dir), "--k", k)
    assert code == 2 and not out
    assert err.startswith("policyqa: error: argument --k: ") and len(err.strip().splitlines()) == 1


def test_the_question_is_checked_before_the_index(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = _ask(capsys, "", "--index", str(tmp_path / "no-index"))
    assert code == 2 and "question is empty" in err


def test_an_undecodable_question_is_one_line(
    capsys: pytest.CaptureFixture[str], index_dir: Path
) -> None:
    # What Python makes of invalid UTF-8 bytes on the command line.
    code, out, err = _ask(
        capsys, b"\xff\xfe".decode("utf-8", "surrogateescape"), "--index", str(index_dir)
    )
    assert code == 2 and not out
    assert "not valid UTF-8" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("given", "region"),
    [
        ("新乡高新区", "新乡高新区"),
        ("新乡", "新乡高新区"),
        ("新乡市", "新乡高新区"),
        ("河源", "河源高新区"),
    ],
)
def test_region_by_name_or_short_form(
    capsys: pytest.CaptureFixture[str], index_dir: Path, given: str, region: str
) -> None:
    record = _ask_json(capsys, index_dir, "产业发展", "--region", given)
    assert record["hits"] and {h["region"] for h in record["hits"]} == {region}


def test_an_unknown_region_lists_the_regions_of_the_index(
    capsys: pytest.CaptureFixture[str], index_dir: Path
) -> None:
    code, out, err = _ask(capsys, HYDROGEN, "--index", str(index_dir), "--region", "北京")
    assert code == 2 and not out
    assert "--region '北京' matches none of the" in err
    assert all(r in err for r in ("新乡高新区", "河源高新区", "襄阳高新区"))
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "given", ["heyuan.txt", "docs/heyuan.txt", "./corpus/heyuan.txt", "河源高新区国民经济"]
)
def test_doc_by_file_name_path_as_typed_or_title_fragment(
    capsys: pytest.CaptureFixture[str], index_dir: Path, given: str
) -> None:
    record = _ask_json(capsys, index_dir, "产业发展", "--doc", given)
    assert record["hits"] and {h["doc"] for h in record["hits"]} == {"heyuan.txt"}


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--doc", "missing.txt"], "--doc 'missing.txt' matches none of the"),
        (["--doc", "规划"], "--doc '规划' matches"),
        (["--region", "新乡", "--doc", "heyuan.txt"], "belongs to region '河源高新区'"),
    ],
)
def test_unusable_doc_choices_are_one_line(
    capsys: pytest.CaptureFixture[str], index_dir: Path, argv: list[str], says: str
) -> None:
    code, out, err = _ask(capsys, HYDROGEN, "--index", str(index_dir), *argv)
    assert code == 2 and not out
    assert says in err and len(err.strip().splitlines()) == 1


def test_ask_help_mentions_only_its_own_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--help"]) == 0
    text = capsys.readouterr().out
    assert "--docs" not in text and "--doc " in text


def test_a_reader_that_stops_reading_is_no_error(index_dir: Path, tmp_path: Path) -> None:
    # Enough answers to fill the pipe, so the writer meets a reader that has gone (| head).
    batch = tmp_path / "batch.jsonl"
    lines = (json.dumps({"id": str(i), "question": HYDROGEN}) for i in range(400))
    batch.write_text("\n".join(lines), encoding="utf-8")
    argv = ["ask", "--index", str(index_dir), "--jsonl", str(batch)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(1)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == EXIT_BROKEN_PIPE
    assert "error" not in err


def test_a_cited_table_row_is_quoted_with_its_column_headers() -> None:
    cells = (
        Cell("高新技术企业数量", 0, 8),
        Cell("家", 9, 10),
        Cell("520", 11, 14),
        Cell("900", 15, 18),
    )
    text = "高新技术企业数量\n家\n520\n900"
    columns = ("指标", "单位", "2020年", "2025年目标")
    table = Table(0, len(text), "", columns, (TableRow(0, len(text), cells),))
    chunk = Chunk(
        "t", "plan.txt", "规划", "", ("二、发展目标",), 0, len(text), text, text, table=table
    )
    cited = tuple((c.start, c.end) for c in (cells[0], cells[1], cells[3]))
    answer = Answer(
        "q",
        "高新技术企业数量 | 家 | 2025年目标 900[1]",
        (Citation(1, Hit(chunk, 1.0, 1), cited),),
        False,
    )
    out = format_answer(answer, cast("QAService", SimpleNamespace(docs={})))
    assert out.splitlines()[-1] == "    高新技术企业数量 | 家 | 2025年目标 900"
