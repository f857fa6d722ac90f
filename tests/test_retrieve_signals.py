"""The one ranking step, on hand-made passages behind a store that returns fixed runs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rag.answering.ranking import passage_view, time_match
from rag.answering.retrieve import HybridRetriever
from rag.answering.scope import Scope
from rag.config import RankingWeights, RetrievalSettings
from rag.types import Cell, Chunk, Table, TableRow
from tests.queries import query

SCATTERED = "推进孵化器建设。完善体系。加快安排建设进度。"
FOCUSED = "优化提升孵化体系建设,完善创业服务。其他工作。"


def _chunk(row: int, text: str) -> Chunk:
    return Chunk(f"c{row}", "plan.txt", "规划", "新乡高新区", ("第三章",), 0, len(text), text, text)


class TwoRuns:
    """A store whose dense and BM25 runs disagree on two passages (a tie under RRF)."""

    chunks = (_chunk(0, SCATTERED), _chunk(1, FOCUSED))

    def dense_search(self, vector: np.ndarray, k: int, scope: Scope) -> list[tuple[int, float]]:
        return [(0, 0.9), (1, 0.8)]

    def term_search(self, terms: Sequence[str], k: int, scope: Scope) -> list[tuple[int, float]]:
        return [(1, 2.0), (0, 1.0)]

    def passages(self, rows: Sequence[int]) -> list[Chunk]:
        return [self.chunks[row] for row in rows]


def _retriever(sentence: float) -> HybridRetriever:
    weights = RankingWeights(meaning=0, heading=0, time_scope=0, sentence=sentence)
    encode = lambda q: np.zeros(4, dtype=np.float32)  # noqa: E731
    return HybridRetriever(TwoRuns(), encode, RetrievalSettings(), weights)


def test_a_passage_answering_in_one_sentence_wins_a_tie() -> None:
    q = query("孵化体系建设")
    assert _retriever(0.0).search(q).hits[0].chunk.text == SCATTERED  # row order
    assert _retriever(0.05).search(q).hits[0].chunk.text == FOCUSED


def test_a_section_headed_by_a_time_scope_is_hinted_more_than_a_mention() -> None:
    q = query("到“十四五”末工业总产值要做到多大规模")
    headed = Chunk("a", "p", "规划", "", ("第一章", "3.发展目标"), 0, 4, "人口规模", "人口规模")
    mention = Chunk("b", "p", "规划", "", ("第四章",), 0, 9, "到2025年建成园区", "")
    other = Chunk("c", "p", "规划", "", ("第一章", "1.发展基础"), 0, 4, "完成任务", "")
    weights = RankingWeights()
    matches = [time_match(q, passage_view(c), weights) for c in (headed, mention, other)]
    assert matches == [weights.own_heading_scope, 1.0, 0.0]


def test_a_table_row_read_with_its_column_headers_holds_the_question_together() -> None:
    # The source flattens the table into one cell per line: no line says which year.
    text = "高新技术企业数\n家\n32\n69"
    cells = (Cell("高新技术企业数", 0, 7), Cell("家", 8, 9), Cell("32", 10, 12), Cell("69", 13, 15))
    table = Table(
        0, 15, "", ("指标", "单位", "2016年完成值", "2020年完成值"), (TableRow(0, 15, cells),)
    )
    chunk = Chunk("t", "p", "规划", "", ("第一章",), 0, 15, text, text, table=table)
    sentences = passage_view(chunk).sentences
    assert sentences == ("高新技术企业数 | 家 | 2016年完成值 32 | 2020年完成值 69",)
    assert query("高新技术企业数2020年完成值").share(sentences[0]) == 1.0
