"""Hybrid retrieval: dense ∥ BM25 within the question's scope, fused, hinted, reranked."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass

import numpy as np

from rag.answering.fusion import fuse
from rag.answering.hints import hint_boost, passage_scopes, question_scopes
from rag.answering.question import UNIFORM, TermWeights, overlap, profile, search_terms
from rag.answering.scope import Scope, detect_scope, scope_phrases
from rag.config import RetrievalSettings
from rag.sentences import sentence_spans
from rag.types import Chunk, DocMeta, Hit

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000

Searcher = Callable[..., list[tuple[int, float]]]  # (query, k, rows) -> [(row, score)]
Reranker = Callable[[str, Sequence[str]], Sequence[float]]


class QuestionError(ValueError):
    """A question that cannot be searched (empty, or too long)."""


@dataclass(frozen=True)
class RetrievalResult:
    """Ranked hits for a question and the scope they were searched in."""

    question: str
    hits: tuple[Hit, ...]
    scope: Scope
    regions: tuple[str, ...]  # regions of the hits, in rank order of first appearance
    scope_names: tuple[str, ...] = ()  # how the question names its scope (rag.answering.scope)

    @property
    def mixed_regions(self) -> bool:
        """True when an unscoped question drew passages from several regions."""
        return not self.scope.regions and len(self.regions) > 1


def validate_question(question: str) -> str:
    """The question stripped, or QuestionError saying what is wrong with it."""
    stripped = question.strip()
    if not stripped:
        raise QuestionError("question is empty: type a question about the documents")
    if len(stripped) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"question is {len(stripped)} characters long; shorten it to at most "
            f"{MAX_QUESTION_CHARS}"
        )
    return stripped


class HybridRetriever:
    """Composed from injected searchers so it knows nothing of FAISS, bm25s or files."""

    def __init__(
        self,
        chunks: Sequence[Chunk],
        docs: Mapping[str, DocMeta],
        encode_query: Callable[[str], np.ndarray],
        dense_search: Searcher,
        sparse_search: Searcher,
        tokenize: Callable[[str], list[str]],
        settings: RetrievalSettings,
        rerank: Reranker | None = None,
        weights: TermWeights = UNIFORM,
    ) -> None:
        self.chunks = chunks
        self.docs = docs
        self.encode_query = encode_query
        self.dense_search = dense_search
        self.sparse_search = sparse_search
        self.tokenize = tokenize
        self.settings = settings
        self.rerank = rerank
        self.weights = weights
        self._passage_scopes = [passage_scopes(c) for c in chunks]
        self._headings = [" ".join(c.section[-2:]).lower() for c in chunks]
        self._sentences = [[c.text[a:b].lower() for a, b in sentence_spans(c.text)] for c in chunks]

    def search(
        self, question: str, k: int | None = None, region: str | None = None, doc: str | None = None
    ) -> RetrievalResult:
        """Top-k passages for the question, limited to the region/document it names."""
        question = validate_question(question)
        k = k or self.settings.k
        # Explicit filters always apply; the question's own names only when scoping is on.
        scoped = self.settings.scope or region or doc
        scope = detect_scope(question, self.docs, region, doc) if scoped else Scope()
        rows = self._rows_in(scope)
        if rows is not None and rows.size == 0:
            return RetrievalResult(question, (), scope, ())
        names = tuple(scope_phrases(question, scope, self.docs))
        dense, sparse = self._runs(question, rows, names)
        s = self.settings
        depth = max(s.depth, k)
        fused = fuse(
            s.fusion, [dense, sparse], [s.dense_weight, 1 - s.dense_weight], s.rrf_k, depth
        )
        grams = profile(question, names).grams
        fused = self._apply_sentence_focus(grams, fused)
        fused = self._apply_hints(question, fused)
        fused = self._apply_headings(grams, fused)
        if self.rerank is not None:
            fused = self._reranked(question, fused)
        dense_rank = {row: (i, score) for i, (row, score) in enumerate(dense, start=1)}
        sparse_rank = {row: i for i, (row, _) in enumerate(sparse, start=1)}
        hits = tuple(
            Hit(
                self.chunks[row],
                float(score),
                rank,
                dense_rank.get(row, (None, None))[0],
                sparse_rank.get(row),
                dense_rank.get(row, (None, None))[1],
            )
            for rank, (row, score) in enumerate(fused[:k], start=1)
        )
        regions = tuple(dict.fromkeys(h.chunk.region for h in hits))
        return RetrievalResult(question, hits, scope, regions, names)

    def _rows_in(self, scope: Scope) -> np.ndarray | None:
        if not scope.regions and not scope.docs:
            return None
        allowed = [i for i, c in enumerate(self.chunks) if scope.allows(c.doc, c.region)]
        return np.asarray(allowed, dtype=np.int64)

    def _runs(
        self, question: str, rows: np.ndarray | None, names: Sequence[str]
    ) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
        mode, depth = self.settings.mode, self.settings.depth
        dense: list[tuple[int, float]] = []
        sparse: list[tuple[int, float]] = []
        if mode in ("hybrid", "dense"):
            dense = self.dense_search(self.encode_query(question), depth, rows)
        if mode in ("hybrid", "sparse"):
            terms = search_terms(self.tokenize(question), names)
            sparse = self.sparse_search(terms, depth, rows)
        if mode not in ("hybrid", "dense", "sparse"):
            raise ValueError(f"retrieval.mode: unknown mode {mode!r}; use hybrid, dense or sparse")
        return dense, sparse

    def _apply_hints(
        self, question: str, fused: list[tuple[int, float]]
    ) -> list[tuple[int, float]]:
        weight = self.settings.hint_weight
        wanted = question_scopes(question)
        if not weight or not wanted:
            return fused
        boosted = [
            (row, score * hint_boost(wanted, self._passage_scopes[row], weight))
            for row, score in fused
        ]
        return sorted(boosted, key=lambda item: (-item[1], item[0]))

    def _apply_headings(
        self, grams: Set[str], fused: list[tuple[int, float]]
    ) -> list[tuple[int, float]]:
        """Raise passages whose section headings say what the question asks (a title field)."""
        match = {row: overlap(grams, self._headings[row], self.weights) for row, _ in fused}
        return _boosted(fused, match, self.settings.heading_weight)

    def _apply_sentence_focus(
        self, grams: Set[str], fused: list[tuple[int, float]]
    ) -> list[tuple[int, float]]:
        """Raise passages with one sentence that holds the question's terms together.

        BM25 and the dense vector score a passage as a whole, so terms scattered over a
        long passage count as much as terms in the one sentence that answers.
        """
        match = {
            row: max((overlap(grams, s, self.weights) for s in self._sentences[row]), default=0.0)
            for row, _ in fused
        }
        return _boosted(fused, match, self.settings.sentence_weight)

    def _reranked(self, question: str, fused: list[tuple[int, float]]) -> list[tuple[int, float]]:
        head = fused[: self.settings.rerank_depth]
        scores = self.rerank(question, [self.chunks[row].index_text for row, _ in head])
        reranked = sorted(zip((r for r, _ in head), scores, strict=True), key=lambda x: -x[1])
        return [(row, float(score)) for row, score in reranked] + fused[len(head) :]


def _boosted(
    fused: list[tuple[int, float]], match: Mapping[int, float], weight: float
) -> list[tuple[int, float]]:
    """Add `weight` × the top fused score × each row's match (0–1), and re-sort."""
    if not weight or not fused:
        return fused
    top = max(score for _, score in fused)
    boosted = [(row, score + weight * top * match[row]) for row, score in fused]
    return sorted(boosted, key=lambda item: (-item[1], item[0]))
