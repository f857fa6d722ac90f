"""Load each document file into a SourceDoc with its metadata.

Offsets everywhere are into `SourceDoc.text`: the file's text as decoded with newlines
normalized to "\\n" (for HTML, DOCX and PDF: the extracted text). The content decides
the reader (index.filetypes), so a PDF named .txt is read as a PDF. A file that cannot
be loaded raises UnreadableDocument with a one-line reason, so a build can report it
and go on with the rest. Finding the files is index.discovery's job.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import re
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

from index.discovery import (
    SIDECAR_SUFFIX,
    Discovery,
    Skipped,
    discover,
    name_problem,
    shown,
    too_large,
)
from index.filetypes import (
    DOCX,
    HTML,
    PDF,
    SNIFF_BYTES,
    SUPPORTED_SUFFIXES,
    kind_of,
    reader_by_suffix,
)
from index.formats import FormatError, decode_text, read_docx, read_html, read_pdf
from rag.reading.clean import boilerplate_spans
from rag.reading.metadata import extract_meta
from rag.types import DocMeta, SourceDoc

__all__ = [
    "SIDECAR_SUFFIX",
    "SUPPORTED_SUFFIXES",
    "Discovery",
    "Skipped",
    "UnreadableDocument",
    "discover",
    "load_document",
    "read_file",
    "sidecar_path",
]

logger = logging.getLogger(__name__)

_META_FIELDS = {f.name for f in dataclasses.fields(DocMeta)}
_DATE_FIELDS = ("date", "published")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SIDECAR_MAX_BYTES = 1024 * 1024
# Shares of a document's loading time after decoding and after cleaning (the rest is
# metadata), as measured on large plain texts: only for the progress bar.
_DECODED, _CLEANED = 0.1, 0.55


def _no_progress(share: float) -> None:
    """Progress sink when nobody watches."""


class UnreadableDocument(Exception):
    """A document that cannot be indexed, and why, in one actionable line."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{shown(str(path))}: {reason}")
        self.path = path
        self.reason = reason


def load_document(
    path: Path,
    root: Path,
    max_bytes: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> SourceDoc:
    """Decode `path` (a file under `root`), derive its metadata and apply its sidecar.

    `max_bytes`: a larger file is refused (None: no limit). `progress` is told the share
    of the work done (0..1) after each step, so reading a huge file shows movement.
    """
    step = progress or _no_progress
    relative = _inside(path, root)
    if relative is None:
        raise UnreadableDocument(path, f"outside the documents folder {root} — not read")
    text, page_starts, page_fields = _read(path, max_bytes)
    if not text.strip():
        raise UnreadableDocument(path, "no text after decoding — nothing to index")
    step(_DECODED)
    skip = boilerplate_spans(text)
    step(_CLEANED)
    meta = _apply_sidecar(path, root, extract_meta(text, skip, page_fields))
    step(1.0)
    logger.debug("loaded %s (%d characters)", shown(relative), len(text))
    return SourceDoc(path=relative, text=text, meta=meta, page_starts=page_starts)


def _inside(path: Path, root: Path) -> str | None:
    """`path` relative to `root` ("/"-separated) after resolving links; None when outside."""
    real, real_root = os.path.realpath(path), os.path.realpath(root)
    if os.path.commonpath([real, real_root]) != real_root:
        return None
    return Path(os.path.relpath(real, real_root)).as_posix()


def read_file(path: Path, max_bytes: int | None = None) -> bytes:
    """The bytes of a regular file; anything else (a pipe, a device) is never waited on."""
    try:
        # Non-blocking: opening a named pipe that slipped in would otherwise wait forever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise UnreadableDocument(path, "not a regular file — not read")
            if reason := too_large(info.st_size, max_bytes):
                raise UnreadableDocument(path, reason)
            data = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
    except OSError as err:
        raise UnreadableDocument(path, f"cannot read the file ({err.strerror})") from err
    if reason := too_large(len(data), max_bytes):  # it grew while being read
        raise UnreadableDocument(path, reason)
    return data


def _zip_members(data: bytes) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(data)).namelist()


def _read(path: Path, max_bytes: int | None) -> tuple[str, tuple[int, ...], dict[str, str]]:
    """Text, PDF page starts and a web page's own fields of the file at `path`."""
    data = read_file(path, max_bytes)
    kind = kind_of(path.suffix, data[:SNIFF_BYTES], lambda: _zip_members(data))
    if kind.reader is None:
        raise UnreadableDocument(path, kind.reason)
    if kind.reader != reader_by_suffix(path.suffix):
        logger.info("%s is read as %s, by its content", shown(path.name), kind.reader)
    try:
        if kind.reader == PDF:
            return (*read_pdf(data), {})
        if kind.reader == DOCX:
            return read_docx(data), (), {}
        if kind.reader == HTML:
            page = read_html(data)
            return page.text, (), page.fields
        return decode_text(data), (), {}
    except FormatError as err:
        raise UnreadableDocument(path, str(err)) from err


def sidecar_path(path: Path) -> Path:
    """Where corrected metadata for `path` lives: report.pdf → report.pdf.meta.json."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _apply_sidecar(path: Path, root: Path, meta: DocMeta) -> DocMeta:
    """Override derived metadata with the fields a staff member wrote in the sidecar."""
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        return meta
    if _inside(sidecar, root) is None:
        raise UnreadableDocument(
            path, f"sidecar {sidecar.name}: a link outside the documents folder — not read"
        )
    try:
        raw = read_file(sidecar, _SIDECAR_MAX_BYTES)
        values = json.loads(raw.decode("utf-8-sig"))
    except ValueError as err:
        raise UnreadableDocument(path, _sidecar_problem(sidecar, err)) from err
    except RecursionError as err:
        raise UnreadableDocument(path, f"sidecar {sidecar.name}: nested too deeply") from err
    except UnreadableDocument as err:
        raise UnreadableDocument(path, f"sidecar {sidecar.name}: {err.reason}") from err
    if not isinstance(values, dict):
        raise UnreadableDocument(path, f"sidecar {sidecar.name}: must be a JSON object")
    for name, value in values.items():
        _check_sidecar_field(path, sidecar, name, value)
    logger.info("metadata of %s corrected by %s: %s", path.name, sidecar.name, sorted(values))
    return dataclasses.replace(meta, **values)


def _sidecar_problem(sidecar: Path, err: ValueError) -> str:
    """One line for a sidecar that is not UTF-8 or not JSON."""
    if isinstance(err, json.JSONDecodeError):
        return f"sidecar {sidecar.name}: invalid JSON at line {err.lineno}, column {err.colno}"
    if isinstance(err, UnicodeDecodeError):
        return f"sidecar {sidecar.name}: not UTF-8 text — save it as UTF-8"
    return f"sidecar {sidecar.name}: unreadable ({err})"


def _check_sidecar_field(path: Path, sidecar: Path, name: str, value: object) -> None:
    where = f"sidecar {sidecar.name}: field {name!r}"
    if name not in _META_FIELDS:
        allowed = ", ".join(sorted(_META_FIELDS))
        raise UnreadableDocument(path, f"{where} is unknown (allowed: {allowed})")
    if not isinstance(value, str):
        raise UnreadableDocument(path, f"{where} must be a string, not {type(value).__name__}")
    if name in _DATE_FIELDS and value and not _ISO_DATE.match(value):
        raise UnreadableDocument(path, f"{where} must be yyyy-mm-dd, not {value!r}")
    if name_problem(value):  # shown on one line next to every citation
        raise UnreadableDocument(path, f"{where} must be one line of text, not {value!r}")
