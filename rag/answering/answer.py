"""Extractive answers: verbatim sentences from the top passages, each cited as [n]."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rag.answering.abstain import evidence_strength
from rag.answering.query import LIST, NUMBER, TARGET, Query
from rag.config import AnswerSettings
from rag.lexicon import NOT_FOUND
from rag.sentences import sentence_spans
from rag.types import Answer, Chunk, Citation, DocMeta, Hit

_HAS_NUMBER = re.compile(r"\d")
_TARGET_CUE = re.compile(r"力争|到20[2-3]\d年|达到|目标|以上|突破|培育|建成")
_LIST_CUE = re.compile(r"[、；;]|一是|二是|包括|分别|[:：]$")
# A sentence that opens an item of an enumeration: ——…, 一是…, (一)…, 1.…
_ITEM_START = re.compile(
    r"^(?:——|[一二三四五六七八九十]+是|[(（]?[一二三四五六七八九十\d]{1,3}[)）、.．]"
    # or a short label and a colon (优化“一线”:…), but not a lead-in (重点包括:…)
    r"|[^，,。；;:：]{2,10}(?<!包括)(?<!如下)[:：])"
)
_PARENT_MATCH = 0.2  # share of the question's weighted bigrams a list's heading must hold
_HEADING_NAMES = 0.5  # share a section's own heading must hold to answer as a whole
# A sentence's score adds its section headings' match and its passage's retrieval rank:
# the retriever weighed the whole passage, dense meaning included, which words alone miss.
_SECTION, _RANK = 0.35, 0.3


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, scored against the question."""

    hit_index: int
    position: int  # index of the sentence within its passage
    start: int
    end: int
    text: str
    score: float


def score_sentences(query: Query, hits: Sequence[Hit]) -> list[Candidate]:
    """Every sentence of the given passages with its relevance to the question."""
    out: list[Candidate] = []
    for i, hit in enumerate(hits):
        chunk = hit.chunk
        context = query.share(" ".join(chunk.section))
        for pos, (start, end) in enumerate(sentence_spans(chunk.text, chunk.start)):
            text = chunk.text[start - chunk.start : end - chunk.start]
            score = query.share(text) + _SECTION * context
            score += _RANK / (i + 1)
            score += _cue_bonus(query, text)
            out.append(Candidate(i, pos, start, end, text, score))
    return out


def _cue_bonus(query: Query, text: str) -> float:
    bonus = 0.0
    if query.asks_figure and _HAS_NUMBER.search(text):
        bonus += 0.2
    if query.wants == TARGET and _TARGET_CUE.search(text):
        # A target states a figure to reach; 建成/培育 alone may only describe a project.
        bonus += 0.25 if _HAS_NUMBER.search(text) else 0.1
    if query.wants == LIST and _LIST_CUE.search(text):
        bonus += 0.1
    if any(year in text for year in query.years):
        bonus += 0.1
    if query.count > 1 and _enumeration_length(text) >= query.count:
        bonus += 0.2  # an enumeration as long as the one the question asks for
    return bonus


def select(
    query: Query,
    candidates: list[Candidate],
    hits: Sequence[Hit],
    settings: AnswerSettings,
) -> list[Candidate]:
    """The best sentence, then what completes it: the items of a list, the rest of a measure."""
    if not candidates:
        return []
    best = max(candidates, key=lambda c: c.score)
    if query.wants == NUMBER:
        return _fact(best, candidates)
    by_passage: dict[int, list[Candidate]] = {}
    for c in candidates:
        by_passage.setdefault(c.hit_index, []).append(c)
    items = _list_items(query, best, by_passage, hits) if query.wants == LIST else []
    context = _rest_of_passage(query, best, by_passage[best.hit_index], hits)
    strong = [
        c
        for c in sorted(candidates, key=lambda c: -c.score)
        if c.score >= (0.6 if c.hit_index == best.hit_index else 0.85) * best.score
    ]
    chosen = _with_strong(query, best, [best, *items, *context], strong, hits)
    return _unique(hits, chosen)[: settings.max_sentences]


def _rest_of_passage(
    query: Query,
    best: Candidate,
    passage: Sequence[Candidate],
    hits: Sequence[Hit],
) -> list[Candidate]:
    """A measure or a list goes on after its best sentence; a section whose own heading
    names what is asked answers it as a whole."""
    section = hits[best.hit_index].chunk.section
    named = query.share(section[-1]) if section else 0.0
    whole = named >= _HEADING_NAMES
    return [c for c in passage if whole or c.position > best.position]


def _with_strong(
    query: Query,
    best: Candidate,
    chosen: list[Candidate],
    strong: Sequence[Candidate],
    hits: Sequence[Hit],
) -> list[Candidate]:
    """Add the strong sentences of the best section; from other passages only those that
    answer a part of the question the chosen sentences leave open, not mere repeats."""

    def matched(c: Candidate) -> set[str]:
        return {g for g in query.grams if g in c.text.lower()}

    home = hits[best.hit_index].chunk
    covered = set().union(*(matched(c) for c in chosen))
    for c in strong:
        new = matched(c) - covered
        if _same_section(hits[c.hit_index].chunk, home) or new:
            chosen.append(c)
            covered |= new
    return chosen


