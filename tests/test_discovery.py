"""Finding documents: every entry not indexed is listed with its reason, nothing is read
outside the folder, a document reachable under two names is indexed once."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from index.discovery import discover, name_problem, shown

TEXT = "某区产业发展规划\n推动高质量发展。\n".encode()


def _write(root: Path, name: str, data: bytes = TEXT) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _found(root: Path, max_bytes: int | None = None) -> tuple[list[str], dict[str, str]]:
    found = discover(root, max_bytes)
    docs = [p.relative_to(root).as_posix() for p in found.documents]
    return docs, {s.path: s.reason for s in found.skipped}


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    _write(folder, "a.txt")
    return folder


def test_a_link_out_of_the_folder_is_listed_and_never_followed(docs: Path) -> None:
    secret = _write(docs.parent / "outside", "secret.txt")
    (docs / "out.txt").symlink_to(secret)
    (docs / "etc").symlink_to(docs.parent / "outside", target_is_directory=True)
    (docs / "up.txt").symlink_to("../outside/secret.txt")
    found, skipped = _found(docs)
    assert found == ["a.txt"]
    for name in ["out.txt", "etc", "up.txt"]:
        assert "outside the documents folder — not followed" in skipped[name]
    assert str(secret.resolve()) in skipped["out.txt"]


def test_a_link_inside_the_folder_is_indexed_once_by_its_target(docs: Path) -> None:
    _write(docs, "sub/b.txt")
    (docs / "copy.txt").symlink_to("a.txt")
    (docs / "sub/deep.txt").symlink_to(docs / "sub" / "b.txt")
    (docs / "chain.txt").symlink_to("copy.txt")
    (docs / "again").symlink_to("sub", target_is_directory=True)
    found, skipped = _found(docs)
    assert found == ["a.txt", "sub/b.txt"]
    assert skipped["copy.txt"] == "symbolic link to a.txt: indexed once, as a.txt"
    assert skipped["chain.txt"] == "symbolic link to a.txt: indexed once, as a.txt"
    assert skipped["sub/deep.txt"] == "symbolic link to sub/b.txt: indexed once, as sub/b.txt"
    assert skipped["again"] == "symbolic link to the folder sub/ — not followed (read there)"


def test_loops_dangling_links_and_links_to_skipped_files(docs: Path) -> None:
    (docs / "self.txt").symlink_to("self.txt")
    (docs / "ping.txt").symlink_to("pong.txt")
    (docs / "pong.txt").symlink_to("ping.txt")
    (docs / "gone.txt").symlink_to("missing.txt")
    _write(docs, "table.xlsx", b"x")
    (docs / "table.txt").symlink_to("table.xlsx")
    _write(docs, ".hidden/h.txt")
    (docs / "h.txt").symlink_to(".hidden/h.txt")
    found, skipped = _found(docs)
    assert found == ["a.txt"]
    for name in ["self.txt", "ping.txt", "pong.txt"]:
        assert skipped[name] == "symbolic link loop — not followed"
    assert skipped["gone.txt"].startswith("dangling symbolic link (its target ")
    assert skipped["table.txt"] == "symbolic link to table.xlsx, which is not indexed (see there)"
    assert skipped["h.txt"] == "symbolic link to .hidden/h.txt, a hidden entry — not indexed"


def test_pipes_sockets_and_devices_are_never_opened(docs: Path) -> None:
    os.mkfifo(docs / "pipe.txt")
    (docs / "to-pipe.txt").symlink_to("pipe.txt")
    (docs / "null.txt").symlink_to("/dev/null")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(docs / "sock.txt"))
        found, skipped = _found(docs)  # returns at once: no pipe is waited on
    assert found == ["a.txt"]
    assert skipped["pipe.txt"] == "not a regular file: a named pipe (FIFO) — not read"
    assert skipped["sock.txt"] == "not a regular file: a socket — not read"
    assert skipped["to-pipe.txt"] == "symbolic link to a named pipe (FIFO) — not read"
    assert "outside the documents folder" in skipped["null.txt"]


def test_a_hard_link_is_indexed_once(docs: Path) -> None:
    os.link(docs / "a.txt", docs / "b.txt")
    found, skipped = _found(docs)
    assert found == ["a.txt"]
    assert skipped["b.txt"] == "the same file as a.txt (a hard link): indexed once, as that"


def test_names_with_control_characters_or_bad_bytes_are_listed_escaped(docs: Path) -> None:
    _write(docs, "new\nline.txt")
    _write(docs, "tab\there.txt")
    _write(docs, "bidi\u202etxt.exe.txt")
    undecodable = os.path.join(os.fsencode(docs), b"gbk-\xb9\xd8.txt")
    os.close(os.open(undecodable, os.O_CREAT | os.O_WRONLY))
    found, skipped = _found(docs)
    assert found == ["a.txt"]
    assert "control characters (\\n)" in skipped["new\\nline.txt"]
    assert "control characters (\\t)" in skipped["tab\\there.txt"]
    assert "control characters (\\u202e)" in skipped["bidi\\u202etxt.exe.txt"]
    assert skipped["gbk-\\xb9\\xd8.txt"] == "the file name is not valid UTF-8 — rename it"
    for shown_name in skipped:
        assert shown_name.isprintable()


def test_unsupported_files_are_listed_and_documents_are_known_by_content(docs: Path) -> None:
    _write(docs, "photo.png", b"\x89PNG\r\n\x1a\n\x00\x00")
    _write(docs, "README", b"notes")
    _write(docs, "report.pdf.download", b"%PDF-1.4\n...")
    _write(docs, "page.shtml", b"<!DOCTYPE html><html><body><p>x</p></body></html>")
    _write(docs, "old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    found, skipped = _found(docs)
    assert found == ["a.txt", "page.shtml", "report.pdf.download"]
    assert skipped["photo.png"].startswith("a PNG image, not a text document — OCR it")
    assert skipped["README"].startswith("unsupported file type (no extension)")
    assert skipped["old.doc"].startswith("a legacy Office/WPS file")


def test_files_over_the_size_limit_are_listed(docs: Path) -> None:
    _write(docs, "big.txt", b"x" * 3000)
    found, skipped = _found(docs, max_bytes=2048)
    assert found == ["a.txt"]
    assert skipped["big.txt"].startswith("too large: 0.0 MB, over the limit of 0.00195312 MB")
    assert "documents.max_document_mb" in skipped["big.txt"]


def test_a_sidecar_without_its_document_is_listed(docs: Path) -> None:
    _write(docs, "a.txt.meta.json", b"{}")
    _write(docs, "gone.txt.meta.json", b"{}")
    found, skipped = _found(docs)
    assert found == ["a.txt"]
    assert skipped == {
        "gone.txt.meta.json": "metadata sidecar of gone.txt, which is not in the folder"
    }


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file regardless of mode")
def test_unreadable_files_and_folders_are_listed(docs: Path) -> None:
    _write(docs, "locked/x.txt")
    _write(docs, "secret.bin", b"x")
    (docs / "locked").chmod(0)
    (docs / "secret.bin").chmod(0)
    try:
        found, skipped = _found(docs)
    finally:
        (docs / "locked").chmod(0o755)
    assert found == ["a.txt"]
    assert skipped["locked/"] == "cannot open the folder (Permission denied)"
    assert skipped["secret.bin"] == "cannot read it (Permission denied)"


def test_shown_and_name_problem() -> None:
    assert shown("a\nb\x1b.txt") == "a\\nb\\x1b.txt"
    assert shown("规划.txt") == "规划.txt"
    assert name_problem("规划 (1).txt") == ""
    assert name_problem("a\u2028b") != ""
