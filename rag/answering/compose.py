"""Choosing the evidence and writing it out: verbatim sentences and table rows, each cited [n].

The best-scored unit leads; what completes it joins: the units of its own passage within a
margin of it (a measure goes on over several sentences), the items of the list a list
question names, and units of other passages within a tighter margin that state a part of
the question the others leave open. Numbers are never touched: every line is source text,
or a table row rebuilt from its cells with each cell's text verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rag import lexicon as lx
from rag.answering.asks import LIST
from rag.answering.evidence import Candidate, asked_columns, enumeration_length
from rag.answering.query import Query
from rag.config import AnswerSettings, AnswerWeights
from rag.reading.tables import row_text, shown_cells
from rag.types import Chunk, Citation, DocMeta, Hit

_ITEM_START = re.compile(lx.ITEM_START)
_ITEM_SECTION = re.compile(f"{lx.ITEM_START}|{lx.NUMBERED_SECTION}")  # a section that is an item
_INLINE_ITEM = re.compile(lx.INLINE_ITEM)


@dataclass(frozen=True)
class Line:
    """One line of an answer: what it says and the source spans it quotes."""

    hit_index: int
    start: int  # source offset, for reading order
    text: str
    spans: tuple[tuple[int, int], ...]


def choose(
    query: Query,
    candidates: Sequence[Candidate],
    hits: Sequence[Hit],
    settings: AnswerSettings,
    weights: AnswerWeights,
) -> list[Candidate]:
    """The units an answer quotes, best first, then what completes them."""
    if not candidates:
        return []
    best = max(candidates, key=lambda c: c.score)
    home = hits[best.hit_index].chunk
    chosen = [best]
    ranked = sorted(candidates, key=lambda c: -c.score)
    item = _inline_item(best)
    if item:
        # The best unit opens an item of an enumeration (四是深化商事制度改革。): the
        # question is about that item, answered by its body, not by its siblings.
        chosen += _item_body(best, candidates, item)
    else:
        chosen += [
            c
            for c in ranked
            if c is not best
            and c.hit_index == best.hit_index
            and c.score >= best.score - weights.keep_same_passage
            and _row_kept(c, best, weights)
        ]
    whole = not item and answers_whole(query, home, weights)
    if whole:
        # A section whose own heading names what is asked answers as a whole, over all
        # the passages it was cut into.
        chosen += [
            c for c in candidates if c is not best and _same_section(hits[c.hit_index].chunk, home)
        ]
    if query.wants == LIST and not item:
        chosen += _list_items(query, best, candidates, hits, weights.list_parent_share)
    covered = _terms(query, chosen)
    for c in ranked:
        if c.hit_index == best.hit_index or c.score < best.score - weights.keep_other_passage:
            continue
        new = _terms(query, [c]) - covered
        if new or _same_section(hits[c.hit_index].chunk, home):
            chosen.append(c)
            covered |= new
    unique = list({(hits[c.hit_index].chunk.doc, c.unit.start): c for c in chosen}.values())
    return unique[: settings.section_sentences if whole else settings.max_sentences]


def _row_kept(c: Candidate, best: Candidate, weights: AnswerWeights) -> bool:
    """Whether a row joins the best row of its table: when the question names an indicator
    (the best row's label states some of it), only rows whose label states as much join;
    the value columns every row shares (2025年目标) say nothing of which row is asked."""
    label = best.feature("row_label")
    if c.unit.row is None or best.unit.row is None or not label:
        return True
    return c.feature("row_label") >= weights.row_label_keep * label


def _inline_item(unit: Candidate) -> str:
    """The marker kind of an inline enumeration item the unit opens ("是", "——"), or ""."""
    m = _INLINE_ITEM.match(unit.unit.text) if unit.unit.row is None else None
    return "" if m is None else m.group(0)[-1]


def _item_body(best: Candidate, candidates: Sequence[Candidate], kind: str) -> list[Candidate]:
    """The units after an item's opening unit in its passage, up to the next item."""
    after = sorted(
        (
            c
            for c in candidates
            if c.hit_index == best.hit_index and c.unit.position > best.unit.position
        ),
        key=lambda c: c.unit.position,
    )
    body = []
    for c in after:
        if _inline_item(c) == kind:
            break
        body.append(c)
    return body


def _terms(query: Query, chosen: Sequence[Candidate]) -> set[str]:
    text = " ".join(c.unit.text for c in chosen).lower()
    return {g for g in query.grams if g in text}


def answers_whole(query: Query, passage: Chunk, weights: AnswerWeights) -> bool:
    """Whether the passage's section answers as a whole: its own heading states
    `whole_section_share` of the question."""
    heading = passage.section[-1] if passage.section else ""
    return bool(heading) and query.share(heading) >= weights.whole_section_share


def lists_siblings(query: Query, passage: Chunk, weights: AnswerWeights) -> bool:
    """Whether a list question asks for the items the passage's section is one of: its
    section is an item (1．工业机器人) under headings that name the question (发展方向),
    as _list_items reads them."""
    section = passage.section
    if query.wants != LIST or len(section) < 2 or not _ITEM_SECTION.match(section[-1]):
        return False
    named = query.share(" ".join(section[:-1])) >= weights.list_parent_share
    return named and not _names_its_item(query, section)


def _names_its_item(query: Query, section: tuple[str, ...]) -> bool:
    """Whether the section is an item whose own heading names the question better than the
    list it belongs to (在绿色发展上面临的挑战 among the 挑战): that item is what is asked."""
    return (
        len(section) > 1
        and bool(_ITEM_SECTION.match(section[-1]))
        and query.share(section[-1]) > query.share(section[-2])
    )


def _same_section(a: Chunk, b: Chunk) -> bool:
    return a.doc == b.doc and a.section == b.section


def _list_items(
    query: Query,
    best: Candidate,
    candidates: Sequence[Candidate],
    hits: Sequence[Hit],
    parent_share: float,
) -> list[Candidate]:
    """The items of the list a list question asks for.

    Items are the sections beside or below the best unit's section among the passages read
    (such as (一)…(四) under 三、保障措施, each named by its first sentence), else the
    enumerated units (——…, 一是…, 1.…) of the best unit's section.
    """
    home = hits[best.hit_index].chunk
    first_of: dict[int, Candidate] = {}
    for c in candidates:
        first_of.setdefault(c.hit_index, c)
    related = [
        i
        for i in first_of
        if hits[i].chunk.doc == home.doc
        and hits[i].chunk.section != home.section
        and hits[i].chunk.section[:-1] in (home.section, home.section[:-1])
        and _ITEM_SECTION.match(hits[i].chunk.section[-1])
    ]
    parent = " ".join(hits[related[0]].chunk.section[:-1]) if related else ""
    if query.share(parent) < parent_share:
        related = []  # only the items of a list the question names
    if enumeration_length(best.unit.text) >= 3 and not query.per_item:
        # No sub-items when the best unit enumerates the answer itself, unless each item's
        # own details are asked for. An enumeration inside one item of the list the
        # question names (its heading states more of the question) leaves the siblings.
        related = [i for i in related if hits[i].chunk.section[:-1] != home.section]
        if query.share(parent) <= query.share(best.unit.text):
            related = []
    if _names_its_item(query, home.section):
        related = [i for i in related if hits[i].chunk.section[:-1] != home.section[:-1]]
    items = [first_of[i] for i in related]
    items += [
        c
        for c in candidates
        if c is not best
        and _same_section(hits[c.hit_index].chunk, home)
        and c.unit.row is None
        and _ITEM_START.match(c.unit.text)
    ]
    return items


def lines(query: Query, chosen: Sequence[Candidate], hits: Sequence[Hit]) -> list[Line]:
    """The chosen units as answer lines in reading order: sentences verbatim, rows rebuilt."""
    out = []
    for c in chosen:
        chunk = hits[c.hit_index].chunk
        row = c.unit.row
        if row is None or chunk.table is None:
            out.append(Line(c.hit_index, c.unit.start, c.unit.text, ((c.unit.start, c.unit.end),)))
            continue
        columns = asked_columns(query, chunk.table) or None
        cells = shown_cells(chunk.table, row, columns)
        spans = tuple((cell.start, cell.end) for cell in cells)
        out.append(Line(c.hit_index, row.start, row_text(chunk.table, row, columns), spans))
    return sorted(out, key=lambda line: (hits[line.hit_index].chunk.doc, line.start))


def cite(
    answer_lines: Sequence[Line], hits: Sequence[Hit], docs: Mapping[str, DocMeta]
) -> tuple[tuple[Citation, ...], str]:
    """Number the cited passages [1..n] in reading order; the text grouped by document."""
    numbers: dict[int, int] = {}
    for line in answer_lines:
        numbers.setdefault(line.hit_index, len(numbers) + 1)
    citations = tuple(
        Citation(
            n, hits[i], tuple(s for line in answer_lines if line.hit_index == i for s in line.spans)
        )
        for i, n in numbers.items()
    )
    text: list[str] = []
    current_doc = None
    for line in answer_lines:
        chunk = hits[line.hit_index].chunk
        if chunk.doc != current_doc:
            current_doc = chunk.doc
            meta = docs.get(chunk.doc)
            date = f"（{meta.date}）" if meta and meta.date else ""
            text.append(f"《{chunk.title or chunk.doc}》{date}")
        text.append(f"{line.text}[{numbers[line.hit_index]}]")
    return citations, "\n".join(text)
