"""The gold question sets: load one, or refuse it whole with every problem listed."""

from __future__ import annotations

import codecs
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

logger = logging.getLogger(__name__)

QUESTION_TYPES = ("fact", "list", "explain", "paraphrase", "unanswerable")
UNANSWERABLE = "unanswerable"
FIELDS = ("id", "question", "type", "doc", "answer", "key_points", "evidence")
OPTIONAL_FIELDS = ("tags",)
# How a question is asked (any number of these) ...
STYLE_TAGS = ("colloquial", "abbrev", "table", "unscoped", "compare", "paraphrase")
# ... and, for an unanswerable question, what kind of trap it is (at most one).
JUNK = "junk"
TRAP_TAGS = ("trap:zone", "trap:figure", "trap:year", "trap:adjacent", "trap:2035", JUNK)
TAGS = STYLE_TAGS + TRAP_TAGS
PROBLEMS_SHOWN = 5  # problems spelled out in the one-line error message; all are kept


class GoldSetError(ValueError):
    """The gold set cannot be used; `problems` lists each one as `file:line: field: what to do`.

    The message is one line (the CLI prints it as is): the count and the first problems.
    """

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = tuple(problems)
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        shown = " | ".join(problems[:PROBLEMS_SHOWN])
        more = len(problems) - PROBLEMS_SHOWN
        tail = f" | … and {more} more" if more > 0 else ""
        super().__init__(f"gold set {path} has {count}: {shown}{tail}")


@dataclass(frozen=True)
class GoldItem:
    """One gold question: what a correct answer says and the verbatim evidence that supports it."""

    id: str
    question: str
    type: str  # one of QUESTION_TYPES
    docs: tuple[str, ...]  # paths relative to the documents folder; () when unanswerable
    answer: str | None  # reference answer; None allowed when unanswerable
    key_points: tuple[str, ...]
    evidence: tuple[str, ...]  # each string occurs verbatim in one of `docs`
    tags: tuple[str, ...] = ()  # from TAGS

    @property
    def answerable(self) -> bool:
        """Whether the documents answer this question (so retrieval metrics apply)."""
        return self.type != UNANSWERABLE

    @property
    def junk(self) -> bool:
        """Whether the question is junk (not a question at all), a kind of trap."""
        return JUNK in self.tags

    @property
    def multi_doc(self) -> bool:
        """Whether several documents answer it (an unscoped question or a comparison)."""
        return len(self.docs) > 1


def load_gold(path: Path, doc_texts: Mapping[str, str] | None = None) -> list[GoldItem]:
    """Read a gold JSONL file, checking every line; with `doc_texts`, also check evidence."""
    try:
        raw = path.read_bytes().removeprefix(codecs.BOM_UTF8)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise GoldSetError(
            path, [f"{path}: cannot read the file ({reason}); check the path"]
        ) from exc
    items: list[GoldItem] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for lineno, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue  # blank lines hold no record
        where = f"{path}:{lineno}"
        record, line_problems = _parse_line(line, where)
        if record is None:
            problems.extend(line_problems)
            continue
        line_problems = _check_record(record, where, doc_texts)
        qid = record.get("id")
        if _nonempty_str(qid) and qid in first_line:
            line_problems.append(
                f"{where}: id: duplicate id {qid!r} (first used on line {first_line[qid]}); "
                "give each question its own id"
            )
        elif _nonempty_str(qid):
            first_line[str(qid)] = lineno
        problems.extend(line_problems)
        if not line_problems:
            items.append(_to_item(record))
    if not problems and not items:
        problems.append(f"{path}: the file holds no questions; add one JSON object per line")
    if problems:
        raise GoldSetError(path, problems)
    logger.info("loaded %d gold questions from %s", len(items), path)
    return items


def named_docs(items: list[GoldItem]) -> set[str]:
    """Every document the items name."""
    return {doc for item in items for doc in item.docs}


def _parse_line(line: bytes, where: str) -> tuple[dict[str, object] | None, list[str]]:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [
            f"{where}: line is not UTF-8 ({exc.reason} at byte {exc.start}); re-save as UTF-8"
        ]
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [f"{where}: invalid JSON ({exc.msg} at column {exc.colno}); fix the syntax"]
    if not isinstance(record, dict):
        kind = type(record).__name__
        return None, [f"{where}: expected a JSON object, found {kind}; write one object per line"]
    return record, []


def _check_record(
    record: dict[str, object], where: str, doc_texts: Mapping[str, str] | None
) -> list[str]:
    problems = _check_fields(record, where)
    if problems:
        return problems  # the consistency checks below assume well-typed fields
    problems += _check_consistency(record, where)
    if doc_texts is not None and record["doc"] is not None and not problems:
        problems += _check_evidence(record, where, doc_texts)
    return problems


