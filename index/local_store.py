"""An opened build as the retriever's store: scopes become precomputed row arrays.

Opening sorts the rows by document once (chunk_docs.npy), so each document's rows and
each region's rows are array slices; a question's scope becomes its rows by joining a
few slices (or one vectorized pass over the documents' table for a scope of many
documents), cached for repeated scopes. Nothing per question walks the passages.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from index.chunk_store import rows_of_section
from index.store import OpenIndex
from rag.answering.scope import Scope
from rag.types import Chunk

SCOPES_CACHED = 64  # distinct scopes whose rows are kept between questions
_FEW_DOCS = 64  # up to this many documents, a scope's rows are joined slice by slice


class LocalStore:
    """The PassageStore of a build folder opened on this machine."""

    def __init__(self, index: OpenIndex) -> None:
        """Index the rows of each document and each region once."""
        self.index = index
        self.doc_paths = list(index.docs)
        self._doc_number = {path: i for i, path in enumerate(self.doc_paths)}
        doc_ids = np.asarray(index.chunks.doc_ids, dtype=np.int32)
        self._row_doc = doc_ids
        self._by_doc = np.argsort(doc_ids, kind="stable").astype(np.int64)
        bounds = np.searchsorted(doc_ids[self._by_doc], np.arange(len(self.doc_paths) + 1))
        self._doc_bounds = bounds
        regions = sorted({m.region for m in index.docs.values()})
        self._region_number = {region: i for i, region in enumerate(regions)}
        self._doc_region = np.asarray(
            [self._region_number[m.region] for m in index.docs.values()], dtype=np.int32
        )
        self._region_rows = {
            region: np.sort(np.concatenate([self._slice(d) for d in docs]))
            for region, docs in self._docs_by_region().items()
        }
        self._scopes: OrderedDict[Scope, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def _docs_by_region(self) -> dict[str, list[int]]:
        by_region: dict[str, list[int]] = {}
        for number, meta in enumerate(self.index.docs.values()):
            by_region.setdefault(meta.region, []).append(number)
        return by_region

    def _slice(self, doc_number: int) -> np.ndarray:
        start, end = self._doc_bounds[doc_number], self._doc_bounds[doc_number + 1]
        return self._by_doc[start:end]

    def doc_rows(self, doc: str) -> np.ndarray:
        """The rows of one document, ascending (empty when the index lacks it)."""
        number = self._doc_number.get(doc)
        return np.zeros(0, dtype=np.int64) if number is None else self._slice(number)

    def rows(self, scope: Scope) -> np.ndarray | None:
        """The rows inside `scope`, sorted; None when the scope excludes nothing."""
        selection = self._selection(scope)
        return None if selection is None else selection[0]

    def _selection(self, scope: Scope) -> tuple[np.ndarray, np.ndarray] | None:
        """(sorted rows, boolean mask over rows) of a limited scope, cached."""
        if not scope.limited:
            return None
        with self._lock:
            cached = self._scopes.get(scope)
            if cached is not None:
                self._scopes.move_to_end(scope)
                return cached
        rows = self._scope_rows(scope)
        mask = np.zeros(len(self._row_doc), dtype=bool)
        mask[rows] = True
        with self._lock:
            self._scopes[scope] = (rows, mask)
            if len(self._scopes) > SCOPES_CACHED:
                self._scopes.popitem(last=False)
        return rows, mask

    def _scope_rows(self, scope: Scope) -> np.ndarray:
        if not scope.docs:
            parts = [self._region_rows[r] for r in scope.regions if r in self._region_rows]
            return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
        numbers = [self._doc_number[d] for d in scope.docs if d in self._doc_number]
        if scope.regions:
            wanted = {self._region_number[r] for r in scope.regions if r in self._region_number}
            numbers = [n for n in numbers if int(self._doc_region[n]) in wanted]
        if not numbers:
            return np.zeros(0, dtype=np.int64)
        if len(numbers) <= _FEW_DOCS:
            return np.sort(np.concatenate([self._slice(n) for n in numbers]))
        allowed = np.zeros(len(self.doc_paths), dtype=bool)
        allowed[numbers] = True
        return np.flatnonzero(allowed[self._row_doc]).astype(np.int64)

    def dense_search(self, vector: np.ndarray, k: int, scope: Scope) -> list[tuple[int, float]]:
        """(row, similarity) of the k nearest passages within `scope`."""
        return self.index.dense.search(vector, k, self.rows(scope))

    def term_search(self, terms: Sequence[str], k: int, scope: Scope) -> list[tuple[int, float]]:
        """(row, BM25 score > 0) of the k best passages within `scope`."""
        selection = self._selection(scope)
        return self.index.sparse.search(list(terms), k, None if selection is None else selection[1])

    def passages(self, rows: Sequence[int]) -> list[Chunk]:
        """The passages at `rows`, in that order."""
        return [self.index.chunks[int(row)] for row in rows]

    def unit_vectors(self, rows: Sequence[int]) -> list[np.ndarray]:
        """Each passage's unit vectors (units, dim), in the order of `rows`."""
        return [np.asarray(self.index.units[int(row)], dtype=np.float32) for row in rows]

    def section_rows(self, doc: str, section: tuple[str, ...], below: bool = False) -> list[int]:
        """Rows of every passage of one section of a document (and of its subsections,
        `below`), in source order."""
        return rows_of_section(self, doc, section, below)

    def known_term(self, term: str) -> bool:
        """Whether any passage holds the BM25 term."""
        return self.index.sparse.known(term)
