"""Whether the chosen evidence answers the question: its own decision, for every question type.

Not one coverage number but several features of what would be said: how strong the best
unit is (its score, its similarity to the question by meaning), how much of the question's
specific terms the chosen units state (terms no indexed passage uses are left out: a
colloquial word cannot be matched by anything), and whether the asked thing is there at
all — a figure for 多少/几/比例, in the asked measure, a year the question names in the
unit, its table's header or its section. A logistic model over them (AbstainWeights,
learned on the tune split's answerable questions and traps) gives the probability that the
evidence answers; below the threshold the answer is an honest 'not found'.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answering.evidence import Candidate, has_figure
from rag.answering.query import Query
from rag.answering.terms import weighted_share
from rag.config import AbstainWeights
from rag.types import Hit


@dataclass(frozen=True)
class Decision:
    """The abstention decision and what it read."""

    answers: bool
    probability: float
    signals: tuple[float, ...]  # in SIGNALS order


_LOGIT_LIMIT = 50.0  # beyond this exp() overflows and the probability is 0 or 1 anyway
SIGNALS = (
    "best",
    "coverage",
    "best_coverage",
    "specific",
    "term_coverage",
    "rare_missing",
    "absent",
    "unknown",
    "dense",
    "passage_dense",
    "figure_missing",
    "measure_missing",
    "year_missing",
)


def signals(
    query: Query,
    chosen: Sequence[Candidate],
    hits: Sequence[Hit],
    weights: AbstainWeights,
    absent: float = 0.0,
) -> tuple[float, ...]:
    """The SIGNALS of the chosen evidence, in order; `absent` is the weighted share of the
    question's words that no passage within its scope uses at all.

    What is asked must be in the best unit itself (with its section's headings): a figure,
    a year or a specific term elsewhere in the passage may be about something else.
    """
    if not chosen:
        return (0.0,) * len(SIGNALS)
    best = max(chosen, key=lambda c: c.score)
    chunk = hits[best.hit_index].chunk
    own = f"{best.unit.text} {' '.join(chunk.section)}".lower()
    text = " ".join(c.unit.text for c in chosen).lower()
    known = {g: w for g, w in query.terms if g not in query.unknown_terms}
    specific = sorted(known, key=lambda g: -known[g])[: weights.specific_terms]
    total = sum(w for _, w in query.terms) or 1.0
    passage = f"{chunk.text} {' '.join(chunk.section)}".lower()
    terms = dict(query.content_terms)
    rarest = max(terms, key=lambda t: terms[t], default="")
    values = {
        "best": best.score,
        "term_coverage": weighted_share(terms, passage),
        "rare_missing": float(bool(rarest) and rarest not in passage),
        "absent": absent,
        "coverage": weighted_share(known, text),
        "best_coverage": weighted_share(known, own),
        "specific": sum(g in own for g in specific) / len(specific) if specific else 0.0,
        "unknown": sum(w for g, w in query.terms if g in query.unknown_terms) / total,
        "dense": best.feature("dense"),
        "passage_dense": max((h.dense_score or 0.0 for h in hits), default=0.0),
        "figure_missing": float(query.asks_figure and not has_figure(best.unit.text)),
        "measure_missing": float(bool(query.measure) and not best.feature("measure")),
        "year_missing": best.feature("year_missing"),
    }
    return tuple(values[name] for name in SIGNALS)


def decide(
    query: Query,
    chosen: Sequence[Candidate],
    hits: Sequence[Hit],
    weights: AbstainWeights,
    absent: float = 0.0,
) -> Decision:
    """Answer or decline, from the chosen evidence and the passages it was chosen from."""
    values = signals(query, chosen, hits, weights, absent)
    if not chosen:
        return Decision(False, 0.0, values)
    logit = weights.bias + sum(
        getattr(weights, n) * v for n, v in zip(SIGNALS, values, strict=True)
    )
    logit = max(-_LOGIT_LIMIT, min(_LOGIT_LIMIT, logit))
    probability = 1.0 / (1.0 + math.exp(-logit))
    return Decision(probability >= weights.threshold, probability, values)
