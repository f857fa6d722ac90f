"""How strongly the retrieved text supports an answer, and the honest 'not found'."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rag.question import UNIFORM, QuestionProfile, TermWeights, bigrams, overlap
from rag.types import Hit

NOT_FOUND = "未在已收录的文件中找到相关内容。"
# A zone named at the head of a question ("东莞松山湖高新区…"), where staff put it.
_LEADING_PLACE = re.compile(r"^(?:请问)?(?:在)?([\u4e00-\u9fff]{2,8}?)(高新区|开发区|自贸区|新区)")
_YEAR_PENALTY = 1.0


def evidence_strength(
    prof: QuestionProfile,
    hits: Sequence[Hit],
    chosen: Sequence[str],
    weights: TermWeights = UNIFORM,
) -> float:
    """Lexical coverage of the question by the chosen sentences plus the best dense similarity.

    Not a rank-fusion score (those carry no absolute meaning): both parts are
    comparable across questions, so one threshold learned on the gold set applies.
    A year the question pins down (2019年) that the evidence never states costs a full point.
    """
    text = " ".join(chosen).lower()
    coverage = overlap(bigrams(prof.key_text), text, weights)
    dense = max((h.dense_score for h in hits[:3] if h.dense_score is not None), default=0.0)
    missing_years = [y for y in prof.years if y not in text]
    return coverage + dense - _YEAR_PENALTY * bool(missing_years)


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
