"""From a Query to the Answer every entry point shows: retrieve, choose evidence, decide, cite.

A question naming no region whose passages come from several regions, and a question
comparing named regions, are answered region by region: each region's own best evidence
(its own figure where it has one), under a heading per region, cited like any answer,
with a notice naming the regions the index holds no answer for.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from rag.answering.abstain import decide
from rag.answering.compose import answers_whole, choose, cite, lines, lists_siblings
from rag.answering.evidence import candidates
from rag.answering.query import Query
from rag.answering.retrieve import HybridRetriever, PassageStore, RetrievalResult
from rag.answering.scope import Scope
from rag.config import Settings
from rag.lexicon import NOT_FOUND
from rag.types import Answer, Chunk, Citation, DocMeta, Hit

MIXED_REGIONS = "问题未指明地区，检索到的内容来自多个地区，以下按地区分别作答。"
COMPARED = "以下按问题所列地区分别作答。"
WEAK_EVIDENCE = "相关度较低：以下为可能相关的段落，请核对原文。"
NOT_A_QUESTION = "这不像是一个关于政策文件的问题，请换一种问法。"
NO_ANSWER_IN = "以下地区的文件中未找到相关内容：{regions}。"
UNNAMED_REGION = "未标明地区"
SHOWN_MISSING = 8  # regions named in the 'no answer' notice before 等
_CITE = re.compile(r"\[(\d+)\]")

UnitVectors = Callable[[Sequence[int]], list[np.ndarray]]


@dataclass(frozen=True)
class Reply:
    """What one question got: the retrieval it rests on and the answer."""

    result: RetrievalResult
    answer: Answer


class Answerer:
    """Retrieval and extractive composition over one index."""

    def __init__(
        self,
        retriever: HybridRetriever,
        unit_vectors: UnitVectors,
        encode_query: Callable[[str], np.ndarray],
        docs: Mapping[str, DocMeta],
        settings: Settings,
    ) -> None:
        self.retriever = retriever
        self.unit_vectors = unit_vectors
        self.encode_query = encode_query
        self.docs = docs
        self.settings = settings
        self.regions = tuple(sorted({m.region for m in docs.values() if m.region}))
        self.periods = {path: meta.period for path, meta in docs.items() if meta.period}

    def reply(self, query: Query, k: int | None = None) -> Reply:
        """Retrieve for the query and answer it (or decline, saying why)."""
        if query.problem:
            empty = RetrievalResult(query, (), ())
            return Reply(empty, Answer(query.text, NOT_FOUND, (), True, notices=(NOT_A_QUESTION,)))
        result = self.retriever.search(query, k)
        hits = list(result.hits)
        if query.unknown_place:
            notice = f"已收录的文件不涉及“{query.unknown_place}”。"
            return Reply(
                result,
                Answer(query.text, NOT_FOUND, (), True, "extractive", (notice,), tuple(hits)),
            )
        if query.compares or result.mixed_regions:
            return Reply(result, self._per_region(query, result))
        return Reply(result, _with_weak_notice(self.compose(query, hits)))

    def compose(self, query: Query, hits: Sequence[Hit], scope: Scope | None = None) -> Answer:
        """The extractive answer from these passages, or 'not found' when they don't say."""
        s = self.settings
        passages = self.passages_for(query, hits)
        vectors = self.unit_vectors([h.row for h in passages])
        query_vector = self.encode_query(query.text) if passages else None
        found = candidates(query, passages, vectors, query_vector, s.evidence, self.periods)
        chosen = choose(query, found, passages, s.answer, s.evidence)
        absent = self.absent_share(query, query.scope if scope is None else scope)
        decision = decide(query, chosen, passages, s.abstention, absent)
        if not decision.answers:
            return Answer(
                query.text, NOT_FOUND, (), True, "extractive", (), tuple(hits), decision.probability
            )
        citations, text = cite(lines(query, chosen, passages), passages, self.docs)
        return Answer(
            query.text, text, citations, False, "extractive", (), tuple(hits), decision.probability
        )

    def passages_for(self, query: Query, hits: Sequence[Hit]) -> list[Hit]:
        """The passages an answer reads: the top ones, then the rest of the top passage's
        section when that section's own heading names what is asked (a long section is cut
        into several passages, and an answer quotes it whole), or, when one of them is an
        item of a list the question names, the first passage of each of its sibling items."""
        s = self.settings
        passages = list(hits[: s.answer.passages])
        if not passages:
            return passages
        home = passages[0].chunk
        store = self.retriever.store
        have = {h.row for h in passages}
        items = (p.chunk for p in passages if lists_siblings(query, p.chunk, s.evidence))
        if answers_whole(query, home, s.evidence):
            rows = [r for r in store.section_rows(home.doc, home.section) if r not in have]
            more = list(zip(rows, store.passages(rows), strict=True))
        elif (item := next(items, None)) is not None:
            more = _first_of_each_sibling(
                store, store.section_rows(item.doc, item.section[:-1], below=True), item, have
            )[: s.answer.list_sections]
        else:
            return passages
        start = len(passages)
        return passages + [
            Hit(chunk, 0.0, start + i + 1, row=row) for i, (row, chunk) in enumerate(more)
        ]

    def absent_share(self, query: Query, scope: Scope) -> float:
        """Weighted share of the question's words that no passage within `scope` uses.

        A word the whole scope never uses (购车, 限购) names something its documents do
        not cover, however close the retrieved passages come.
        """
        terms = dict(query.content_terms)
        total = sum(terms.values())
        if not total:
            return 0.0
        store = self.retriever.store
        missing = sum(w for t, w in terms.items() if not store.term_search([t], 1, scope))
        return missing / total

    def _per_region(self, query: Query, result: RetrievalResult) -> Answer:
        """One cited block per region, so staff see which plan says what.

        A region's block stays when its own evidence answers, and answers nearly as surely
        as the best region's: a question about one region's fund, asked without naming the
        region, is not a question for every region.
        """
        s = self.settings.answer
        named = query.scope.regions if query.compares else result.regions
        parts: list[tuple[str, Answer]] = []
        for region in list(dict.fromkeys(named))[: s.region_blocks]:
            scope = Scope((region,), query.scope.docs, query.scope.source)
            own = self.retriever.search(query, s.region_passages, scope).hits
            part = self.compose(query, own, scope)
            if not part.abstained:
                parts.append((region, part))
        best = max((part.support or 0.0 for _, part in parts), default=0.0)
        kept = [(r, p) for r, p in parts if (p.support or 0.0) >= best - s.region_margin]
        if not kept:
            return _with_weak_notice(_declined(query, result.hits, ()))
        blocks: list[str] = []
        citations: list[Citation] = []
        for region, part in kept:
            offset = len(citations)
            text = _renumbered(part.text, offset)
            blocks.append(f"【{region or UNNAMED_REGION}】\n{text}")
            citations.extend(dataclasses.replace(c, n=c.n + offset) for c in part.citations)
        answered = [r for r, _ in kept]
        pool = query.scope.regions if query.compares else self.regions
        missing = [r for r in pool if r not in answered]
        notices = [COMPARED if query.compares else MIXED_REGIONS]
        if missing:
            more = "等" if len(missing) > SHOWN_MISSING else ""
            notices.append(NO_ANSWER_IN.format(regions="、".join(missing[:SHOWN_MISSING]) + more))
        text = "\n\n".join(blocks)
        return Answer(
            query.text, text, tuple(citations), False, "extractive", tuple(notices), result.hits
        )


