"""Ranking signals of the hybrid retriever, on hand-made passages with injected searchers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rag.answering.hints import TARGET, hint_boost, passage_scopes, question_scopes
from rag.answering.retrieve import HybridRetriever
from rag.config import RetrievalSettings
from rag.types import Chunk, DocMeta

SCATTERED = "推进孵化器建设。完善体系。加快安排建设进度。"
FOCUSED = "优化提升孵化体系建设,完善创业服务。其他工作。"


def _chunk(row: int, text: str) -> Chunk:
    return Chunk(f"c{row}", "plan.txt", "规划", "新乡高新区", ("第三章",), 0, len(text), text, text)


def _retriever(weight: float) -> HybridRetriever:
    chunks = [_chunk(0, SCATTERED), _chunk(1, FOCUSED)]

    def dense(vector: np.ndarray, k: int, rows: Sequence[int] | None) -> list[tuple[int, float]]:
        return [(0, 0.9), (1, 0.8)]

    def sparse(terms: list[str], k: int, rows: Sequence[int] | None) -> list[tuple[int, float]]:
        return [(1, 2.0), (0, 1.0)]  # a tie with dense under RRF

    settings = RetrievalSettings(hint_weight=0, heading_weight=0, sentence_weight=weight)
    return HybridRetriever(
        chunks,
        {"plan.txt": DocMeta(title="规划", region="新乡高新区")},
        lambda q: np.zeros(4, dtype=np.float32),
        dense,
        sparse,
        lambda text: list(text),
        settings,
    )


def test_a_passage_answering_in_one_sentence_wins_a_tie() -> None:
    question = "孵化体系建设"
    assert _retriever(0.0).search(question).hits[0].chunk.text == SCATTERED  # row order
    assert _retriever(0.05).search(question).hits[0].chunk.text == FOCUSED


def test_a_section_headed_by_a_time_scope_is_hinted_more_than_a_mention() -> None:
    wanted = question_scopes("到“十四五”末工业总产值要做到多大规模")
    assert TARGET in wanted
    headed = Chunk("a", "p", "规划", "", ("第一章", "3.发展目标"), 0, 4, "人口规模", "人口规模")
    mention = Chunk("b", "p", "规划", "", ("第四章",), 0, 9, "到2025年建成园区", "")
    other = Chunk("c", "p", "规划", "", ("第一章", "1.发展基础"), 0, 4, "完成任务", "")
    boosts = [hint_boost(wanted, passage_scopes(c), 0.1) for c in (headed, mention, other)]
    assert boosts[0] > boosts[1] > boosts[2] == 1.0
