"""A repeatable trial over damaged copies of one index: each is one line and exit 2, never a
traceback and never served; rollback to the previous build; build on start only when stale."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from index.build import build_if_stale, build_index
from index.publish import BUILDS, CURRENT, list_builds, live_build_id
from tests.small_corpus import DOCS, build_small_index, tiny_model_settings
from ui.cli import main

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "新乡高新区的氢能目标是什么"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    """An index root with two builds of the small corpus (the live one and its predecessor)."""
    folder = tmp_path_factory.mktemp("damage")
    index, settings = build_small_index(folder, tiny_model_dir)
    build_index(folder / "docs", index, settings)
    return index


@pytest.fixture(autouse=True)
def _in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray ./policyqa.toml


def _live(root: Path) -> Path:
    return root / BUILDS / str(live_build_id(root))


def _truncate(name: str) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        path = folder / name
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    return damage


def _garbage(name: str, same_size: bool = True) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        path = folder / name
        size = path.stat().st_size if same_size else 17
        path.write_bytes(bytes((i * 37 + 11) % 256 for i in range(size)))

    return damage


def _write(name: str, text: str) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        (folder / name).write_text(text, encoding="utf-8")

    return damage


def _edit_manifest(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        path = folder / "manifest.json"
        manifest = json.loads(path.read_text(encoding="utf-8"))
        change(manifest)
        path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")

    return damage


def _edit_chunk_text(folder: Path) -> None:
    """Change one figure of a passage, keeping the file's size: only a checksum can tell."""
    path = folder / "chunks.jsonl"
    text = path.read_text(encoding="utf-8")
    digit = next(ch for ch in text if ch.isdigit() and ch != "9")
    path.write_text(text.replace(digit, "9", 1), encoding="utf-8")