def _unique(hits: Sequence[Hit], chosen: Sequence[Candidate]) -> list[Candidate]:
    """Drop repeats: overlapping passages quote the same source sentence twice."""
    seen: dict[tuple[str, int], Candidate] = {}
    for c in chosen:
        seen.setdefault((hits[c.hit_index].chunk.doc, c.start), c)
    return list(seen.values())


def _fact(best: Candidate, candidates: list[Candidate]) -> list[Candidate]:
    """One sentence, or two when a close runner-up in the same passage also states a figure."""
    for c in sorted(candidates, key=lambda c: -c.score):
        same = c.hit_index == best.hit_index
        if c is not best and same and c.score >= 0.85 * best.score and _HAS_NUMBER.search(c.text):
            return [best, c]
    return [best]


def _list_items(
    query: Query,
    best: Candidate,
    by_passage: Mapping[int, list[Candidate]],
    hits: Sequence[Hit],
) -> list[Candidate]:
    """The items a list question asks for.

    Items are the sections beside or below the best sentence's section among the hits
    (such as (一)…(四) under 三、保障措施, each named by its first sentence), else the
    enumerated sentences (——…, 一是…, 1.…) of the best sentence's passage.
    """
    home = hits[best.hit_index].chunk
    related = [
        i
        for i in by_passage
        if hits[i].chunk.doc == home.doc
        and hits[i].chunk.section != home.section
        and hits[i].chunk.section[:-1] in (home.section, home.section[:-1])
        and _ITEM_START.match(hits[i].chunk.section[-1])
    ]
    parent = " ".join(hits[related[0]].chunk.section[:-1]).lower() if related else ""
    enumerated = _enumeration_length(best.text) >= 3 and not query.per_item
    if query.share(parent) < _PARENT_MATCH or enumerated:
        # Only the items of a list the question names, not any neighbouring list; and
        # none when the best sentence enumerates the answer, unless each item's own
        # details are asked for (各自/分别).
        related = []
    items = [by_passage[i][0] for i in related]
    # The enumerated sentences of the best sentence's section, over all its passages.
    same = [i for i in by_passage if _same_section(hits[i].chunk, home)]
    items.extend(
        c for i in same for c in by_passage[i] if c is not best and _ITEM_START.match(c.text)
    )
    return items


def _enumeration_length(text: str) -> int:
    """Items in the longest 、-separated run within one clause of `text`."""
    return max(clause.count("、") + 1 for clause in re.split(r"[，,；;。:：]", text))


def _same_section(a: Chunk, b: Chunk) -> bool:
    return a.doc == b.doc and a.section == b.section


def compose_extractive(
    query: Query,
    hits: Sequence[Hit],
    settings: AnswerSettings,
    docs: Mapping[str, DocMeta] | None = None,
) -> Answer:
    """Cite verbatim sentences, grouped by document; abstain when the evidence is weak."""
    passages = list(hits[: settings.passages])
    candidates = score_sentences(query, passages)
    chosen = select(query, candidates, passages, settings)
    support = evidence_strength(query, [c.text for c in chosen])
    threshold = settings.abstain_below_number if query.asks_figure else settings.abstain_below
    if not chosen or support < threshold:
        return Answer(query.text, NOT_FOUND, (), True, "extractive", (), tuple(hits), support)
    citations, text = _cite(passages, chosen, docs or {})
    return Answer(query.text, text, citations, False, "extractive", (), tuple(hits), support)


def _cite(
    hits: Sequence[Hit], chosen: list[Candidate], docs: Mapping[str, DocMeta]
) -> tuple[tuple[Citation, ...], str]:
    """Number cited passages [1..n] in reading order and write the answer grouped by document."""
    ordered = sorted(chosen, key=lambda c: (hits[c.hit_index].chunk.doc, c.start))
    numbers: dict[int, int] = {}
    for c in ordered:
        numbers.setdefault(c.hit_index, len(numbers) + 1)
    citations = tuple(
        Citation(n, hits[i], tuple((c.start, c.end) for c in ordered if c.hit_index == i))
        for i, n in numbers.items()
    )
    lines: list[str] = []
    current_doc = None
    for c in ordered:
        chunk = hits[c.hit_index].chunk
        if chunk.doc != current_doc:
            current_doc = chunk.doc
            meta = docs.get(chunk.doc)
            date = f"（{meta.date}）" if meta and meta.date else ""
            lines.append(f"《{chunk.title or chunk.doc}》{date}")
        lines.append(f"{c.text}[{numbers[c.hit_index]}]")
    return citations, "\n".join(lines)
