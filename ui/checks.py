"""Checks every command runs before loading a model or an index, so bad input fails in a second.

Each check raises UsageError (exit 2) with one line that names the argument and
what to do. The index's own files are read here only where that is cheap:
CURRENT, manifest.json and docs.json (no model, no FAISS, no BM25).
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.types import DocMeta

SHOWN_NAMES = 8  # names listed in an "unknown --region/--doc" error before "…"


class UsageError(ValueError):
    """A command-line argument, file or question that cannot be used; the message says why."""


def positive_int(text: str) -> int:
    """argparse type: an integer ≥ 1 (`--k 0` and `--k -3` are refused alike)."""
    return _int_at_least(text, 1)


def port_number(text: str) -> int:
    """argparse type: a TCP port, 1–65535."""
    port = _int_at_least(text, 1)
    if port > 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535, got {port}")
    return port


def _int_at_least(text: str, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
    return value


def check_text(text: str, what: str) -> str:
    """`text` unchanged, or UsageError when it holds undecodable bytes (lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise UsageError(
            f"{what} is not valid UTF-8 text (character {err.start + 1} cannot be read); "
            "retype it or save the input as UTF-8"
        ) from None
    return text


def check_readable_file(path: Path, what: str) -> Path:
    """`path` when it is a file this process can read, else UsageError naming it."""
    if not path.exists():
        raise UsageError(f"{what} {path} does not exist; check the path")
    if not path.is_file():
        raise UsageError(f"{what} {path} is not a file")
    if not os.access(path, os.R_OK):
        raise UsageError(f"{what} {path} cannot be read (permission denied)")
    return path


def check_folder(path: Path, what: str) -> Path:
    """`path` when it is an existing folder, else UsageError naming it."""
    if not path.exists():
        raise UsageError(f"{what} {path} does not exist; check the path")
    if not path.is_dir():
        raise UsageError(f"{what} {path} is not a folder")
    return path


def check_writable_file(path: Path, what: str) -> Path:
    """`path` when it can be created or appended to (its folder may not exist yet)."""
    if path.exists():
        if path.is_dir() or not os.access(path, os.W_OK):
            raise UsageError(f"{what} {path} cannot be written; choose another file")
        return path
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{what} {path} cannot be created in {parent}; choose another file")
    return path


def check_port_free(host: str, port: int) -> None:
    """UsageError when nothing can listen on host:port (taken, or not an address of this host)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise UsageError(
            f"--host {host}: not an address of this machine ({err.strerror})"
        ) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        # The server sets SO_REUSEADDR too: a port in TIME_WAIT is free, one in use is not.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise UsageError(
                    f"port {port} on {host} is already in use; pass another --port "
                    "or stop the program using it"
                ) from None
            raise UsageError(
                f"cannot listen on {host}:{port} ({err.strerror}); pass another --host or --port"
            ) from None


@dataclass(frozen=True)
class IndexCatalog:
    """What the live build holds, read from its manifest and docs.json without loading it."""

    build_id: str
    docs: Mapping[str, DocMeta]

    @classmethod
    def read(cls, index_root: Path) -> IndexCatalog:
        """The live build's documents; IndexNotFoundError/IndexMismatchError when unusable."""
        # Lazy: the index modules pull in the tokenizer, which `--help` must not pay for.
        from index.build_files import read_docs
        from index.manifest import read_manifest
        from index.publish import resolve_live

        folder = resolve_live(index_root)
        manifest = read_manifest(folder)
        try:
            docs = read_docs(folder)
        except (OSError, ValueError, TypeError) as err:
            raise UsageError(
                f"{folder}/docs.json cannot be read ({err}); rebuild with "
                f"`policyqa index build --index {index_root}`"
            ) from None
        return cls(str(manifest.get("build_id", folder.name)), docs)

    @property
    def regions(self) -> list[str]:
        """Regions of the indexed documents, sorted."""
        return sorted({m.region for m in self.docs.values() if m.region})

    def resolve_scope(self, region: str | None, doc: str | None) -> tuple[str | None, str | None]:
        """`--region` and `--doc` as the index names them; UsageError when they contradict."""
        region_name = self.resolve_region(region) if region is not None else None
        doc_path = self.resolve_doc(doc) if doc is not None else None
        if region_name and doc_path and self.docs[doc_path].region != region_name:
            raise UsageError(
                f"--doc {doc_path} belongs to region {self.docs[doc_path].region or '(none)'!r}, "
                f"not to --region {region_name!r}; give one of them, or matching ones"
            )
        return region_name, doc_path

    def resolve_region(self, given: str) -> str:
        """The region `given` names: exactly, by a short form (新乡 → 新乡高新区) or a fragment."""
        return _resolve(
            given, self.regions, _region_candidates, "--region", "regions in the index", str
        )

    def resolve_doc(self, given: str) -> str:
        """The document path `given` names: its file name, a path as typed, or a title fragment."""
        return _resolve(
            given,
            sorted(self.docs),
            lambda text, paths: _doc_candidates(text, paths, self.docs),
            "--doc",
            "documents in the index",
            lambda path: f"{path} ({self.docs[path].title or 'no title'})",
        )


def _resolve(
    given: str,
    names: list[str],
    candidates: Callable[[str, list[str]], list[str]],
    option: str,
    what: str,
    shown: Callable[[str], str],
) -> str:
    text = check_text(given, option).strip()
    if not text:
        raise UsageError(f"{option} is empty; leave it out to search everything")
    if text in names:
        return text
    found = candidates(text, names)
    if len(found) == 1:
        return found[0]
    if not found:
        listed = _listing([shown(n) for n in names])
        raise UsageError(f"{option} {text!r} matches none of the {len(names)} {what}: {listed}")
    listed = _listing([shown(n) for n in found])
    raise UsageError(f"{option} {text!r} matches {len(found)} {what}; be more specific: {listed}")


def _region_candidates(text: str, regions: list[str]) -> list[str]:
    # Lazy: the alias rules are only needed when the region is not named exactly.
    from rag.reading.metadata import region_aliases

    by_alias = [r for r in regions if text in region_aliases(r)]
    return by_alias or [r for r in regions if text in r]


def _doc_candidates(text: str, paths: list[str], docs: Mapping[str, DocMeta]) -> list[str]:
    typed = PurePath(text)
    # A path as typed (corpus/001_….txt, ./001_….txt): the indexed path is its tail.
    by_path = [p for p in paths if _ends_with(typed, PurePath(p))]
    if by_path:
        return by_path
    by_name = [p for p in paths if PurePath(p).name == typed.name]
    if by_name:
        return by_name
    return [p for p in paths if text in (docs[p].title or "")]


def _ends_with(typed: PurePath, indexed: PurePath) -> bool:
    parts, tail = typed.parts, indexed.parts
    return len(parts) >= len(tail) and parts[len(parts) - len(tail) :] == tail


def _listing(names: list[str]) -> str:
    if not names:
        return "(none)"
    more = f", … ({len(names) - SHOWN_NAMES} more)" if len(names) > SHOWN_NAMES else ""
    return ", ".join(names[:SHOWN_NAMES]) + more
