"""Per-question results averaged over groups: overall, by type, by tag and by document.

Retrieval and answer metrics are means over the answerable questions of a group;
`traps_declined` and `junk_answered` read the unanswerable ones. A metric no question of
the group can have (hit@1 of traps, region coverage of single-document questions) is None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial

from eval.gold import QUESTION_TYPES, TAGS
from eval.metrics import ItemResult, hit_at_k, mrr_at_k, ndcg_at_k, percentile

K_VALUES = (1, 3, 5, 10)
CURVE_DEPTH = 10  # hit@k is reported for k = 1..CURVE_DEPTH
NO_DOC = "(none)"  # by-document group of questions without a gold document
SEVERAL_DOCS = "(several)"  # by-document group of questions several documents answer
TUNE, HELDOUT = "tune", "heldout"  # the set names (file stems) the gap compares
GAP_METRICS = ("key_point_recall", "citation_precision")
# Tags whose key-point recall the report shows, in its order.
REPORTED_TAGS = ("table", "paraphrase", "unscoped", "compare", "colloquial", "abbrev")

Summary = dict[str, object]


def set_order(names: Sequence[str]) -> list[str]:
    """Tune and held-out first, then the other sets in the order given."""
    first = [n for n in (TUNE, HELDOUT) if n in names]
    return first + [n for n in names if n not in first]


def answerable_refused(results: Sequence[ItemResult]) -> float | None:
    """Share of answerable questions the system declined (None if there are none)."""
    return _mean([float(r.abstained) for r in results if r.item.answerable])


def traps_declined(results: Sequence[ItemResult]) -> float | None:
    """Share of unanswerable questions other than junk that were declined (None if none)."""
    return _mean([float(r.abstained) for r in results if _trap(r)])


def junk_answered(results: Sequence[ItemResult]) -> int | None:
    """How many junk questions were answered (should be 0); None when there is no junk."""
    junk = [r for r in results if r.item.junk]
    return sum(not r.abstained for r in junk) if junk else None


def _hit_at(r: ItemResult, k: int) -> float:
    return hit_at_k(r.relevant, k)


def group_metrics(results: Sequence[ItemResult]) -> Summary:
    """Metrics of one group of questions; retrieval and answer metrics over answerable ones."""
    answerable = [r for r in results if r.item.answerable]

    def over(fn: Callable[[ItemResult], float | None]) -> float | None:
        return _mean([v for v in map(fn, answerable) if v is not None])

    out: Summary = {
        "n": len(results),
        "answerable": len(answerable),
        "traps": sum(map(_trap, results)),
        "junk": sum(r.item.junk for r in results),
    }
    for k in K_VALUES:
        out[f"hit@{k}"] = over(partial(_hit_at, k=k))
    out["mrr@10"] = over(lambda r: mrr_at_k(r.relevant, 10))
    out["ndcg@10"] = over(lambda r: ndcg_at_k(r.relevant, 10, len(set(r.item.evidence))))
    out["key_point_recall"] = over(lambda r: r.key_point_recall)
    out["citation_precision"] = over(lambda r: r.citation_precision)
    out["region_coverage"] = over(lambda r: r.region_coverage)
    out["answerable_refused"] = answerable_refused(results)
    out["traps_declined"] = traps_declined(results)
    out["junk_answered"] = junk_answered(results)
    latencies = [r.latency_s for r in results]
    out["latency_p50_s"] = percentile(latencies, 50) if latencies else None
    out["latency_p95_s"] = percentile(latencies, 95) if latencies else None
    out["hit_curve"] = [over(partial(_hit_at, k=k)) for k in range(1, CURVE_DEPTH + 1)]
    return out


def summarize(results: Sequence[ItemResult]) -> Summary:
    """Metrics overall, by question type, by tag and by gold document.

    A question with several tags counts in each tag's group; a question several documents
    answer is grouped under SEVERAL_DOCS, an unanswerable one under NO_DOC.
    """
    by_type: dict[str, list[ItemResult]] = {}
    by_tag: dict[str, list[ItemResult]] = {}
    by_doc: dict[str, list[ItemResult]] = {}
    for r in results:
        by_type.setdefault(r.item.type, []).append(r)
        for tag in r.item.tags:
            by_tag.setdefault(tag, []).append(r)
        by_doc.setdefault(_doc_group(r), []).append(r)
    return {
        "overall": group_metrics(results),
        "by_type": {t: group_metrics(by_type[t]) for t in _ordered(by_type, QUESTION_TYPES)},
        "by_tag": {t: group_metrics(by_tag[t]) for t in _ordered(by_tag, TAGS)},
        "by_doc": {d: group_metrics(rs) for d, rs in sorted(by_doc.items())},
    }


def tune_heldout_gap(summaries: Mapping[str, Mapping[str, object]]) -> dict[str, float] | None:
    """Tune minus held-out on GAP_METRICS; None unless both sets were evaluated."""
    if TUNE not in summaries or HELDOUT not in summaries:
        return None
    tune, heldout = _overall(summaries[TUNE]), _overall(summaries[HELDOUT])
    gap: dict[str, float] = {}
    for key in GAP_METRICS:
        a, b = tune.get(key), heldout.get(key)
        if isinstance(a, int | float) and isinstance(b, int | float):
            gap[key] = float(a) - float(b)
    return gap


def _overall(summary: Mapping[str, object]) -> Mapping[str, object]:
    overall = summary["overall"]
    if not isinstance(overall, Mapping):
        raise TypeError("a set's summary must hold its 'overall' metrics; pass summarize()'s")
    return overall


def _trap(result: ItemResult) -> bool:
    return not result.item.answerable and not result.item.junk


def _doc_group(result: ItemResult) -> str:
    docs = result.item.docs
    if not docs:
        return NO_DOC
    return docs[0] if len(docs) == 1 else SEVERAL_DOCS


def _ordered(groups: Mapping[str, object], known: Sequence[str]) -> list[str]:
    """Known names in their canonical order first, then any others alphabetically."""
    return sorted(groups, key=lambda g: (known.index(g) if g in known else len(known), g))


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None
