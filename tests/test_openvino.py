"""The OpenVINO encoder backend: same vectors as torch (cosine ≥ 0.9999), unit vectors too."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("openvino")

from index.embedder import Encoder
from index.openvino_backend import OpenVINOUnavailable
from index.unit_vectors import encode_with_units

TEXTS = [
    "新乡高新区大力发展氢能产业，到2025年建成加氢站5座。氢能产值达到100亿元。",
    "河源高新区推进电子信息产业集群发展。完善交通基础设施，建设高速公路网络。",
]
SPANS = [[(0, 18), (19, 31)], [(0, 17), (18, 35)]]


@pytest.mark.slow
def test_openvino_vectors_match_torch_passages_units_and_queries(default_encoder: Encoder) -> None:
    ov = Encoder.load(replace(default_encoder.settings, backend="openvino"))
    assert ov.fingerprint != default_encoder.fingerprint  # never mixed in one cache or index
    torch_vectors, torch_units = encode_with_units(default_encoder, TEXTS, SPANS)
    ov_vectors, ov_units = encode_with_units(ov, TEXTS, SPANS)
    assert np.min(np.sum(torch_vectors * ov_vectors, axis=1)) >= 0.9999
    for a, b in zip(torch_units, ov_units, strict=True):
        assert a.shape == b.shape == (2, default_encoder.dim)
        assert np.min(np.sum(a * b, axis=1)) >= 0.9999
    query = ["新乡高新区的氢能目标是什么"]
    cosine = float(default_encoder.encode_queries(query)[0] @ ov.encode_queries(query)[0])
    assert cosine >= 0.9999


def test_a_model_openvino_cannot_run_is_refused_with_the_reason(tiny_model_dir) -> None:
    from rag.config import EmbeddingSettings

    settings = EmbeddingSettings(model=str(tiny_model_dir), backend="openvino")
    with pytest.raises(OpenVINOUnavailable, match='backend = "torch"'):
        Encoder.load(settings)
