"""Extractive answers: verbatim sentences from the top passages, each cited as [n]."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.abstain import NOT_FOUND, evidence_strength
from rag.config import AnswerSettings
from rag.question import FACT, LIST, TARGET, QuestionProfile, bigrams, overlap
from rag.sentences import sentence_spans
from rag.types import Answer, Citation, Hit

_HAS_NUMBER = re.compile(r"\d")
_TARGET_CUE = re.compile(r"力争|到20[2-3]\d年|达到|目标|以上|突破|培育|建成")
_LIST_CUE = re.compile(r"[、；;]|一是|二是|包括|分别|[:：]$")
_LEAD_IN = re.compile(r"[:：]$")


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, scored against the question."""

    hit_index: int
    start: int
    end: int
    text: str
    score: float


def score_sentences(prof: QuestionProfile, hits: Sequence[Hit], passages: int) -> list[Candidate]:
    """Every sentence of the top passages with its relevance to the question."""
    grams = bigrams(prof.key_text)
    out: list[Candidate] = []
    for i, hit in enumerate(hits[:passages]):
        chunk = hit.chunk
        context = overlap(grams, " ".join(chunk.section).lower())
        for start, end in sentence_spans(chunk.text, chunk.start):
            text = chunk.text[start - chunk.start : end - chunk.start]
            score = overlap(grams, text.lower()) + 0.2 * context + 0.15 / (i + 1)
            score += _cue_bonus(prof, text)
            out.append(Candidate(i, start, end, text, score))
    return out


def _cue_bonus(prof: QuestionProfile, text: str) -> float:
    bonus = 0.0
    if prof.wants_number and _HAS_NUMBER.search(text):
        bonus += 0.2
    if prof.kind == TARGET and _TARGET_CUE.search(text):
        bonus += 0.15
    if prof.kind == LIST and _LIST_CUE.search(text):
        bonus += 0.1
    if any(year in text for year in prof.years):
        bonus += 0.1
    return bonus


def select(
    prof: QuestionProfile, candidates: list[Candidate], settings: AnswerSettings
) -> list[Candidate]:
    """The best sentence, then what completes it: the rest of a list, close runners-up."""
    if not candidates:
        return []
    best = max(candidates, key=lambda c: c.score)
    limit = 2 if prof.kind == FACT else settings.max_sentences
    ratio = 0.85 if prof.kind == FACT else 0.6
    chosen = {(best.hit_index, best.start): best}
    same_passage = [c for c in candidates if c.hit_index == best.hit_index]
    if _LEAD_IN.search(best.text) or prof.kind != FACT:
        after = [c for c in same_passage if c.start > best.start][
            : 3 if _LEAD_IN.search(best.text) else 0
        ]
        chosen.update({(c.hit_index, c.start): c for c in after})
    for c in sorted(candidates, key=lambda c: -c.score):
        if len(chosen) >= limit:
            break
        if c.score >= ratio * best.score and (
            c.hit_index == best.hit_index or c.score >= 0.9 * best.score
        ):
            chosen.setdefault((c.hit_index, c.start), c)
    return list(chosen.values())[: max(limit, 1)]


def compose_extractive(
    question: str,
    hits: Sequence[Hit],
    prof: QuestionProfile,
    settings: AnswerSettings,
    notices: Sequence[str] = (),
) -> Answer:
    """Cite verbatim sentences, grouped by document; abstain when the evidence is weak."""
    candidates = score_sentences(prof, hits, settings.passages)
    chosen = select(prof, candidates, settings)
    strength = evidence_strength(prof, hits, [c.text for c in chosen])
    if not chosen or strength < settings.abstain_threshold:
        return Answer(question, NOT_FOUND, (), True, "extractive", tuple(notices), tuple(hits))
    citations, text = _cite(hits, chosen)
    return Answer(question, text, citations, False, "extractive", tuple(notices), tuple(hits))


def _cite(hits: Sequence[Hit], chosen: list[Candidate]) -> tuple[tuple[Citation, ...], str]:
    """Number cited passages [1..n] in reading order and write the grouped answer text."""
    ordered = sorted(chosen, key=lambda c: (hits[c.hit_index].chunk.doc, c.start))
    numbers: dict[int, int] = {}
    for c in ordered:
        numbers.setdefault(c.hit_index, len(numbers) + 1)
    citations = tuple(
        Citation(
            n,
            hits[i],
            tuple((c.start, c.end) for c in ordered if c.hit_index == i),
        )
        for i, n in numbers.items()
    )
    lines: list[str] = []
    current_doc = None
    for c in ordered:
        chunk = hits[c.hit_index].chunk
        if chunk.doc != current_doc:
            current_doc = chunk.doc
            lines.append(f"《{chunk.title or chunk.doc}》")
        lines.append(f"{c.text}[{numbers[c.hit_index]}]")
    return citations, "\n".join(lines)
