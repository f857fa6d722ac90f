"""Find web boilerplate and tables of contents to skip, without ever rewriting the text.

Cleaning only reports spans of whole lines (each with its newline) that chunking must
leave out, so every kept character keeps its offset in the source text. All rules are
generic patterns seen on Chinese government web pages, never tied to one site or file.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from rag.lexicon import (
    FOOTER_LABELS,
    HOME_PAGE,
    NAV_LABELS,
    PAGE_COUNTER_WORDS,
    PAGE_FOOTER_WORDS,
    PAGE_META_LABELS,
    PAGE_TOOL_WORDS,
    SCAN_PROMPT,
    SITE_ROLE_LABELS,
)
from rag.reading.contents import SHORT_LINE, mark_tables_of_contents

Span = tuple[int, int]

_SPACE = " \t\u00a0\u3000\u200b\ufeff"
_BULLETS = "•·●▪■□◆◇►▶"


def _words(words: tuple[str, ...] | set[str]) -> str:
    """An alternation of literal words, longest first."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _spaced(word: str) -> str:
    """A word whose letters may be spaced out (标 题, 版 权 所 有)."""
    return r"\s*".join(re.escape(c) for c in word)


# Whole lines made only of page-tool words (听全文, 分享到, 字体【大 中 小】, 打印/关闭 …).
_UI_WORD = _words(PAGE_TOOL_WORDS)
_UI_LINE = re.compile(rf"^(?:{_UI_WORD}|[大中小]|[【】\[\]()（）|/·:：\-\s])+$")
_UI_WORD_RE = re.compile(_UI_WORD)
_NAV = re.compile(rf"^(?:{_words(NAV_LABELS)})\s*[:：]|^{HOME_PAGE}\s*[>»›]")
_SCAN = re.compile(rf"^{SCAN_PROMPT}")
_COUNTER = re.compile(rf"(?:{_words(PAGE_COUNTER_WORDS)})\s*[:：]?\s*\d+")
_FOOTER = re.compile(
    "|".join(_spaced(w) for w in PAGE_FOOTER_WORDS)
    + rf"|(?:^|\s)(?:{_words(SITE_ROLE_LABELS)})(?:单位)?\s*[:：]"
    + rf"|(?:{_words(FOOTER_LABELS)})\s*[:：]"
    + r"|建议使用.{0,30}浏览器",
    re.IGNORECASE,
)
# Labels of page metadata (索引号, 发布机构, 来源, 时间 …): the label may be letter-spaced.
_META_LINE = re.compile(
    r"^(?:"
    + "|".join(_spaced(label) for label in sorted(set(PAGE_META_LABELS), key=len, reverse=True))
    + r")\s*[:：]"
)
_BARE_DATE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_CONTENT_CHAR = re.compile(r"[\w\u4e00-\u9fff]")

_HEAD_LINES = 8  # non-empty lines at the top where a garbled title copy may sit


@dataclass(frozen=True, slots=True)  # one per line: slots keep huge texts in memory
class _Line:
    start: int
    end: int  # after the newline, if any
    core: str  # the line without surrounding spaces or list bullets


def boilerplate_spans(text: str) -> list[Span]:
    """Sorted, non-overlapping (start, end) spans of whole lines that chunks must skip."""
    lines = _split_lines(text)
    drop = [_is_boilerplate_line(line.core) for line in lines]
    _mark_garbled_title(lines, drop)
    mark_tables_of_contents([line.core for line in lines], drop)
    _mark_trailing_footer(lines, drop)
    _absorb_empty_neighbours(lines, drop)
    return _to_spans(lines, drop)


def _split_lines(text: str) -> list[_Line]:
    """Lines split at "\n" only (not str.splitlines' other breaks), so spans end at "\n"."""
    lines: list[_Line] = []
    pos = 0
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end + 1
        core = text[pos:end].strip(_SPACE + "\r\n").lstrip(_BULLETS + _SPACE)
        lines.append(_Line(pos, end, core))
        pos = end
    return lines


