"""What a file holds, judged by its first bytes before its name.

A PDF saved as `.txt` is still a PDF, and a PNG named `.txt` is no text: the content
decides which reader opens a file, the extension only breaks the tie for plain text.
Files that are no document say what they are and what to do, in one line.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
SNIFF_BYTES = 4096  # how much of a file's start the content checks read

# Readers of index.formats, by name.
TEXT, HTML, PDF, DOCX = "text", "html", "pdf", "docx"
_BY_SUFFIX = {".txt": TEXT, ".md": TEXT, ".html": HTML, ".htm": HTML, ".docx": DOCX, ".pdf": PDF}

# (leading bytes, what the file is, what to do): formats that hold no readable text.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_NOT_DOCUMENTS: tuple[tuple[bytes, str, str], ...] = (
    (_OLE_MAGIC, "a legacy Office/WPS file (.doc, .xls, .wps)",
     "save it as .docx or PDF"),
    (b"{\\rtf", "an RTF document", "save it as .docx"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", "OCR it into a text layer (PDF) first"),
    (b"\xff\xd8\xff", "a JPEG image", "OCR it into a text layer (PDF) first"),
    (b"GIF87a", "a GIF image", "OCR it into a text layer (PDF) first"),
    (b"GIF89a", "a GIF image", "OCR it into a text layer (PDF) first"),
    (b"II*\x00", "a TIFF image", "OCR it into a text layer (PDF) first"),
    (b"MM\x00*", "a TIFF image", "OCR it into a text layer (PDF) first"),
    (b"\x1f\x8b", "a gzip archive", "unpack it into the documents folder"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "unpack it into the documents folder"),
    (b"Rar!\x1a\x07", "a RAR archive", "unpack it into the documents folder"),
    (b"\xfd7zXZ\x00", "an xz archive", "unpack it into the documents folder"),
    (b"\x7fELF", "a program (ELF executable)", "remove it from the documents folder"),
)  # fmt: skip
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# Members that tell a ZIP-based format apart: (member, what the file is, what to do).
_ZIP_FORMATS: tuple[tuple[str, str, str], ...] = (
    ("xl/workbook.xml", "an Excel workbook (.xlsx)", "save its text as .docx or PDF"),
    ("ppt/presentation.xml", "a PowerPoint file (.pptx)", "export it as PDF"),
    ("OFD.xml", "an OFD document", "export it as PDF"),
    ("content.xml", "an OpenDocument file", "save it as .docx"),
)
_DOCX_MEMBER = "word/document.xml"
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]", re.I | re.S)
_BOMS = (codecs.BOM_UTF8,)


@dataclass(frozen=True)
class FileKind:
    """Which reader opens a file, or why none does."""

    reader: str | None  # TEXT, HTML, PDF or DOCX; None: not a document
    reason: str = ""  # when reader is None: what the file is and what to do


def supported_list() -> str:
    """The supported extensions, for messages."""
    return ", ".join(SUPPORTED_SUFFIXES)


def reader_by_suffix(suffix: str) -> str | None:
    """The reader a file's extension alone would choose, if any."""
    return _BY_SUFFIX.get(suffix.lower())


def kind_of(suffix: str, head: bytes, zip_members: Callable[[], list[str]]) -> FileKind:
    """The reader for a file named with `suffix` whose content starts with `head`.

    `zip_members` lists the members of the whole file; it is called only for ZIP files
    and may raise zipfile.BadZipFile.
    """
    suffix = suffix.lower()
    if b"%PDF-" in head[:1024]:  # the header may follow a little junk
        return FileKind(PDF)
    if head.startswith(_ZIP_MAGIC):
        return _zip_kind(suffix, zip_members)
    if head.startswith(_OLE_MAGIC) and suffix == ".docx":
        # Word saves a password-protected .docx inside an OLE container.
        return FileKind(None, "a password-protected .docx — save it without a password")
    for magic, what, todo in _NOT_DOCUMENTS:
        if head.startswith(magic):
            return FileKind(None, f"{what}, not a text document — {todo}")
    body = head[len(codecs.BOM_UTF8) :] if head.startswith(_BOMS) else head
    if _HTML_START.match(body):
        return FileKind(HTML)
    if suffix in _BY_SUFFIX:
        return FileKind(_BY_SUFFIX[suffix])
    what = f"{suffix!r}" if suffix else "(no extension)"
    return FileKind(None, f"unsupported file type {what} (supported: {supported_list()})")


def _zip_kind(suffix: str, zip_members: Callable[[], list[str]]) -> FileKind:
    try:
        members = set(zip_members())
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        NotImplementedError,
        ValueError,
    ) as err:
        if suffix == ".docx":
            return FileKind(None, f"corrupt .docx ({err}) — open and re-save it in Word")
        return FileKind(None, f"damaged ZIP file ({err}) — re-save or re-download it")
    if _DOCX_MEMBER in members:
        return FileKind(DOCX)
    for member, what, todo in _ZIP_FORMATS:
        if member in members:
            return FileKind(None, f"{what}, not a supported document — {todo}")
    if suffix == ".docx":
        return FileKind(None, "corrupt .docx (no word/document.xml) — open and re-save it in Word")
    return FileKind(None, "a ZIP archive, not a document — unpack it into the documents folder")
