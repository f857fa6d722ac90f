"""The question-answering service every entry point shares: open once, ask many times."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from index.chunk_store import ChunkStore
from index.local_store import LocalStore
from index.rerank import load_reranker
from index.store import OpenIndex, open_index
from rag.answering.followup import Rewrite, rewrite
from rag.answering.pipeline import Answerer, Reply
from rag.answering.query import Query, QueryAnalyzer
from rag.answering.retrieve import HybridRetriever, RetrievalResult
from rag.config import Settings, weights_for_model
from rag.types import Answer, Chunk, DocMeta

log = logging.getLogger(__name__)


class QAService:
    """An opened index with its retriever and answer settings."""

    def __init__(
        self, index: OpenIndex, settings: Settings, store: ChunkStore | None = None
    ) -> None:
        """Compose the service over `store` (default: the opened build folder itself)."""
        model = str(index.manifest.get("embedding", {}).get("model", ""))
        tuned = weights_for_model(settings, model)
        if tuned != settings:
            log.warning(
                "the answer weights were learned with another embedding model than %s: using "
                "weights that ignore its similarities; learn its own with `policyqa eval "
                "--gold eval/gold/tune.jsonl --learn`",
                model,
            )
        settings = tuned
        self.index = index
        self.settings = settings
        self.docs: dict[str, DocMeta] = index.docs
        self._query_vectors: dict[str, np.ndarray] = {}
        self.weights = index.weights  # counted at build time (terms.json)
        store = store if store is not None else LocalStore(index)
        self.store = store
        self.analyzer = QueryAnalyzer(
            index.docs,
            self.weights,
            index.tokenizer.tokens,
            store.known_term,
            settings.query,
            scoping=settings.retrieval.scope,
        )
        self.retriever = HybridRetriever(
            store,
            self._query_vector,
            settings.retrieval,
            settings.ranking,
            load_reranker(settings.retrieval.reranker),
        )
        self.answerer = Answerer(
            self.retriever, store.unit_vectors, self._query_vector, index.docs, settings
        )

    @classmethod
    def open(cls, index_root: Path, settings: Settings) -> QAService:
        """Open the live index under `index_root` (errors say which command to run).

        A model the settings name explicitly (config file, environment, command line) must
        be the one the index was built with; otherwise the index's own model is used.
        """
        model = settings.embedding.model if "embedding.model" in settings.explicit else None
        remote = settings.store.backend == "milvus"
        index = open_index(
            index_root, model, settings.index, model_origin="the config", head_only=remote
        )
        if not remote:
            return cls(index, settings)
        # Lazy: pymilvus is an optional extra, imported only for a Milvus store.
        from index.milvus_store import MilvusStore

        return cls(index, settings, MilvusStore.open(index, settings.store))

    def rewrite(self, message: str, previous: str | None) -> Rewrite:
        """A follow-up message completed from the previous question (rag.answering.followup)."""
        return rewrite(message, previous, self.analyzer)

    def analyze(self, question: str, region: str | None = None, doc: str | None = None) -> Query:
        """The question read once into a Query (raises QuestionError when it can't be)."""
        return self.analyzer.analyze(question, region, doc)

    def retrieve(
        self, question: str, region: str | None = None, doc: str | None = None, k: int | None = None
    ) -> RetrievalResult:
        """Ranked passages for a question within its scope."""
        return self.retriever.search(self.analyze(question, region, doc), k)

    def reply(
        self, question: str, region: str | None = None, doc: str | None = None, k: int | None = None
    ) -> Reply:
        """The extractive answer with the retrieval it rests on."""
        return self.answerer.reply(self.analyze(question, region, doc), k)

    def ask(
        self, question: str, region: str | None = None, doc: str | None = None, k: int | None = None
    ) -> Answer:
        """The final Answer (LLM mode when configured, else extractive)."""
        answer: Answer | None = None
        for item in self.ask_stream(question, region, doc, k):
            if isinstance(item, Answer):
                answer = item
        if answer is None:
            raise RuntimeError("answer stream ended without an answer")
        return answer

    def ask_stream(
        self, question: str, region: str | None = None, doc: str | None = None, k: int | None = None
    ) -> Iterator[str | Answer]:
        """Text deltas (LLM mode only), then the final Answer."""
        reply = self.reply(question, region, doc, k)
        result, extractive = reply.result, reply.answer
        llm = self.settings.llm
        if not llm.base_url or extractive.abstained or not result.hits:
            yield extractive
            return
        # Lazy: only LLM mode needs the HTTP client.
        from index.llm_client import ChatClient
        from rag.answering.llm import answer_with_llm

        client = ChatClient.from_settings(llm)
        passages = result.hits[: self.settings.answer.passages]
        yield from answer_with_llm(result.query.text, passages, client, extractive, self.docs)

    def _query_vector(self, question: str) -> np.ndarray:
        """The question's embedding, computed once per question for retrieval and answering."""
        if question not in self._query_vectors:
            if len(self._query_vectors) > 256:
                self._query_vectors.clear()
            self._query_vectors[question] = self.index.encoder.encode_queries([question])[0]
        return self._query_vectors[question]

    def regions(self) -> list[str]:
        """Regions of the indexed documents, for filters."""
        return sorted({m.region for m in self.docs.values() if m.region})

    def status(self) -> dict[str, Any]:
        """Documents, chunks, model and build time of the live index."""
        manifest = self.index.manifest
        return {
            "documents": len(self.docs),
            "chunks": self.index.size,
            "model": manifest.get("embedding", {}).get("model", ""),
            "built_at": manifest.get("created_at", ""),
            "build_id": self.index.build_id,
        }

    def section_context(self, chunk: Chunk) -> tuple[str, int, int]:
        """The text of the chunk's section (its passages joined) and the chunk's place in it."""
        same = self.store.passages(self.store.section_rows(chunk.doc, chunk.section))
        parts: list[str] = []
        length, covered = 0, -1
        where: dict[int, int] = {}  # source offset where a piece starts -> its place in the text
        for c in same:
            if c.end <= covered:
                continue
            skip = max(0, covered - c.start)
            if parts and skip == 0:
                parts.append("\n")
                length += 1
            where[c.start + skip] = length
            parts.append(c.text[skip:])
            length += len(c.text) - skip
            covered = c.end
        starts = sorted(where)
        anchor = max((s for s in starts if s <= chunk.start), default=chunk.start)
        start = where.get(anchor, 0) + (chunk.start - anchor)
        return "".join(parts), start, start + len(chunk.text)
