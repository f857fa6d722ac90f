"""Which zone or district a document concerns, and the names a question may use for it.

Zones are named by a place and a kind (新乡高新区, 河源国家高新区), districts by city
and district (广州市黄埔区). Where the place name starts is decided by frequency: the
longest of 2–4 characters before the kind that occurs about as often in the document
as its last two characters (新乡, not 发新乡). All counting is done in one pass
(rag.reading.ngrams), so a huge document costs linear time.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from collections.abc import Iterator

from rag.lexicon import NOT_IN_PLACE_NAMES, ZONE_KINDS, ZONE_MENTION, ZONE_SHORT
from rag.reading.ngrams import count_all

Span = tuple[int, int]

_DISTRICT = re.compile(r"市([\u4e00-\u9fff]{2,3}?)([区县])")
_PLACE_CHARS = re.compile(r"[\u4e00-\u9fff]+")


def document_region(title: str, text: str) -> str:
    """The zone a document concerns: named in its title, else its most frequent mention."""
    title_marks, text_marks = _Marks(title), _Marks(text)
    counts = count_all(text, [*title_marks.candidates(), *text_marks.candidates()])
    in_text = Counter(name for _, _, name in _mentions(text_marks, counts))
    in_title = _mentions(title_marks, counts)
    for (_, end, first), (start, _, second) in itertools.pairwise(in_title):
        if first != second and title[end:start] in {"、", "和", "与", "及", "/"}:
            return f"{first}/{second}"
    if in_title:
        return max(in_title, key=lambda m: in_text[m[2]])[2]
    if in_text and in_text.most_common(1)[0][1] >= 2:
        return in_text.most_common(1)[0][0]
    return ""


class _Marks:
    """The zone mentions (高新区 …) and city districts (市X区) of a string, found once."""

    def __init__(self, s: str) -> None:
        self.s = s
        self.zones = list(ZONE_MENTION.finditer(s))
        self.districts = list(_DISTRICT.finditer(s))

    def candidates(self) -> Iterator[str]:
        """Every 2–4 character string that `_place_before` may weigh, before each mark."""
        for m in [*self.zones, *self.districts]:
            for size in (2, 3, 4):
                cand = _candidate(self.s, m.start(), size)
                if cand is None:
                    break
                yield cand


def _candidate(s: str, end: int, size: int) -> str | None:
    """The `size` characters before `end` when they may be (part of) a place name."""
    cand = s[max(0, end - size) : end]
    if len(cand) < size or not _PLACE_CHARS.fullmatch(cand) or set(cand) & NOT_IN_PLACE_NAMES:
        return None
    return cand


def _mentions(marks: _Marks, counts: dict[str, int]) -> list[tuple[int, int, str]]:
    """(start, end, canonical name) of zones (X高新区 …) and city districts (X市Y区)."""
    s = marks.s
    found: list[tuple[int, int, str]] = []
    for m in marks.zones:
        name = _place_before(s, m.start(), counts)
        if name:
            kind = ZONE_SHORT.get(m.group(1), m.group(1))
            found.append((m.start() - len(name), m.end(), name + kind))
    zones = _Spans([(start, end) for start, end, _ in found])
    for m in marks.districts:
        stem = m.group(1)
        city = _place_before(s, m.start(), counts)
        if city and not zones.overlap(m.start(), m.end()) and not set(stem) & NOT_IN_PLACE_NAMES:
            found.append((m.start() - len(city), m.end(), f"{city}市{stem}{m.group(2)}"))
    return sorted(found)


class _Spans:
    """Whether a span overlaps any of a fixed set of spans (binary search, not a scan)."""

    def __init__(self, spans: list[Span]) -> None:
        spans = sorted(spans)
        self._starts = [s for s, _ in spans]
        self._reach = list(itertools.accumulate((e for _, e in spans), max))

    def overlap(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self._starts, end)  # spans[:i] start before `end`
        return i > 0 and self._reach[i - 1] > start


def _place_before(s: str, end: int, counts: dict[str, int]) -> str:
    """The place name ending at `end`: the longest of 2–4 characters about as frequent
    in the text as its last two characters (so 新乡 beats 发新乡, 石家庄 beats 家庄)."""
    best = ""
    for size in (2, 3, 4):
        cand = _candidate(s, end, size)
        if cand is None:
            break
        if not best or counts[cand] >= 0.7 * counts[best[-2:]]:
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
            # Staff name a zone by its city as well (宜昌市 for 宜昌高新区).
            city = [] if name.endswith("市") else [name + "市"]
            return [part, name, *city, *(name + form for form in long_forms)]
    stem = re.fullmatch(r"([\u4e00-\u9fff]{2,})[区县]", part)
    return [part, stem.group(1)] if stem else [part]
