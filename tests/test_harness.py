"""The eval harness end to end on a made corpus: configurations, index reuse, report files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.harness import evaluate
from index.publish import resolve_live
from index.store import read_manifest
from rag.config import EmbeddingSettings, Settings
from tests.small_corpus import DOCS

GOLD = [
    {
        "id": "Q1",
        "question": "新乡高新区的氢能目标是什么",
        "type": "explain",
        "doc": "xinxiang.txt",
        "answer": "培育燃料电池电堆企业1-2家,建设3-5座加氢站。",
        "key_points": ["电堆企业1-2家", "3-5座加氢站"],
        "evidence": ["力争培育具有影响力的燃料电池电堆企业1-2家"],
    },
    {
        "id": "Q2",
        "question": "东莞松山湖高新区的氢能目标是什么",
        "type": "unanswerable",
        "doc": None,
        "answer": None,
        "key_points": [],
        "evidence": [],
    },
]


def test_compared_configurations_keep_the_given_index_on_the_default_chunking(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(g, ensure_ascii=False) + "\n" for g in GOLD), "utf-8")
    embedding = EmbeddingSettings(model=str(tiny_model_dir), query_prompt="", passage_prompt="")
    index, out = tmp_path / "index", tmp_path / "report"
    run = evaluate(
        gold, docs, index, Settings(embedding=embedding), out, ("vanilla", "hybrid+scope")
    )
    assert read_manifest(resolve_live(index))["chunking"]["strategy"] == "sections"
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert set(metrics["configurations"]) == {"vanilla", "hybrid+scope"}
    assert run.primary == "hybrid+scope"
    assert run.overall["hit@1"] == pytest.approx(1.0)
    assert run.overall["abstention_recall"] == pytest.approx(1.0)
    for name in ("per_item.jsonl", "summary.md", "qrels.txt", "run.vanilla.trec", "hit_at_k.png"):
        assert (out / name).stat().st_size > 0
