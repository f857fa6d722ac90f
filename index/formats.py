"""Turn the bytes of one file format into plain text (and PDF page starts).

Every reader returns text with newlines normalized to "\\n"; all offsets downstream
index into exactly this text. A reader that cannot produce text raises FormatError
with a one-line reason saying what is wrong and what to do.
"""

from __future__ import annotations

import codecs
import logging
import re
import struct
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.errors import brief
from rag.lexicon import PUBLISHED_LABELS
from rag.reading.dates import leading_date

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag

logger = logging.getLogger(__name__)

_UTF16_BOMS = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_BRIEF_CHARS = 120  # a library's error quoted in a skipped file's reason line
_MAX_CHAOS = 0.1  # charset-normalizer's mess ratio above which a guess is not trusted
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.IGNORECASE)
# GB2312 and GBK pages routinely contain characters only GB18030 (their superset) has.
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030"}


_JUNK_TAGS = re.compile(
    r"^(?:script|style|noscript|template|iframe|svg|canvas|object|embed|button|select|input"
    r"|textarea|head)$"
)
_FURNITURE_TAGS = ("nav", "header", "footer", "aside", "form", "menu")
_FURNITURE_MARK = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|menu|footer|breadcrumbs?|crumbs?|share|sidebar|copyright|"
    r"toolbar|topbar)(?:$|[\s_\d-])",
    re.IGNORECASE,
)
_BLOCK_TAGS = re.compile(
    r"^(?:p|div|section|article|main|header|li|ul|ol|dl|dt|dd|h[1-6]|table|tbody|thead|tfoot"
    r"|blockquote|pre|address|figure|figcaption|center|hr|caption)$"
)
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")
# 发布日期:2022-03-21, letters maybe spaced; the date must follow the label at once.
_PUBLISHED = re.compile(
    "(?:" + "|".join(r"\s*".join(label) for label in PUBLISHED_LABELS) + r")\s*[:：]?"
)
# A page's line of fields (发布日期 来源 浏览次数 字体 打印) is short; a longer line that
# names a publication date is a paragraph of text, not the page stating its own.
_INFO_LINE_MAX = 200
# Source line breaks inside Chinese text are not spaces a reader would see.
_CJK_WRAP = re.compile(
    r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])[ \t]*\n\s*(?=[\u4e00-\u9fff])"
)


# <meta> names that state an article's fields, as Chinese government sites write them
# (PubDate, ContentSource) and as other publishers do, by the DocMeta label field.
_PAGE_META = {
    "pubdate": "published",
    "publishdate": "published",
    "firstpublishedtime": "published",
    "article:published_time": "published",
    "contentsource": "source",
}


class FormatError(ValueError):
    """A file's content cannot be turned into text; the message is the reason."""


# What the PDF and .docx libraries raise on damaged files besides their own errors:
# cut-off streams, bad compression, broken structure. A damaged file is skipped with
# the reason, never a crash of the whole build.
_DAMAGE = (
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    NotImplementedError,
    RecursionError,
    OverflowError,
    EOFError,
    struct.error,
    zlib.error,
)


def normalize_newlines(text: str) -> str:
    """\\r\\n and lone \\r become \\n, so offsets do not depend on the platform."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_text(data: bytes) -> str:
    """Decode a text file by its bytes, not its name: BOM, UTF-8, GB18030, then a guess."""
    if not data.strip():
        raise FormatError("empty file — nothing to index")
    if data.startswith(codecs.BOM_UTF8):
        return _checked(data, "utf-8-sig")
    for bom, encoding in _UTF16_BOMS:
        if data.startswith(bom):
            return _checked(data[len(bom) :], encoding)
    if b"\x00" in data:
        raise FormatError("binary file (contains NUL bytes) — not a text document")
    for encoding in ("utf-8", "gb18030"):
        try:
            return normalize_newlines(data.decode(encoding))
        except UnicodeDecodeError:
            continue
    return normalize_newlines(_guess(data))


def _checked(data: bytes, encoding: str) -> str:
    try:
        return normalize_newlines(data.decode(encoding))
    except UnicodeDecodeError as err:
        raise FormatError(
            f"undecodable: starts with a {encoding} byte-order mark but byte {err.start} "
            f"is not valid {encoding} — re-save it as UTF-8"
        ) from err


def _guess(data: bytes) -> str:
    # Imported here: only files that are neither UTF-8 nor GB18030 need it.
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.chaos > _MAX_CHAOS:
        raise FormatError(
            "undecodable: not UTF-8 or GB18030 and no confident encoding guess — "
            "re-save it as UTF-8"
        )
    logger.info("decoded as %s by guess (chaos %.2f)", best.encoding, best.chaos)
    return str(best)


@dataclass(frozen=True)
class WebPage:
    """A web page's main text, and the article fields its <meta> tags and 发布日期 line state."""

    text: str
    fields: dict[str, str]  # DocMeta label fields ("published", "source") -> value


