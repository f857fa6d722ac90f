"""Derive a document's title, issuer, dates, 文号, region and plan period from its text.

Staff judge a citation by which plan it comes from, so every chunk carries these. They
come from page metadata fields (发布机构, 成文日期 …) where a page has them, else from
the document header (a 关于印发《…》的通知 wrapper, a 管委会 line, a 〔2021〕 number) and
its signature. A document has two dates: `date`, its own (成文日期: the date signed under
its text or the day a meeting adopted it), and `published`, the day a web page put it
out (发布日期); a document that states no date of its own is dated by its publication.
Every step is linear in the text: huge documents are read in seconds.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from rag.lexicon import (
    ADOPTED_VERBS,
    DOC_KINDS,
    META_FIELD_LABELS,
    NONE_VALUES,
    NOTICE_KINDS,
    NOTICE_VERBS,
    ORG_SUFFIXES,
    WEBSITE_MARKS,
    WEBSITE_SUFFIXES,
    ZONE_KINDS,
    period_of_plan,
    plans_named,
)
from rag.reading.dates import (
    has_date,
    header_date,
    iso_date,
    page_date,
    signature,
    signing_date,
)
from rag.reading.places import document_region, region_aliases
from rag.reading.textlines import first_lines, last_lines, lines
from rag.types import DocMeta

__all__ = ["extract_meta", "region_aliases"]

Span = tuple[int, int]

_NO_FIELDS: Mapping[str, str] = MappingProxyType({})
_HEAD_LINES = 15  # non-empty lines that make up a document's header
_FIELD_LINES = 40  # lines searched for labelled page metadata
_SIGNED_LINES = 30  # non-empty lines at the top where a notice's signing date may sit
_TAIL_LINES = 8  # non-empty lines at the end where a signature may sit
# Non-empty lines at the top where a date alone on its line dates the document: above it
# stand a title broken over up to three lines and up to three co-issuing bodies (and maybe
# a line before the title); a date further down is part of the text, not its header.
_DATED_HEAD_LINES = 8


def _words(words: Sequence[str]) -> str:
    """An alternation of literal words, longest first."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_LABEL_TO_FIELD = {label: name for name, labels in META_FIELD_LABELS.items() for label in labels}
_LABEL = re.compile(
    "("
    + "|".join(r"\s*".join(label) for label in sorted(_LABEL_TO_FIELD, key=len, reverse=True))
    + r")\s*[:：]"
)
_DOC_NUMBER = re.compile(
    r"^[(（]?([\u4e00-\u9fff]{1,12}\s*[〔\[［(（【]\s*\d{4}\s*[〕\]］)）】]\s*第?\s*\d{1,5}\s*号)[)）]?$"
)
_ORG_SUFFIX = rf"(?:{_words(ORG_SUFFIXES)})"
_ORG_LINE = re.compile(rf"^[\u4e00-\u9fff（）()]{{2,28}}{_ORG_SUFFIX}$")
# 某某管委会关于…: the issuer naming itself before 关于 (a title, not a sentence about it).
_ISSUER_PREFIX = re.compile(rf"^([^，,。；;：:《》“”]{{2,60}}?{_ORG_SUFFIX})\s*关于")
_ZONE_KIND_NAMES = (*ZONE_KINDS, *(form for forms in ZONE_KINDS.values() for form in forms))
_ORG_NAME = re.compile(rf"(?:{_ORG_SUFFIX}|{_words(_ZONE_KIND_NAMES)})$")
_WEBSITE = re.compile(rf"(?:{_words(WEBSITE_SUFFIXES)})$|{_words(WEBSITE_MARKS)}", re.IGNORECASE)
_NOTICE = re.compile(rf"关于(?:{_words(NOTICE_VERBS)})(.{{4,120}}?)的(?:{_words(NOTICE_KINDS)})")
_ADOPTED = re.compile(rf"《([^》]{{4,100}})》(?:已经|经)[^。]{{0,40}}(?:{_words(ADOPTED_VERBS)})")
_BOOK_TITLE = re.compile(r"《([^》]{4,100})》")
_ENDS_AS_TITLE = re.compile(rf"(?:{_words(DOC_KINDS)})(?:[(（][^)）]*[)）])?$")
# Markdown and list decoration around a title line: "# 标题", "**标题**".
_TITLE_MARKUP = re.compile(r"^(?:#{1,6}[ \t]+|\*\*|__)|(?:[ \t]+#+|\*\*|__)$")
_YEAR_RANGE = re.compile(r"(20\d\d|19\d\d)\s*[-—–~至到]\s*(20\d\d|19\d\d)")
# Control characters in a title or issuer would garble every line that shows them.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def extract_meta(
    text: str, skip: Sequence[Span] = (), page_fields: Mapping[str, str] = _NO_FIELDS
) -> DocMeta:
    """Best-effort metadata of a document; `skip` are boilerplate spans (see
    rag.reading.clean), `page_fields` what the page it came from states outside its text
    (a web page's <meta> PubDate as "published"), used when the text does not say."""
    fields = {**page_fields, **_labelled_fields(text)}
    head = first_lines(text, _HEAD_LINES, skip)
    labelled = fields.get("title", "")
    title = _CONTROL.sub("", _issued_by_notice(labelled) or labelled or _title_from_head(head))
    # A page date is boilerplate to chunking but still the document's publication date.
    published = iso_date(fields.get("published", "")) or page_date(first_lines(text, _HEAD_LINES))
    signer, signed = signature(last_lines(text, _TAIL_LINES, skip), _is_body)
    date = (
        iso_date(fields.get("signed", ""))
        or signing_date(first_lines(text, _SIGNED_LINES, skip), _is_body)
        or signed
        or header_date(first_lines(text, _DATED_HEAD_LINES, skip), title, _is_body)
        or published
    )
    return DocMeta(
        title=title,
        region=document_region(title, text),
        issuer=_CONTROL.sub("", _issuer(fields, head, signer)),
        date=date,
        doc_number=_CONTROL.sub("", _doc_number(fields, head)),
        period=_period(title, text),
        published=published,
    )


