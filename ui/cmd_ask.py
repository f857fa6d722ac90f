"""`policyqa ask`: one question answered readably or as JSON, or a JSONL batch."""

from __future__ import annotations

import argparse
import codecs
import contextlib
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from index.paths import DEFAULT_INDEX
from rag.reading.tables import row_text
from ui.checks import IndexCatalog, UsageError, check_readable_file, check_text, positive_int
from ui.render import rewrite_line

if TYPE_CHECKING:
    from index.service import QAService
    from rag.types import Answer, Citation


class BatchInputError(ValueError):
    """Lines of the --jsonl input could not be answered; each has an {"id", "error"} output."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `ask`."""
    ask = subparsers.add_parser(
        "ask",
        help="answer a question (or a JSONL batch) from the index",
        description=(
            "Answer a question from the indexed documents: verbatim sentences with [n]\n"
            "citations, or 未在已收录的文件中找到相关内容。 when the documents don't say.\n"
            'Batch: --jsonl FILE (or - for stdin) with one {"id", "question"} per line;\n'
            "one JSON result per line is written to stdout in input order. A line that\n"
            'cannot be answered becomes {"id", "error"} in its place; the rest go on, and\n'
            "the exit code is 2 when any line failed."
        ),
    )
    ask.add_argument("question", nargs="?", help="the question, e.g. 新乡高新区的氢能目标是什么")
    ask.add_argument("--jsonl", metavar="FILE", help="batch input file, or - for stdin")
    ask.add_argument(
        "--index", type=Path, default=DEFAULT_INDEX, metavar="DIR",
        help=f"index folder (default: {DEFAULT_INDEX})",
    )  # fmt: skip
    ask.add_argument(
        "--k", type=positive_int, default=None, metavar="N",
        help="passages to retrieve, at least 1 (default: [retrieval] k, 10)",
    )  # fmt: skip
    ask.add_argument(
        "--region", help="only search this region's documents (a name or short form: 新乡)"
    )
    ask.add_argument(
        "--doc",
        help="only search this document: its file name, its path as typed "
        "(corpus/001_….txt) or a fragment of its title",
    )
    ask.add_argument(
        "--history", type=Path, metavar="FILE",
        help="earlier questions of the conversation, one per line, oldest first (UTF-8): "
        "the question may be a follow-up of them",
    )  # fmt: skip
    ask.add_argument("--json", action="store_true", help="print the result as one JSON object")
    ask.set_defaults(run=run)


def error_codes() -> dict[type[Exception], int]:
    """Bad questions and batch lines are bad input (exit 2)."""
    from rag.answering.query import QuestionError

    return {QuestionError: 2, BatchInputError: 2}


def run(args: argparse.Namespace) -> int:
    """Check every argument, then load the index and answer the question or the batch."""
    from rag.answering.query import validate_question

    if (args.question is None) == (args.jsonl is None):
        raise UsageError("give a question or --jsonl FILE (not both); see `policyqa ask --help`")
    if args.question is not None:
        validate_question(check_text(args.question, "the question"))
    if args.history is not None and args.jsonl is not None:
        raise UsageError(
            "--history goes with one question, not with --jsonl: batch lines stand alone"
        )
    history = read_history(args.history) if args.history is not None else []
    if args.jsonl not in (None, "-"):
        check_readable_file(Path(args.jsonl), "--jsonl file")
    region, doc = IndexCatalog.read(args.index).resolve_scope(args.region, args.doc)

    from index.config import load_settings
    from index.service import QAService

    overrides = {"retrieval.k": args.k} if args.k else {}
    service = QAService.open(args.index, load_settings(args.config, overrides))
    if args.jsonl is not None:
        with _open_batch(args.jsonl) as batch:
            return _batch(service, batch, args.jsonl, region, doc)
    _answer_one(service, args.question.strip(), history, region, doc, args.json)
    return 0


def _answer_one(
    service: QAService,
    asked: str,
    history: list[str],
    region: str | None,
    doc: str | None,
    as_json: bool,
) -> None:
    """Print the answer to `asked`, completed from `history` when it is a follow-up."""
    answer = service.ask(completed(service, history, asked), region=region, doc=doc)
    rewritten = answer.question != asked
    if as_json:
        from rag.serialize import answer_record

        record = answer_record(answer)
        print(json.dumps(_with_asked(record, asked) if rewritten else record, ensure_ascii=False))
    else:
        lead = f"{rewrite_line(answer.question)}\n" if rewritten else ""
        print(lead + format_answer(answer, service))


