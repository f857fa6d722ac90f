"""How strongly the chosen evidence supports an answer, and the honest 'not found'."""

from __future__ import annotations

from collections.abc import Sequence

from rag.answering.query import Query
from rag.answering.terms import weighted_share

_YEAR_PENALTY = 1.0


def evidence_strength(query: Query, chosen: Sequence[str]) -> float:
    """How much of the question the chosen sentences state, minus a point per unmet year.

    Coverage counts only bigrams the indexed documents use somewhere: words no document
    uses (colloquial paraphrase) cannot be matched by any passage, while a figure's name
    that other documents use but the chosen evidence lacks is a real gap. A year the
    question pins down (2019年) that the evidence never states costs a full point.
    """
    text = " ".join(chosen).lower()
    known = {g: w for g, w in query.terms if g not in query.unknown_terms}
    missing_years = [y for y in query.years if y not in text]
    return weighted_share(known, text) - _YEAR_PENALTY * len(missing_years)
