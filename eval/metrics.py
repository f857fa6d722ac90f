"""Per-question retrieval and answer metrics as pure functions over plain data.

A retrieved passage is *relevant* to a gold question when it comes from one of the
question's documents and its [start, end) covers at least half of the characters of one
occurrence of one evidence string in that document. Per-question metrics take the
relevance flags of the ranked passages; eval/aggregate.py averages them over groups.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from eval.gold import GoldItem
from rag.types import Answer, Hit

PassageRef = tuple[str, int, int]  # (doc, start, end): where a passage lies in its source
Spans = Mapping[str, Sequence[tuple[int, int]]]  # doc -> evidence occurrences [start, end)
REGION_DEPTH = 10  # region coverage looks at the regions with evidence in the top 10
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


def gold_spans(item: GoldItem, doc_texts: Mapping[str, str]) -> Spans:
    """The evidence occurrences in each of the item's documents (none for other documents)."""
    missing = [doc for doc in item.docs if doc not in doc_texts]
    if missing:
        raise ValueError(f"gold question {item.id}: the text of {missing[0]} is needed to score it")
    return {doc: evidence_spans(doc_texts[doc], item.evidence) for doc in item.docs}


def passage_covers(passage: PassageRef, spans: Spans) -> bool:
    """Whether the passage is from a gold doc and covers >= 50% of one evidence occurrence in it.

    `spans` holds only the item's own documents, so a passage from any other document, or
    the same offsets in another document, never counts.
    """
    doc, start, end = passage
    for span_start, span_end in spans.get(doc, ()):
        overlap = min(end, span_end) - max(start, span_start)
        if overlap > 0 and 2 * overlap >= span_end - span_start:
            return True
    return False


def relevance(passages: Sequence[PassageRef], spans: Spans) -> list[bool]:
    """Relevance flag of each ranked passage, in rank order."""
    return [passage_covers(p, spans) for p in passages]


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


def citation_precision(cited: Sequence[PassageRef], spans: Spans) -> float | None:
    """Share of cited passages that cover gold evidence; None when nothing is cited."""
    if not cited:
        return None
    return sum(relevance(cited, spans)) / len(cited)


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
    region: str
    section: str
    start: int
    end: int
    text: str
    score: float
    relevant: bool

    @property
    def region_key(self) -> str:
        """The passage's region, or its document when the document names none."""
        return self.region or self.doc


def region_coverage(
    hits: Sequence[PassageRecord], cited: Sequence[PassageRecord], depth: int = REGION_DEPTH
) -> float | None:
    """Of the regions whose passages in the top `depth` cover gold evidence, the share the
    answer cites with a relevant passage of that region; None when no region has evidence.

    "Every region with evidence in the top 10 answered with its own figure" is 1.0.
    """
    wanted = {p.region_key for p in hits[:depth] if p.relevant}
    if not wanted:
        return None
    answered = {p.region_key for p in cited if p.relevant}
    return len(wanted & answered) / len(wanted)


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
    region_coverage: float | None = None  # multi-document questions only

    @property
    def relevant(self) -> list[bool]:
        """Relevance flags of the retrieved passages, in rank order."""
        return [hit.relevant for hit in self.hits]

    @property
    def first_relevant_rank(self) -> int | None:
        """1-based rank of the first retrieved passage covering gold evidence."""
        return first_relevant_rank(self.relevant)


def score_item(
    item: GoldItem, answer: Answer, latency_s: float, doc_texts: Mapping[str, str]
) -> ItemResult:
    """Measure one answer against its gold question; `doc_texts` holds its documents' text."""
    spans = gold_spans(item, doc_texts)
    cited = [c.hit for c in answer.citations]
    refs = [(h.chunk.doc, h.chunk.start, h.chunk.end) for h in cited]
    hits = tuple(_passage_record(h, spans) for h in answer.hits)
    citations = tuple(_passage_record(h, spans) for h in cited)
    answerable = item.answerable
    return ItemResult(
        item=item,
        answer=answer.text,
        abstained=answer.abstained,
        latency_s=latency_s,
        hits=hits,
        citations=citations,
        key_points_missed=tuple(missed_key_points(answer.text, item.key_points)),
        key_point_recall=key_point_recall(answer.text, item.key_points) if answerable else None,
        citation_precision=citation_precision(refs, spans),
        region_coverage=region_coverage(hits, citations) if item.multi_doc else None,
    )


def _passage_record(hit: Hit, spans: Spans) -> PassageRecord:
    chunk = hit.chunk
    return PassageRecord(
        doc=chunk.doc,
        region=chunk.region,
        section=chunk.section_path,
        start=chunk.start,
        end=chunk.end,
        text=chunk.text,
        score=float(hit.score),  # numpy scalars would not serialize to JSON
        relevant=passage_covers((chunk.doc, chunk.start, chunk.end), spans),
    )
