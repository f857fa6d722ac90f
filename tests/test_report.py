"""Report files, failures by cause, PNG charts and TREC export on the hand-checked setup."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.charts import grouped_bars_chart, hit_curve_chart, type_bars_chart
from eval.failures import (
    JUNK_ANSWERED,
    NOT_RETRIEVED,
    REFUSED,
    TRAP_ANSWERED,
    WRONG_SENTENCE,
    diagnose,
    failure_cause,
    failures_by_cause,
    worst,
)
from eval.gate import load_targets
from eval.report import write_report
from eval.trec import qrels_lines, run_lines
from rag.types import Hit
from tests.test_metrics import DOCS, PASSAGES, Q1, Q2, Q3, Q4, chunk, hits, scored, scored_more

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 2000, path


def test_report_writes_every_file_and_names_the_worst_questions(tmp_path: Path) -> None:
    runs = {"dev": {"hybrid": scored(), "bm25": scored(q1_abstains=True, q2_ranking=["P1", "P2"])}}
    files = write_report(tmp_path / "out", runs, primary="bm25", meta={"gold": "dev.jsonl"})

    metrics = json.loads(files.metrics.read_text(encoding="utf-8"))
    assert metrics["config"] == "bm25" and metrics["meta"] == {"gold": "dev.jsonl"}
    assert list(metrics["sets"]) == ["dev"]
    dev = metrics["sets"]["dev"]
    assert dev["overall"]["hit@1"] == 0.0
    assert metrics["configurations"]["hybrid"]["dev"]["overall"]["mrr@10"] == 0.75
    assert set(dev["by_type"]) == {"fact", "list", "unanswerable"}
    assert set(dev["by_tag"]) == {"table", "abbrev", "trap:year"}
    assert "gap" not in metrics and "targets" not in metrics  # no tune and held-out sets

    lines = [json.loads(x) for x in files.per_item.read_text(encoding="utf-8").splitlines()]
    assert [(x["set"], x["config"], x["id"]) for x in lines][:4] == [
        ("dev", "hybrid", "q1"), ("dev", "hybrid", "q2"), ("dev", "hybrid", "q3"),
        ("dev", "bm25", "q1"),
    ]  # fmt: skip
    first = lines[0]
    assert first["citations"][0] == {
        "doc": "a.txt", "region": "甲区", "section": "第一章", "start": 7, "end": 14,
        "relevant": True,
    }  # fmt: skip
    assert first["first_relevant_rank"] == 2 and first["key_points_missed"] == ["四百亿元"]
    assert first["latency_s"] == 1.0 and len(first["hits"]) == 5
    assert first["docs"] == ["a.txt"] and first["tags"] == ["table"]
    assert first["failure"] == WRONG_SENTENCE and lines[3]["failure"] == REFUSED

    summary = files.summary.read_text(encoding="utf-8")
    for heading in ("## Sets side by side", "## Configurations compared", "## By question type"):
        assert heading in summary
    assert "## Tune vs held-out" not in summary and "## Held-out targets" not in summary
    assert "| hybrid | 3 | 0.500 |" in summary and "| bm25 | 3 | 0.000 |" in summary
    # Without a held-out set, the failures listed are the first set's.
    assert "## Failures by cause: dev" in summary
    worst_part = summary.split("## Worst 5 questions: dev")[1]
    assert "### 1. q1 · list · a.txt" in worst_part  # wrong abstention ranks first
    assert "wrong abstention" in worst_part
    assert "### 2. q2" in worst_part and "retrieval miss" in worst_part
    assert "| BBBBB | **#1** (no evidence" in worst_part  # gold evidence beside passages
    assert "q3" not in worst_part  # correctly declined
    assert [p.name for p in files.charts] == ["hit_at_k.png", "by_type.png", "by_tag.png"]
    for path in files.charts:
        assert_png(path)
        assert f"]({path.name})" in summary


def test_tune_and_heldout_side_by_side_with_gap_targets_and_failures(tmp_path: Path) -> None:
    tune = scored()  # key points 5/6, citation precision 0.75, nothing declined wrongly
    heldout = scored(q1_abstains=True) + scored_more(["P3"], q5_abstains=False)
    runs = {"dev": {"hybrid+scope": tune}, "heldout": {"hybrid+scope": heldout}}
    runs["tune"] = {"hybrid+scope": tune}
    files = write_report(tmp_path, runs, targets=load_targets(), charts=False)
    metrics = json.loads(files.metrics.read_text(encoding="utf-8"))
    assert list(metrics["sets"]) == ["dev", "heldout", "tune"]
    # held-out key points: q1 declined (0), q2 1.0, q4 1.0 (both regions' figures stated)
    held = metrics["sets"]["heldout"]["overall"]
    assert held["answerable_refused"] == pytest.approx(1 / 3)
    assert held["junk_answered"] == 1 and held["traps_declined"] == 1.0
    assert held["region_coverage"] == 0.5
    assert metrics["gap"]["citation_precision"] == pytest.approx(0.75 - 1.0)
    assert metrics["gap"]["key_point_recall"] == pytest.approx(5 / 6 - 2 / 3)
    targets = {t["target"]: t for t in metrics["targets"]}
    assert targets["junk_answered"] == {
        "target": "junk_answered", "bound": "max", "limit": 0.0, "value": 1, "met": False,
        "open": False,
    }  # fmt: skip
    assert targets["traps_declined"]["met"] and not targets["answerable_refused"]["met"]
    assert targets["key_point_recall (tag paraphrase)"]["value"] is None  # none held out

    summary = files.summary.read_text(encoding="utf-8")
    side = summary.split("## Sets side by side")[1].split("##")[0]
    assert "| metric | tune | heldout | dev | meaning |" in side  # tune and held-out first
    assert "| junk_answered | n/a | 1 | n/a |" in side
    gap = summary.split("## Tune vs held-out")[1].split("##")[0]
    assert "| citation_precision | 0.750 | 1.000 | -0.250 |" in gap
    assert "| junk_answered | ≤ 0 | 1 | **no** |" in summary
    assert "targets met (eval/thresholds.toml)" in summary
    by_tag = summary.split("## Key points by tag")[1].split("##")[0]
    assert "| table | 0.833 (2) | 0.500 (2) | 0.833 (2) |" in by_tag
    assert "| unscoped: region coverage | n/a | 0.500 | n/a |" in by_tag
    traps = summary.split("## Traps by kind")[1].split("##")[0]
    assert "| trap:year | 1/1 | 1/1 | 1/1 |" in traps and "| junk | n/a | 0/1 | n/a |" in traps
    failures = summary.split("## Held-out failures by cause")[1].split("## Worst")[0]
    assert "not retrieved 0 · wrong sentence 0 · refused 1 · trap answered 0 · junk answered 1" in (
        failures
    )
    assert (
        "| q1 | 列出三项目标 | (declined) 文件中没有找到答案。; top passage: a.txt › 第一章 |"
        in failures
    )
    assert "| q5 | asdf | asdf 是…; top passage: a.txt › 第一章 |" in failures
    # The held-out questions are listed by cause only; worst-question studies are of the others.
    assert "## Worst 5 questions: tune" in summary and "## Worst 5 questions: dev" in summary
    assert "## Worst 5 questions: heldout" not in summary


def test_report_argument_errors(tmp_path: Path) -> None:
    files = write_report(tmp_path, {"dev": {"only": scored()}}, charts=False)
    metrics = json.loads(files.metrics.read_text(encoding="utf-8"))
    assert "configurations" not in metrics and files.charts == ()
    summary = files.summary.read_text(encoding="utf-8")
    assert "Configurations compared" not in summary
    assert "answer missed key point “四百亿元”" in summary
    with pytest.raises(ValueError, match="primary"):
        write_report(tmp_path, {"dev": {"only": scored()}}, primary="other", charts=False)
    with pytest.raises(ValueError, match="at least one"):
        write_report(tmp_path, {}, charts=False)
    with pytest.raises(ValueError, match="same configurations"):
        write_report(tmp_path, {"a": {"x": scored()}, "b": {"y": scored()}}, charts=False)


def test_failure_causes() -> None:
    r1, r2, r3 = scored()
    assert failure_cause(r1) == WRONG_SENTENCE  # evidence at rank 2, "四百亿元" missed
    assert failure_cause(r2) is None and failure_cause(r3) is None
    declined, missed, _ = scored(q1_abstains=True, q2_ranking=["P1", "P2"])
    assert failure_cause(declined) == REFUSED
    assert failure_cause(missed) == NOT_RETRIEVED  # answered, but nothing relevant retrieved
    not_found_and_declined = scored(q1_abstains=True, q2_ranking=["P1", "P2"])
    assert failure_cause(not_found_and_declined[1]) == NOT_RETRIEVED
    r4, junk = scored_more(["P3"], q5_abstains=False)
    assert failure_cause(r4) is None  # every key point stated; region coverage is its own figure
    assert failure_cause(junk) == JUNK_ANSWERED
    assert failure_cause(scored_more(["P3"], q5_abstains=True)[1]) is None
    trap = scored(q2_ranking=None)[2]
    answered_trap = type(trap)(**{**trap.__dict__, "abstained": False})
    assert failure_cause(answered_trap) == TRAP_ANSWERED
    grouped = failures_by_cause([r1, declined, missed, junk, answered_trap, r2])
    assert {cause: [r.item.id for r in rs] for cause, rs in grouped.items()} == {
        NOT_RETRIEVED: ["q2"], WRONG_SENTENCE: ["q1"], REFUSED: ["q1"],
        TRAP_ANSWERED: ["q3"], JUNK_ANSWERED: ["q5"],
    }  # fmt: skip


def test_diagnosis_and_worst_order() -> None:
    r1, r2, r3 = scored()
    assert diagnose(r1) == [
        "gold evidence first at rank 2",
        "answer missed key point “四百亿元”",
        "1 of 2 citations lack gold evidence",
    ]
    assert diagnose(r2) == [] and diagnose(r3) == []
    assert [r.item.id for r in worst([r1, r2, r3])] == ["q1"]
    b1, b2, _ = scored(q1_abstains=True, q2_ranking=["P1", "P2"])
    assert diagnose(b2)[0] == "retrieval miss: no gold evidence in the top 2 passages"
    assert [r.item.id for r in worst([r1, b2, b1])] == ["q1", "q2", "q1"]
    r4, _ = scored_more(["P3"], q5_abstains=False)
    assert diagnose(r4)[-1] == "answer covers 50% of the regions with evidence retrieved"


def test_charts_are_png_even_with_cjk_labels(tmp_path: Path) -> None:
    curve = hit_curve_chart({"混合": [0.5, 0.8, 1.0], "bm25": [0.2, None, 0.6]}, tmp_path / "c.png")
    bars = type_bars_chart({"fact": (1.0, 0.5), "unanswerable": (None, None)}, tmp_path / "b.png")
    tags = grouped_bars_chart(
        {"tune": {"table": 0.9, "compare": None}, "heldout": {"table": 0.8, "compare": 0.5}},
        tmp_path / "t.png", "Key points by tag", "key-point recall", ["table", "compare", "abbrev"],
    )  # fmt: skip
    assert_png(curve)
    assert_png(bars)
    assert_png(tags)


def test_trec_run_keeps_rank_order_through_tied_scores() -> None:
    ranked = hits(["P2", "P1", "P3"])
    tied = (ranked[0], Hit(ranked[1].chunk, 1.0, 2), ranked[2])
    lines = run_lines({"q1": tied}, "hybrid")
    assert lines[0] == "q1 Q0 P2 1 1.0 hybrid"
    assert lines[1].startswith("q1 Q0 P1 2 0.99999")
    assert lines[2] == "q1 Q0 P3 3 0.3333333333333333 hybrid"
    with pytest.raises(ValueError, match="tag"):
        run_lines({"q1": tied}, "two words")


def test_qrels_list_each_chunk_covering_evidence() -> None:
    chunks = [chunk(name) for name in PASSAGES]
    assert qrels_lines([Q1, Q2, Q3, Q4], chunks, DOCS) == [
        "q1 0 P2 1", "q1 0 P3 1", "q2 0 P4 1", "q2 0 P5 1",
        "q4 0 P3 1", "q4 0 P4 1", "q4 0 P5 1",
    ]  # fmt: skip
    with pytest.raises(ValueError, match=r"b\.txt"):
        qrels_lines([Q4], chunks, {"a.txt": DOCS["a.txt"]})
