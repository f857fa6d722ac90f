"""A repeatable trial: `policyqa index build` over a folder of every bad entry we know.

Links out of the folder, links inside it, loops, dangling links, pipes, sockets, a
PDF named .txt, empty, binary, GBK and over-limit files, a newline in a name, Markdown
titles. The build and `index status` run as a user runs them (the CLI in a child
process) and must: print no traceback, list every bad entry with its reason, and index
each good document exactly once.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PLAN = "某市高新区产业发展规划\n\n第一章 总体要求\n\n推动某市高新区先进制造业高质量发展。\n"
GOOD = {
    "good.txt": PLAN.encode("utf-8"),
    "gbk.txt": PLAN.replace("产业", "科技").encode("gbk"),
    "readme.md": ("# 某区氢能产业规划\n\n## 一、发展目标\n\n建设加氢站5座。\n").encode(),
    "sub/nested.txt": PLAN.replace("某市", "某县").encode("utf-8"),
}
# Skipped entry -> words its reason must hold.
BAD = {
    "link-out.txt": "outside the documents folder — not followed",
    "link-out-dir": "outside the documents folder — not followed",
    "link-in.txt": "indexed once, as good.txt",
    "loop.txt": "symbolic link loop",
    "dangling.txt": "dangling symbolic link",
    "fifo.txt": "named pipe (FIFO)",
    "socket.txt": "a socket",
    "empty.txt": "empty file",
    "binary.txt": "binary file",
    "image.txt": "a PNG image",
    "archive.txt": "a ZIP archive",
    "huge.txt": "too large",
    "new\\nline.txt": "control characters (\\n)",
    "photo.jpg": "a JPEG image",
    "notes.xyz": "unsupported file type '.xyz'",
}


def _make_docs(folder: Path) -> None:
    for name, data in GOOD.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    outside = folder.parent / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("机密文件。\n", encoding="utf-8")
    (folder / "link-out.txt").symlink_to(outside / "secret.txt")
    (folder / "link-out-dir").symlink_to(outside, target_is_directory=True)
    (folder / "link-in.txt").symlink_to("good.txt")
    (folder / "loop.txt").symlink_to("loop.txt")
    (folder / "dangling.txt").symlink_to("nowhere.txt")
    os.mkfifo(folder / "fifo.txt")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64)
    with zipfile.ZipFile(folder / "archive.txt", "w") as archive:
        archive.writestr("a.txt", "x")
    (folder / "huge.txt").write_bytes(PLAN.encode("utf-8") * 20_000)  # ~2.4 MB
    (folder / "new\nline.txt").write_bytes(PLAN.encode("utf-8"))
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    (folder / "notes.xyz").write_text("备忘。\n", encoding="utf-8")
    _pdf_named_txt(folder / "pdf-as.txt")


def _pdf_named_txt(path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 10, "Hydrogen plan: five refuelling stations by 2025.")
    pdf.output(str(path))


def _policyqa(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "POLICYQA_HOME": str(cwd / "home")}
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", "-q", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def trial(
    tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One build over the bad folder, shared by the checks below."""
    tmp_path = tmp_path_factory.mktemp("trial")
    docs = tmp_path / "docs"
    docs.mkdir()
    _make_docs(docs)
    config = tmp_path / "policyqa.toml"
    config.write_text(
        '[embedding]\nquery_prompt = ""\npassage_prompt = ""\n[documents]\nmax_document_mb = 1\n',
        encoding="utf-8",
    )
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(docs / "socket.txt"))
        build = _policyqa(
            "--config", str(config), "index", "build",
            "--docs", str(docs), "--index", str(tmp_path / "index"),
            "--model", str(tiny_model_dir), cwd=tmp_path,
        )  # fmt: skip
    return tmp_path, build


def test_every_bad_entry_is_listed_and_every_good_one_indexed_once(
    trial: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    tmp_path, build = trial
    assert build.returncode == 0, build.stderr
    assert "Traceback" not in build.stdout + build.stderr
    summary = build.stdout
    for name, words in BAD.items():
        line = next((x for x in summary.splitlines() if x.startswith(f"  {name}: ")), None)
        assert line is not None, f"{name} not listed:\n{summary}"
        assert words in line, line
    assert f"Skipped {len(BAD)} file(s):" in summary
    assert "secret.txt" not in json.dumps(_chunks(tmp_path))  # nothing read outside

    manifest = _manifest(tmp_path)
    assert sorted(manifest["sources"]) == sorted([*GOOD, "pdf-as.txt"])
    assert {s["path"] for s in manifest["skipped"]} == set(BAD)
    chunks = _chunks(tmp_path)
    ids = [c["chunk_id"] for c in chunks]
    assert len(ids) == len(set(ids))  # no document indexed twice
    assert manifest["sources"]["readme.md"]["meta"]["title"] == "某区氢能产业规划"
    assert manifest["sources"]["gbk.txt"]["meta"]["title"] == "某市高新区科技发展规划"
    assert any("five refuelling stations" in c["text"] for c in chunks)  # read as a PDF


def test_index_status_shows_the_escaped_names_on_one_line(
    trial: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    tmp_path, build = trial
    assert build.returncode == 0, build.stderr
    status = _policyqa("index", "status", "--index", str(tmp_path / "index"), cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "Traceback" not in status.stdout + status.stderr
    lines = status.stdout.splitlines()
    skipped = [x for x in lines if x.startswith("  skipped")]
    assert len(skipped) == len(BAD)
    escaped = "  skipped     new\\nline.txt: the file name contains"
    assert any(x.startswith(escaped) for x in skipped)
    assert all(x.isprintable() for x in lines)


def _manifest(tmp_path: Path) -> dict:
    index = tmp_path / "index"
    build = (index / "CURRENT").read_text(encoding="utf-8").strip()
    return json.loads((index / "builds" / build / "manifest.json").read_text(encoding="utf-8"))


def _chunks(tmp_path: Path) -> list[dict]:
    index = tmp_path / "index"
    build = (index / "CURRENT").read_text(encoding="utf-8").strip()
    text = (index / "builds" / build / "chunks.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line]
