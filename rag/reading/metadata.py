"""Derive a document's title, issuer, date, 文号, region and plan period from its text.

Staff judge a citation by which plan it comes from, so every chunk carries these. They
come from page metadata fields (发布机构, 发文日期 …) where a page has them, else from
the document header (a 关于印发《…》的通知 wrapper, a 管委会 line, a 〔2021〕 number).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence

from rag.lexicon import (
    NOT_IN_PLACE_NAMES,
    ZONE_KINDS,
    ZONE_MENTION,
    ZONE_SHORT,
    cn_number,
    digit_value,
    period_of_plan,
    plans_named,
)
from rag.types import DocMeta

Span = tuple[int, int]

_HEAD_LINES = 15  # non-empty lines that make up a document's header
_FIELD_LINES = 40  # lines searched for labelled page metadata
_FIELDS = {
    "title": ("标题",),
    "issuer": ("发文机关", "发布机构", "发文单位", "发布单位"),
    "source": ("信息来源", "文章来源", "来源"),
    "date": ("发布日期", "发文日期", "成文日期", "发布时间", "时间", "日期"),
    "doc_number": ("发文字号", "文号"),
    # Read only so that they end the value before them on a shared line.
    "other": ("索引号", "主题分类", "分类", "效力状态", "有效性", "公开方式", "作者", "编辑"),
}
_LABEL_TO_FIELD = {label: name for name, labels in _FIELDS.items() for label in labels}
_LABEL = re.compile(
    "("
    + "|".join(r"\s*".join(label) for label in sorted(_LABEL_TO_FIELD, key=len, reverse=True))
    + r")\s*[:：]"
)
_NONE_VALUES = {"", "无", "-", "/", "—", "暂无"}
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_CN_DATE = re.compile(
    r"([〇○零0一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日"
)
_DOC_NUMBER = re.compile(
    r"^[(（]?([\u4e00-\u9fff]{1,12}\s*[〔\[［(（【]\s*\d{4}\s*[〕\]］)）】]\s*第?\s*\d{1,5}\s*号)[)）]?$"
)
_ORG_SUFFIX = (
    r"(?:管委会|管理委员会|委员会|人民政府|政府|办公室|办公厅"
    r"|党工委|工委|党委|区委|市委|县委|局|厅)"
)
_ORG_LINE = re.compile(rf"^[\u4e00-\u9fff（）()]{{2,28}}{_ORG_SUFFIX}$")
_ISSUER_PREFIX = re.compile(rf"^(.{{2,60}}?{_ORG_SUFFIX})\s*关于")
_NOTICE = re.compile(r"关于(?:印发|转发|颁布|发布)(.{4,120}?)的(?:通知|决定|公告|通告)")
_ADOPTED = re.compile(r"《([^》]{4,100})》(?:已经|经)[^。]{0,40}(?:印发|同意|批准|通过)")
_BOOK_TITLE = re.compile(r"《([^》]{4,100})》")
_DOC_KINDS = (
    r"(?:规划|纲要|方案|意见|建议|通知|办法|决定|报告|计划|细则|规定|条例|公告|通告|批复|函"
    r"|政策|措施|指南)"
)
_ENDS_AS_TITLE = re.compile(rf"{_DOC_KINDS}(?:[(（][^)）]*[)）])?$")
_YEAR_RANGE = re.compile(r"(20\d\d|19\d\d)\s*[-—–~至到]\s*(20\d\d|19\d\d)")
_DISTRICT = re.compile(r"市([\u4e00-\u9fff]{2,3}?)([区县])")


def extract_meta(text: str, skip: Sequence[Span] = ()) -> DocMeta:
    """Best-effort metadata of a document; `skip` are boilerplate spans (see rag.reading.clean)."""
    fields = _labelled_fields(text)
    head = _head_lines(text, skip)
    title = fields.get("title") or _title_from_head(head)
    # A page date is boilerplate to chunking but still the document's date.
    date = _iso_date(fields.get("date", "")) or _date_from_head(_head_lines(text, ()))
    return DocMeta(
        title=title,
        region=_region(title, text),
        issuer=fields.get("issuer") or _issuer_from_head(head) or fields.get("source", ""),
        date=date,
        doc_number=_doc_number(fields, head),
        period=_period(title, text),
    )


def _labelled_fields(text: str) -> dict[str, str]:
    """`标 题: | … |` table cells and `来源:…时间:…` lines at the top of a page."""
    fields: dict[str, str] = {}
    for line in text.split("\n", _FIELD_LINES)[:_FIELD_LINES]:
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


def _head_lines(text: str, skip: Sequence[Span]) -> list[str]:
    """The first non-empty lines that are not boilerplate, stripped."""
    head: list[str] = []
    pos = 0
    for raw in text.split("\n"):
        start, pos = pos, pos + len(raw) + 1
        line = raw.strip(" \t\r\u00a0\u3000")
        if line and not any(s <= start < e for s, e in skip):
            head.append(line)
            if len(head) >= _HEAD_LINES:
                break
    return head


def _title_from_head(head: list[str]) -> str:
    """关于印发《X》的通知 → X; 《X》已经…印发 → X; else the first title-like line(s)."""
    for i, line in enumerate(head):
        if "关于" in line:
            joined = "".join(head[i : i + 4])
            m = _NOTICE.search(joined)
            if m:
                inner = m.group(1)
                book = _BOOK_TITLE.search(inner)
                return (book.group(1) if book else inner).strip()
    for line in head:
        m = _ADOPTED.search(line)
        if m:
            return m.group(1).strip()
    for i, line in enumerate(head):
        if _is_title_like(line):
            return _join_broken_title(head, i)
    return ""


def _is_title_like(line: str) -> bool:
    return (
        6 <= len(line) <= 100
        and re.search(r"[\u4e00-\u9fff]", line) is not None
        and not re.search(r"[。;；:：]", line)
        and not _DATE.search(line)
        and not _CN_DATE.search(line)
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


def _issuer_from_head(head: list[str]) -> str:
    for line in head:
        if _ORG_LINE.match(line):
            return line
    for line in head:
        m = _ISSUER_PREFIX.match(line)
        if m:
            return re.sub(r"\s+", " ", m.group(1)).strip()
    return ""


def _iso_date(value: str) -> str:
    """yyyy-mm-dd from 2022-03-09, 2021年10月14日 or 二〇二一年十月十四日, else ""."""
    m = _DATE.search(value)
    if m:
        year, month, day = (int(g) for g in m.groups())
    else:
        m = _CN_DATE.search(value)
        if not m:
            return ""
        year = int("".join(str(digit_value(c)) for c in m.group(1)))
        month, day = cn_number(m.group(2)) or 0, cn_number(m.group(3)) or 0
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return ""
    return f"{year:04d}-{month:02d}-{day:02d}"


def _date_from_head(head: list[str]) -> str:
    """A date standing alone on a header line (a page date or the signing date)."""
    for line in head:
        if len(line) <= 30 and (date := _iso_date(line)):
            return date
    return ""


def _doc_number(fields: dict[str, str], head: list[str]) -> str:
    if "doc_number" in fields:
        value = fields["doc_number"]
        return "" if value in _NONE_VALUES else _normalize_doc_number(value)
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


def _region(title: str, text: str) -> str:
    """The zone a document concerns: named in its title, else its most frequent mention."""
    in_text = Counter(name for _, _, name in _mentions(text, text))
    in_title = _mentions(title, text)
    for (_, end, first), (start, _, second) in itertools.pairwise(in_title):
        if first != second and title[end:start] in {"、", "和", "与", "及", "/"}:
            return f"{first}/{second}"
    if in_title:
        return max(in_title, key=lambda m: in_text[m[2]])[2]
    if in_text and in_text.most_common(1)[0][1] >= 2:
        return in_text.most_common(1)[0][0]
    return ""


def _mentions(s: str, text: str) -> list[tuple[int, int, str]]:
    """(start, end, canonical name) of zones (X高新区 …) and city districts (X市Y区) in `s`."""
    found: list[tuple[int, int, str]] = []
    for m in ZONE_MENTION.finditer(s):
        name = _place_before(s, m.start(), text)
        if name:
            kind = ZONE_SHORT.get(m.group(1), m.group(1))
            found.append((m.start() - len(name), m.end(), name + kind))
    for m in _DISTRICT.finditer(s):
        stem = m.group(1)
        city = _place_before(s, m.start(), text)
        overlaps = any(start < m.end() and m.start() < end for start, end, _ in found)
        if city and not overlaps and not set(stem) & NOT_IN_PLACE_NAMES:
            found.append((m.start() - len(city), m.end(), f"{city}市{stem}{m.group(2)}"))
    return sorted(found)


def _place_before(s: str, end: int, text: str) -> str:
    """The place name ending at `end`: the longest of 2–4 characters about as frequent
    in `text` as its last two characters (so 新乡 beats 发新乡, 石家庄 beats 家庄)."""
    best = ""
    for size in (2, 3, 4):
        cand = s[max(0, end - size) : end]
        if len(cand) < size or not re.fullmatch(r"[\u4e00-\u9fff]+", cand):
            break
        if set(cand) & NOT_IN_PLACE_NAMES:
            break
        if not best or text.count(cand) >= 0.7 * text.count(best[-2:]):
            best = cand
        else:
            break
    return best


def region_aliases(region: str) -> tuple[str, ...]:
    """Ways a question may name `region` (新乡高新区 → 新乡, 新乡市高新区 …), longest first."""
    aliases: list[str] = []
    for part in filter(None, (p.strip() for p in region.split("/"))):
        aliases += _part_aliases(part)
    unique = dict.fromkeys(a for a in aliases if len(a) >= 2)
    return tuple(sorted(unique, key=len, reverse=True))


def _part_aliases(part: str) -> list[str]:
    district = re.fullmatch(r"([\u4e00-\u9fff]{2,4})市([\u4e00-\u9fff]{2,3})([区县])", part)
    if district:
        city, stem, kind = district.groups()
        return [part, stem + kind, stem, city + stem + kind]
    for kind, long_forms in ZONE_KINDS.items():
        if part.endswith(kind) and len(part) > len(kind):
            name = part[: -len(kind)]
            return [part, name, *(name + form for form in long_forms)]
    stem = re.fullmatch(r"([\u4e00-\u9fff]{2,})[区县]", part)
    return [part, stem.group(1)] if stem else [part]
