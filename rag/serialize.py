"""The JSON shape of answers and passages that `ask --json/--jsonl` and the eval read."""

from __future__ import annotations

from typing import Any

from rag.types import Answer, Chunk, Citation, Hit

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