def read_html(data: bytes) -> WebPage:
    """Main text of a web page: no scripts, menus or footers; one block per line."""
    # Imported here: bs4 and lxml are only needed for web pages.
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode_html(data), "lxml")
    fields = _meta_fields(soup)
    for tag in soup.find_all(_JUNK_TAGS):
        tag.decompose()
    body = soup.body or soup
    # Read before the content block is chosen and furniture dropped: pages put this line
    # beside the title, outside the text, often in a block marked as furniture. What the
    # page shows readers outranks its <meta>, as labelled lines in the text do.
    if published := _published_line(body):
        fields["published"] = published
    root = _content_root(body)
    lines = [_title_outside(body, root)]
    _drop_page_furniture(root)
    lines += _block_lines(root)
    text = "\n".join(line for line in lines if line)
    if not text.strip():
        raise FormatError("web page without main text — save the article itself")
    return WebPage(text, fields)


def _meta_fields(soup: BeautifulSoup) -> dict[str, str]:
    """Article fields from <meta name=… content=…> (PubDate, ContentSource …)."""
    fields: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        name = str(tag.get("name") or tag.get("property") or "").strip().lower()
        value = " ".join(str(tag.get("content") or "").split())
        if name in _PAGE_META and value:
            fields.setdefault(_PAGE_META[name], value)
    return fields


def _published_line(body: Tag) -> str:
    """The date on the page's 发布日期:… line, wherever on the page it stands, or ""."""
    for line in _block_lines(body):
        if len(line) > _INFO_LINE_MAX:
            continue
        for m in _PUBLISHED.finditer(line):
            if date := leading_date(line[m.end() :]):
                return date
    return ""


def _decode_html(data: bytes) -> str:
    if not data.strip():
        raise FormatError("empty file — nothing to index")
    declared = _META_CHARSET.search(data[:4096])
    if declared and not data.startswith((codecs.BOM_UTF8, *(b for b, _ in _UTF16_BOMS))):
        name = declared.group(1).decode("ascii").lower()
        try:
            return normalize_newlines(data.decode(_CHARSET_ALIASES.get(name, name)))
        except (LookupError, UnicodeDecodeError):
            logger.info("declared charset %s does not decode the page; detecting", name)
    return decode_text(data)


def _content_root(body: Tag) -> Tag:
    """<article>/<main> when they hold the text, else the block with most paragraph text."""
    total = len(body.get_text(strip=True)) or 1
    for name in ("article", "main"):
        found = sorted(body.find_all(name), key=lambda t: len(t.get_text(strip=True)))
        if found and len(found[-1].get_text(strip=True)) >= 0.25 * total:
            return found[-1]
    role_main = body.find(name=None, attrs={"role": "main"})
    if role_main is not None and len(role_main.get_text(strip=True)) >= 0.25 * total:
        return role_main
    return _densest_block(body)


def _title_outside(body: Tag, root: Tag) -> str:
    """The page's <h1> when the content block left it out, skipping site logos and menus."""
    for heading in body.find_all("h1"):
        if heading is root or root in heading.parents:
            return ""  # the content block has its own title
        if not any(
            _is_furniture(tag) or "logo" in _marks(tag) for tag in [heading, *heading.parents]
        ):
            return heading.get_text(" ", strip=True)
    return ""


def _marks(tag: Tag) -> str:
    return " ".join([*tag.get_attribute_list("class"), str(tag.get("id", ""))])


def _is_furniture(tag: Tag) -> bool:
    return tag.name in _FURNITURE_TAGS or bool(_FURNITURE_MARK.search(_marks(tag)))


def _densest_block(body: Tag) -> Tag:
    """Readability's idea: each paragraph credits its parent fully and grandparent half."""
    scores: dict[int, float] = {}
    nodes: dict[int, Tag] = {}
    for node in body.find_all(["p", "pre", "td", "div", "section"]):
        own = _own_text_length(node)
        if own < 20 or _link_share(node) > 0.5:
            continue
        for ancestor, weight in ((node.parent, 1.0), (getattr(node.parent, "parent", None), 0.5)):
            if ancestor is not None and ancestor.name not in (None, "[document]", "html"):
                scores[id(ancestor)] = scores.get(id(ancestor), 0.0) + own * weight
                nodes[id(ancestor)] = ancestor
    if not scores:
        return body
    return nodes[max(scores, key=scores.__getitem__)]


