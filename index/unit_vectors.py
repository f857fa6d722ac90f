"""Vectors for each sentence and table row of a passage, pooled from the passage's own encoding.

The answer layer scores candidate sentences by meaning. Encoding every sentence on its own
would double the build (sentences hold as many tokens as the passages) and lose their
context; instead each unit's vector is the mean of the passage's contextual token
embeddings over the unit's characters ("late chunking", Günther et al., 2024), taken from
the same forward pass that makes the passage vector, so it costs almost nothing extra.
A model without token-level outputs (a static bag of tokens) encodes units on their own.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from index.embedder import check_finite

if TYPE_CHECKING:
    from index.embedder import Encoder

Spans = Sequence[tuple[int, int]]


def encode_with_units(
    encoder: Encoder,
    texts: Sequence[str],
    spans: Sequence[Spans],
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Passage vectors (n, dim) and, per passage, its units' vectors (units, dim), unit length.

    `spans[i]` are character spans within `texts[i]` (no prompt); a unit whose characters
    fall past the model's length limit gets its passage's vector.
    """
    if not _has_token_outputs(encoder):
        passages = encoder.encode_passages(texts, progress)
        pieces = [[text[a:b] for a, b in unit] for text, unit in zip(texts, spans, strict=True)]
        flat = encoder.encode_passages([p for ps in pieces for p in ps])
        bounds = np.cumsum([0, *map(len, pieces)])
        return passages, [flat[a:b] for a, b in itertools.pairwise(bounds)]
    passages = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    units: list[np.ndarray] = [np.zeros((0, encoder.dim), np.float32)] * len(texts)
    done = 0

    def work(rows: list[int]) -> tuple[np.ndarray, list[np.ndarray]]:
        return _encode_batch(encoder, [texts[i] for i in rows], [spans[i] for i in rows])

    for rows, (vectors, pooled) in encoder.run_batches(encoder.batches(texts), work):
        passages[rows] = vectors
        for row, unit_vectors in zip(rows, pooled, strict=True):
            units[row] = unit_vectors
        done += len(rows)
        if progress is not None:
            progress(done)
    check_finite(passages, encoder.model_id)
    return passages, units


def _has_token_outputs(encoder: Encoder) -> bool:
    first = next(iter(encoder.model.children()), None)
    return hasattr(first, "auto_model") and encoder.model.tokenizer is not None


def _encode_batch(
    encoder: Encoder, texts: list[str], spans: list[Spans]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """One forward pass: normalized passage vectors and the pooled vectors of their units."""
    model, prompt = encoder.model, encoder.settings.passage_prompt
    features = model.tokenizer(
        [prompt + t for t in texts],
        padding=True,
        truncation=True,
        max_length=model.max_seq_length,
        return_tensors="pt",
        return_offsets_mapping=True,
    )
    offsets = features.pop("offset_mapping").numpy() - len(prompt)
    tokens, passages = encoder.forward(dict(features))
    mask = features["attention_mask"].numpy().astype(bool)
    pooled = [
        _pool(tokens[i], offsets[i], mask[i], spans[i], passages[i]) for i in range(len(texts))
    ]
    return passages.astype(np.float32), pooled


def _pool(
    tokens: np.ndarray, offsets: np.ndarray, mask: np.ndarray, spans: Spans, fallback: np.ndarray
) -> np.ndarray:
    """Mean of the token embeddings overlapping each span, normalized."""
    real = mask & (offsets[:, 1] > offsets[:, 0]) & (offsets[:, 1] > 0)
    out = np.zeros((len(spans), tokens.shape[1]), dtype=np.float32)
    for j, (a, b) in enumerate(spans):
        chosen = real & (offsets[:, 0] < b) & (offsets[:, 1] > a)
        if not chosen.any():
            out[j] = fallback
            continue
        vector = tokens[chosen].mean(axis=0)
        norm = float(np.linalg.norm(vector))
        out[j] = vector / norm if norm > 0 else fallback
    return out
