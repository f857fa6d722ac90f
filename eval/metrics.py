"""Retrieval and answer metrics as pure functions over plain data, and their aggregation.

A retrieved passage is *relevant* to a gold question when it comes from the gold document
and its [start, end) covers at least half of the characters of one occurrence of one
evidence string. Per-question metrics take the relevance flags of the ranked passages;
`summarize` averages them over questions, by question type and by document.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from eval.gold import QUESTION_TYPES, GoldItem
from rag.types import Answer, Hit

PassageRef = tuple[str, int, int]  # (doc, start, end): where a passage lies in its source
K_VALUES = (1, 3, 5, 10)
CURVE_DEPTH = 10  # hit@k is reported for k = 1..CURVE_DEPTH
NO_DOC = "(none)"  # by-document group of questions without a gold document
_KEEP_PUNCT = {"%", "‰"}  # signs that change what a number means


def evidence_spans(doc_text: str, evidence: Sequence[str]) -> list[tuple[int, int]]:
    """Every occurrence of every evidence string in the document, as sorted [start, end)."""
    spans: set[tuple[int, int]] = set()
    for quote in evidence:
        if not quote:
            continue
        at = doc_text.find(quote)
        while at != -1:
            spans.add((at, at + len(quote)))
            at = doc_text.find(quote, at + 1)
    return sorted(spans)


def passage_covers(passage: PassageRef, item: GoldItem, spans: Sequence[tuple[int, int]]) -> bool:
    """Whether the passage is from the gold doc and covers >= 50% of one evidence occurrence."""
    doc, start, end = passage
    if item.doc is None or doc != item.doc:
        return False
    for span_start, span_end in spans:
        overlap = min(end, span_end) - max(start, span_start)
        if overlap > 0 and 2 * overlap >= span_end - span_start:
            return True
    return False


def relevance(
    passages: Sequence[PassageRef], item: GoldItem, spans: Sequence[tuple[int, int]]
) -> list[bool]:
    """Relevance flag of each ranked passage, in rank order."""
    return [passage_covers(p, item, spans) for p in passages]


def first_relevant_rank(relevant: Sequence[bool]) -> int | None:
    """1-based rank of the first relevant passage, or None when none is relevant."""
    return next((rank for rank, flag in enumerate(relevant, start=1) if flag), None)


def hit_at_k(relevant: Sequence[bool], k: int) -> float:
    """1.0 when a relevant passage is among the top k, else 0.0."""
    return 1.0 if any(relevant[:k]) else 0.0


def mrr_at_k(relevant: Sequence[bool], k: int) -> float:
    """Reciprocal rank of the first relevant passage within the top k (0.0 if none)."""
    rank = first_relevant_rank(relevant[:k])
    return 0.0 if rank is None else 1.0 / rank


def ndcg_at_k(relevant: Sequence[bool], k: int, n_relevant: int) -> float:
    """Binary-relevance nDCG@k, with the ideal built from `n_relevant` relevant passages.

    The number of relevant passages depends on the chunking, which metrics do not see, so
    callers pass the number of distinct evidence strings: the ideal ranking puts one
    passage per evidence string first, capped at k. One passage covering several evidence
    strings therefore cannot reach 1.0, and overlapping passages covering the same
    evidence can exceed the ideal; the result is capped at 1.0 for that case.
    """
    if n_relevant < 1:
        raise ValueError(f"n_relevant must be at least 1, got {n_relevant}")
    dcg = sum(1.0 / math.log2(rank + 1) for rank, f in enumerate(relevant[:k], start=1) if f)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(n_relevant, k) + 1))
    return min(1.0, dcg / ideal)


def normalize_for_match(text: str) -> str:
    """Text with whitespace and punctuation (ASCII and full-width) removed, for matching.

    NFKC folds full-width letters and digits to ASCII; case is folded. Percent signs and
    decimal points between digits are kept: "1.5%" must not match "15".
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for i, ch in enumerate(text) if _matters(text, i))


def _matters(text: str, i: int) -> bool:
    ch = text[i]
    if ch == ".":
        return 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()
    # P: punctuation, Z: separators, C: controls and invisible format characters
    return ch in _KEEP_PUNCT or not (ch.isspace() or unicodedata.category(ch)[0] in "PZC")


def missed_key_points(answer_text: str, key_points: Sequence[str]) -> list[str]:
    """Key points not found verbatim in the answer (ignoring punctuation and whitespace)."""
    answer = normalize_for_match(answer_text)
    return [point for point in key_points if normalize_for_match(point) not in answer]


def key_point_recall(answer_text: str, key_points: Sequence[str]) -> float | None:
    """Share of key points stated in the answer; None when there are no key points."""
    if not key_points:
        return None
    return 1.0 - len(missed_key_points(answer_text, key_points)) / len(key_points)


def citation_precision(
    cited: Sequence[PassageRef], item: GoldItem, spans: Sequence[tuple[int, int]]
) -> float | None:
    """Share of cited passages that cover gold evidence; None when nothing is cited."""
    if not cited:
        return None
    return sum(relevance(cited, item, spans)) / len(cited)


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) with linear interpolation between closest ranks."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile p must be within 0..100, got {p}")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * p / 100
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass(frozen=True)
class PassageRecord:
    """A cited or retrieved passage as the report shows it."""

    doc: str
    section: str
    start: int
    end: int
    text: str
    score: float
    relevant: bool