def _bad_chunk_line(folder: Path) -> None:
    path = folder / "chunks.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = "{bad" + lines[1][4:]
    path.write_text("".join(lines), encoding="utf-8")


def _remove(name: str) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        path = folder / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()

    return damage


def _bm25_file(damage: Callable[[str], Callable[[Path], None]]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        for path in sorted((folder / "bm25").iterdir()):
            damage(f"bm25/{path.name}")(folder)

    return apply


def _drop(key: str) -> Callable[[dict], None]:
    return lambda manifest: manifest.pop(key)


DAMAGES: dict[str, Callable[[Path], None]] = {
    "dense.faiss truncated": _truncate("dense.faiss"),
    "dense.faiss garbage of the same size": _garbage("dense.faiss"),
    "dense.faiss missing": _remove("dense.faiss"),
    "manifest.json garbage": _garbage("manifest.json"),
    "manifest.json partial": _truncate("manifest.json"),
    "manifest.json a list": _write("manifest.json", "[]"),
    "manifest.json without counts": _edit_manifest(_drop("counts")),
    "manifest.json without embedding": _edit_manifest(_drop("embedding")),
    "manifest.json without files": _edit_manifest(_drop("files")),
    "manifest.json with a malformed file entry": _edit_manifest(
        lambda m: m["files"].update({"dense.faiss": "big"})
    ),
    "bm25/ missing": _remove("bm25"),
    "bm25/ files truncated": _bm25_file(_truncate),
    "bm25/ files garbage": _bm25_file(_garbage),
    "docs.json garbage": _garbage("docs.json"),
    "docs.json wrong shape, same size": lambda f: (f / "docs.json").write_text(
        '{"a": 1' + " " * ((f / "docs.json").stat().st_size - 9) + "}\n", encoding="utf-8"
    ),
    "chunks.jsonl bad line": _bad_chunk_line,
    "chunks.jsonl truncated": _truncate("chunks.jsonl"),
    "chunks.jsonl edited text": _edit_chunk_text,
    "units.npy truncated": _truncate("units.npy"),
    "chunk_offsets.npy garbage": _garbage("chunk_offsets.npy"),
    "chunk_crc.npy truncated": _truncate("chunk_crc.npy"),
    "chunk_docs.npy garbage": _garbage("chunk_docs.npy"),
    "terms.json garbage": _garbage("terms.json"),
    "terms.json missing": _remove("terms.json"),
    "unit_offsets.npy garbage": _garbage("unit_offsets.npy"),
}


@pytest.fixture
def copy(built: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(built, tmp_path / "index"))


def _one_line_error(capsys: pytest.CaptureFixture[str], code: int) -> str:
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize("case", sorted(DAMAGES))
def test_a_damaged_build_is_one_line_exit_2_and_never_served(
    case: str, copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    DAMAGES[case](_live(copy))
    for argv in (
        ["index", "verify", "--index", str(copy)],
        ["index", "status", "--index", str(copy)],
        ["ask", QUESTION, "--index", str(copy)],
    ):
        err = _one_line_error(capsys, main(argv))
        assert "policyqa index build --index" in err, err
        assert "policyqa index rollback" in err or "manifest.json" in err, err


def test_a_pointer_to_a_missing_build_is_one_line(
    copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (copy / CURRENT).write_text("../../etc\n", encoding="utf-8")
    err = _one_line_error(capsys, main(["index", "verify", "--index", str(copy)]))
    assert "rebuild" in err


def test_a_config_naming_another_model_is_refused(
    copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "qa.toml"
    config.write_text('[embedding]\nmodel = "some/other-model"\n', encoding="utf-8")
    err = _one_line_error(
        capsys, main(["ask", QUESTION, "--index", str(copy), "--config", str(config)])
    )
    assert "some/other-model" in err and "the config" in err


def test_an_edited_passage_is_refused_when_read_even_unchecked_on_open(
    copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Opening a big index checks sizes only; each passage's own checksum still holds."""
    path = _live(copy) / "chunks.jsonl"
    path.write_text(path.read_text(encoding="utf-8").replace("2", "3"), encoding="utf-8")
    config = tmp_path / "qa.toml"
    config.write_text("[index]\nchecksum_on_open_mb = 0\n", encoding="utf-8")
    argv = ["ask", QUESTION, "--index", str(copy), "--config", str(config)]
    err = _one_line_error(capsys, main(argv))
    assert "chunks.jsonl line" in err and "altered" in err
    assert "policyqa index rollback" in err


def test_verify_passes_an_intact_build(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", "verify", "--index", str(built)]) == 0
    assert "is intact" in capsys.readouterr().out


def test_rollback_makes_the_previous_build_live(
    copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = list_builds(copy)
    assert live_build_id(copy) == second
    _edit_chunk_text(_live(copy))
    assert main(["index", "rollback", "--index", str(copy)]) == 0
    assert live_build_id(copy) == first
    capsys.readouterr()
    assert main(["ask", QUESTION, "--index", str(copy)]) == 0
    assert "新乡" in capsys.readouterr().out
    err = _one_line_error(capsys, main(["index", "rollback", "--index", str(copy)]))
    assert "no build older" in err


FRESH_SCRIPT = """
import sys
from pathlib import Path
from index.build import build_if_stale
from tests.small_corpus import tiny_model_settings

reason, report = build_if_stale(
    Path(sys.argv[1]), Path(sys.argv[2]), tiny_model_settings(Path(sys.argv[3]))
)
print(repr(reason), report is None, "torch" in sys.modules, "sentence_transformers" in sys.modules)
"""


def test_a_start_builds_only_when_documents_or_settings_changed(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    docs, root = tmp_path / "docs", tmp_path / "index"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    settings = tiny_model_settings(tiny_model_dir)
    reason, report = build_if_stale(docs, root, settings)
    assert reason == "there is no index yet" and report is not None

    def check() -> str:
        out = subprocess.run(
            [sys.executable, "-c", FRESH_SCRIPT, str(docs), str(root), str(tiny_model_dir)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    assert check() == "'' True False False"  # unchanged: no build, no model loaded
    first = sorted(DOCS)[0]
    path = docs / first
    path.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")  # new time only
    assert check() == "'' True False False"
    path.write_text(path.read_text(encoding="utf-8") + "\n新增一句。\n", encoding="utf-8")
    reason, report = build_if_stale(docs, root, settings)
    assert reason == f"{first} changed" and report is not None
    assert build_if_stale(docs, root, settings) == ("", None)
    (docs / "extra.txt").write_text("襄阳高新区规划\n\n第一章 总则\n发展光电子产业。\n", "utf-8")
    assert "added" in build_if_stale(docs, root, settings)[0]
    from dataclasses import replace

    from rag.config import ChunkSettings

    other = replace(settings, chunking=ChunkSettings(max_chars=300))
    assert build_if_stale(docs, root, other)[0] == "the chunking settings changed"
