"""The CI gate: the default configuration on the dev gold set, with the default model.

Run alone with `pytest -m gate`. The harness's figures are also recomputed
independently from `policyqa ask --jsonl` output, with docs/design.md's definitions.
"""

from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from pathlib import Path

import pytest

from eval.harness import evaluate
from rag.config import Settings
from tests.conftest import CORPUS, ROOT
from ui.cli import main

GOLD = ROOT / "eval" / "gold" / "dev.jsonl"
THRESHOLDS = ROOT / "eval" / "thresholds.toml"

pytestmark = pytest.mark.gate


@pytest.fixture(scope="module")
def report(corpus_index: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("report")
    evaluate(GOLD, CORPUS, corpus_index, Settings(), out)
    return json.loads((out / "metrics.json").read_text(encoding="utf-8"))


def test_dev_metrics_stay_above_the_thresholds(report: dict) -> None:
    limits = tomllib.loads(THRESHOLDS.read_text(encoding="utf-8"))
    overall = report["overall"]
    low = {k: (overall[k], v) for k, v in limits["min"].items() if overall[k] < v}
    high = {k: (overall[k], v) for k, v in limits["max"].items() if overall[k] > v}
    assert not low and not high, f"below minimum: {low}; above maximum: {high}"


def _norm(text: str) -> str:
    return "".join(
        ch for ch in unicodedata.normalize("NFKC", text).lower()
        if not unicodedata.category(ch).startswith(("P", "Z", "S")) or ch in "%."
    )  # fmt: skip


def _covers(p: dict, doc: str, spans: list[tuple[int, int]]) -> bool:
    return p["doc"] == doc and any(
        min(p["end"], b) - max(p["start"], a) >= (b - a) / 2 for a, b in spans
    )


def test_harness_agrees_with_an_independent_count_from_ask_jsonl(
    report: dict, corpus_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line]
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        "".join(json.dumps({"id": g["id"], "question": g["question"]}) + "\n" for g in gold),
        encoding="utf-8",
    )
    assert main(["ask", "--jsonl", str(questions), "--index", str(corpus_index)]) == 0
    answers = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [a["id"] for a in answers] == [g["id"] for g in gold]
    hit1 = hit5 = rr = kp = 0.0
    answerable = [(g, a) for g, a in zip(gold, answers, strict=True) if g["doc"]]
    for g, a in answerable:
        text = (CORPUS / g["doc"]).read_text(encoding="utf-8")
        spans = [
            (m.start(), m.end()) for e in g["evidence"] for m in re.finditer(re.escape(e), text)
        ]
        ranks = [i for i, p in enumerate(a["hits"][:10], 1) if _covers(p, g["doc"], spans)]
        hit1 += bool(ranks and ranks[0] == 1)
        hit5 += bool(ranks and ranks[0] <= 5)
        rr += 1 / ranks[0] if ranks else 0.0
        kp += sum(_norm(k) in _norm(a["answer"]) for k in g["key_points"]) / len(g["key_points"])
    n = len(answerable)
    overall = report["overall"]
    assert hit1 / n == pytest.approx(overall["hit@1"], abs=1e-3)
    assert hit5 / n == pytest.approx(overall["hit@5"], abs=1e-3)
    assert rr / n == pytest.approx(overall["mrr@10"], abs=1e-3)
    assert kp / n == pytest.approx(overall["key_point_recall"], abs=1e-3)
    declined = [a["abstained"] for g, a in zip(gold, answers, strict=True) if not g["doc"]]
    assert sum(declined) / len(declined) == pytest.approx(overall["abstention_recall"], abs=1e-3)


def test_the_hydrogen_example(corpus_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "新乡高新区的氢能目标是什么", "--json", "--index", str(corpus_index)]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert not answer["abstained"]
    for target in (
        "电堆企业1-2家",
        "动力系统企业2-3家",
        "关键装备及零部件企业6-10家",
        "3-5座加氢站",
    ):
        assert target in answer["answer"]
    assert "襄阳" not in answer["answer"]
    sections = [c["section"] for c in answer["citations"] if c["doc"].startswith("001_")]
    assert any(s.startswith("第四章") and s.endswith("第二节做精做强主导产业") for s in sections)
