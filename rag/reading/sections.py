"""Heading detection: turn a policy text into its 章/节/一、/（一）/1. section tree."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.lexicon import CN_NUMERALS
from rag.types import Section

_CN_NUM = CN_NUMERALS
# Spaces, and a Markdown heading mark (## 一、总体要求), before the numbering.
_LEAD = r"[ \t\u3000\xa0]*(?:#{1,6}[ \t]+)?"

# Heading kinds in their conventional nesting order (outermost first).
KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("编", re.compile(rf"{_LEAD}(第([{_CN_NUM}]+)[编篇])")),
    ("章", re.compile(rf"{_LEAD}(第([{_CN_NUM}]+|\d+)章)")),
    ("节", re.compile(rf"{_LEAD}(第([{_CN_NUM}]+|\d+)节)")),
    ("条", re.compile(rf"{_LEAD}(第([{_CN_NUM}]+|\d+)条)")),
    # The numeral may be lost in conversion ("、“十四五”时期…"): still a heading.
    ("一、", re.compile(rf"{_LEAD}(([{_CN_NUM}]*)[、．.])(?![{_CN_NUM}、])")),
    ("（一）", re.compile(rf"{_LEAD}([（(]([{_CN_NUM}]+)[）)])")),
    ("1.", re.compile(rf"{_LEAD}((\d{{1,2}})(?:[、．]|\.(?!\d)))")),
    ("（1）", re.compile(rf"{_LEAD}([（(](\d{{1,2}})[）)])")),
)
_SENTENCE_END = re.compile(r"[。！？；;!?]")
_RUN_IN_END = re.compile(r"[。！？；;!?：:]")
_MAX_HEADING = 40  # longest heading shown for a heading that runs into its text
_CONTINUATION_MAX = 12


@dataclass(frozen=True)
class Heading:
    """A heading occurrence found on one line."""

    kind: str
    number: str
    start: int  # offset of the numbering
    end: int  # offset after the heading text
    line_end: int  # offset of the end of its line
    text: str
    run_in: bool  # the line goes on with body text after the heading


def _lines(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in text.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def _outside(
    lines: list[tuple[int, int]], skip: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The lines whose start lies in none of the sorted, disjoint `skip` spans (one sweep)."""
    kept: list[tuple[int, int]] = []
    k = 0
    for a, b in lines:
        while k < len(skip) and skip[k][1] <= a:
            k += 1
        if k == len(skip) or a < skip[k][0]:
            kept.append((a, b))
    return kept


def _match_heading(text: str, start: int, end: int) -> Heading | None:
    line = text[start:end]
    for kind, pattern in KINDS:
        m = pattern.match(line)
        if not m:
            continue
        rest = line[m.end(1) :]
        if not rest.strip(" \t\u3000\xa0") and kind not in ("章", "节", "编"):
            return None  # a bare "1." is not a heading
        if not m.group(2) and (_SENTENCE_END.search(rest) or len(rest) > _MAX_HEADING):
            return None  # without its numeral only a short standalone line is a heading
        return _heading_from(kind, m, line, start)
    return None


def _heading_from(kind: str, m: re.Match[str], line: str, start: int) -> Heading:
    body = line.rstrip(" \t\u3000\xa0")
    head_start = start + m.start(1)
    stop = len(body)
    # A heading line that goes on into sentences: the heading is its first clause.
    run_in = bool(_SENTENCE_END.search(body, m.end(1)))
    if run_in:
        end_m = _RUN_IN_END.search(body, m.end(1))
        limit = m.start(1) + _MAX_HEADING
        stop = end_m.start() if end_m and end_m.start() <= limit else min(len(body), limit)
    heading_text = _display(body[m.start(1) : stop])
    return Heading(
        kind, m.group(2), head_start, start + stop, start + len(line), heading_text, run_in
    )


def _display(text: str) -> str:
    return re.sub(r"[ \t\u3000\xa0]+", " ", text).strip()


def find_headings(text: str, skip: Sequence[tuple[int, int]] = ()) -> list[Heading]:
    """Every heading line outside `skip`, with broken two-line headings rejoined."""
    lines = _outside(_lines(text), skip)
    found: list[Heading] = []
    i = 0
    while i < len(lines):
        a, b = lines[i]
        heading = _match_heading(text, a, b)
        if heading is None:
            i += 1
            continue
        heading, consumed = _join_continuation(text, heading, lines, i)
        found.append(heading)
        i += 1 + consumed
    return found


def _next_nonblank(text: str, lines: list[tuple[int, int]], i: int) -> int | None:
    for j in range(i + 1, len(lines)):
        if text[lines[j][0] : lines[j][1]].strip(" \t\u3000\xa0"):
            return j
    return None


def _join_continuation(
    text: str, heading: Heading, lines: list[tuple[int, int]], i: int
) -> tuple[Heading, int]:
    """Rejoin a 章/节 heading whose last words were pushed onto the next line."""
    if heading.kind not in ("编", "章", "节") or heading.run_in:
        return heading, 0
    j = _next_nonblank(text, lines, i)
    if j is None:
        return heading, 0
    a, b = lines[j]
    nxt = _display(text[a:b])
    if re.search(r"[，,、。！？；;!?：:]", nxt) or _RUN_IN_END.search(heading.text):
        return heading, 0
    own = re.sub(r"^第\S+?[章节编篇]\s*", "", heading.text)
    # Only long, two-part chapter titles get broken; a short one ("发展基础")
    # followed by a short line is a heading and a separate line.
    if len(own) < 6 or (len(own) < 10 and not re.search(r"[，,]", own)):
        return heading, 0
    # A repeated number ("第六章营商环境" right after "第五章 …优质高效的") is a
    # continuation whose numbering was garbled in conversion.
    nxt_heading = _match_heading(text, a, b)
    if nxt_heading is not None:
        nxt = re.sub(r"^第\S+?[章节编篇]\s*", "", nxt)
        if nxt_heading.kind != heading.kind:
            return heading, 0
    if not nxt or len(nxt) > _CONTINUATION_MAX:
        return heading, 0
    joined = Heading(
        heading.kind, heading.number, heading.start, b, b, heading.text + nxt, heading.run_in
    )
    return joined, j - i


def build_sections(text: str, headings: Sequence[Heading], end: int | None = None) -> list[Section]:
    """Nest headings by kind order into sections with full paths and spans."""
    doc_end = len(text) if end is None else end
    order = {kind: rank for rank, (kind, _) in enumerate(KINDS)}
    present = sorted({h.kind for h in headings}, key=order.__getitem__)
    level_of = {kind: i + 1 for i, kind in enumerate(present)}
    stops = [doc_end] * len(headings)
    open_: list[int] = []  # headings whose section has not ended yet, outermost first
    for idx, h in enumerate(headings):
        # A section ends at the next heading of the same or an outer level.
        while open_ and level_of[headings[open_[-1]].kind] >= level_of[h.kind]:
            stops[open_.pop()] = h.start
        open_.append(idx)
    sections: list[Section] = []
    stack: list[tuple[int, Heading]] = []
    for idx, h in enumerate(headings):
        level = level_of[h.kind]
        while stack and stack[-1][0] >= level:
            stack.pop()
        path = (*(s.text for _, s in stack), h.text)
        body_start = h.start if h.run_in else h.line_end
        sections.append(Section(level, h.text, h.start, body_start, stops[idx], path))
        stack.append((level, h))
    return sections
