"""What an answer can quote from a passage: its sentences, or the rows of the table it holds.

Units are derived from a chunk alone, the same way at build time (their vectors are pooled
from the passage's own encoding, see index.embedder) and at answer time, so unit i of a
passage always pairs with vector i of that passage.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.reading.tables import row_text
from rag.sentences import sentence_spans
from rag.types import Chunk, TableRow

UNITS_VERSION = "units-2"  # bump when units() changes: stored unit vectors must be remade


@dataclass(frozen=True)
class Unit:
    """A sentence or a table row of a passage."""

    position: int  # its place among the passage's units
    start: int  # source span (a row: from its first to its last cell)
    end: int
    text: str  # as read: the sentence verbatim, or the row as `label | unit | 2019年完成值 68.2`
    index_start: int  # its span within the passage's index_text (where its tokens are)
    index_end: int
    row: TableRow | None = None


def units(chunk: Chunk) -> list[Unit]:
    """The passage's units in reading order."""
    if chunk.table is not None:
        return _row_units(chunk)
    body = _body_offset(chunk)
    out = []
    for i, (start, end) in enumerate(sentence_spans(chunk.text, chunk.start)):
        local = start - chunk.start
        out.append(
            Unit(
                i,
                start,
                end,
                chunk.text[local : end - chunk.start],
                body + local,
                body + end - chunk.start,
            )
        )
    return out


def unit_spans(chunk: Chunk) -> list[tuple[int, int]]:
    """Each unit's span within the passage's index_text, for pooling its vector."""
    return [(u.index_start, u.index_end) for u in units(chunk)]


def _body_offset(chunk: Chunk) -> int:
    """Where the passage's own text starts in its index_text (after the context header)."""
    if chunk.index_text.endswith(chunk.text):
        return len(chunk.index_text) - len(chunk.text)
    return 0


def _row_units(chunk: Chunk) -> list[Unit]:
    table = chunk.table
    assert table is not None
    out = []
    search_from = 0
    for i, row in enumerate(table.rows):
        line = row_text(table, row)
        at = chunk.index_text.find(line, search_from)
        if at < 0:
            at = search_from
        else:
            search_from = at + len(line)
        out.append(Unit(i, row.start, row.end, line, at, at + len(line), row))
    return out
