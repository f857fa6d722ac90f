"""The JSON shape of answers and passages that `ask --json/--jsonl` and the eval read."""

from __future__ import annotations

from typing import Any

from rag.types import SECTION_SEP, Answer, Cell, Chunk, Citation, Hit, Table, TableRow

TOP_HITS = 10


def chunk_fields(chunk: Chunk) -> dict[str, Any]:
    """Where a passage lies and what it says: the fields every JSON shape of a chunk shares.

    `page` is present only for paged documents (PDF).
    """
    out: dict[str, Any] = {
        "doc": chunk.doc,
        "title": chunk.title,
        "region": chunk.region,
        "section": chunk.section_path,
        "start": chunk.start,
        "end": chunk.end,
        "text": chunk.text,
    }
    if chunk.page is not None:
        out["page"] = chunk.page
    return out


def chunk_record(row: int, chunk: Chunk) -> dict[str, Any]:
    """A chunk as an index stores it: its fields, what was indexed, and its table's cells."""
    record = {"row": row, "chunk_id": chunk.chunk_id, **chunk_fields(chunk)}
    record["index_text"] = chunk.index_text
    if chunk.table is not None:
        record["table"] = _table_record(chunk.table)
    return record


def chunk_from_record(record: dict[str, Any]) -> Chunk:
    """The Chunk an index record describes (KeyError/TypeError/ValueError when malformed)."""
    section = record["section"]
    table = record.get("table")
    return Chunk(
        chunk_id=record["chunk_id"],
        doc=record["doc"],
        title=record["title"],
        region=record["region"],
        section=tuple(section.split(SECTION_SEP)) if section else (),
        start=int(record["start"]),
        end=int(record["end"]),
        text=record["text"],
        index_text=record["index_text"],
        page=record.get("page"),
        table=None if table is None else _table_from_record(table),
    )


def _table_record(table: Table) -> dict[str, Any]:
    return {
        "start": table.start,
        "end": table.end,
        "title": table.title,
        "columns": list(table.columns),
        "rows": [
            {
                "start": r.start,
                "end": r.end,
                "group": r.group,
                "cells": [[c.text, c.start, c.end] for c in r.cells],
            }
            for r in table.rows
        ],
    }


def _table_from_record(record: dict[str, Any]) -> Table:
    rows = tuple(
        TableRow(
            int(r["start"]),
            int(r["end"]),
            tuple(Cell(str(t), int(a), int(b)) for t, a, b in r["cells"]),
            str(r.get("group", "")),
        )
        for r in record["rows"]
    )
    return Table(
        int(record["start"]),
        int(record["end"]),
        str(record["title"]),
        tuple(record["columns"]),
        rows,
    )


def passage(hit: Hit, n: int | None = None) -> dict[str, Any]:
    """A passage as docs/design.md's `Passage` object (n only for citations)."""
    out: dict[str, Any] = {"n": n} if n is not None else {}
    out.update(chunk_fields(hit.chunk), score=round(hit.score, 6))
    return out


def citation(c: Citation) -> dict[str, Any]:
    """A cited passage with the source offsets of its cited sentences."""
    return passage(c.hit, c.n) | {"spans": [list(s) for s in c.spans]}


def answer_record(answer: Answer, qid: object = None) -> dict[str, Any]:
    """One output object of `ask --json` / `ask --jsonl`."""
    record: dict[str, Any] = {"id": qid} if qid is not None else {}
    record.update(
        question=answer.question,
        answer=answer.text,
        abstained=answer.abstained,
        mode=answer.mode,
        notices=list(answer.notices),
        citations=[citation(c) for c in answer.citations],
        hits=[passage(h) for h in answer.hits[:TOP_HITS]],
    )
    return record
