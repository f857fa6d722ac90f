"""Fusion functions checked by hand on a 5-passage example."""

from __future__ import annotations

import pytest

from rag.answering.fusion import fuse, min_max, reciprocal_rank_fusion, weighted_fusion

# Two runs over passages 0..4, best first.
DENSE = [(0, 0.9), (1, 0.8), (2, 0.7)]
SPARSE = [(2, 12.0), (3, 6.0), (0, 3.0)]


def test_rrf_sums_reciprocal_ranks_by_hand() -> None:
    fused = dict(reciprocal_rank_fusion([DENSE, SPARSE], rrf_k=60, k=10))
    assert fused[0] == pytest.approx(1 / 61 + 1 / 63)
    assert fused[2] == pytest.approx(1 / 63 + 1 / 61)
    assert fused[1] == pytest.approx(1 / 62)
    assert fused[3] == pytest.approx(1 / 62)
    assert 4 not in fused  # retrieved by neither run


def test_rrf_orders_by_score_then_row_and_cuts_at_k() -> None:
    fused = reciprocal_rank_fusion([DENSE, SPARSE], rrf_k=60, k=3)
    assert [row for row, _ in fused] == [0, 2, 1]  # 0 and 2 tie; 1 and 3 tie: lower row first


def test_rrf_k_is_smoothing_not_a_cutoff() -> None:
    small_k = dict(reciprocal_rank_fusion([DENSE], rrf_k=1, k=10))
    assert small_k[0] == pytest.approx(1 / 2)
    assert len(small_k) == 3


def test_min_max_scales_to_unit_range() -> None:
    assert min_max(SPARSE) == [(2, 1.0), (3, pytest.approx(1 / 3)), (0, 0.0)]
    assert min_max([(4, 5.0)]) == [(4, 1.0)]
    assert min_max([]) == []


def test_weighted_fusion_by_hand() -> None:
    fused = dict(weighted_fusion([DENSE, SPARSE], [0.7, 0.3], k=10))
    # dense normalized: 0 -> 1, 1 -> 0.5, 2 -> 0; sparse: 2 -> 1, 3 -> 1/3, 0 -> 0
    assert fused[0] == pytest.approx(0.7)
    assert fused[1] == pytest.approx(0.35)
    assert fused[2] == pytest.approx(0.3)
    assert fused[3] == pytest.approx(0.1)


def test_weighted_fusion_needs_one_weight_per_run() -> None:
    with pytest.raises(ValueError, match="2 runs but 1 weights"):
        weighted_fusion([DENSE, SPARSE], [1.0])


def test_fuse_dispatches_and_names_the_setting_on_error() -> None:
    assert fuse("rrf", [DENSE], [1.0], 60, 2) == reciprocal_rank_fusion([DENSE], 60, 2)
    assert fuse("weighted", [DENSE], [1.0], 60, 2) == weighted_fusion([DENSE], [1.0], 2)
    with pytest.raises(ValueError, match=r"retrieval\.fusion"):
        fuse("borda", [DENSE], [1.0], 60, 2)


def test_empty_runs_fuse_to_nothing() -> None:
    assert reciprocal_rank_fusion([[], []]) == []
    assert weighted_fusion([[], []], [0.5, 0.5]) == []
