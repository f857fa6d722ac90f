"""The CLI checks its input before loading anything, explains itself in one line, shows progress."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.small_corpus import DOCS, build_small_index
from tests.test_harness import HYDROGEN, JUNK, UNSCOPED, ZONE_TRAP, write_gold
from ui.cli import _quiet_libraries, main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("policyqa: error: ") and "Traceback" not in err
    return lines[0]


@pytest.fixture
def corpus(tmp_path: Path, tiny_model_dir: Path) -> dict[str, Path]:
    """Documents, a gold set over them and a config naming the tiny model."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    gold = write_gold(tmp_path, "tune", [HYDROGEN, ZONE_TRAP])
    write_gold(tmp_path, "heldout", [UNSCOPED, JUNK])
    config = tmp_path / "policyqa.toml"
    config.write_text(
        f'[embedding]\nmodel = "{tiny_model_dir}"\nquery_prompt = ""\npassage_prompt = ""\n',
        encoding="utf-8",
    )
    return {"docs": docs, "gold": gold, "config": config, "root": tmp_path}


def test_eval_with_a_missing_gold_file_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = _run(capsys, "eval", "--gold", str(tmp_path / "missing.jsonl"))
    assert code == 2 and not out
    assert "missing.jsonl" in _one_line(err) and "cannot read the file" in err


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--compare", "nonsense"], "unknown configuration 'nonsense'"),
        (["--docs", "no-such-folder"], "--docs folder no-such-folder does not exist"),
    ],
)
def test_eval_checks_names_and_folders_before_loading(
    capsys: pytest.CaptureFixture[str], corpus: dict[str, Path], extra: list[str], says: str
) -> None:
    index = corpus["root"] / "index"
    argv = ["eval", "--gold", str(corpus["gold"]), "--index", str(index), *extra]
    code, _, err = _run(capsys, *argv)
    assert code == 2 and says in _one_line(err)
    assert not index.exists()  # nothing was built


def test_eval_with_a_bad_gold_line_names_it_before_loading(
    capsys: pytest.CaptureFixture[str], corpus: dict[str, Path]
) -> None:
    corpus["gold"].write_text('{"id": "Q1"}\n', encoding="utf-8")
    code, _, err = _run(
        capsys, "eval", "--gold", str(corpus["gold"]), "--docs", str(corpus["docs"])
    )
    assert code == 2 and f"{corpus['gold']}:1:" in err and "Traceback" not in err


def test_eval_shows_progress_unless_quiet(
    capsys: pytest.CaptureFixture[str], corpus: dict[str, Path]
) -> None:
    sets = [str(corpus["gold"]), str(corpus["root"] / "heldout.jsonl")]
    argv = ["eval", "--gold", *sets, "--docs", str(corpus["docs"])]
    argv += ["--index", str(corpus["root"] / "index"), "--config", str(corpus["config"])]
    code, out, err = _run(capsys, *argv, "--out", str(corpus["root"] / "r1"))
    assert code == 0 and "hit@1" in out
    assert "tune · hybrid+scope" in err and "2/2" in err  # the tune set's questions
    code, out, err = _run(capsys, "-q", *argv, "--out", str(corpus["root"] / "r2"))
    assert code == 0 and "hit@1" in out and err == ""


def test_index_build_without_the_documents_folder_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["index", "build", "--docs", str(tmp_path / "nope"), "--index", str(tmp_path / "i")]
    code, _, err = _run(capsys, *argv)
    assert code == 2 and "does not exist" in _one_line(err)


def test_an_unexpected_failure_is_one_line_too(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(args: object) -> int:
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr("ui.cmd_ask.run", broken)
    code, _, err = _run(capsys, "ask", "问题")
    assert code == 1
    assert _one_line(err) == (
        "policyqa: error: unexpected RuntimeError: disk on fire (run again with -vv for details)"
    )


def test_bad_arguments_are_one_line_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "ask", "问题", "--nonsense")
    assert code == 2 and "unrecognized arguments: --nonsense" in _one_line(err)
    code, _, err = _run(capsys, "nonsense")
    assert code == 2 and "invalid choice" in _one_line(err)


def test_other_libraries_info_lines_are_kept_for_debugging() -> None:
    def record(name: str, level: int) -> logging.LogRecord:
        return logging.LogRecord(name, level, __file__, 1, "message", None, None)

    assert not _quiet_libraries(record("faiss.loader", logging.INFO))
    assert not _quiet_libraries(record("sentence_transformers.base", logging.INFO))
    assert _quiet_libraries(record("faiss.loader", logging.WARNING))
    assert _quiet_libraries(record("index.store", logging.INFO))
    assert _quiet_libraries(record("ui.live", logging.DEBUG))


def test_verbose_ask_shows_our_progress_and_no_library_noise(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    index, _ = build_small_index(tmp_path, tiny_model_dir)
    command = [sys.executable, "-m", "ui.cli", "-v", "ask", "新乡高新区的氢能目标", "--index"]
    done = subprocess.run(
        [*command, str(index)], cwd=ROOT, capture_output=True, text=True, check=False,
        env={"PYTHONPATH": str(ROOT), "POLICYQA_HOME": str(tmp_path / "home"), "PATH": "/usr/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert any(line.startswith("INFO index.store: opened index") for line in lines)
    ours = re.compile(r"^(?:DEBUG|INFO|WARNING|ERROR) (?:index|rag|ui|eval)\.")
    noisy = [line for line in lines if not ours.match(line)]
    assert noisy == []
