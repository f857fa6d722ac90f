"""Which region or document a question is about, from names derived from the documents."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rag.lexicon import period_name
from rag.reading.metadata import region_aliases
from rag.types import DocMeta

# A named document must share this many characters of its title with the question
# (beyond the region's name) to count as named.
_MIN_TITLE_OVERLAP = 4
_NUMBER_RE = re.compile(r"[\u4e00-\u9fff]{1,6}[〔\[［(（]\d{4}[〕\]］)）]\d+号")


@dataclass(frozen=True)
class Scope:
    """The regions and documents a search is limited to (empty = no limit)."""

    regions: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()
    source: str = ""  # "question", "filter" or "" (unscoped)

    def allows(self, doc: str, region: str) -> bool:
        """True when a passage from `doc` in `region` is inside the scope."""
        if self.docs and doc not in self.docs:
            return False
        return not self.regions or region in self.regions


def regions_named(question: str, regions: Sequence[str]) -> tuple[str, ...]:
    """Regions whose name or alias the question contains, longest alias winning overlaps."""
    found: list[tuple[int, int, str]] = []
    for region in regions:
        for alias in region_aliases(region):
            for m in re.finditer(re.escape(alias), question):
                found.append((m.start(), m.end(), region))
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    named: list[str] = []
    covered_until = -1
    for start, end, region in found:
        if start >= covered_until:
            covered_until = end
            if region not in named:
                named.append(region)
    return tuple(named)


def _common_runs(a: str, b: str) -> list[tuple[int, int]]:
    """Maximal runs of `a` (start, length) that also occur in `b`."""
    runs: list[tuple[int, int]] = []
    prev = [0] * (len(b) + 1)
    for i, ca in enumerate(a):
        cur = [0] * (len(b) + 1)
        for j, cb in enumerate(b, start=1):
            if ca == cb:
                cur[j] = prev[j - 1] + 1
        best = max(cur)
        if best:
            runs.append((i - best + 1, best))
        prev = cur
    return runs


def _longest_common_substring(a: str, b: str) -> int:
    return max((n for _, n in _common_runs(a, b)), default=0)


def _period_mentions(question: str, period: str) -> list[str]:
    """How the question names a plan period: “十四五”规划, 十四五期间, 十四五 …"""
    name = period_name(period)
    if not name:
        return []
    pattern = rf"[“\"]?{name}[”\"]?(?:规划|纲要|时期|期间)?"
    return [m.group(0) for m in re.finditer(pattern, question)]


def scope_phrases(question: str, scope: Scope, docs: Mapping[str, DocMeta]) -> list[str]:
    """The words by which the question names its scope (region aliases, title fragments).

    They say where to look, not what to find: matching them against passages of the
    scoped documents tells nothing, so answers and heading matches leave them out. The
    plan period the documents in scope cover (十四五) is one of them: in a 十四五 plan
    the passages that repeat “十四五” are about carrying out the plan, not its content.
    """
    phrases = [alias for region in scope.regions for alias in region_aliases(region)]
    periods = {m.period for path, m in docs.items() if scope.allows(path, m.region)}
    for period in periods:
        phrases += _period_mentions(question, period)
    for path in scope.docs:
        title = docs[path].title if path in docs else ""
        for start, length in _common_runs(question, title):
            if length >= _MIN_TITLE_OVERLAP:
                phrases.append(question[start : start + length])
    return sorted(set(phrases), key=len, reverse=True)


def _strip_region(text: str, region: str) -> str:
    for alias in sorted(region_aliases(region), key=len, reverse=True):
        text = text.replace(alias, "")
    return text


def docs_named(question: str, docs: Mapping[str, DocMeta]) -> tuple[str, ...]:
    """The document a question names by 文号 or by a distinctive part of its title."""
    numbers = {m.group(0) for m in _NUMBER_RE.finditer(question)}
    by_number = tuple(path for path, meta in docs.items() if meta.doc_number in numbers)
    if by_number:
        return by_number
    overlaps = {
        path: _longest_common_substring(
            _strip_region(question, meta.region), _strip_region(meta.title, meta.region)
        )
        for path, meta in docs.items()
        if meta.title
    }
    best = max(overlaps.values(), default=0)
    winners = tuple(path for path, n in overlaps.items() if n == best)
    if best >= _MIN_TITLE_OVERLAP and len(winners) == 1:
        return winners
    return _docs_of_period(question, docs)


def _docs_of_period(question: str, docs: Mapping[str, DocMeta]) -> tuple[str, ...]:
    """The plans for the period a question names (十四五), when only some documents are."""
    named = tuple(path for path, m in docs.items() if _period_mentions(question, m.period))
    return named if len(named) < len(docs) else ()


def detect_scope(
    question: str,
    docs: Mapping[str, DocMeta],
    region: str | None = None,
    doc: str | None = None,
) -> Scope:
    """Explicit filters win; otherwise the region, then the document, the question names."""
    if region or doc:
        return Scope(tuple(filter(None, [region])), tuple(filter(None, [doc])), "filter")
    regions = regions_named(question, sorted({m.region for m in docs.values() if m.region}))
    candidates = {p: m for p, m in docs.items() if not regions or m.region in regions}
    named_docs = docs_named(question, candidates) if len(candidates) > 1 else ()
    if not regions and not named_docs:
        return Scope()
    return Scope(regions, named_docs, "question")
