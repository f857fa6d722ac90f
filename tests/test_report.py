"""Report files, worst-question diagnosis, PNG charts and TREC export on the hand-checked setup."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.charts import hit_curve_chart, type_bars_chart
from eval.report import diagnose, worst, write_report
from eval.trec import qrels_lines, run_lines
from rag.types import Hit
from tests.test_metrics import DOCS, PASSAGES, Q1, Q2, Q3, chunk, hits, scored

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 2000, path


def test_report_writes_every_file_and_names_the_worst_questions(tmp_path: Path) -> None:
    runs = {"hybrid": scored(), "bm25": scored(q1_abstains=True, q2_ranking=["P1", "P2"])}
    files = write_report(tmp_path / "out", runs, primary="bm25", meta={"gold": "dev.jsonl"})

    metrics = json.loads(files.metrics.read_text(encoding="utf-8"))
    assert metrics["config"] == "bm25" and metrics["meta"] == {"gold": "dev.jsonl"}
    assert metrics["overall"]["hit@1"] == 0.0
    assert metrics["configurations"]["hybrid"]["overall"]["mrr@10"] == 0.75
    assert set(metrics["by_type"]) == {"fact", "list", "unanswerable"}

    lines = [json.loads(x) for x in files.per_item.read_text(encoding="utf-8").splitlines()]
    assert [(x["config"], x["id"]) for x in lines][:4] == [
        ("hybrid", "q1"), ("hybrid", "q2"), ("hybrid", "q3"), ("bm25", "q1"),
    ]  # fmt: skip
    first = lines[0]
    assert first["citations"][0] == {
        "doc": "a.txt", "section": "第一章", "start": 7, "end": 14, "relevant": True,
    }  # fmt: skip
    assert first["first_relevant_rank"] == 2 and first["key_points_missed"] == ["四百亿元"]
    assert first["latency_s"] == 1.0 and len(first["hits"]) == 5

    summary = files.summary.read_text(encoding="utf-8")
    for heading in ("## Overall", "## Configurations compared", "## By question type"):
        assert heading in summary
    assert "| hybrid | 3 | 0.500 |" in summary and "| bm25 | 3 | 0.000 |" in summary
    worst_part = summary.split("## Worst 5 questions")[1]
    assert "### 1. q1 · list · a.txt" in worst_part  # wrong abstention ranks first
    assert "wrong abstention" in worst_part
    assert "### 2. q2" in worst_part and "retrieval miss" in worst_part
    assert "| BBBBB | **#1** (no evidence" in worst_part  # gold evidence beside passages
    assert "q3" not in worst_part  # correctly declined
    assert [p.name for p in files.charts] == ["hit_at_k.png", "by_type.png"]
    for path in files.charts:
        assert_png(path)
        assert f"]({path.name})" in summary


def test_single_configuration_and_argument_errors(tmp_path: Path) -> None:
    files = write_report(tmp_path, {"only": scored()}, charts=False)
    metrics = json.loads(files.metrics.read_text(encoding="utf-8"))
    assert "configurations" not in metrics and files.charts == ()
    summary = files.summary.read_text(encoding="utf-8")
    assert "Configurations compared" not in summary
    assert "answer missed key point “四百亿元”" in summary
    with pytest.raises(ValueError, match="primary"):
        write_report(tmp_path, {"only": scored()}, primary="other", charts=False)
    with pytest.raises(ValueError, match="at least one"):
        write_report(tmp_path, {}, charts=False)


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


def test_charts_are_png_even_with_cjk_labels(tmp_path: Path) -> None:
    curve = hit_curve_chart({"混合": [0.5, 0.8, 1.0], "bm25": [0.2, None, 0.6]}, tmp_path / "c.png")
    bars = type_bars_chart({"fact": (1.0, 0.5), "unanswerable": (None, None)}, tmp_path / "b.png")
    assert_png(curve)
    assert_png(bars)


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
    assert qrels_lines([Q1, Q2, Q3], chunks, DOCS) == [
        "q1 0 P2 1", "q1 0 P3 1", "q2 0 P4 1", "q2 0 P5 1",
    ]  # fmt: skip