def _is_boilerplate_line(core: str) -> bool:
    if not core:
        return False
    if _NAV.search(core) or _BARE_DATE.match(core):
        return True
    if _UI_LINE.match(core) and _UI_WORD_RE.search(core):
        return True
    if _SCAN.match(core) and len(core) <= SHORT_LINE:
        return True
    if _COUNTER.search(core) and len(core) <= SHORT_LINE:
        return True
    if _FOOTER.search(core) and len(core) <= 150 and "。" not in core:
        return True  # a sentence (with 。) that mentions 版权所有 is content
    if _META_LINE.match(core):
        # A page-header table row, or a short "来源:…时间:…" line; not a body sentence.
        return "|" in core or (len(core) <= 60 and "。" not in core)
    return False


def _mark_garbled_title(lines: list[_Line], drop: list[bool]) -> None:
    """Drop a top line that repeats the next line's start and then turns to junk."""
    head = [i for i, line in enumerate(lines) if line.core and not drop[i]][:_HEAD_LINES]
    for i, j in itertools.pairwise(head):
        if _is_garbled_copy(lines[i].core, lines[j].core):
            drop[i] = True


def _is_garbled_copy(line: str, following: str) -> bool:
    if len(line) < 8:
        return False
    if line == following:
        return True
    shared = next(
        (k for k, (a, b) in enumerate(zip(line, following, strict=False)) if a != b),
        min(len(line), len(following)),
    )
    # The shared start must be most of the line, and the next line must go on past it.
    return shared >= 8 and shared >= 0.6 * len(line) and shared < len(following)


def _mark_trailing_footer(lines: list[_Line], drop: list[bool]) -> None:
    """Drop the page footer: from the first boilerplate line among the short last lines."""
    run: list[int] = []
    for j in range(len(lines) - 1, -1, -1):
        core = lines[j].core
        if not core:
            continue
        if not drop[j] and (len(core) > SHORT_LINE or "。" in core):
            break
        run.append(j)
    run.reverse()
    first = next((j for j in run if drop[j]), None)
    if first is None and len(run) >= 4 and all(len(lines[j].core) <= 8 for j in run):
        first = run[0]  # a bare menu (招商引资 / 高新概况 / …) closing the page
    if first is not None:
        for j in run:
            if j >= first:
                drop[j] = True


def _absorb_empty_neighbours(lines: list[_Line], drop: list[bool]) -> None:
    """Drop lines with no words ("-", "---|---|") and blank lines next to dropped lines.

    A wordless line goes when a dropped line sits next to it (blank lines between do not
    count), which chains along a run of them; a blank line goes when dropped lines sit on
    both sides. Each run of wordless lines between two other lines is settled at once.
    """
    i = 0
    while i < len(lines):
        if drop[i] or _CONTENT_CHAR.search(lines[i].core):
            i += 1
            continue
        j = i
        while j < len(lines) and not drop[j] and not _CONTENT_CHAR.search(lines[j].core):
            j += 1
        _settle_wordless_run(lines, drop, i, j)
        i = j


def _settle_wordless_run(lines: list[_Line], drop: list[bool], start: int, stop: int) -> None:
    """lines[start:stop] have no words and are kept so far; the lines around them decide."""
    before = start > 0 and drop[start - 1]
    after = stop < len(lines) and drop[stop]
    marks = [k for k in range(start, stop) if lines[k].core]  # "-", "|", … (not blank)
    if not marks:
        if before and after:
            for k in range(start, stop):
                drop[k] = True
        return
    if not (before or after):
        return
    first = start if before else marks[0]
    last = stop - 1 if after else marks[-1]
    for k in range(first, last + 1):
        drop[k] = True


def _to_spans(lines: list[_Line], drop: list[bool]) -> list[Span]:
    spans: list[Span] = []
    for line, dropped in zip(lines, drop, strict=True):
        if not dropped:
            continue
        if spans and spans[-1][1] == line.start:
            spans[-1] = (spans[-1][0], line.end)
        else:
            spans.append((line.start, line.end))
    return spans
