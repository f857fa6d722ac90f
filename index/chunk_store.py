"""What the QA service needs from wherever the passages live: this machine's build folder
(`LocalStore`) or a Milvus cluster (`MilvusStore`).

Both rank the same way: dense and term search run in the store, within the question's
scope (a region and document filter); fusion, boosts and answers stay in the project.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from rag.answering.scope import Scope
from rag.types import Chunk


class ChunkStore(Protocol):
    """Dense search, term search, passages and unit vectors by row, sections, vocabulary."""

    def dense_search(self, vector: np.ndarray, k: int, scope: Scope) -> list[tuple[int, float]]:
        """(row, similarity) of the k passages nearest to `vector` within `scope`, best first."""
        ...

    def term_search(self, terms: Sequence[str], k: int, scope: Scope) -> list[tuple[int, float]]:
        """(row, BM25 score > 0) of the k best passages for `terms` within `scope`."""
        ...

    def passages(self, rows: Sequence[int]) -> list[Chunk]:
        """The passages at `rows`, in that order."""
        ...

    def unit_vectors(self, rows: Sequence[int]) -> list[np.ndarray]:
        """Each passage's unit vectors (units, dim) float32, in the order of `rows`."""
        ...

    def doc_rows(self, doc: str) -> np.ndarray:
        """The rows of one document, ascending."""
        ...

    def section_rows(self, doc: str, section: tuple[str, ...]) -> list[int]:
        """Rows of every passage of one section of a document, in source order."""
        ...

    def known_term(self, term: str) -> bool:
        """Whether any passage holds the BM25 term."""
        ...


def rows_of_section(store: ChunkStore, doc: str, section: tuple[str, ...]) -> list[int]:
    """Rows of the passages of one section of `doc`, in source order (any store)."""
    rows = [int(r) for r in store.doc_rows(doc)]
    pairs = zip(rows, store.passages(rows), strict=True)
    return [r for r, c in sorted(pairs, key=lambda p: p[1].start) if c.section == section]
