"""What went wrong with an answer: one cause per failed question, and a worst-first order."""

from __future__ import annotations

from collections.abc import Sequence

from eval.metrics import ItemResult

FAILURE_DEPTH = 10  # "not retrieved" means no relevant passage in the top 10
WORST_N = 5
# Causes in the order a failure is attributed: the first that applies is the cause.
NOT_RETRIEVED = "not retrieved"
REFUSED = "refused"
WRONG_SENTENCE = "wrong sentence"
TRAP_ANSWERED = "trap answered"
JUNK_ANSWERED = "junk answered"
CAUSES = (NOT_RETRIEVED, WRONG_SENTENCE, REFUSED, TRAP_ANSWERED, JUNK_ANSWERED)
CAUSE_MEANINGS = {
    NOT_RETRIEVED: f"answerable; no relevant passage in the top {FAILURE_DEPTH}",
    WRONG_SENTENCE: "answerable; a relevant passage retrieved and an answer given, "
    "but key points missed",
    REFUSED: "answerable, a relevant passage retrieved, yet declined",
    TRAP_ANSWERED: "the documents do not answer it, yet it was answered",
    JUNK_ANSWERED: "not a question at all, yet it was answered",
}


def failure_cause(result: ItemResult) -> str | None:
    """The one cause of a failed question (see CAUSES), or None when it did not fail.

    Retrieval comes first: an answerable question with no evidence in the top 10 is
    "not retrieved" whether or not it was then declined.
    """
    item = result.item
    if not item.answerable:
        if result.abstained:
            return None
        return JUNK_ANSWERED if item.junk else TRAP_ANSWERED
    if not any(result.relevant[:FAILURE_DEPTH]):
        return NOT_RETRIEVED
    if result.abstained:
        return REFUSED
    if result.key_points_missed:
        return WRONG_SENTENCE
    return None


def failures_by_cause(results: Sequence[ItemResult]) -> dict[str, list[ItemResult]]:
    """Failed questions under their cause, every cause present (in CAUSES order)."""
    out: dict[str, list[ItemResult]] = {cause: [] for cause in CAUSES}
    for result in results:
        cause = failure_cause(result)
        if cause is not None:
            out[cause].append(result)
    return out


def diagnose(result: ItemResult) -> list[str]:
    """What went wrong with one answer, in words; empty when nothing did."""
    problems: list[str] = []
    if not result.item.answerable:
        if not result.abstained:
            problems.append("wrong answer: answered a question the documents do not answer")
        return problems
    if result.abstained:
        problems.append("wrong abstention: declined a question the documents answer")
    rank = result.first_relevant_rank
    if rank is None:
        problems.append(f"retrieval miss: no gold evidence in the top {len(result.hits)} passages")
    elif rank > 1:
        problems.append(f"gold evidence first at rank {rank}")
    if not result.abstained:
        problems += [f"answer missed key point “{p}”" for p in result.key_points_missed]
    cited = result.citations
    wrong = sum(not c.relevant for c in cited)
    if wrong:
        problems.append(f"{wrong} of {len(cited)} citations lack gold evidence")
    if result.region_coverage is not None and result.region_coverage < 1.0:
        problems.append(
            f"answer covers {result.region_coverage:.0%} of the regions with evidence retrieved"
        )
    return problems


def severity(result: ItemResult) -> float:
    """How badly one question went: wrong abstention/answer > retrieval miss > missed points."""
    if not result.item.answerable:
        return 0.0 if result.abstained else 3.0
    score = 3.0 if result.abstained else 0.0
    rank = result.first_relevant_rank
    score += 2.0 if rank is None else 0.5 * (1.0 - 1.0 / rank)
    score += 2.0 * (1.0 - (result.key_point_recall or 0.0))
    if result.citation_precision is not None:
        score += 0.5 * (1.0 - result.citation_precision)
    return score


def worst(results: Sequence[ItemResult], n: int = WORST_N) -> list[ItemResult]:
    """The n questions that went worst (only those where something went wrong)."""
    bad = [r for r in results if severity(r) > 0]
    return sorted(bad, key=lambda r: (-severity(r), r.item.id))[:n]