@dataclass(frozen=True)
class ItemResult:
    """Everything measured for one gold question under one configuration."""

    item: GoldItem
    answer: str
    abstained: bool
    latency_s: float
    hits: tuple[PassageRecord, ...]  # retrieved, in rank order
    citations: tuple[PassageRecord, ...]  # cited, in [n] order
    key_points_missed: tuple[str, ...]
    key_point_recall: float | None  # None for unanswerable questions
    citation_precision: float | None  # None when nothing is cited

    @property
    def relevant(self) -> list[bool]:
        """Relevance flags of the retrieved passages, in rank order."""
        return [hit.relevant for hit in self.hits]

    @property
    def first_relevant_rank(self) -> int | None:
        """1-based rank of the first retrieved passage covering gold evidence."""
        return first_relevant_rank(self.relevant)


def score_item(
    item: GoldItem, answer: Answer, latency_s: float, doc_text: str | None
) -> ItemResult:
    """Measure one answer against its gold question; `doc_text` is the gold doc's text."""
    if item.answerable and doc_text is None:
        raise ValueError(f"gold question {item.id}: the text of {item.doc} is needed to score it")
    spans = evidence_spans(doc_text or "", item.evidence)
    cited = [c.hit for c in answer.citations]
    refs = [(h.chunk.doc, h.chunk.start, h.chunk.end) for h in cited]
    answerable = item.answerable
    return ItemResult(
        item=item,
        answer=answer.text,
        abstained=answer.abstained,
        latency_s=latency_s,
        hits=tuple(_passage_record(h, item, spans) for h in answer.hits),
        citations=tuple(_passage_record(h, item, spans) for h in cited),
        key_points_missed=tuple(missed_key_points(answer.text, item.key_points)),
        key_point_recall=key_point_recall(answer.text, item.key_points) if answerable else None,
        citation_precision=citation_precision(refs, item, spans),
    )


def _passage_record(hit: Hit, item: GoldItem, spans: Sequence[tuple[int, int]]) -> PassageRecord:
    chunk = hit.chunk
    relevant = passage_covers((chunk.doc, chunk.start, chunk.end), item, spans)
    return PassageRecord(
        doc=chunk.doc,
        section=chunk.section_path,
        start=chunk.start,
        end=chunk.end,
        text=chunk.text,
        score=float(hit.score),  # numpy scalars would not serialize to JSON
        relevant=relevant,
    )


def abstention_recall(results: Sequence[ItemResult]) -> float | None:
    """Share of unanswerable questions the system declined to answer (None if there are none)."""
    return _mean([float(r.abstained) for r in results if not r.item.answerable])


def false_abstention_rate(results: Sequence[ItemResult]) -> float | None:
    """Share of answerable questions the system wrongly declined (None if there are none)."""
    return _mean([float(r.abstained) for r in results if r.item.answerable])


def group_metrics(results: Sequence[ItemResult]) -> dict[str, object]:
    """Metrics of one group of questions; retrieval and answer metrics over answerable ones."""
    answerable = [r for r in results if r.item.answerable]

    def over(fn: Callable[[ItemResult], float | None]) -> float | None:
        return _mean([v for v in map(fn, answerable) if v is not None])

    out: dict[str, object] = {"n": len(results), "answerable": len(answerable)}
    for k in K_VALUES:
        out[f"hit@{k}"] = over(lambda r, k=k: hit_at_k(r.relevant, k))
    out["mrr@10"] = over(lambda r: mrr_at_k(r.relevant, 10))
    out["ndcg@10"] = over(lambda r: ndcg_at_k(r.relevant, 10, len(set(r.item.evidence))))
    out["key_point_recall"] = over(lambda r: r.key_point_recall)
    out["citation_precision"] = over(lambda r: r.citation_precision)
    out["abstention_recall"] = abstention_recall(results)
    out["false_abstention_rate"] = false_abstention_rate(results)
    latencies = [r.latency_s for r in results]
    out["latency_p50_s"] = percentile(latencies, 50) if latencies else None
    out["latency_p95_s"] = percentile(latencies, 95) if latencies else None
    out["hit_curve"] = [
        over(lambda r, k=k: hit_at_k(r.relevant, k)) for k in range(1, CURVE_DEPTH + 1)
    ]
    return out


def summarize(results: Sequence[ItemResult]) -> dict[str, object]:
    """Metrics overall, by question type and by gold document (unanswerable under NO_DOC)."""
    by_type: dict[str, list[ItemResult]] = {}
    by_doc: dict[str, list[ItemResult]] = {}
    for r in results:
        by_type.setdefault(r.item.type, []).append(r)
        by_doc.setdefault(r.item.doc or NO_DOC, []).append(r)
    return {
        "overall": group_metrics(results),
        "by_type": {t: group_metrics(by_type[t]) for t in sorted(by_type, key=_type_order)},
        "by_doc": {d: group_metrics(rs) for d, rs in sorted(by_doc.items())},
    }


def _type_order(kind: str) -> tuple[int, str]:
    return (QUESTION_TYPES.index(kind) if kind in QUESTION_TYPES else len(QUESTION_TYPES), kind)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None
