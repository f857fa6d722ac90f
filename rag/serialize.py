"""The JSON shape of answers and passages that `ask --json/--jsonl` and the eval read."""

from __future__ import annotations

from typing import Any

from rag.types import Answer, Hit

TOP_HITS = 10


def passage(hit: Hit, n: int | None = None) -> dict[str, Any]:
    """A passage as DESIGN.md's `Passage` object (n only for citations)."""
    c = hit.chunk
    out: dict[str, Any] = {"n": n} if n is not None else {}
    out.update(
        doc=c.doc,
        title=c.title,
        region=c.region,
        section=c.section_path,
        start=c.start,
        end=c.end,
        text=c.text,
        score=round(hit.score, 6),
    )
    if c.page is not None:
        out["page"] = c.page
    return out


def answer_record(answer: Answer, qid: object = None) -> dict[str, Any]:
    """One output object of `ask --json` / `ask --jsonl`."""
    record: dict[str, Any] = {"id": qid} if qid is not None else {}
    record.update(
        question=answer.question,
        answer=answer.text,
        abstained=answer.abstained,
        mode=answer.mode,
        notices=list(answer.notices),
        citations=[
            passage(c.hit, c.n) | {"spans": [list(s) for s in c.spans]} for c in answer.citations
        ],
        hits=[passage(h) for h in answer.hits[:TOP_HITS]],
    )
    return record