def _with_asked(record: dict[str, Any], asked: str) -> dict[str, Any]:
    """The record with "asked" (the message as typed) just before "question" (as answered)."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key == "question":
            out["asked"] = asked
        out[key] = value
    return out


def read_history(path: Path) -> list[str]:
    """The earlier questions of a --history file, checked before anything loads.

    One question per line, oldest first; blank lines are skipped and a UTF-8 byte order
    mark is accepted. A line that is not UTF-8, or not a question that can be asked,
    is refused with its file and line.
    """
    from rag.answering.query import QuestionError, validate_question

    check_readable_file(path, "--history file")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise UsageError(f"--history file {path} cannot be read ({err.strerror})") from None
    questions = []
    for number, raw in enumerate(data.removeprefix(codecs.BOM_UTF8).splitlines(), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise UsageError(
                f"{path}:{number}: not UTF-8 (byte {err.start + 1} of the line); "
                "save the file as UTF-8"
            ) from None
        if not line.strip():
            continue
        try:
            questions.append(validate_question(line))
        except QuestionError as err:
            raise UsageError(f"{path}:{number}: {err}") from None
    return questions


def completed(service: QAService, history: list[str], message: str) -> str:
    """`message` completed from the conversation: each earlier question from the one before."""
    previous: str | None = None
    for earlier in history:
        previous = service.rewrite(earlier, previous).question
    return service.rewrite(message, previous).question


def _open_batch(source: str) -> contextlib.AbstractContextManager[BinaryIO]:
    """The batch as bytes: stdin stays open (it is not ours to close), a file is closed."""
    if source == "-":
        return contextlib.nullcontext(sys.stdin.buffer)
    try:
        return Path(source).open("rb")
    except OSError as err:
        raise UsageError(f"{source}: cannot read the batch file ({err.strerror})") from None


def _batch(
    service: QAService, stream: BinaryIO, source: str, region: str | None, doc: str | None
) -> int:
    """Answer each line in order; a line that fails is written as {"id", "error"} in its place."""
    from rag.answering.query import QuestionError
    from rag.serialize import answer_record
    from ui.jsonl import read_batch

    failed = total = 0
    for line in read_batch(stream, source):
        total += 1
        record: dict[str, Any]
        if line.error is None:
            try:
                record = answer_record(service.ask(line.question, region=region, doc=doc), line.id)
            except QuestionError as err:
                line = replace(line, error=f"{line.where}: {err}")
        if line.error is not None:
            failed += 1
            print(f"policyqa: error: {line.error}", file=sys.stderr)
            record = {"id": line.id, "error": line.error}
        _write_record(record)
    if failed:
        raise BatchInputError(
            f"{failed} of {total} lines of {source} could not be answered; "
            'their output lines hold {"id", "error"}'
        )
    return 0


def _write_record(record: dict[str, Any]) -> None:
    try:
        text = json.dumps(record, ensure_ascii=False)
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (an id from "\ud800") has no UTF-8 form: escape it, as JSON allows.
        text = json.dumps(record)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


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
        lines.extend(f"    {quote}" for quote in _quotes(c))
    if answer.abstained and answer.hits:
        lines.append("\n可能相关：")
        for hit in answer.hits[:3]:
            lines.append(f"- {hit.chunk.title} › {hit.chunk.section_path}")
    return "\n".join(lines)


def _quotes(citation: Citation) -> list[str]:
    """What the citation quotes: its sentences, or the table rows its cells belong to, each
    read with its column headers (one cell per line would not say which year a value is)."""
    chunk = citation.hit.chunk
    verbatim = [
        chunk.text[start - chunk.start : end - chunk.start] for start, end in citation.spans
    ]
    if chunk.table is None:
        return verbatim
    spans = set(citation.spans)
    quotes = []
    for row in chunk.table.rows:
        columns = frozenset(
            j for j, cell in enumerate(row.cells) if (cell.start, cell.end) in spans
        )
        if columns:
            quotes.append(row_text(chunk.table, row, columns))
    return quotes or verbatim  # spans that are no cells (an LLM's quote) stay as quoted