def _is_body(line: str) -> bool:
    """A line that names an issuing body (新乡高新区管委会, 国务院办公厅)."""
    return bool(_ORG_LINE.match(line))


def _labelled_fields(text: str) -> dict[str, str]:
    """`标 题: | … |` table cells and `来源:…时间:…` lines at the top of a page."""
    fields: dict[str, str] = {}
    for _, line in itertools.islice(lines(text), _FIELD_LINES):
        line = line.strip().lstrip("•·● ")
        matches = list(_LABEL.finditer(line))
        if not matches or matches[0].start() != 0:
            continue
        for m, nxt in zip(matches, [*matches[1:], None], strict=True):
            value = line[m.end() : nxt.start() if nxt else len(line)]
            value = re.sub(r"\s+", " ", value.replace("|", " ")).strip()
            name = _LABEL_TO_FIELD[re.sub(r"\s", "", m.group(1))]
            fields.setdefault(name, value)
    return fields


def _title_from_head(head: list[str]) -> str:
    """关于印发《X》的通知 → X; 《X》已经…印发 → X; else the first title-like line(s)."""
    head = [_TITLE_MARKUP.sub("", line).strip() for line in head]
    for i, line in enumerate(head):
        if "关于" in line and (inner := _issued_by_notice("".join(head[i : i + 4]))):
            return inner
    for line in head:
        m = _ADOPTED.search(line)
        if m:
            return m.group(1).strip()
    for i, line in enumerate(head):
        if _is_title_like(line):
            return _join_broken_title(head, i)
    return ""


def _issued_by_notice(text: str) -> str:
    """X of a 关于印发《X》的通知 wrapper in `text`, or "": the document is X, not the notice."""
    m = _NOTICE.search(text)
    if not m:
        return ""
    book = _BOOK_TITLE.search(m.group(1))
    return (book.group(1) if book else m.group(1)).strip()


def _is_title_like(line: str) -> bool:
    return (
        6 <= len(line) <= 100
        and re.search(r"[\u4e00-\u9fff]", line) is not None
        and not re.search(r"[。;；:：]", line)
        and not has_date(line)
        and not _DOC_NUMBER.match(line)
        and not re.match(r"第[一二三四五六七八九十百\d]+[章节]", line)
    )


def _join_broken_title(head: list[str], i: int) -> str:
    """A title broken over up to three lines, joined when the result ends like a title."""
    joined = head[i]
    for nxt in head[i + 1 : i + 3]:
        if _ENDS_AS_TITLE.search(joined) or not _is_title_like(nxt):
            break
        joined += nxt
    return joined if _ENDS_AS_TITLE.search(joined) else re.sub(r"\s+", " ", head[i])


def _issuer(fields: dict[str, str], head: list[str], signer: str) -> str:
    """Who issued the document: a page field naming a body (not a website), the header's
    issuing body, the body signing under the text, else a page source that names a body."""
    named = fields.get("issuer", "")
    if named and not _WEBSITE.search(named) and named not in NONE_VALUES:
        return named
    source = fields.get("source", "")
    from_source = source if _ORG_NAME.search(source) and not _WEBSITE.search(source) else ""
    return _issuer_from_head(head) or signer or from_source


def _issuer_from_head(head: list[str]) -> str:
    for line in head:
        if _ORG_LINE.match(line):
            return line
    for line in head:
        m = _ISSUER_PREFIX.match(line)
        if m:
            return re.sub(r"\s+", " ", m.group(1)).strip()
    return ""


def _doc_number(fields: dict[str, str], head: list[str]) -> str:
    if "doc_number" in fields:
        value = fields["doc_number"]
        return "" if value in NONE_VALUES else _normalize_doc_number(value)
    for line in head:
        m = _DOC_NUMBER.match(line)
        if m:
            return _normalize_doc_number(m.group(1))
    return ""


def _normalize_doc_number(value: str) -> str:
    value = re.sub(r"\s+", "", value)
    return re.sub(r"[\[［(（【](\d{4})[\]］)）】]", r"〔\1〕", value)


def _period(title: str, text: str) -> str:
    """The plan period: a year range in the title, else the 五年规划 the title or text names."""
    m = _YEAR_RANGE.search(title)
    if m and int(m.group(2)) > int(m.group(1)):
        return f"{m.group(1)}-{m.group(2)}"
    plan = next(iter(plans_named(title)), None)
    if plan is None:
        counts = Counter(plans_named(text))
        if counts and counts.most_common(1)[0][1] >= 3:
            plan = counts.most_common(1)[0][0]
    return "" if plan is None else period_of_plan(plan)
