"""Section-aware chunking: one lowest-level section per passage, long ones cut at sentences."""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Callable, Iterator, Sequence

from rag.config import ChunkSettings
from rag.reading.clean import boilerplate_spans
from rag.reading.sections import build_sections, find_headings
from rag.reading.tables import find_tables, row_text, table_header_text
from rag.types import SECTION_SEP, Chunk, SourceDoc, Table, TableRow

CHUNKER_VERSION = "sections-2"
PREAMBLE = "前言"
# Paragraphs, lines, then sentence ends, then clause marks; both full-width and
# ASCII forms, since converted pages often carry ASCII punctuation.
SEPARATORS = ["\n\n", "\n", "[。！？；;!?]", "[，、：,:]", ""]
_WS = " \t\r\n\u3000\xa0"
_CONTENT = re.compile(r"[\u4e00-\u9fff0-9A-Za-z]")


def chunk_document(
    doc: SourceDoc, settings: ChunkSettings, progress: Callable[[int], None] | None = None
) -> list[Chunk]:
    """Cut a document into passages that never cross a section boundary.

    `progress` is told the offset reached after each section, so a huge document shows
    how far chunking has come.
    """
    if settings.strategy == "recursive":
        return _plain_chunks(doc, settings)
    if settings.strategy != "sections":
        raise ValueError(
            f"chunking.strategy: unknown {settings.strategy!r}; use sections or recursive"
        )
    skip = boilerplate_spans(doc.text)
    sections = build_sections(doc.text, find_headings(doc.text, skip))
    chunks: list[Chunk] = []
    for start, end, path in _regions(doc.text, sections):
        for piece_start, piece_end in _subtract(start, end, skip):
            for s, e, body, table in _split_region(doc.text, piece_start, piece_end, settings):
                chunks.append(_make_chunk(doc, path, s, e, body, settings.headers, table))
        if progress is not None:
            progress(end)
    return chunks


def _plain_chunks(doc: SourceDoc, settings: ChunkSettings) -> list[Chunk]:
    """The baseline: the splitter's default separators over the raw text, no headers."""
    # Imported here: langchain pulls in pydantic, which `policyqa --help` need not load.
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=settings.max_chars, chunk_overlap=settings.overlap_chars, add_start_index=True
    )
    return [
        _make_chunk(
            doc,
            (PREAMBLE,),
            d.metadata["start_index"],
            d.metadata["start_index"] + len(d.page_content),
            d.page_content,
            False,
        )
        for d in splitter.create_documents([doc.text])
        if d.metadata["start_index"] >= 0
    ]


def _regions(text: str, sections: Sequence) -> Iterator[tuple[int, int, tuple[str, ...]]]:
    """Each section's own text: from after its heading to the next heading of any level."""
    first = sections[0].start if sections else len(text)
    yield 0, first, (PREAMBLE,)
    for i, section in enumerate(sections):
        stop = sections[i + 1].start if i + 1 < len(sections) else section.end
        yield section.body_start, max(section.body_start, stop), section.path


def _subtract(start: int, end: int, skip: Sequence[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """text[start:end] without the sorted, disjoint `skip` spans."""
    pos = start
    # Spans before the one holding or following `start` end before it: start there.
    first = max(0, bisect.bisect_right(skip, (start, start)) - 1)
    for k in range(first, len(skip)):
        a, b = skip[k]
        if b <= pos:
            continue
        if a >= end:
            break
        if a > pos:
            yield pos, a
        pos = max(pos, b)
    if pos < end:
        yield pos, end


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _WS:
        start += 1
    while end > start and text[end - 1] in _WS:
        end -= 1
    return start, end


Piece = tuple[int, int, str, Table | None]  # start, end, readable body, table rows held


def _split_region(text: str, start: int, end: int, settings: ChunkSettings) -> Iterator[Piece]:
    """Passages of text[start:end] as (start, end, readable body, table); tables become rows."""
    pos = start
    for table in find_tables(text, start, end):
        if table.start < pos:
            continue  # a table found inside another one's span
        for s, e, body in _split_prose(text, pos, table.start, settings):
            yield s, e, body, None
        yield from _split_table(table, settings)
        pos = table.end
    for s, e, body in _split_prose(text, pos, end, settings):
        yield s, e, body, None


def _split_prose(
    text: str, start: int, end: int, settings: ChunkSettings
) -> Iterator[tuple[int, int, str]]:
    start, end = _trim(text, start, end)
    if not _CONTENT.search(text[start:end]):
        return
    if end - start <= settings.max_chars:
        yield start, end, text[start:end]
        return
    for piece_start, piece in _recursive_split(text[start:end], settings):
        s = start + piece_start
        if text[s : s + len(piece)] != piece:
            raise AssertionError(f"splitter moved text at offset {s}")
        if _CONTENT.search(piece):
            yield s, s + len(piece), piece


def _recursive_split(text: str, settings: ChunkSettings) -> list[tuple[int, str]]:
    # Imported here: langchain pulls in pydantic, which `policyqa --help` need not load.
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=settings.max_chars,
        chunk_overlap=settings.overlap_chars,
        separators=SEPARATORS,
        keep_separator="end",
        is_separator_regex=True,
        add_start_index=True,
    )
    return [(d.metadata["start_index"], d.page_content) for d in splitter.create_documents([text])]


def _split_table(table: Table, settings: ChunkSettings) -> Iterator[Piece]:
    """Row groups that each repeat the table's title and header."""
    header = table_header_text(table)
    groups: list[list[TableRow]] = [[]]
    size = len(header)
    for row in table.rows:
        line = row_text(table, row)
        if groups[-1] and size + len(line) > settings.max_chars:
            groups.append([])
            size = len(header)
        groups[-1].append(row)
        size += len(line) + 1
    for i, group in enumerate(groups):
        first = table.start if i == 0 else group[0].start  # the first group keeps the title
        held = Table(first, group[-1].end, table.title, table.columns, tuple(group))
        lines = [header, *(row_text(table, r) for r in group)]
        yield first, group[-1].end, "\n".join(lines), held


def context_header(title: str, region: str, section: Sequence[str]) -> str:
    """The line that tells the embedder and BM25 where a passage sits."""
    parts = [p for p in (region, title, SECTION_SEP.join(section)) if p]
    return " · ".join(parts)


def _make_chunk(
    doc: SourceDoc,
    path: tuple[str, ...],
    start: int,
    end: int,
    body: str,
    headers: bool,
    table: Table | None = None,
) -> Chunk:
    text = doc.text[start:end]
    digest = hashlib.sha256(f"{doc.path}\0{start}\0{end}\0{text}".encode()).hexdigest()[:16]
    header = context_header(doc.meta.title, doc.meta.region, path) if headers else ""
    return Chunk(
        chunk_id=digest,
        doc=doc.path,
        title=doc.meta.title,
        region=doc.meta.region,
        section=path,
        start=start,
        end=end,
        text=text,
        index_text=f"{header}\n{body}" if header else body,
        page=doc.page_at(start),
        table=table,
    )
