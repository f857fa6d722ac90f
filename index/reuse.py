"""What a build reuses: cached tokens and vectors, and the model loaded only when needed.

`LazyTokenizer` and `LazyEncoder` stand in for jieba and the embedding model during a
build: both answer from the index root's cache (index/embed_cache.py) and load the real
thing only for a passage the cache lacks, so an unchanged rebuild loads neither.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import numpy as np

from index.embed_cache import EmbeddingCache
from index.freshness import model_stamp
from index.store import make_tokenizer
from rag.answering.units import UNITS_VERSION, unit_spans
from rag.config import EmbeddingSettings
from rag.tokenize import ChineseTokenizer, tokenizer_settings
from rag.types import Chunk

if TYPE_CHECKING:
    from index.embedder import Encoder

BuildProgress = Callable[[str, int, int], None]


def batch_vectors(
    batch: Sequence[Chunk], encoder: LazyEncoder, cache: EmbeddingCache
) -> tuple[np.ndarray, list[np.ndarray], int]:
    """Passage vectors and unit vectors of a batch, from the cache or newly made (committed
    to the cache at once); and how many were made."""
    keys = [encoder.key(c.index_text) for c in batch]
    cached = cache.get(keys, encoder.dim)
    todo = [i for i, key in enumerate(keys) if key not in cached]
    made: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}
    if todo:
        # Lazy: the pooling code needs torch, loaded along with the model.
        from index.unit_vectors import encode_with_units

        fresh, fresh_units = encode_with_units(
            encoder.encoder(),
            [batch[i].index_text for i in todo],
            [unit_spans(batch[i]) for i in todo],
        )
        made = {keys[i]: (fresh[j], fresh_units[j].astype(np.float16)) for j, i in enumerate(todo)}
        cache.put((key, vector, units) for key, (vector, units) in made.items())
    found = {**cached, **made}
    vectors = np.stack([found[key][0] for key in keys]).astype(np.float32)
    return vectors, [found[key][1] for key in keys], len(made)


class LazyTokenizer:
    """The BM25 tokenizer, built (jieba's dictionary loaded) only for a passage whose tokens
    are not in the cache under these tokenizer settings."""

    def __init__(self, user_words: list[str], cache: EmbeddingCache) -> None:
        """Remember the user words; the manifest entry needs no jieba."""
        self.user_words = user_words
        self.settings = tokenizer_settings(user_words)
        text = json.dumps(self.settings, ensure_ascii=False, sort_keys=True)
        self._prefix = hashlib.sha256(text.encode("utf-8")).digest()
        self._cache = cache
        self._tokenizer: ChineseTokenizer | None = None

    def tokens(self, texts: Sequence[str]) -> list[list[str]]:
        """Each text's tokens, from the cache or tokenized now (and cached)."""
        keys = [hashlib.sha256(self._prefix + t.encode("utf-8")).digest() for t in texts]
        found = self._cache.get_tokens(keys)
        missing = [(key, text) for key, text in zip(keys, texts, strict=True) if key not in found]
        if missing:
            if self._tokenizer is None:
                self._tokenizer = make_tokenizer(self.user_words)
            made = {key: self._tokenizer.tokens(text) for key, text in missing}
            self._cache.put_tokens(made.items())
            found.update(made)
        return [found[key] for key in keys]


class LazyEncoder:
    """The build's encoder, loaded only when a passage is missing from the cache.

    The model's fingerprint (part of every cache key) is remembered in the cache by a
    stamp of the model's files and the encoder settings, so an unchanged rebuild knows it
    without loading the weights; loading them checks that the stamp still tells the truth.
    """

    def __init__(
        self, settings: EmbeddingSettings, cache: EmbeddingCache, progress: BuildProgress
    ) -> None:
        """Look the model up in the cache; load it when it was never seen."""
        self.settings = settings
        self._cache = cache
        self._progress = progress
        self._encoder: Encoder | None = None
        self.stamp = _model_stamp(settings)
        known = cache.model(self.stamp)
        if known is None:
            self._load()
        else:
            self.fingerprint, self.dim = known

    def encoder(self) -> Encoder:
        """The loaded encoder (loading it now if needed)."""
        if self._encoder is None:
            known = self.fingerprint
            encoder = self._load()
            if encoder.fingerprint != known:
                from index.embedder import EmbeddingModelError

                raise EmbeddingModelError(
                    f"model {self.settings.model!r} changed without its files' sizes or times "
                    "changing; its fingerprint is now recorded: run the build again"
                )
        assert self._encoder is not None
        return self._encoder

    def _load(self) -> Encoder:
        # Lazy: the encoder pulls in torch and sentence-transformers.
        from index.embedder import Encoder

        self._progress("model", 0, 1)
        encoder = Encoder.load(self.settings)
        self._progress("model", 1, 1)
        self._cache.remember_model(self.stamp, encoder.fingerprint, encoder.dim)
        self._encoder, self.fingerprint, self.dim = encoder, encoder.fingerprint, encoder.dim
        return encoder

    def key(self, index_text: str) -> bytes:
        """What identifies a passage's vectors: fingerprint, prompt, length, units, text."""
        s = self.settings
        parts = (
            self.fingerprint,
            s.passage_prompt,
            str(s.max_seq_length),
            UNITS_VERSION,
            index_text,
        )
        return hashlib.sha256("\0".join(parts).encode("utf-8")).digest()

    def entry(self) -> dict[str, Any]:
        """The manifest's embedding section: settings plus what identifies the weights."""
        return {
            **asdict(self.settings),
            "model_id": self.settings.model,
            "fingerprint": self.fingerprint,
            "dim": self.dim,
            "units": UNITS_VERSION,
        }


def _model_stamp(settings: EmbeddingSettings) -> str:
    """The model's files and every encoder setting that changes its fingerprint."""
    # Lazy: the embedder module is light; torch is imported only when a model loads.
    from index.embedder import guessed_device, resolved_precision

    device = guessed_device(settings.backend)
    shaping = [
        model_stamp(settings.model),
        settings.backend,
        device,
        resolved_precision(device),
        settings.query_prompt,
        settings.passage_prompt,
        settings.max_seq_length,
    ]
    return json.dumps(shaping, ensure_ascii=False)
