"""Every metric by hand on a 5-passage, 3-question setup where each number can be checked."""

from __future__ import annotations

import math

import pytest

from eval.gold import GoldItem
from eval.metrics import (
    NO_DOC,
    ItemResult,
    abstention_recall,
    citation_precision,
    evidence_spans,
    false_abstention_rate,
    first_relevant_rank,
    hit_at_k,
    key_point_recall,
    missed_key_points,
    mrr_at_k,
    ndcg_at_k,
    passage_covers,
    percentile,
    relevance,
    score_item,
    summarize,
)
from rag.types import Answer, Chunk, Citation, Hit

# a.txt: evidence BBBBB at [5, 10) and DDDDD at [15, 20).
# b.txt: evidence XXXXX occurs twice, at [0, 5) and [10, 15).
DOCS = {"a.txt": "AAAAABBBBBCCCCCDDDDDEEEEE", "b.txt": "XXXXXYYYYYXXXXX"}
PASSAGES = {
    "P1": ("a.txt", 0, 7),  # 2 of BBBBB's 5 characters: 40%, not relevant
    "P2": ("a.txt", 7, 14),  # 3 of 5 characters of BBBBB: 60%, relevant
    "P3": ("a.txt", 14, 25),  # all of DDDDD
    "P4": ("b.txt", 8, 15),  # all of the second XXXXX
    "P5": ("b.txt", 0, 5),  # all of the first XXXXX
}
Q1 = GoldItem(
    id="q1",
    question="列出三项目标",
    type="list",
    doc="a.txt",
    answer="二十平方公里、五十名、四百亿元",
    key_points=("20平方公里", "“五十名”", "四百亿元"),
    evidence=("BBBBB", "DDDDD"),
)
Q2 = GoldItem("q2", "X 是什么?", "fact", "b.txt", "XXXXX", ("XXXXX",), ("XXXXX",))
Q3 = GoldItem("q3", "没有答案的问题", "unanswerable", None, None, (), ())
RANKINGS = {
    "q1": ["P1", "P2", "P4", "P3", "P5"],  # relevant at ranks 2 and 4
    "q2": ["P4", "P5", "P1", "P2", "P3"],  # relevant at ranks 1 and 2
    "q3": ["P1", "P2", "P3", "P4", "P5"],  # nothing can be relevant
}


def chunk(name: str) -> Chunk:
    """A real Chunk for one of the five passages."""
    doc, start, end = PASSAGES[name]
    text = DOCS[doc][start:end]
    return Chunk(name, doc, doc, "", ("第一章",), start, end, text, text)


def hits(names: list[str]) -> tuple[Hit, ...]:
    """Hits in the given order with falling scores."""
    return tuple(Hit(chunk(n), 1.0 / rank, rank) for rank, n in enumerate(names, start=1))


def answer(question: GoldItem, text: str, cited: list[str], ranking: list[str]) -> Answer:
    """An Answer citing the named passages; abstains when `cited` is empty."""
    citations = tuple(Citation(i, h) for i, h in enumerate(hits(cited), start=1))
    return Answer(question.question, text, citations, not cited, hits=hits(ranking))


def scored(q1_abstains: bool = False, q2_ranking: list[str] | None = None) -> list[ItemResult]:
    """The three questions scored; latencies 1, 2 and 4 seconds."""
    a1 = (
        answer(Q1, "文件中没有找到答案。", [], RANKINGS["q1"])
        if q1_abstains
        else answer(
            Q1, "园区面积为２０平方公里，人才目标为 五十 名。", ["P2", "P1"], RANKINGS["q1"]
        )
    )
    a2 = answer(Q2, "答案是 XXXXX。", ["P4"], q2_ranking or RANKINGS["q2"])
    a3 = answer(Q3, "文件中没有找到答案。", [], RANKINGS["q3"])
    return [
        score_item(Q1, a1, 1.0, DOCS["a.txt"]),
        score_item(Q2, a2, 2.0, DOCS["b.txt"]),
        score_item(Q3, a3, 4.0, None),
    ]


def flags(item: GoldItem) -> list[bool]:
    spans = evidence_spans(DOCS[item.doc], item.evidence) if item.doc else []
    return relevance([PASSAGES[n] for n in RANKINGS[item.id]], item, spans)


def test_evidence_spans_finds_every_occurrence() -> None:
    assert evidence_spans(DOCS["a.txt"], ["DDDDD", "BBBBB"]) == [(5, 10), (15, 20)]
    assert evidence_spans(DOCS["b.txt"], ["XXXXX"]) == [(0, 5), (10, 15)]
    assert evidence_spans("aaaa", ["aa"]) == [(0, 2), (1, 3), (2, 4)]
    assert evidence_spans(DOCS["a.txt"], ["ZZZ"]) == []


def test_passage_covers_half_of_an_occurrence_from_the_gold_doc() -> None:
    spans = evidence_spans(DOCS["a.txt"], Q1.evidence)
    assert not passage_covers(PASSAGES["P1"], Q1, spans)  # 40%
    assert passage_covers(PASSAGES["P2"], Q1, spans)  # 60%
    assert passage_covers(PASSAGES["P3"], Q1, spans)
    # Same offsets in another document never count.
    assert not passage_covers(("b.txt", 14, 25), Q1, spans)
    assert not passage_covers(PASSAGES["P3"], Q3, spans)
    # Exactly half of a 4-character evidence string is enough; a quarter is not.
    four = GoldItem("q", "?", "fact", "c.txt", "x", ("x",), ("BBBB",))
    four_spans = evidence_spans("AABBBBCC", four.evidence)
    assert passage_covers(("c.txt", 0, 4), four, four_spans)
    assert not passage_covers(("c.txt", 0, 3), four, four_spans)


