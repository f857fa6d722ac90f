"""The eval harness end to end on a made corpus: several sets, configurations, index reuse,
report files, and `policyqa eval` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.harness import evaluate, load_sets
from index.manifest import read_manifest
from index.publish import resolve_live
from tests.conftest import CORPUS, ROOT
from tests.small_corpus import DOCS, build_small_index, tiny_model_settings
from ui.cli import main

HYDROGEN = {
    "id": "Q1",
    "question": "新乡高新区的氢能目标是什么",
    "type": "explain",
    "doc": "xinxiang.txt",
    "answer": "培育燃料电池电堆企业1-2家,建设3-5座加氢站。",
    "key_points": ["电堆企业1-2家", "3-5座加氢站"],
    "evidence": ["力争培育具有影响力的燃料电池电堆企业1-2家"],
}
ZONE_TRAP = {
    "id": "Q2",
    "question": "东莞松山湖高新区的氢能目标是什么",
    "type": "unanswerable",
    "doc": None,
    "answer": None,
    "key_points": [],
    "evidence": [],
    "tags": ["trap:zone"],
}
# Answered by both documents, each with its own figure.
UNSCOPED = {
    "id": "Q3",
    "question": "高新技术企业数量是多少",
    "type": "fact",
    "doc": ["xinxiang.txt", "xiangyang.txt"],
    "answer": "新乡103家;襄阳到2025年500家以上。",
    "key_points": ["103家", "500家以上"],
    "evidence": ["高新技术企业总数达到103家", "高新技术企业数量达到500家以上"],
    "tags": ["unscoped"],
}
JUNK = ZONE_TRAP | {"id": "Q4", "question": "asdf", "tags": ["junk"]}


def write_gold(folder: Path, name: str, records: list[dict]) -> Path:
    path = folder / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def write_docs(folder: Path) -> Path:
    docs = folder / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    return docs


def test_sets_and_configurations_on_one_index(tmp_path: Path, tiny_model_dir: Path) -> None:
    docs = write_docs(tmp_path)
    tune = write_gold(tmp_path, "tune", [HYDROGEN, ZONE_TRAP])
    heldout = write_gold(tmp_path, "heldout", [UNSCOPED, JUNK, ZONE_TRAP | {"id": "Q5"}])
    index, out = tmp_path / "index", tmp_path / "report"
    seen: list[str] = []
    run = evaluate(
        [heldout, tune], docs, index, tiny_model_settings(tiny_model_dir), out,
        ("vanilla", "hybrid+scope"), progress=lambda stage, done, total: seen.append(stage),
        learning=True,
    )  # fmt: skip
    assert read_manifest(resolve_live(index))["chunking"]["strategy"] == "sections"
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert set(metrics["configurations"]) == {"vanilla", "hybrid+scope"}
    assert list(metrics["configurations"]["vanilla"]) == ["heldout", "tune"]
    assert run.primary == "hybrid+scope" and list(run.sets) == ["heldout", "tune"]
    assert run.sets["tune"]["hit@1"] == pytest.approx(1.0)
    assert run.sets["tune"]["traps_declined"] == pytest.approx(1.0)
    held = run.sets["heldout"]
    assert held["n"] == 3 and held["answerable"] == 1 and held["junk"] == 1
    assert held["junk_answered"] in (0, 1) and held["region_coverage"] is not None
    assert set(run.gap or {}) == {"key_point_recall", "citation_precision"}
    assert len(run.targets) == 14 and metrics["targets"] == list(run.targets)
    assert {"heldout · vanilla", "tune · hybrid+scope"} <= set(seen)
    # Weights are learned on the tune set, never on the held-out one.
    assert run.learned is not None and metrics["meta"]["weights learned on"] == "tune"
    learned = (out / "learned.toml").read_text(encoding="utf-8")
    assert learned.startswith("[ranking]") and "[evidence]" in learned and "[abstention]" in learned
    for name in (
        "per_item.jsonl", "summary.md", "qrels.tune.txt", "qrels.heldout.txt",
        "run.heldout.vanilla.trec", "run.tune.hybrid+scope.trec", "hit_at_k.png", "by_tag.png",
    ):  # fmt: skip
        assert (out / name).stat().st_size > 0, name
    assert "Q3 0 " in (out / "qrels.heldout.txt").read_text(encoding="utf-8")
    lines = [json.loads(x) for x in (out / "per_item.jsonl").read_text("utf-8").splitlines()]
    assert len(lines) == 2 * (3 + 2)
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "| metric | tune | heldout | meaning |" in summary
    assert "## Held-out failures by cause" in summary


def test_load_sets_reads_html_and_docx_as_the_index_does() -> None:
    html = "005_7c34d92de06d191d.html"
    raw = (CORPUS / html).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # GBK: read as UTF-8 it could not be checked at all
    sets, texts = load_sets([ROOT / "eval" / "gold" / "tune.jsonl"], CORPUS)
    assert html in texts and "006_a3c0b07a9c1e5341.docx" in texts
    quoted = [i for i in sets["tune"] if html in i.docs]
    assert quoted and all(any(e in texts[html] for e in i.evidence) for i in quoted)


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    index, _ = build_small_index(tmp_path_factory.mktemp("small"), tiny_model_dir)
    return index


def test_cli_prints_each_set_the_gap_and_the_targets(
    tmp_path: Path, small_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = write_docs(tmp_path)
    tune = write_gold(tmp_path, "tune", [HYDROGEN, ZONE_TRAP])
    heldout = write_gold(tmp_path, "heldout", [UNSCOPED, JUNK])
    dev = write_gold(tmp_path, "dev", [HYDROGEN])
    argv = ["eval", "--gold", str(dev), str(tune), str(heldout), "--docs", str(docs)]
    argv += ["--index", str(small_index), "--out", str(tmp_path / "out"), "-q"]
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "configuration hybrid+scope"
    assert [line.split()[0] for line in out[1:4]] == ["dev", "tune", "heldout"]
    assert "key points" in out[1] and "junk answered n/a" in out[1]
    assert "traps declined 1.000" in out[2]
    assert out[4].startswith("  tune - heldout gap: key_point_recall ")
    assert out[5].startswith("  held-out targets met: ") and " of 14" in out[5]
    assert out[-1] == f"report: {tmp_path / 'out' / 'summary.md'}"


@pytest.mark.parametrize(
    ("records", "message"),
    [
        (None, "cannot read the file"),
        (["{not json"], "invalid JSON"),
        (
            [HYDROGEN | {"evidence": ["不在文中"]}],
            "evidence[0]: not found verbatim in xinxiang.txt",
        ),
        ([HYDROGEN | {"doc": ["xinxiang.txt", "absent.txt"]}], "'absent.txt' is not among"),
        ([HYDROGEN | {"tags": ["slang"]}], "unknown tag 'slang'; use any of colloquial"),
    ],
)
def test_cli_a_missing_or_bad_gold_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], records: list | None, message: str
) -> None:
    docs = write_docs(tmp_path)
    good = write_gold(tmp_path, "tune", [HYDROGEN])
    bad = tmp_path / "heldout.jsonl"
    if records is not None:
        bad.write_text("".join(r if isinstance(r, str) else json.dumps(r) + "\n" for r in records))
    argv = ["eval", "--gold", str(good), str(bad), "--docs", str(docs)]
    assert main([*argv, "--index", str(tmp_path / "never-built"), "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("policyqa: error: gold set")
    assert str(bad) in captured.err and message in captured.err
    assert not (tmp_path / "never-built").exists()  # refused before any index is built


def test_two_sets_with_one_name_are_refused(tmp_path: Path) -> None:
    from eval.gold import GoldSetError

    docs = write_docs(tmp_path)
    (tmp_path / "other").mkdir()
    one = write_gold(tmp_path, "tune", [HYDROGEN])
    two = write_gold(tmp_path / "other", "tune", [HYDROGEN])
    with pytest.raises(GoldSetError, match="set name 'tune' is also"):
        load_sets([one, two], docs)
