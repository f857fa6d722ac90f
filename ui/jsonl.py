"""Reading `ask --jsonl` input line by line, so one bad line is reported and the rest go on."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from rag.answering.query import QuestionError, validate_question


@dataclass(frozen=True)
class BatchLine:
    """One non-blank input line: its id and question, or why it cannot be asked."""

    number: int
    id: object
    question: str
    error: str | None = None
    source: str = "-"

    @property
    def where(self) -> str:
        """`file:line`, for error messages."""
        return f"{self.source}:{self.number}"


def read_batch(stream: BinaryIO, source: str) -> Iterator[BatchLine]:
    """Every non-blank line of `stream` (bytes), decoded and checked one line at a time.

    A UTF-8 byte order mark at the start is skipped; a line that is not UTF-8, not a
    JSON object with a string "question", or whose question is empty, too long or not
    valid text comes back with `error` set instead of stopping the batch.
    """
    for number, raw in enumerate(stream, start=1):
        data = raw.removeprefix(codecs.BOM_UTF8) if number == 1 else raw
        if not data.strip():
            continue
        yield _parse(data, number, source)


def _parse(data: bytes, number: int, source: str) -> BatchLine:
    where = f"{source}:{number}"

    def failed(reason: str, qid: object = None) -> BatchLine:
        return BatchLine(number, qid, "", f"{where}: {reason}", source)

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        return failed(f"not UTF-8 (byte {err.start + 1} of the line); save the file as UTF-8")
    try:
        item = json.loads(text)
    except json.JSONDecodeError as err:
        return failed(f'not JSON ({err.msg}); expected {{"id", "question"}}')
    if not isinstance(item, dict):
        return failed('field "question" (a string) is missing; expected {"id", "question"}')
    qid, question = item.get("id"), item.get("question")
    if not isinstance(question, str):
        return failed('field "question" (a string) is missing', qid)
    try:
        question.encode("utf-8")
    except UnicodeEncodeError as err:
        return failed(
            f"the question holds an invalid character at position {err.start + 1} "
            "(an unpaired surrogate escape); fix the line",
            qid,
        )
    try:
        validate_question(question)
    except QuestionError as err:
        return failed(str(err), qid)
    return BatchLine(number, qid, question, None, source)