def test_rank_metrics_by_hand() -> None:
    q1, q2, q3 = flags(Q1), flags(Q2), flags(Q3)
    assert q1 == [False, True, False, True, False]
    assert q2 == [True, True, False, False, False]
    assert first_relevant_rank(q1) == 2
    assert first_relevant_rank(q3) is None
    assert [hit_at_k(q1, k) for k in (1, 2, 5)] == [0.0, 1.0, 1.0]
    assert hit_at_k(q3, 5) == 0.0
    assert mrr_at_k(q1, 10) == 0.5
    assert mrr_at_k(q1, 1) == 0.0
    assert mrr_at_k(q2, 10) == 1.0


def test_ndcg_by_hand() -> None:
    # q1: relevant at ranks 2 and 4; ideal: two evidence strings at ranks 1 and 2.
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(flags(Q1), 10, 2) == pytest.approx(expected)
    assert ndcg_at_k(flags(Q1), 10, 2) == pytest.approx(0.6509, abs=1e-4)
    # k cuts off the second relevant passage and caps the ideal at one passage.
    assert ndcg_at_k(flags(Q1), 2, 2) == pytest.approx((1 / math.log2(3)) / 1.6309, abs=1e-4)
    # q2: both occurrences of its one evidence string are retrieved; capped at 1.
    assert ndcg_at_k(flags(Q2), 10, 1) == 1.0
    assert ndcg_at_k(flags(Q3), 10, 1) == 0.0
    with pytest.raises(ValueError, match="n_relevant"):
        ndcg_at_k(flags(Q3), 10, 0)


def test_key_point_recall_ignores_punctuation_whitespace_and_width() -> None:
    text = "园区面积为２０平方公里，人才目标为 五十 名。"
    assert missed_key_points(text, Q1.key_points) == ["四百亿元"]
    assert key_point_recall(text, Q1.key_points) == pytest.approx(2 / 3)
    assert key_point_recall("增长1.5%。", ["1.5%"]) == 1.0
    assert key_point_recall("增长15%。", ["1.5%"]) == 0.0
    assert key_point_recall("增长10", ["10%"]) == 0.0
    assert key_point_recall("1,200亿元", ["1200亿元"]) == 1.0
    assert key_point_recall("anything", []) is None


def test_citation_precision_by_hand() -> None:
    spans = evidence_spans(DOCS["a.txt"], Q1.evidence)
    assert citation_precision([PASSAGES["P2"], PASSAGES["P1"]], Q1, spans) == 0.5
    assert citation_precision([PASSAGES["P3"]], Q1, spans) == 1.0
    assert citation_precision([], Q1, spans) is None


def test_percentile_interpolates() -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 95) == pytest.approx(3.85)
    assert percentile([1.0, 2.0, 3.0, 4.0], 0) == 1.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 100) == 4.0
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_score_item_records_what_the_report_needs() -> None:
    r1, r2, r3 = scored()
    assert r1.first_relevant_rank == 2
    assert r1.key_points_missed == ("四百亿元",)
    assert r1.key_point_recall == pytest.approx(2 / 3)
    assert r1.citation_precision == 0.5
    assert [c.relevant for c in r1.citations] == [True, False]
    assert r1.hits[0].section == "第一章" and r1.hits[0].text == "AAAAABB"
    assert r2.first_relevant_rank == 1 and r2.citation_precision == 1.0
    assert r3.abstained and r3.key_point_recall is None and r3.citation_precision is None
    with pytest.raises(ValueError, match="q1"):
        score_item(Q1, answer(Q1, "x", [], []), 0.1, None)


def test_abstention_metrics() -> None:
    results = scored()
    assert abstention_recall(results) == 1.0
    assert false_abstention_rate(results) == 0.0
    abstaining = scored(q1_abstains=True)
    assert false_abstention_rate(abstaining) == 0.5
    assert abstaining[0].key_point_recall == 0.0
    assert abstention_recall(abstaining[:2]) is None


def test_summarize_overall_by_type_and_by_document() -> None:
    summary = summarize(scored())
    overall = summary["overall"]
    assert overall["n"] == 3 and overall["answerable"] == 2
    assert overall["hit@1"] == 0.5  # q1 misses at rank 1, q2 hits
    assert overall["hit@3"] == 1.0
    assert overall["mrr@10"] == 0.75  # (1/2 + 1) / 2
    assert overall["ndcg@10"] == pytest.approx((0.65092 + 1.0) / 2, abs=1e-4)
    assert overall["key_point_recall"] == pytest.approx((2 / 3 + 1.0) / 2)
    assert overall["citation_precision"] == 0.75  # (0.5 + 1) / 2; q3 cites nothing
    assert overall["abstention_recall"] == 1.0
    assert overall["false_abstention_rate"] == 0.0
    assert overall["latency_p50_s"] == 2.0
    assert overall["latency_p95_s"] == pytest.approx(3.8)  # 2 + 0.9 * (4 - 2)
    assert overall["hit_curve"][:2] == [0.5, 1.0] and len(overall["hit_curve"]) == 10
    by_type = summary["by_type"]
    assert list(by_type) == ["fact", "list", "unanswerable"]
    assert by_type["list"]["hit@1"] == 0.0 and by_type["fact"]["hit@1"] == 1.0
    assert by_type["unanswerable"]["hit@1"] is None
    assert by_type["unanswerable"]["abstention_recall"] == 1.0
    assert list(summary["by_doc"]) == [NO_DOC, "a.txt", "b.txt"]
    assert summary["by_doc"]["b.txt"]["mrr@10"] == 1.0
