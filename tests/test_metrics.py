"""Every metric by hand on a 5-passage setup where each number can be checked.

Three questions (q1-q3) as before, and two more for the extended gold format: q4, which
two documents answer, and q5, junk.
"""

from __future__ import annotations

import math

import pytest

from eval.aggregate import (
    NO_DOC,
    SEVERAL_DOCS,
    answerable_refused,
    junk_answered,
    summarize,
    traps_declined,
    tune_heldout_gap,
)
from eval.gold import GoldItem
from eval.metrics import (
    ItemResult,
    PassageRecord,
    citation_precision,
    evidence_spans,
    first_relevant_rank,
    gold_spans,
    hit_at_k,
    key_point_recall,
    missed_key_points,
    mrr_at_k,
    ndcg_at_k,
    passage_covers,
    percentile,
    region_coverage,
    relevance,
    score_item,
)
from rag.types import Answer, Chunk, Citation, Hit

# a.txt: evidence BBBBB at [5, 10) and DDDDD at [15, 20).
# b.txt: evidence XXXXX occurs twice, at [0, 5) and [10, 15).
DOCS = {"a.txt": "AAAAABBBBBCCCCCDDDDDEEEEE", "b.txt": "XXXXXYYYYYXXXXX"}
REGIONS = {"a.txt": "甲区", "b.txt": "乙区"}
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
    docs=("a.txt",),
    answer="二十平方公里、五十名、四百亿元",
    key_points=("20平方公里", "“五十名”", "四百亿元"),
    evidence=("BBBBB", "DDDDD"),
    tags=("table",),
)
Q2 = GoldItem(
    "q2", "X 是什么?", "fact", ("b.txt",), "XXXXX", ("XXXXX",), ("XXXXX",), ("table", "abbrev")
)
Q3 = GoldItem("q3", "没有答案的问题", "unanswerable", (), None, (), (), ("trap:year",))
# Answered by both documents: DDDDD in a.txt (P3), XXXXX twice in b.txt (P4, P5).
Q4 = GoldItem(
    "q4", "各区目标?", "fact", ("a.txt", "b.txt"), "D; X", ("DDDDD", "XXXXX"), ("DDDDD", "XXXXX"),
    ("unscoped",),
)  # fmt: skip
Q5 = GoldItem("q5", "asdf", "unanswerable", (), None, (), (), ("junk",))
RANKINGS = {
    "q1": ["P1", "P2", "P4", "P3", "P5"],  # relevant at ranks 2 and 4
    "q2": ["P4", "P5", "P1", "P2", "P3"],  # relevant at ranks 1 and 2
    "q3": ["P1", "P2", "P3", "P4", "P5"],  # nothing can be relevant
    "q4": ["P1", "P3", "P2", "P4", "P5"],  # relevant at ranks 2 (甲区), 4 and 5 (乙区)
    "q5": ["P1", "P2", "P3", "P4", "P5"],
}


def chunk(name: str) -> Chunk:
    """A real Chunk for one of the five passages."""
    doc, start, end = PASSAGES[name]
    text = DOCS[doc][start:end]
    return Chunk(name, doc, doc, REGIONS[doc], ("第一章",), start, end, text, text)


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
        score_item(Q1, a1, 1.0, DOCS),
        score_item(Q2, a2, 2.0, DOCS),
        score_item(Q3, a3, 4.0, DOCS),
    ]


def scored_more(q4_cites: list[str], q5_abstains: bool) -> list[ItemResult]:
    """q4 (two documents) citing the named passages, and q5 (junk); latency 1 s each."""
    a4 = answer(Q4, "甲区 DDDDD;乙区 XXXXX。", q4_cites, RANKINGS["q4"])
    a5 = answer(
        Q5,
        "文件中没有找到答案。" if q5_abstains else "asdf 是…",
        [] if q5_abstains else ["P1"],
        RANKINGS["q5"],
    )
    return [score_item(Q4, a4, 1.0, DOCS), score_item(Q5, a5, 1.0, DOCS)]


def flags(item: GoldItem) -> list[bool]:
    return relevance([PASSAGES[n] for n in RANKINGS[item.id]], gold_spans(item, DOCS))


