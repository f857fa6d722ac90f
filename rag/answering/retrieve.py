"""Hybrid retrieval: dense ∥ BM25 within the query's scope, fused, ranked once, optionally reranked.

The retriever knows nothing of FAISS, bm25s, Milvus or files: it is composed from a
`PassageStore` (any backend that can search within a scope and fetch passages by row) and
a query encoder.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from rag.answering.fusion import fuse
from rag.answering.query import Query
from rag.answering.ranking import PassageView, passage_view, rank
from rag.answering.scope import Scope
from rag.config import RankingWeights, RetrievalSettings
from rag.types import Chunk, Hit

log = logging.getLogger(__name__)

MODES = ("hybrid", "dense", "sparse")
VIEW_CACHE = 20_000  # passages whose ranking view is kept between questions

Reranker = Callable[[str, Sequence[str]], Sequence[float]]


class PassageStore(Protocol):
    """What retrieval needs from an index, whatever holds it."""

    def dense_search(self, vector: np.ndarray, k: int, scope: Scope) -> list[tuple[int, float]]:
        """(row, similarity) of the k passages nearest to `vector` within `scope`."""
        ...

    def term_search(self, terms: Sequence[str], k: int, scope: Scope) -> list[tuple[int, float]]:
        """(row, BM25 score > 0) of the k best passages for `terms` within `scope`."""
        ...

    def passages(self, rows: Sequence[int]) -> list[Chunk]:
        """The passages at `rows`, in that order."""
        ...

    def unit_vectors(self, rows: Sequence[int]) -> list[np.ndarray]:
        """Each passage's unit vectors (rag.answering.units order), in the order of `rows`."""
        ...

    def section_rows(self, doc: str, section: tuple[str, ...], below: bool = False) -> list[int]:
        """Rows of every passage of one section of a document (and of its subsections,
        `below`), in reading order."""
        ...


@dataclass(frozen=True)
class RetrievalResult:
    """Ranked hits for a query, and the regions they come from."""

    query: Query
    hits: tuple[Hit, ...]
    regions: tuple[str, ...]  # regions of the hits, in rank order of first appearance

    @property
    def mixed_regions(self) -> bool:
        """True when a question naming no region drew passages from several regions."""
        return not self.query.scope.regions and len(self.regions) > 1


class HybridRetriever:
    """Dense ∥ BM25 over a PassageStore, fused, then ranked in one step."""

    def __init__(
        self,
        store: PassageStore,
        encode_query: Callable[[str], np.ndarray],
        settings: RetrievalSettings,
        weights: RankingWeights,
        rerank: Reranker | None = None,
    ) -> None:
        if settings.mode not in MODES:
            raise ValueError(f"retrieval.mode: unknown mode {settings.mode!r}; use {MODES}")
        self.store = store
        self.encode_query = encode_query
        self.settings = settings
        self.weights = weights
        self.rerank = rerank
        self._views: OrderedDict[int, PassageView] = OrderedDict()

    def search(
        self, query: Query, k: int | None = None, scope: Scope | None = None
    ) -> RetrievalResult:
        """Top-k passages for the query within its scope (or within `scope` instead)."""
        k = k or self.settings.k
        dense, sparse = self._runs(query, query.scope if scope is None else scope)
        w = self.weights
        runs, shares = [dense, sparse], [w.dense_weight, 1 - w.dense_weight]
        fused = fuse(w.fusion, runs, shares, w.rrf_k, max(self.settings.depth, k))
        rows = [row for row, _ in fused]
        chunks = dict(zip(rows, self.store.passages(rows), strict=True))
        ranked = rank(query, fused, self._views_of(chunks), w, self._meaning(query, rows))
        if self.rerank is not None:
            ranked = self._reranked(query, ranked, chunks)
        dense_at = {row: (i, score) for i, (row, score) in enumerate(dense, start=1)}
        sparse_at = {row: i for i, (row, _) in enumerate(sparse, start=1)}
        hits = tuple(
            Hit(
                chunks[row],
                float(score),
                position,
                dense_at.get(row, (None, None))[0],
                sparse_at.get(row),
                dense_at.get(row, (None, None))[1],
                row,
            )
            for position, (row, score) in enumerate(ranked[:k], start=1)
        )
        regions = tuple(dict.fromkeys(h.chunk.region for h in hits))
        return RetrievalResult(query, hits, regions)

    def _runs(
        self, query: Query, scope: Scope
    ) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
        mode, depth = self.settings.mode, self.settings.depth
        dense: list[tuple[int, float]] = []
        sparse: list[tuple[int, float]] = []
        if mode in ("hybrid", "dense"):
            dense = self.store.dense_search(self.encode_query(query.text), depth, scope)
        if mode in ("hybrid", "sparse") and query.search_terms:
            sparse = self.store.term_search(query.search_terms, depth, scope)
        return dense, sparse

    def _meaning(self, query: Query, rows: Sequence[int]) -> dict[int, float] | None:
        """Each row's best unit similarity to the question, when the signal is on."""
        if not self.weights.meaning or not rows or self.settings.mode == "sparse":
            return None
        vector = self.encode_query(query.text)
        return {
            row: float(np.max(units.astype(np.float32) @ vector)) if len(units) else 0.0
            for row, units in zip(rows, self.store.unit_vectors(rows), strict=True)
        }

    def _views_of(self, chunks: dict[int, Chunk]) -> dict[int, PassageView]:
        views = {}
        for row, chunk in chunks.items():
            view = self._views.get(row)
            if view is None:
                view = self._views[row] = passage_view(chunk)
                if len(self._views) > VIEW_CACHE:
                    self._views.popitem(last=False)
            views[row] = view
        return views

    def _reranked(
        self, query: Query, ranked: list[tuple[int, float]], chunks: dict[int, Chunk]
    ) -> list[tuple[int, float]]:
        assert self.rerank is not None
        head = ranked[: self.settings.rerank_depth]
        scores = self.rerank(query.text, [chunks[row].index_text for row, _ in head])
        reordered = sorted(zip((r for r, _ in head), scores, strict=True), key=lambda x: -x[1])
        return [(row, float(score)) for row, score in reordered] + ranked[len(head) :]
