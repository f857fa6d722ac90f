"""Follow-up questions: a message that lacks a topic or a region takes it from the conversation.

After 河源高新区的主导产业有哪些, the message 那襄阳呢? names only a region: the topic is the
previous question's, with its region swapped (襄阳高新区的主导产业有哪些). A message that
names a topic but no region (其中加氢站有多少?) keeps the previous question's region. A
message that names its own topic and region starts fresh. The same holds for a year: 那
2019年呢? asks the previous question about 2019. Deterministic: the question's own names
(regions, years) are read by the same analyzer that reads every question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag import lexicon as lx
from rag.answering.query import QueryAnalyzer

_DEICTIC = re.compile(lx.FOLLOWUP_LEAD)
_TAIL = re.compile(lx.FOLLOWUP_TAIL)
_YEAR = re.compile(r"(?:19|20)\d{2}年")


@dataclass(frozen=True)
class Rewrite:
    """The question to answer, and whether it was completed from the conversation."""

    question: str
    rewritten: bool = False


def rewrite(message: str, previous: str | None, analyzer: QueryAnalyzer) -> Rewrite:
    """`message` completed from the `previous` (already complete) question, when it must be."""
    text = message.strip()
    if not previous or not text:
        return Rewrite(text)
    own = analyzer.analyze(text)
    if own.problem:
        return Rewrite(text)
    regions = analyzer.region_mentions(text)
    years = _YEAR.findall(text)
    if not _lacks_topic(text, regions, years, analyzer):
        if regions or not analyzer.region_mentions(previous):
            return Rewrite(text)  # a topic of its own, and its own region (or none to take)
        return Rewrite(_with_region(text, previous, analyzer), rewritten=True)
    if not regions and not years:
        return Rewrite(text)
    completed = previous
    if regions:
        completed = _swap_regions(completed, [r for _, _, r in regions], analyzer)
    if years:
        completed = _swap_years(completed, years)
    return Rewrite(completed, rewritten=completed != text)


def _lacks_topic(
    text: str, regions: list[tuple[int, int, str]], years: list[str], analyzer: QueryAnalyzer
) -> bool:
    """Whether nothing is left of the message once its names and deictic words are removed."""
    rest = text
    for start, end, _ in sorted(regions, reverse=True):
        rest = rest[:start] + " " + rest[end:]
    for year in years:
        rest = rest.replace(year, " ")
    rest = _TAIL.sub(" ", _DEICTIC.sub(" ", rest))
    return not analyzer.analyze_terms(rest)


def _with_region(text: str, previous: str, analyzer: QueryAnalyzer) -> str:
    """The message with the previous question's region in front of it."""
    region = analyzer.region_mentions(previous)[0][2]
    body = _DEICTIC.sub("", text, count=1).lstrip("，,、 ")
    return f"{analyzer.display_name(region)}{body}"


def _swap_regions(previous: str, regions: list[str], analyzer: QueryAnalyzer) -> str:
    """The previous question about `regions` instead of its own."""
    names = "和".join(analyzer.display_name(r) for r in dict.fromkeys(regions))
    mentions = analyzer.region_mentions(previous)
    if not mentions:
        return f"{names}{previous}"
    start, end = mentions[0][0], mentions[-1][1]
    return previous[:start] + names + previous[end:]


def _swap_years(previous: str, years: list[str]) -> str:
    """The previous question about the message's year(s) instead of its own."""
    own = _YEAR.findall(previous)
    if not own:
        return f"{years[0]}{previous}"
    return previous.replace(own[0], years[0], 1)
