"""What the QA service needs from wherever the passages live: this machine's build folder
(`LocalStore`) or a Milvus cluster (`MilvusStore`).

Both rank the same way: dense and term search run in the store, within the question's
scope (a region and document filter); fusion, boosts and answers stay in the project.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from rag.answering.retrieve import PassageStore


class ChunkStore(PassageStore, Protocol):
    """What retrieval and answers read (PassageStore), and what the service adds: a
    document's rows and the BM25 vocabulary."""

    def doc_rows(self, doc: str) -> np.ndarray:
        """The rows of one document, ascending."""
        ...

    def known_term(self, term: str) -> bool:
        """Whether any passage holds the BM25 term."""
        ...


def rows_of_section(
    store: ChunkStore, doc: str, section: tuple[str, ...], below: bool = False
) -> list[int]:
    """Rows of the passages of one section of `doc` (and of its subsections, `below`), in
    source order (any store)."""
    rows = [int(r) for r in store.doc_rows(doc)]
    pairs = sorted(zip(rows, store.passages(rows), strict=True), key=lambda p: p[1].start)
    if below:
        return [r for r, c in pairs if c.section[: len(section)] == section]
    return [r for r, c in pairs if c.section == section]
