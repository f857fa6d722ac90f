"""Is a build folder the one its manifest describes? Sizes always, checksums when asked.

A build's manifest.json records every other file of the folder with its size and sha256.
Opening a build checks every size (cheap, and it catches truncated and partial files) and
the checksum of every small file; `policyqa index verify` and the end of every build check
every checksum. Any difference is an `IndexDamagedError` whose one-line message says what
is wrong and how to fix it: rebuild, or make the previous build live again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from index.publish import BUILDS, MANIFEST, build_command, list_builds, live_build_id

_READ = 1 << 20


class IndexMismatchError(ValueError):
    """The index on disk cannot serve this request as is; the message names the fix."""


class IndexDamagedError(IndexMismatchError):
    """A file of a build is missing, truncated, altered or unreadable."""


def index_root_of(folder: Path) -> Path:
    """The index root a build folder belongs to (the folder itself when it stands alone)."""
    return folder.parent.parent if folder.parent.name == BUILDS else folder


def fix_hint(folder: Path) -> str:
    """How to get a working index again: rebuild, or roll back when an older build exists."""
    root = index_root_of(folder)
    hint = f"rebuild with `{build_command(root)}`"
    if root != folder and _previous_build(root, folder.name):
        hint += f", or make the previous build live with `policyqa index rollback --index {root}`"
    return hint


def _previous_build(root: Path, current: str) -> str | None:
    older = [b for b in list_builds(root) if b < current]
    return older[-1] if older else None


def damaged(folder: Path, what: str) -> IndexDamagedError:
    """The error for a damaged build: what is wrong, then the fix."""
    live = live_build_id(index_root_of(folder))
    name = f"build {folder.name}" if live == folder.name else str(folder)
    return IndexDamagedError(f"the index {name} is damaged: {what}: {fix_hint(folder)}")


def sha256_of(path: Path) -> str:
    """The sha256 of a file, read in 1 MB pieces."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_READ):
            digest.update(block)
    return digest.hexdigest()


def file_records(folder: Path) -> dict[str, dict[str, Any]]:
    """Size and sha256 of every file of a build folder except the manifest, by relative path."""
    records = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel != MANIFEST:
            records[rel] = {"size": path.stat().st_size, "sha256": sha256_of(path)}
    return records


def check_files(folder: Path, files: Mapping[str, Any], checksum_below: int | None) -> None:
    """Every recorded file present at its recorded size; checksums of files up to
    `checksum_below` bytes (None: of every file). Raises IndexDamagedError."""
    for rel, record in sorted(files.items()):
        path = folder / rel
        size, sha = _record(folder, rel, record)
        try:
            actual = path.stat().st_size
        except FileNotFoundError:
            raise damaged(folder, f"{rel} is missing") from None
        if actual != size:
            raise damaged(folder, f"{rel} has {actual} bytes, the manifest records {size}")
        if (checksum_below is None or size <= checksum_below) and sha256_of(path) != sha:
            raise damaged(folder, f"{rel} was altered since it was built (checksum differs)")


def _record(folder: Path, rel: str, record: object) -> tuple[int, str]:
    if not isinstance(record, Mapping):
        raise damaged(folder, f"manifest.json: the entry of {rel} is not an object")
    size, sha = record.get("size"), record.get("sha256")
    if not isinstance(size, int) or not isinstance(sha, str) or ".." in Path(rel).parts:
        raise damaged(folder, f"manifest.json: the entry of {rel} is malformed")
    return size, sha


# Manifest keys the reader relies on, and the JSON type each must have.
REQUIRED: dict[str, type] = {
    "build_id": str,
    "embedding": dict,
    "tokenizer": dict,
    "counts": dict,
    "files": dict,
}
REQUIRED_EMBEDDING: dict[str, type] = {"model": str, "fingerprint": str, "dim": int}


def check_manifest(folder: Path, manifest: Mapping[str, Any]) -> None:
    """Refuse a manifest that parses but lacks what opening needs (IndexDamagedError)."""
    for key, kind in REQUIRED.items():
        if not isinstance(manifest.get(key), kind):
            raise damaged(folder, f"{MANIFEST} has no valid {key!r}")
    for key, kind in REQUIRED_EMBEDDING.items():
        if not isinstance(manifest["embedding"].get(key), kind):
            raise damaged(folder, f"{MANIFEST} has no valid embedding {key!r}")
    if not isinstance(manifest["counts"].get("chunks"), int):
        raise damaged(folder, f"{MANIFEST} has no valid chunk count")
    if not isinstance(manifest["tokenizer"].get("user_words"), list):
        raise damaged(folder, f"{MANIFEST} has no valid tokenizer user words")
