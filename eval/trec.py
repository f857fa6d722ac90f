"""TREC run and qrels files, so retrieval can be checked with trec_eval or ranx as well."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from eval.gold import GoldItem
from eval.metrics import gold_spans, passage_covers
from rag.types import Chunk, Hit

logger = logging.getLogger(__name__)

_TIE_STEP = 1e-6


def run_lines(runs: Mapping[str, Sequence[Hit]], tag: str) -> list[str]:
    """`qid Q0 chunk_id rank score tag` lines for each question's hits, in rank order.

    trec_eval orders a run by score, not by the rank column, and breaks ties by docid; so a
    score that does not fall strictly below the one before is lowered just below it, to keep
    the order the system returned.
    """
    if not tag or any(ch.isspace() for ch in tag):
        raise ValueError(f"TREC run tag must be one word without spaces, got {tag!r}")
    lines: list[str] = []
    for qid, hits in runs.items():
        previous = math.inf
        for rank, hit in enumerate(hits, start=1):
            score = min(float(hit.score), previous - _TIE_STEP)
            previous = score
            lines.append(f"{qid} Q0 {hit.chunk.chunk_id} {rank} {score!r} {tag}")
    return lines


def qrels_lines(
    items: Sequence[GoldItem], chunks: Sequence[Chunk], doc_texts: Mapping[str, str]
) -> list[str]:
    """`qid 0 chunk_id 1` for every chunk of the index that covers gold evidence."""
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc, []).append(chunk)
    lines: list[str] = []
    for item in items:
        if not item.answerable:
            continue
        spans = gold_spans(item, doc_texts)  # ValueError when a document's text is missing
        relevant = [
            c.chunk_id
            for doc in item.docs
            for c in by_doc.get(doc, [])
            if passage_covers((c.doc, c.start, c.end), spans)
        ]
        if not relevant:
            logger.warning(
                "gold question %s: no chunk of %s covers its evidence", item.id, item.docs
            )
        lines += [f"{item.id} 0 {chunk_id} 1" for chunk_id in relevant]
    return lines


def write_run(path: Path, runs: Mapping[str, Sequence[Hit]], tag: str) -> Path:
    """Write a TREC run file (see `run_lines`)."""
    path.write_text("".join(line + "\n" for line in run_lines(runs, tag)), encoding="utf-8")
    return path


def write_qrels(
    path: Path, items: Sequence[GoldItem], chunks: Sequence[Chunk], doc_texts: Mapping[str, str]
) -> Path:
    """Write a TREC qrels file (see `qrels_lines`)."""
    lines = qrels_lines(items, chunks, doc_texts)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path