def test_evidence_spans_finds_every_occurrence() -> None:
    assert evidence_spans(DOCS["a.txt"], ["DDDDD", "BBBBB"]) == [(5, 10), (15, 20)]
    assert evidence_spans(DOCS["b.txt"], ["XXXXX"]) == [(0, 5), (10, 15)]
    assert evidence_spans("aaaa", ["aa"]) == [(0, 2), (1, 3), (2, 4)]
    assert evidence_spans(DOCS["a.txt"], ["ZZZ"]) == []


def test_passage_covers_half_of_an_occurrence_from_the_gold_doc() -> None:
    spans = gold_spans(Q1, DOCS)
    assert spans == {"a.txt": [(5, 10), (15, 20)]}
    assert not passage_covers(PASSAGES["P1"], spans)  # 40%
    assert passage_covers(PASSAGES["P2"], spans)  # 60%
    assert passage_covers(PASSAGES["P3"], spans)
    # Same offsets in another document never count.
    assert not passage_covers(("b.txt", 14, 25), spans)
    assert not passage_covers(PASSAGES["P3"], gold_spans(Q3, DOCS))
    # Exactly half of a 4-character evidence string is enough; a quarter is not.
    four = GoldItem("q", "?", "fact", ("c.txt",), "x", ("x",), ("BBBB",))
    four_spans = gold_spans(four, {"c.txt": "AABBBBCC"})
    assert passage_covers(("c.txt", 0, 4), four_spans)
    assert not passage_covers(("c.txt", 0, 3), four_spans)
    with pytest.raises(ValueError, match=r"q: the text of c\.txt"):
        gold_spans(four, DOCS)


def test_relevance_over_several_gold_documents() -> None:
    spans = gold_spans(Q4, DOCS)
    # Each document's own occurrences: XXXXX is not in a.txt, DDDDD is not in b.txt.
    assert spans == {"a.txt": [(15, 20)], "b.txt": [(0, 5), (10, 15)]}
    assert flags(Q4) == [False, True, False, True, True]
    # A passage of a document the question does not name never counts, even where a
    # named document's evidence also occurs in it.
    assert not passage_covers(("c.txt", 15, 20), spans)
    only_a = GoldItem("q", "?", "fact", ("a.txt",), "x", ("x",), ("DDDDD", "XXXXX"))
    assert not passage_covers(PASSAGES["P4"], gold_spans(only_a, DOCS))


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
    spans = gold_spans(Q1, DOCS)
    assert citation_precision([PASSAGES["P2"], PASSAGES["P1"]], spans) == 0.5
    assert citation_precision([PASSAGES["P3"]], spans) == 1.0
    assert citation_precision([], spans) is None
    both = gold_spans(Q4, DOCS)
    assert citation_precision([PASSAGES["P3"], PASSAGES["P4"], PASSAGES["P2"]], both) == 2 / 3


def record(doc: str, relevant: bool, region: str | None = None) -> PassageRecord:
    return PassageRecord(
        doc, REGIONS[doc] if region is None else region, "", 0, 1, "", 0.0, relevant
    )


def test_region_coverage_by_hand() -> None:
    hits = [record("a.txt", False), record("a.txt", True), record("b.txt", True)]
    # 甲区 and 乙区 have evidence in the top 10; the answer cites only 甲区's.
    assert region_coverage(hits, [record("a.txt", True)]) == 0.5
    assert region_coverage(hits, [record("a.txt", True), record("b.txt", True)]) == 1.0
    # A region cited only with a passage lacking evidence is not answered.
    assert region_coverage(hits, [record("a.txt", False), record("b.txt", True)]) == 0.5
    assert region_coverage(hits, []) == 0.0
    # Only the top `depth` hits decide which regions have evidence.
    assert region_coverage(hits, [record("a.txt", True)], depth=2) == 1.0
    assert region_coverage([record("a.txt", False)], []) is None
    # Two documents of one region are one region; a document naming none is its own.
    same = [record("a.txt", True), record("b.txt", True, region="甲区")]
    assert region_coverage(same, [record("b.txt", True, region="甲区")]) == 1.0
    unnamed = [record("a.txt", True), record("b.txt", True, region="")]
    assert region_coverage(unnamed, [record("b.txt", True, region="")]) == 0.5


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
    assert r1.region_coverage is None  # one document: not measured
    assert r1.hits[0].region == "甲区"
    with pytest.raises(ValueError, match="q1"):
        score_item(Q1, answer(Q1, "x", [], []), 0.1, {"b.txt": DOCS["b.txt"]})
    r4, r5 = scored_more(["P3"], q5_abstains=False)
    assert r4.first_relevant_rank == 2 and r4.citation_precision == 1.0
    assert r4.region_coverage == 0.5  # 乙区 has evidence at ranks 4 and 5, uncited
    assert scored_more(["P4", "P3"], q5_abstains=False)[0].region_coverage == 1.0
    assert r5.key_point_recall is None and r5.region_coverage is None


