"""From retrieved passages to the Answer every entry point shows, per region when mixed."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence

from rag.answering.answer import compose_extractive
from rag.answering.query import Query
from rag.answering.retrieve import RetrievalResult
from rag.config import AnswerSettings
from rag.lexicon import NOT_FOUND
from rag.types import Answer, Citation, DocMeta, Hit

MIXED_REGIONS = "问题未指明地区，检索到的内容来自多个地区，以下按地区分别作答。"
WEAK_EVIDENCE = "相关度较低：以下为可能相关的段落，请核对原文。"
NOT_A_QUESTION = "这不像是一个关于政策文件的问题，请换一种问法。"
_CITE = re.compile(r"\[(\d+)\]")
_MAX_REGION_BLOCKS = 3


def answer_question(
    result: RetrievalResult, docs: Mapping[str, DocMeta], settings: AnswerSettings
) -> Answer:
    """The extractive Answer for a retrieval result, abstaining when the documents don't say."""
    query, hits = result.query, list(result.hits)
    if query.problem:
        return Answer(query.text, NOT_FOUND, (), True, "extractive", (NOT_A_QUESTION,))
    if query.unknown_place:
        notice = f"已收录的文件不涉及“{query.unknown_place}”。"
        return Answer(query.text, NOT_FOUND, (), True, "extractive", (notice,), tuple(hits))
    if result.mixed_regions:
        return _per_region(query, hits, docs, settings)
    return _with_weak_notice(compose_extractive(query, hits, settings, docs))


def _with_weak_notice(answer: Answer) -> Answer:
    if answer.abstained and answer.hits and WEAK_EVIDENCE not in answer.notices:
        return dataclasses.replace(answer, notices=(*answer.notices, WEAK_EVIDENCE))
    return answer


def _per_region(
    query: Query,
    hits: list[Hit],
    docs: Mapping[str, DocMeta],
    settings: AnswerSettings,
) -> Answer:
    """One cited block per region, so a staff member sees which plan says what."""
    regions = list(dict.fromkeys(h.chunk.region for h in hits))[:_MAX_REGION_BLOCKS]
    blocks: list[str] = []
    citations: list[Citation] = []
    for region in regions:
        own: Sequence[Hit] = [h for h in hits if h.chunk.region == region]
        part = compose_extractive(query, own, settings, docs)
        if part.abstained:
            continue
        offset = len(citations)
        text = _CITE.sub(lambda m, o=offset: f"[{int(m.group(1)) + o}]", part.text)
        blocks.append(f"【{region or '未标明地区'}】\n{text}")
        citations.extend(dataclasses.replace(c, n=c.n + offset) for c in part.citations)
    if not blocks:
        return _with_weak_notice(
            Answer(query.text, NOT_FOUND, (), True, "extractive", (), tuple(hits))
        )
    return Answer(
        query.text,
        "\n\n".join(blocks),
        tuple(citations),
        False,
        "extractive",
        (MIXED_REGIONS,),
        tuple(hits),
    )
