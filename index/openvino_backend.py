"""The encoder's forward pass on OpenVINO: the same weights, converted once, run on the CPU.

`[embedding] backend = "openvino"` (install the extra `policy-qa[openvino]`) converts the
model's transformer with `openvino.convert_model` straight from the loaded PyTorch module
and caches the IR under the models folder, keyed by the weights' fingerprint and the
precision. Tokenizing stays in Python; mean pooling and normalization are done here the
way sentence-transformers' Pooling and Normalize modules do them, and the token
embeddings are returned too, so sentence and table-row vectors (late chunking) work
unchanged. Models whose pipeline is not Transformer → mean Pooling (→ Normalize) are
refused with the reason.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import uuid
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.embedder import EmbeddingModelError
from index.paths import models_dir

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)


class OpenVINOUnavailable(EmbeddingModelError):
    """The openvino backend is configured but cannot run this model here."""


class OpenVINORunner:
    """A compiled OpenVINO model of one sentence-transformers encoder."""

    def __init__(self, model: SentenceTransformer, fingerprint: str, bf16: bool) -> None:
        """Convert (once, cached) and compile `model`'s transformer for the CPU."""
        try:
            import openvino as ov
        except ImportError as err:
            raise OpenVINOUnavailable(
                '[embedding] backend = "openvino" needs OpenVINO: '
                "pip install 'policy-qa[openvino]'"
            ) from err
        _check_pipeline(model)
        precision = "bf16" if bf16 else "f32"
        folder = models_dir() / "openvino" / f"{fingerprint[:16]}-{precision}"
        xml = folder / "model.xml"
        if not xml.is_file():
            _convert(ov, model, folder)
        # One stream per core, one request per stream: like the torch path, each batch
        # runs on one core while the others run theirs (threads do not wait on each other).
        config = {
            "INFERENCE_PRECISION_HINT": precision,
            "PERFORMANCE_HINT": "THROUGHPUT",
            "NUM_STREAMS": str(max(1, len(os.sched_getaffinity(0)))),
        }
        self._compiled = ov.Core().compile_model(str(xml), "CPU", config)
        self._names = [port.get_any_name() for port in self._compiled.inputs]
        self._local = threading.local()
        log.info("OpenVINO encoder compiled from %s (%s)", xml, precision)

    def __call__(self, features: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """Token embeddings and normalized mean-pooled vectors for tokenized texts."""
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self._compiled.create_infer_request()
        feed = {name: np.asarray(features[name].numpy(), dtype=np.int64) for name in self._names}
        result = request.infer(feed)
        tokens = np.asarray(result[self._compiled.outputs[0]], dtype=np.float32)
        mask = np.asarray(features["attention_mask"].numpy(), dtype=np.float32)[..., None]
        pooled = (tokens * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return tokens, (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def encode(self, texts: list[str], model: SentenceTransformer) -> np.ndarray:
        """Normalized vectors of already prompted texts."""
        features = model.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=model.max_seq_length,
            return_tensors="pt",
        )
        return self(dict(features))[1]


def _check_pipeline(model: SentenceTransformer) -> None:
    modules = list(model.children())
    kinds = [type(m).__name__ for m in modules]
    pooling = modules[1] if len(modules) > 1 else None
    mean_only = pooling is not None and (
        getattr(pooling, "pooling_mode", None) == "mean"
        or getattr(pooling, "pooling_mode_mean_tokens", False)
    )
    mean_only = mean_only and getattr(pooling, "include_prompt", True)
    if (
        kinds[:2] != ["Transformer", "Pooling"]
        or not mean_only
        or kinds[2:] not in ([], ["Normalize"])
    ):
        raise OpenVINOUnavailable(
            f"the openvino backend runs Transformer → mean Pooling (→ Normalize) models; this "
            f'one is {" → ".join(kinds)}: use [embedding] backend = "torch"'
        )


def _convert(ov: Any, model: SentenceTransformer, folder: Path) -> None:
    """Convert the transformer to OpenVINO IR in a temporary folder, then rename it in place."""
    import torch

    log.info("converting the embedding model to OpenVINO (once) into %s", folder)
    example = model.tokenizer(["passage: 示例文本"], return_tensors="pt")
    transformer = model[0].auto_model
    inputs = {
        name: example[name]
        for name in ("input_ids", "attention_mask", "token_type_ids")
        if name in example
    }
    with torch.no_grad(), warnings.catch_warnings():
        # Tracing the module makes torch and transformers warn about tracing itself (the
        # deprecated jit API, Python branches fixed at trace time); the converted graph is
        # checked against torch's vectors instead (tests/test_openvino.py).
        for category in (DeprecationWarning, FutureWarning, torch.jit.TracerWarning):
            warnings.filterwarnings("ignore", category=category)
        converted = ov.convert_model(transformer, example_input=inputs)
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = folder.parent / f".partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    ov.save_model(converted, str(partial / "model.xml"), compress_to_fp16=False)
    try:
        partial.rename(folder)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        if not (folder / "model.xml").is_file():
            raise