def test_abstention_metrics() -> None:
    results = scored()
    assert traps_declined(results) == 1.0
    assert answerable_refused(results) == 0.0
    abstaining = scored(q1_abstains=True)
    assert answerable_refused(abstaining) == 0.5
    assert abstaining[0].key_point_recall == 0.0
    assert traps_declined(abstaining[:2]) is None
    # Junk is counted apart: answered junk is not a trap answered.
    answered_junk = results + scored_more(["P3"], q5_abstains=False)
    assert traps_declined(answered_junk) == 1.0
    assert junk_answered(answered_junk) == 1
    assert junk_answered(results + scored_more(["P3"], q5_abstains=True)) == 0
    assert junk_answered(results) is None


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
    assert overall["traps_declined"] == 1.0 and overall["traps"] == 1
    assert overall["answerable_refused"] == 0.0
    assert overall["junk_answered"] is None and overall["junk"] == 0
    assert overall["region_coverage"] is None
    assert overall["latency_p50_s"] == 2.0
    assert overall["latency_p95_s"] == pytest.approx(3.8)  # 2 + 0.9 * (4 - 2)
    assert overall["hit_curve"][:2] == [0.5, 1.0] and len(overall["hit_curve"]) == 10
    by_type = summary["by_type"]
    assert list(by_type) == ["fact", "list", "unanswerable"]
    assert by_type["list"]["hit@1"] == 0.0 and by_type["fact"]["hit@1"] == 1.0
    assert by_type["unanswerable"]["hit@1"] is None
    assert by_type["unanswerable"]["traps_declined"] == 1.0
    assert list(summary["by_doc"]) == [NO_DOC, "a.txt", "b.txt"]
    assert summary["by_doc"]["b.txt"]["mrr@10"] == 1.0
    # By tag: a question counts under each of its tags, in the canonical tag order.
    by_tag = summary["by_tag"]
    assert list(by_tag) == ["abbrev", "table", "trap:year"]
    assert by_tag["table"]["n"] == 2
    assert by_tag["table"]["key_point_recall"] == pytest.approx((2 / 3 + 1.0) / 2)
    assert by_tag["abbrev"]["key_point_recall"] == 1.0
    assert by_tag["trap:year"]["traps_declined"] == 1.0


def test_summarize_the_extended_format() -> None:
    results = scored() + scored_more(["P3"], q5_abstains=False)
    summary = summarize(results)
    overall = summary["overall"]
    assert overall["n"] == 5 and overall["answerable"] == 3
    assert overall["traps"] == 1 and overall["junk"] == 1
    assert overall["junk_answered"] == 1 and overall["traps_declined"] == 1.0
    assert overall["hit@1"] == pytest.approx(1 / 3)  # q2 only
    assert overall["mrr@10"] == pytest.approx((1 / 2 + 1 + 1 / 2) / 3)
    assert overall["region_coverage"] == 0.5  # q4 alone has several documents
    assert list(summary["by_doc"]) == [NO_DOC, SEVERAL_DOCS, "a.txt", "b.txt"]
    assert summary["by_doc"][SEVERAL_DOCS]["n"] == 1
    assert summary["by_doc"][NO_DOC]["n"] == 2
    assert list(summary["by_tag"]) == ["abbrev", "table", "unscoped", "trap:year", "junk"]
    assert summary["by_tag"]["unscoped"]["region_coverage"] == 0.5
    assert summary["by_tag"]["junk"]["junk_answered"] == 1
    assert summary["by_tag"]["junk"]["traps_declined"] is None


def test_tune_heldout_gap() -> None:
    tune = summarize(scored())  # key points 5/6, citation precision 0.75
    heldout = summarize(scored(q1_abstains=True))  # key points 0.5, citation precision 1.0
    gap = tune_heldout_gap({"tune": tune, "heldout": heldout, "dev": tune})
    assert gap == pytest.approx({"key_point_recall": 5 / 6 - 0.5, "citation_precision": -0.25})
    assert tune_heldout_gap({"tune": tune, "dev": heldout}) is None
