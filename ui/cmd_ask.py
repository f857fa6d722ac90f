"""`policyqa ask`: one question answered readably or as JSON, or a JSONL batch."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from index.paths import DEFAULT_INDEX

if TYPE_CHECKING:
    from index.service import QAService
    from rag.types import Answer


class BatchInputError(ValueError):
    """A line of the --jsonl input is not a {"id", "question"} object."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `ask`."""
    ask = subparsers.add_parser(
        "ask",
        help="answer a question (or a JSONL batch) from the index",
        description=(
            "Answer a question from the indexed documents: verbatim sentences with [n]\n"
            "citations, or 未在已收录的文件中找到相关内容。 when the documents don't say.\n"
            'Batch: --jsonl FILE (or - for stdin) with one {"id", "question"} per line;\n'
            "one JSON result per line is written to stdout in input order."
        ),
    )
    ask.add_argument("question", nargs="?", help="the question, e.g. 新乡高新区的氢能目标是什么")
    ask.add_argument("--jsonl", metavar="FILE", help="batch input file, or - for stdin")
    ask.add_argument(
        "--index", type=Path, default=DEFAULT_INDEX, metavar="DIR",
        help=f"index folder (default: {DEFAULT_INDEX})",
    )  # fmt: skip
    ask.add_argument("--k", type=int, default=None, metavar="N", help="passages to retrieve (10)")
    ask.add_argument("--region", help="only search this region's documents")
    ask.add_argument("--doc", help="only search this document (path relative to --docs)")
    ask.add_argument("--json", action="store_true", help="print the result as one JSON object")
    ask.set_defaults(run=run)


def error_codes() -> dict[type[Exception], int]:
    """Bad questions and batch lines are bad input (exit 2)."""
    from rag.answering.query import QuestionError

    return {QuestionError: 2, BatchInputError: 2}


def run(args: argparse.Namespace) -> int:
    """Answer the question or the batch."""
    if (args.question is None) == (args.jsonl is None):
        print("policyqa ask: give a question or --jsonl FILE (not both)", file=sys.stderr)
        return 2
    from index.config import load_settings
    from index.service import QAService

    overrides = {"retrieval.k": args.k} if args.k else {}
    service = QAService.open(args.index, load_settings(args.config, overrides))
    if args.jsonl is not None:
        return _batch(service, args.jsonl, sys.stdout)
    answer = service.ask(args.question, region=args.region, doc=args.doc)
    if args.json:
        from rag.serialize import answer_record

        print(json.dumps(answer_record(answer), ensure_ascii=False))
    else:
        print(format_answer(answer, service))
    return 0


def _batch(service: QAService, source: str, out: TextIO) -> int:
    from rag.answering.query import QuestionError
    from rag.serialize import answer_record

    with _open_batch(source) as stream:
        for line_no, line in _numbered_lines(stream, source):
            if not line.strip():
                continue
            item = _parse_line(line, source, line_no)
            try:
                answer = service.ask(item["question"])
            except QuestionError as err:
                raise BatchInputError(f"{source}:{line_no}: {err}") from err
            out.write(json.dumps(answer_record(answer, item.get("id")), ensure_ascii=False) + "\n")
            out.flush()
    return 0


def _open_batch(source: str) -> TextIO:
    if source == "-":
        return sys.stdin
    try:
        return open(source, encoding="utf-8")  # closed by the caller's `with`
    except OSError as err:
        raise BatchInputError(f"{source}: cannot read the batch file ({err.strerror})") from err


def _numbered_lines(stream: TextIO, source: str) -> Iterator[tuple[int, str]]:
    try:
        yield from enumerate(stream, start=1)
    except UnicodeDecodeError as err:
        # Decoding runs ahead in blocks, so the failing line is not known exactly.
        raise BatchInputError(
            f"{source}: not UTF-8 text ({err.reason}); save the batch file as UTF-8"
        ) from err


def _parse_line(line: str, source: str, line_no: int) -> dict[str, Any]:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as err:
        raise BatchInputError(
            f'{source}:{line_no}: not JSON ({err.msg}); expected {{"id", "question"}}'
        ) from err
    if not isinstance(item, dict) or not isinstance(item.get("question"), str):
        raise BatchInputError(f'{source}:{line_no}: field "question" (a string) is missing')
    return item


def format_answer(answer: Answer, service: QAService) -> str:
    """The answer, then each cited source with title, date, section path and cited sentences."""
    lines = [answer.text]
    lines.extend(f"（{n}）" for n in answer.notices)
    if answer.citations:
        lines.append("\n来源：")
    for c in answer.citations:
        chunk = c.hit.chunk
        meta = service.docs.get(chunk.doc)
        date = f"（{meta.date}）" if meta and meta.date else ""
        lines.append(f"[{c.n}] {chunk.title}{date} › {chunk.section_path}")
        for start, end in c.spans:
            lines.append(f"    {chunk.text[start - chunk.start : end - chunk.start]}")
    if answer.abstained and answer.hits:
        lines.append("\n可能相关：")
        for hit in answer.hits[:3]:
            lines.append(f"- {hit.chunk.title} › {hit.chunk.section_path}")
    return "\n".join(lines)