def _check_fields(record: dict[str, object], where: str) -> list[str]:
    known = FIELDS + OPTIONAL_FIELDS
    problems = [
        f"{where}: {name}: unknown field; remove it or fix its spelling ({', '.join(known)})"
        for name in record
        if name not in known
    ]
    for name in FIELDS:
        if name not in record:
            problems.append(f"{where}: {name}: missing required field; add it")
    for name in ("id", "question", "type"):
        if name in record and not _nonempty_str(record[name]):
            problems.append(f"{where}: {name}: must be a non-empty string")
    if "answer" in record and record["answer"] is not None and not _nonempty_str(record["answer"]):
        problems.append(f"{where}: answer: must be a non-empty string or null")
    problems += _check_doc(record.get("doc"), where)
    for name in ("key_points", "evidence", "tags"):
        value = record.get(name, [])
        if not isinstance(value, list) or not all(_nonempty_str(v) for v in value):
            problems.append(f"{where}: {name}: must be a list of non-empty strings")
    kind = record.get("type")
    if _nonempty_str(kind) and kind not in QUESTION_TYPES:
        problems.append(
            f"{where}: type: unknown type {kind!r}; use one of {', '.join(QUESTION_TYPES)}"
        )
    return problems


def _check_doc(doc: object, where: str) -> list[str]:
    if doc is None or _nonempty_str(doc):
        return []
    if not isinstance(doc, list):
        return [f"{where}: doc: must be a document path, a list of paths, or null"]
    if not doc or not all(_nonempty_str(d) for d in doc):
        return [f"{where}: doc: a list of documents must name at least one, each non-empty"]
    twice = sorted({str(d) for d in doc if doc.count(d) > 1})
    return [f"{where}: doc: {d!r} is listed twice; list each document once" for d in twice]


def _check_consistency(record: dict[str, object], where: str) -> list[str]:
    problems = _check_tags(record, where)
    if record["type"] == UNANSWERABLE:
        if record["doc"] is not None:
            problems.append(f"{where}: doc: unanswerable questions have doc null; set it to null")
        if record["evidence"]:
            problems.append(f"{where}: evidence: unanswerable questions have no evidence; use []")
        return problems
    if record["doc"] is None:
        problems.append(f"{where}: doc: answerable questions name their document; set doc")
    if record["answer"] is None:
        problems.append(f"{where}: answer: answerable questions need a reference answer")
    if not record["evidence"]:
        problems.append(f"{where}: evidence: add at least one verbatim evidence string")
    if not record["key_points"]:
        problems.append(f"{where}: key_points: add at least one key point the answer must state")
    return problems


def _check_tags(record: dict[str, object], where: str) -> list[str]:
    tags = cast(list[str], record.get("tags", []))  # checked by _check_fields
    problems = [
        f"{where}: tags: unknown tag {tag!r}; use any of {', '.join(TAGS)}"
        for tag in tags
        if tag not in TAGS
    ]
    problems += [
        f"{where}: tags: {tag!r} is given twice; give each tag once"
        for tag in sorted({t for t in tags if tags.count(t) > 1})
    ]
    traps = [tag for tag in tags if tag in TRAP_TAGS]
    if traps and record["type"] != UNANSWERABLE:
        problems.append(
            f"{where}: tags: {traps[0]!r} marks an unanswerable question; "
            "remove it or set type unanswerable"
        )
    if len(set(traps)) > 1:
        problems.append(f"{where}: tags: one trap kind per question, found {', '.join(traps)}")
    return problems


def _check_evidence(
    record: dict[str, object], where: str, doc_texts: Mapping[str, str]
) -> list[str]:
    docs = _docs(record["doc"])
    missing = [doc for doc in docs if doc not in doc_texts]
    if missing:
        return [
            f"{where}: doc: {doc!r} is not among the documents; fix the path or add the file"
            for doc in missing
        ]
    evidence = cast(list[str], record["evidence"])  # checked by _check_fields
    named = docs[0] if len(docs) == 1 else f"any of {', '.join(docs)}"
    problems = [
        f"{where}: evidence[{i}]: not found verbatim in {named}; copy it exactly from the document"
        for i, quote in enumerate(evidence)
        if not any(quote in doc_texts[doc] for doc in docs)
    ]
    if len(docs) > 1 and not problems:  # each quote found: does every document hold one?
        problems += [
            f"{where}: doc: {doc!r} holds none of the evidence; add its evidence or remove it"
            for doc in docs
            if not any(quote in doc_texts[doc] for quote in evidence)
        ]
    return problems


def _docs(doc: object) -> tuple[str, ...]:
    if doc is None:
        return ()
    if isinstance(doc, list):
        return tuple(str(d) for d in doc)
    return (str(doc),)


def _to_item(record: dict[str, object]) -> GoldItem:
    key_points = cast(list[str], record["key_points"])  # checked by _check_fields
    evidence = cast(list[str], record["evidence"])
    tags = cast(list[str], record.get("tags", []))
    return GoldItem(
        id=str(record["id"]),
        question=str(record["question"]),
        type=str(record["type"]),
        docs=_docs(record["doc"]),
        answer=None if record["answer"] is None else str(record["answer"]),
        key_points=tuple(key_points),
        evidence=tuple(evidence),
        tags=tuple(tags),
    )


def _nonempty_str(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())
