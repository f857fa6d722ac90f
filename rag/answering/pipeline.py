"""From retrieved passages to the Answer every entry point shows, per region when mixed."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rag.answering.abstain import NOT_FOUND, unknown_place
from rag.answering.answer import compose_extractive
from rag.answering.question import UNIFORM, TermWeights, profile
from rag.answering.retrieve import RetrievalResult
from rag.config import AnswerSettings
from rag.reading.metadata import region_aliases
from rag.types import Answer, Citation, DocMeta, Hit

MIXED_REGIONS = "问题未指明地区，检索到的内容来自多个地区，以下按地区分别作答。"
WEAK_EVIDENCE = "相关度较低：以下为可能相关的段落，请核对原文。"
_CITE = re.compile(r"\[(\d+)\]")
_MAX_REGION_BLOCKS = 3


@dataclass(frozen=True)
class AnswerContext:
    """What the composer knows beyond the passages: the documents and term weights."""

    docs: Mapping[str, DocMeta]
    weights: TermWeights = UNIFORM


def answer_question(
    result: RetrievalResult, ctx: AnswerContext, settings: AnswerSettings
) -> Answer:
    """The extractive Answer for a retrieval result, abstaining when the documents don't say."""
    docs = ctx.docs
    question, hits = result.question, list(result.hits)
    names = _all_names(docs)
    place = unknown_place(question, names)
    if place is not None:
        notice = f"已收录的文件不涉及“{place}”。"
        return Answer(question, NOT_FOUND, (), True, "extractive", (notice,), tuple(hits))
    if result.mixed_regions:
        return _per_region(question, hits, names, ctx, settings)
    named = [*names, *result.scope_names]
    answer = _compose(question, hits, named, ctx, settings)
    return _with_weak_notice(answer)


def _compose(
    question: str,
    hits: Sequence[Hit],
    names: Sequence[str],
    ctx: AnswerContext,
    settings: AnswerSettings,
) -> Answer:
    prof = profile(question, names)
    return compose_extractive(question, hits, prof, settings, ctx.weights, ctx.docs)


def _all_names(docs: Mapping[str, DocMeta]) -> list[str]:
    regions = {m.region for m in docs.values() if m.region}
    return sorted({alias for r in regions for alias in region_aliases(r)} | regions)


def _with_weak_notice(answer: Answer) -> Answer:
    if answer.abstained and answer.hits and WEAK_EVIDENCE not in answer.notices:
        return dataclasses.replace(answer, notices=(*answer.notices, WEAK_EVIDENCE))
    return answer


def _per_region(
    question: str,
    hits: list[Hit],
    names: Sequence[str],
    ctx: AnswerContext,
    settings: AnswerSettings,
) -> Answer:
    """One cited block per region, so a staff member sees which plan says what."""
    regions = list(dict.fromkeys(h.chunk.region for h in hits))[:_MAX_REGION_BLOCKS]
    blocks: list[str] = []
    citations: list[Citation] = []
    for region in regions:
        part = _compose(
            question, [h for h in hits if h.chunk.region == region], names, ctx, settings
        )
        if part.abstained:
            continue
        offset = len(citations)
        text = _CITE.sub(lambda m, o=offset: f"[{int(m.group(1)) + o}]", part.text)
        blocks.append(f"【{region or '未标明地区'}】\n{text}")
        citations.extend(dataclasses.replace(c, n=c.n + offset) for c in part.citations)
    if not blocks:
        return _with_weak_notice(
            Answer(question, NOT_FOUND, (), True, "extractive", (), tuple(hits))
        )
    return Answer(
        question,
        "\n\n".join(blocks),
        tuple(citations),
        False,
        "extractive",
        (MIXED_REGIONS,),
        tuple(hits),
    )
