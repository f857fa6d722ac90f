"""Find the documents in a folder and load each into a SourceDoc with its metadata.

Offsets everywhere are into `SourceDoc.text`: the file's text as decoded with newlines
normalized to "\\n" (for HTML, DOCX and PDF: the extracted text). A file that cannot be
loaded raises UnreadableDocument with a one-line reason, so a build can report it and
go on with the rest.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from pathlib import Path

from index.formats import FormatError, decode_text, read_docx, read_html, read_pdf
from rag.reading.clean import boilerplate_spans
from rag.reading.metadata import extract_meta
from rag.types import DocMeta, SourceDoc

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
SIDECAR_SUFFIX = ".meta.json"
_META_FIELDS = {f.name for f in dataclasses.fields(DocMeta)}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class UnreadableDocument(Exception):
    """A document that cannot be indexed, and why, in one actionable line."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def discover(root: Path) -> list[Path]:
    """Supported documents under `root`, recursively, sorted; no hidden files or sidecars."""
    if not root.is_dir():
        raise FileNotFoundError(f"documents folder {root} does not exist — pass --docs DIR")
    found = []
    for path in root.rglob("*"):
        parts = path.relative_to(root).parts
        if any(part.startswith((".", "~$")) for part in parts):
            continue  # hidden files and folders, Office lock files
        if path.name.endswith(SIDECAR_SUFFIX) or not path.is_file():
            continue
        if path.suffix.lower() in SUPPORTED_SUFFIXES:
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def load_document(path: Path, root: Path) -> SourceDoc:
    """Decode `path` (a file under `root`), derive its metadata and apply its sidecar."""
    try:
        relative = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError as err:
        raise ValueError(f"{path} is not inside the documents folder {root}") from err
    text, page_starts = _read(path)
    if not text.strip():
        raise UnreadableDocument(path, "no text after decoding — nothing to index")
    meta = extract_meta(text, boilerplate_spans(text))
    meta = _apply_sidecar(path, meta)
    logger.debug("loaded %s (%d characters)", relative, len(text))
    return SourceDoc(path=relative, text=text, meta=meta, page_starts=page_starts)


def _read(path: Path) -> tuple[str, tuple[int, ...]]:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(SUPPORTED_SUFFIXES)
        raise UnreadableDocument(path, f"unsupported file type {suffix!r} (supported: {supported})")
    try:
        if suffix == ".pdf":
            return read_pdf(path)
        if suffix == ".docx":
            return read_docx(path), ()
        data = path.read_bytes()
        if suffix in (".html", ".htm"):
            return read_html(data), ()
        return decode_text(data), ()
    except FormatError as err:
        raise UnreadableDocument(path, str(err)) from err
    except OSError as err:
        raise UnreadableDocument(path, f"cannot read the file ({err.strerror})") from err


def sidecar_path(path: Path) -> Path:
    """Where corrected metadata for `path` lives: report.pdf → report.pdf.meta.json."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _apply_sidecar(path: Path, meta: DocMeta) -> DocMeta:
    """Override derived metadata with the fields a staff member wrote in the sidecar."""
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        return meta
    try:
        values = json.loads(sidecar.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise UnreadableDocument(
            path, f"sidecar {sidecar.name}: invalid JSON at line {err.lineno}, column {err.colno}"
        ) from err
    except (OSError, UnicodeDecodeError) as err:
        raise UnreadableDocument(path, f"sidecar {sidecar.name}: cannot read it ({err})") from err
    if not isinstance(values, dict):
        raise UnreadableDocument(path, f"sidecar {sidecar.name}: must be a JSON object")
    for name, value in values.items():
        _check_sidecar_field(path, sidecar, name, value)
    logger.info("metadata of %s corrected by %s: %s", path.name, sidecar.name, sorted(values))
    return dataclasses.replace(meta, **values)


def _check_sidecar_field(path: Path, sidecar: Path, name: str, value: object) -> None:
    where = f"sidecar {sidecar.name}: field {name!r}"
    if name not in _META_FIELDS:
        allowed = ", ".join(sorted(_META_FIELDS))
        raise UnreadableDocument(path, f"{where} is unknown (allowed: {allowed})")
    if not isinstance(value, str):
        raise UnreadableDocument(path, f"{where} must be a string, not {type(value).__name__}")
    if name == "date" and value and not _ISO_DATE.match(value):
        raise UnreadableDocument(path, f"{where} must be yyyy-mm-dd, not {value!r}")
