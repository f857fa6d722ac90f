"""A build's manifest.json: written last over every other file's record, read back checked."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from index.integrity import IndexMismatchError, check_manifest, damaged, file_records, fix_hint
from index.publish import MANIFEST, IndexNotFoundError, build_command
from rag.config import EmbeddingSettings

__all__ = [
    "SCHEMA_VERSION",
    "embedding_settings",
    "read_manifest",
    "rebuild_hint",
    "write_manifest",
]

SCHEMA_VERSION = 2


def write_manifest(folder: Path, manifest: Mapping[str, Any]) -> None:
    """Write manifest.json last, recording every other file's size and checksum."""
    files = file_records(folder)
    data = {"schema_version": SCHEMA_VERSION, **manifest, "files": files}
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a build folder, after checking its schema version and fields."""
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise IndexNotFoundError(f"{path} is missing: {fix_hint(folder)}") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise damaged(folder, f"{MANIFEST} is not valid JSON ({err})") from None
    except OSError as err:
        raise damaged(folder, f"{MANIFEST} cannot be read ({err.strerror})") from None
    if not isinstance(manifest, dict):
        raise damaged(folder, f"{MANIFEST} is not a JSON object")
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        raise IndexMismatchError(
            f"{folder} has index schema version {version}, this policy-qa reads "
            f"version {SCHEMA_VERSION}: rebuild with this version: {rebuild_hint(folder)}"
        )
    check_manifest(folder, manifest)
    return manifest


def rebuild_hint(folder: Path) -> str:
    """The build command, quoted, that rebuilds the index `folder` belongs to."""
    root = folder.parent.parent if folder.parent.name == "builds" else folder
    return f"`{build_command(root)}`"


def embedding_settings(manifest: Mapping[str, Any]) -> EmbeddingSettings:
    """The encoder settings an index was built with."""
    known = {f.name for f in fields(EmbeddingSettings)}
    return EmbeddingSettings(**{k: v for k, v in manifest["embedding"].items() if k in known})