def _own_text_length(node: Tag) -> int:
    if node.name in ("p", "pre"):
        return len(node.get_text(strip=True))
    return sum(len(s.strip()) for s in node.find_all(string=True, recursive=False))


def _link_share(node: Tag) -> float:
    text = len(node.get_text(strip=True)) or 1
    return sum(len(a.get_text(strip=True)) for a in node.find_all("a")) / text


def _drop_page_furniture(root: Tag) -> None:
    """Remove menus, footers, share bars and forms, but never most of the content."""
    total = len(root.get_text(strip=True))
    for tag in root.find_all(True):
        if tag.decomposed:
            continue
        furniture = _is_furniture(tag)
        if tag.name == "header" and tag.find_parent(["article", "main"]) is not None:
            furniture = False  # an article's own header holds its title
        # ASP.NET pages wrap the whole article in one <form>.
        if furniture and len(tag.get_text(strip=True)) <= 0.5 * total:
            tag.decompose()


def _block_lines(root: Tag) -> list[str]:
    """Text of `root` with block elements on their own lines and table rows as a | b."""
    pieces: list[str] = []
    _walk(root, pieces)
    return [" ".join(line.split()) for line in "".join(pieces).split("\n")]


def _walk(node: Tag, pieces: list[str]) -> None:
    # Imported here like the parser itself; cached after the first call.
    from bs4 import NavigableString, Tag

    for child in node.children:
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:  # not a comment, CDATA or doctype
                pieces.append(_HTML_SPACE.sub(" ", _CJK_WRAP.sub("", str(child))))
        elif not isinstance(child, Tag):
            continue  # every child is a string or a tag
        elif child.name == "br":
            pieces.append("\n")
        elif child.name == "pre":
            pieces.append("\n" + child.get_text() + "\n")
        elif child.name == "tr":
            cells = [" ".join(c.get_text(" ").split()) for c in child.find_all(["td", "th"])]
            pieces.append("\n" + " | ".join(cells) + "\n")
        elif _BLOCK_TAGS.match(child.name):
            pieces.append("\n")
            _walk(child, pieces)
            pieces.append("\n")
        else:
            _walk(child, pieces)


def read_docx(data: bytes) -> str:
    """Paragraphs and table rows ("cell | cell") in body order, one per line."""
    # Imported here: python-docx is only needed for .docx files.
    import io
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from lxml.etree import XMLSyntaxError

    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.extend(_table_rows(block))
            else:
                lines.append(block.text)
    except (PackageNotFoundError, zipfile.BadZipFile, XMLSyntaxError, *_DAMAGE) as err:
        reason = brief(err, _BRIEF_CHARS)
        raise FormatError(f"corrupt .docx ({reason}) — open and re-save it in Word") from err
    text = normalize_newlines("\n".join(lines))
    if not text.strip():
        raise FormatError("the .docx has no text")
    return text


def _table_rows(table: object) -> list[str]:
    rows: list[str] = []
    for row in table.rows:  # type: ignore[attr-defined]
        cells: list[str] = []
        for cell in row.cells:
            value = " ".join(cell.text.split())
            # python-docx repeats a merged cell once per grid column it spans.
            if not cells or value != cells[-1]:
                cells.append(value)
        rows.append(" | ".join(cells))
    return rows


def read_pdf(data: bytes) -> tuple[str, tuple[int, ...]]:
    """Text of each page joined with "\\n", and the offset where each page starts."""
    # Imported here: pypdf is only needed for PDFs.
    import io

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, DeprecationError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise FormatError("encrypted PDF that needs a password — save a decrypted copy")
        pages = [_page_text(page.extract_text() or "") for page in reader.pages]
    except FormatError:
        raise
    except DependencyError as err:
        raise FormatError(f"encrypted PDF that cannot be decrypted here ({err})") from err
    except (PyPdfError, DeprecationError, *_DAMAGE) as err:
        raise FormatError(f"corrupt PDF ({brief(err, _BRIEF_CHARS)}) — re-export it") from err
    if not any(page.strip() for page in pages):
        raise FormatError("PDF has no text layer — OCR it first")
    starts: list[int] = []
    pos = 0
    for page in pages:
        starts.append(pos)
        pos += len(page) + 1
    return "\n".join(pages), tuple(starts)


def _page_text(extracted: str) -> str:
    """A page's extracted text without the NULs some fonts' text maps leave in it.

    Fonts with two-byte codes and a broken ToUnicode map make pypdf emit "\\x00第\\x00一";
    a NUL is never text, and offsets index the extracted text, so dropping them is safe.
    """
    return normalize_newlines(extracted.replace("\x00", ""))
