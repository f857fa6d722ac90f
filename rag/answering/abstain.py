"""How strongly the retrieved text supports an answer, and the honest 'not found'."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rag.answering.question import UNIFORM, QuestionProfile, TermWeights, overlap
from rag.lexicon import NOT_FOUND  # noqa: F401  (the refusal, as callers import it)

# A zone named at the head of a question ("东莞松山湖高新区…"), where staff put it.
_LEADING_PLACE = re.compile(r"^(?:请问)?(?:在)?([\u4e00-\u9fff]{2,8}?)(高新区|开发区|自贸区|新区)")
_YEAR_PENALTY = 1.0


def evidence_strength(
    prof: QuestionProfile, chosen: Sequence[str], weights: TermWeights = UNIFORM
) -> float:
    """How much of the question the chosen sentences state, minus a point per unmet year.

    Coverage counts only bigrams the indexed documents use somewhere: words no document
    uses (colloquial paraphrase) cannot be matched by any passage, while a figure's name
    that other documents use but the chosen evidence lacks is a real gap. A year the
    question pins down (2019年) that the evidence never states costs a full point.
    Not a rank-fusion score (those carry no absolute meaning): it is comparable across
    questions, so one threshold learned on the gold set applies.
    """
    text = " ".join(chosen).lower()
    grams = {g for g in prof.grams if g in weights.idf}
    coverage = overlap(grams, text, weights)
    missing_years = [y for y in prof.years if y not in text]
    return coverage - _YEAR_PENALTY * len(missing_years)


def unknown_place(question: str, known_names: Iterable[str]) -> str | None:
    """A zone the question leads with that no indexed document concerns."""
    m = _LEADING_PLACE.match(question.strip())
    if m is None:
        return None
    name = m.group(1) + m.group(2)
    known = [n for n in known_names if n]
    if any(k in name or name in k or k.startswith(m.group(1)) for k in known):
        return None
    return name
