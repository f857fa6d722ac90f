"""Hybrid retrieval on a real (tiny-model) index: scoping, zero scores, k, question checks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from index.service import QAService
from index.store import open_index
from rag.answering.query import MAX_QUESTION_CHARS, QuestionError
from tests.small_corpus import build_small_index


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> QAService:
    index, settings = build_small_index(tmp_path_factory.mktemp("small"), tiny_model_dir)
    return QAService(open_index(index), settings)


def test_a_named_region_limits_every_hit_to_it(service: QAService) -> None:
    result = service.retrieve("襄阳高新区的氢能产业有什么规划")
    assert result.query.scope.regions == ("襄阳高新区",)
    assert result.hits and {h.chunk.region for h in result.hits} == {"襄阳高新区"}
    result = service.retrieve("新乡高新区的氢能目标是什么")
    assert {h.chunk.region for h in result.hits} == {"新乡高新区"}
    assert "加氢站" in result.hits[0].chunk.text


def test_an_unscoped_question_says_when_regions_mix(service: QAService) -> None:
    result = service.retrieve("氢能产业有什么规划")
    assert not result.query.scope.regions
    assert result.mixed_regions
    assert set(result.regions) == {"新乡高新区", "襄阳高新区"}


def test_explicit_region_filter(service: QAService) -> None:
    result = service.retrieve("氢能产业有什么规划", region="襄阳高新区")
    assert {h.chunk.region for h in result.hits} == {"襄阳高新区"}


def test_out_of_vocabulary_question_ranks_no_zero_score_bm25_hits(service: QAService) -> None:
    sparse_only = dataclasses.replace(service.settings.retrieval, mode="sparse")
    retriever = service.retriever
    retriever.settings, saved = sparse_only, retriever.settings
    try:
        result = service.retrieve("qwxz zzyy")
    finally:
        retriever.settings = saved
    assert result.hits == ()
    assert service.index.sparse_search(["qwxz"], 10) == []


def test_k_larger_than_the_index(service: QAService) -> None:
    n = len(service.index.chunks)
    result = service.retrieve("高新技术企业数量", k=n + 50)
    assert 0 < len(result.hits) <= n
    assert [h.rank for h in result.hits] == list(range(1, len(result.hits) + 1))
    assert all(0 <= row < n for row, _ in service.index.dense_search(np.ones(32) / 32**0.5, n + 5))


def test_hits_carry_offsets_into_the_source(service: QAService) -> None:
    from tests.small_corpus import DOCS

    for hit in service.retrieve("新乡高新区高新技术企业总数").hits:
        c = hit.chunk
        assert DOCS[c.doc][c.start : c.end] == c.text
        assert c.section and c.title


@pytest.mark.parametrize("question", ["", "   \n", "问" * (MAX_QUESTION_CHARS + 1)])
def test_empty_or_overlong_questions_are_refused(service: QAService, question: str) -> None:
    with pytest.raises(QuestionError):
        service.retrieve(question)
