"""The one ranking step: fused scores plus what each passage's structure says about the question.

Four signals, each weighted in RankingWeights:
- meaning: the passage's best sentence (or table row) by the embedding model, relative to
  the best of all candidates: a passage scored as a whole may bury the one sentence that
  answers, which its pooled sentence vector still shows;
- heading: the passage's section headings hold the question's terms (a title field);
- sentence: one sentence (a table: one row, read with its column headers) of the passage
  holds them together (BM25 and the dense vector score a passage as a whole, so terms
  scattered over a long passage count as much as terms in the one sentence that answers);
- time scope: the passage speaks of the time the question asks about (targets, results,
  the 2035 vision), more when its own heading says so (a 发展目标 section is targets
  throughout).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rag import lexicon as lx
from rag.answering.query import Query
from rag.answering.units import units
from rag.config import RankingWeights
from rag.types import Chunk

_PASSAGE_TIME = {name: re.compile(cue) for name, cue in lx.PASSAGE_TIME_CUES.items()}


@dataclass(frozen=True)
class PassageView:
    """What ranking reads of a passage, computed once per passage and reused across questions."""

    headings: str  # its own and its parent's heading, lowercased
    sentences: tuple[str, ...]  # its sentences or table rows, lowercased
    heading_scopes: frozenset[str]  # time scopes its own heading states
    text_scopes: frozenset[str]  # time scopes its section path or text mention


def passage_view(chunk: Chunk) -> PassageView:
    """The passage as ranking sees it."""
    heading = chunk.section[-1] if chunk.section else ""
    text = " ".join(chunk.section) + " " + chunk.text
    return PassageView(
        headings=" ".join(chunk.section[-2:]).lower(),
        sentences=tuple(unit.text.lower() for unit in units(chunk)),
        heading_scopes=frozenset(n for n, cue in _PASSAGE_TIME.items() if cue.search(heading)),
        text_scopes=frozenset(n for n, cue in _PASSAGE_TIME.items() if cue.search(text)),
    )


def time_match(query: Query, view: PassageView, weights: RankingWeights) -> float:
    """How strongly the passage speaks of a time scope the question asks about."""
    if query.time_scopes & view.heading_scopes:
        return weights.own_heading_scope
    return 1.0 if query.time_scopes & view.text_scopes else 0.0


def rank(
    query: Query,
    fused: Sequence[tuple[int, float]],
    views: Mapping[int, PassageView],
    weights: RankingWeights,
    meaning: Mapping[int, float] | None = None,
) -> list[tuple[int, float]]:
    """Fused (row, score) pairs re-scored with every signal at once, best first.

    Each signal adds weight × the top fused score × its match, so a weight is a share of
    the best fused score whatever the fusion's scale. `meaning` holds each row's best
    unit similarity to the question (absent: no meaning signal).
    """
    if not fused:
        return []
    top = max(score for _, score in fused)
    best_meaning = max(meaning.values(), default=0.0) if meaning else 0.0
    scored = []
    for row, score in fused:
        view = views[row]
        closeness = meaning.get(row, 0.0) - best_meaning if meaning else 0.0
        bonus = (
            weights.meaning * closeness
            + weights.heading * query.share(view.headings)
            + weights.sentence * max((query.share(s) for s in view.sentences), default=0.0)
            + weights.time_scope * time_match(query, view, weights)
        )
        scored.append((row, score + top * bonus))
    return sorted(scored, key=lambda item: (-item[1], item[0]))