def _first_of_each_sibling(
    store: PassageStore, rows: Sequence[int], home: Chunk, have: set[int]
) -> list[tuple[int, Chunk]]:
    """(row, passage) of the first of `rows` of each section beside `home`'s that none of
    `have` is in."""
    chunks = store.passages(rows)
    seen = {c.section for c, r in zip(chunks, rows, strict=True) if r in have}
    first: list[tuple[int, Chunk]] = []
    for row, chunk in zip(rows, chunks, strict=True):
        if chunk.section[:-1] == home.section[:-1] and chunk.section not in seen:
            seen.add(chunk.section)
            first.append((row, chunk))
    return first


def _renumbered(text: str, offset: int) -> str:
    """`text` with every citation mark [n] shifted to [n + offset]."""

    def shift(m: re.Match[str]) -> str:
        return f"[{int(m.group(1)) + offset}]"

    return _CITE.sub(shift, text)


def _declined(
    query: Query, hits: Sequence[Hit], notices: tuple[str, ...], support: float | None = None
) -> Answer:
    """The honest 'not found', keeping the closest passages as 可能相关."""
    return Answer(query.text, NOT_FOUND, (), True, "extractive", notices, tuple(hits), support)


def _with_weak_notice(answer: Answer) -> Answer:
    if answer.abstained and answer.hits and WEAK_EVIDENCE not in answer.notices:
        return dataclasses.replace(answer, notices=(*answer.notices, WEAK_EVIDENCE))
    return answer
