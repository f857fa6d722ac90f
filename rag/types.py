"""Frozen records passed between layers: documents, chunks, hits, citations, answers."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

SECTION_SEP = " › "


@dataclass(frozen=True)
class DocMeta:
    """What staff need to know about a document to trust a citation from it."""

    title: str = ""
    region: str = ""
    issuer: str = ""
    # The document's own date (成文日期: signed under its text, or adopted by a meeting),
    # else its publication date; ISO yyyy-mm-dd, or "" when neither is stated.
    date: str = ""
    doc_number: str = ""  # 文号, e.g. 新开〔2021〕91号
    period: str = ""  # plan period, e.g. 2021-2025
    published: str = ""  # when a web page published it (发布日期), ISO yyyy-mm-dd, or ""


@dataclass(frozen=True)
class SourceDoc:
    """A decoded document: `text` is the base of every character offset."""

    path: str  # relative to the documents folder, "/"-separated
    text: str
    meta: DocMeta = field(default_factory=DocMeta)
    # For PDFs: start offset of each page in `text` (page i starts at page_starts[i]).
    page_starts: tuple[int, ...] = ()

    def page_at(self, offset: int) -> int | None:
        """1-based page holding `offset`, or None for documents without pages."""
        if not self.page_starts:
            return None
        return max(1, bisect.bisect_right(self.page_starts, offset))


@dataclass(frozen=True)
class Section:
    """One heading of the document tree and the span of text it governs."""

    level: int  # 1 = outermost heading kind found in the document
    heading: str  # display form, whitespace collapsed
    start: int  # offset of the heading line in the source
    body_start: int  # first offset after the heading
    end: int  # end of the section (exclusive), including subsections
    path: tuple[str, ...]  # headings from the outermost down to this one


@dataclass(frozen=True)
class Cell:
    """One table cell: its text and where it sits in the source (-1, -1 for a missing cell)."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class TableRow:
    """One row of a table: its cells aligned with the table's columns, and its group label."""

    start: int  # source span of the row's cells
    end: int
    cells: tuple[Cell, ...]
    group: str = ""  # a category label the row sits under (经济活力指标(3项)), or ""


@dataclass(frozen=True)
class Table:
    """A table of a document (or the rows of it one passage holds), with its column names."""

    start: int
    end: int
    title: str
    columns: tuple[str, ...]
    rows: tuple[TableRow, ...]


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: `text == source.text[start:end]` always holds."""

    chunk_id: str  # stable content hash of doc + offsets + text
    doc: str
    title: str
    region: str
    section: tuple[str, ...]
    start: int
    end: int
    text: str
    # What is embedded and BM25-indexed: context header + readable text
    # (flattened tables rebuilt into rows). Never shown as a quotation.
    index_text: str
    page: int | None = None
    table: Table | None = None  # the table rows the passage holds, cell by cell

    @property
    def section_path(self) -> str:
        """Section headings joined for display: 第四章 … › 第二节 …."""
        return SECTION_SEP.join(self.section)


@dataclass(frozen=True)
class Hit:
    """A chunk retrieved for a question, with its fused score and rank (1-based)."""

    chunk: Chunk
    score: float
    rank: int
    dense_rank: int | None = None
    sparse_rank: int | None = None
    dense_score: float | None = None  # cosine similarity to the question, when dense ran
    row: int = -1  # the passage's row in its index (-1 when unknown)


@dataclass(frozen=True)
class Citation:
    """A passage an answer cites as [n], with the cited sentence spans in the source."""

    n: int
    hit: Hit
    spans: tuple[tuple[int, int], ...] = ()  # source offsets of the cited sentences


@dataclass(frozen=True)
class Answer:
    """What CLI, batch, UI and eval all receive for a question."""

    question: str
    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    mode: str = "extractive"  # "extractive" | "llm"
    notices: tuple[str, ...] = ()
    hits: tuple[Hit, ...] = ()
    support: float | None = None  # evidence strength the abstention decision read
