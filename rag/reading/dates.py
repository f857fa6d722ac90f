"""A document's dates: its own (成文日期) and the day a web page published it (发布日期).

Chinese government documents are dated under their text: a notice's date stands alone
on the line below its last sentence, or below the bodies that sign it (GB/T 9704: the
成文日期 is the day it was signed, or the day a meeting adopted it, given as
(2021年1月22日…会议通过) under the title); a plan may print it alone under its title and
issuer instead. A web page adds its own date above the text
(2021-02-10, 发布日期:…), which says when the page went up, not when the document was made.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rag.lexicon import ADOPTED_ON_VERBS, cn_number, digit_value

_DATE_LINE_MAX = 30  # characters: a longer line is a sentence that mentions a date
_MAX_SIGNERS = 3  # bodies signing one document together, one per line

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_CN_DATE = re.compile(
    r"([〇○零0一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日"
)
# A line that is nothing but a date (2021年10月14日, 二〇二一年十月十四日, 2021-10-14).
_DATE_ONLY = re.compile(
    r"^[(（]?\s*(?:\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}-\d{1,2}-\d{1,2}"
    r"|[〇○零0一二三四五六七八九]{4}年[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}日)"
    r"\s*[)）]?$"
)
_NUMERIC_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}")
_ADOPTED_ON = re.compile(
    r"^[(（][^()（）]{0,100}?(?:"
    + "|".join(sorted(map(re.escape, ADOPTED_ON_VERBS), key=len, reverse=True))
    + r")[)）]$"
)
_SENTENCE = re.compile(r"[。！]")
_SENTENCE_END = re.compile(r"[。！][”’」』]?$")  # the text a signature stands under
_SPACE = re.compile(r"\s+")


def iso_date(value: str) -> str:
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


def has_date(line: str) -> bool:
    """True when `line` mentions a full date (2021-10-14, 2021年10月14日, 二〇二一年…)."""
    return bool(_DATE.search(line) or _CN_DATE.search(line))


def page_date(head: Sequence[str]) -> str:
    """A date standing alone on a line above the text: a web page's stamp (2021-02-10)."""
    for line in head:
        if _SENTENCE.search(line):
            return ""  # the document's text has begun: a date below it is its own
        if len(line) <= _DATE_LINE_MAX and (m := _NUMERIC_DATE.search(line)):
            return iso_date(m.group())
    return ""


def header_date(head: Sequence[str], title: str, is_body: Callable[[str], bool]) -> str:
    """The date alone on its line right under the title, or under the bodies issuing it
    there (标题 / 发文机关 / 2021年6月18日), before the text begins; `is_body` tells a
    line that names an issuing body."""
    for i, line in enumerate(head):
        if _SENTENCE.search(line):
            return ""  # the text has begun: a date below it is a signature or a mention
        if not _DATE_ONLY.match(line):
            continue
        above = _SPACE.sub("", "".join(head[: _first_body(head, i, is_body)]))
        # A numeric stamp (2021-06-18) there is a web page's publication date (page_date).
        if title and above.endswith(_SPACE.sub("", title)) and not _NUMERIC_DATE.search(line):
            return iso_date(line)
        return ""
    return ""


def leading_date(value: str) -> str:
    """yyyy-mm-dd of the date `value` begins with (2022-03-21 来源:…), else ""."""
    value = value.lstrip()
    m = _DATE.match(value) or _CN_DATE.match(value)
    return iso_date(m.group()) if m else ""


def signing_date(head: Sequence[str], is_body: Callable[[str], bool]) -> str:
    """The date signed under a notice's text near the top, or the day a meeting adopted
    the document ((2021年1月22日…会议通过) under its title); `is_body` tells a line that
    names an issuing body."""
    for i, line in enumerate(head):
        if signer(head, i, is_body) is not None:
            return iso_date(line)
        if _ADOPTED_ON.match(line) and (date := iso_date(line[:_DATE_LINE_MAX])):
            return date
    return ""


def signature(tail: Sequence[str], is_body: Callable[[str], bool]) -> tuple[str, str]:
    """(signing bodies, date) of the signature closing a document, among its last lines.

    At the end of a document the bodies above the date sign it whatever precedes them
    (a table may close the text); with no body, the date must stand under a sentence.
    """
    for i in range(len(tail) - 1, -1, -1):
        bodies = signer(tail, i, is_body, at_end=True)
        if bodies is not None:
            return bodies, iso_date(tail[i])
    return "", ""


def signer(
    lines: Sequence[str], i: int, is_body: Callable[[str], bool], at_end: bool = False
) -> str | None:
    """When lines[i] is a signing date — a date alone on its line right under a sentence,
    or under the bodies that sign right under one (`at_end`: under any such bodies) —
    those bodies ("" for none); else None."""
    if not _DATE_ONLY.match(lines[i]):
        return None
    j = _first_body(lines, i, is_body) - 1  # the line above the bodies
    if at_end and j < i - 1:
        return " ".join(lines[j + 1 : i])
    if j < 0 or not _SENTENCE_END.search(lines[j]):
        return None
    return " ".join(lines[j + 1 : i])


def _first_body(lines: Sequence[str], i: int, is_body: Callable[[str], bool]) -> int:
    """Where the run of issuing bodies (at most _MAX_SIGNERS lines) right above lines[i]
    begins; i when there is none."""
    k = i
    while k > 0 and i - k < _MAX_SIGNERS and is_body(lines[k - 1]):
        k -= 1
    return k
