"""The index folder format (plain JSON, JSONL, FAISS and bm25s files; no pickle) and opening it.

A build folder holds:

    manifest.json   schema version, library versions, model, chunking, tokenizer, sources, counts
    chunks.jsonl    row i == FAISS id i == BM25 doc i
    dense.faiss     IndexFlatIP over L2-normalized passage vectors
    bm25/           bm25s.BM25.save output (.npy arrays and JSON)
    docs.json       per-document metadata shown next to citations

Opening rebuilds the query side (encoder, tokenizer) from the manifest, so a
question is always embedded and tokenized the way its index was.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.integrity import (
    IndexDamagedError,
    IndexMismatchError,
    check_files,
    check_manifest,
    damaged,
    file_records,
    fix_hint,
)
from index.paths import jieba_cache_dir
from index.publish import MANIFEST, IndexNotFoundError, build_command, resolve_live
from rag.answering.scope import Scope
from rag.config import EmbeddingSettings, IndexSettings
from rag.serialize import chunk_from_record, chunk_record
from rag.tokenize import TOKENIZER_VERSION, ChineseTokenizer
from rag.types import Chunk, DocMeta

if TYPE_CHECKING:
    from index.embedder import Encoder

__all__ = [
    "SCHEMA_VERSION",
    "IndexDamagedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "OpenIndex",
    "ScopedIndex",
    "make_tokenizer",
    "open_index",
    "read_chunks",
    "read_manifest",
    "read_unit_vectors",
    "read_vectors",
    "verify_index",
    "write_index",
]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 2
CHUNKS = "chunks.jsonl"
DENSE = "dense.faiss"
BM25_DIR = "bm25"
DOCS = "docs.json"
UNITS = "units.npy"  # float16 vectors of every passage's units (sentences, table rows), in order
UNIT_OFFSETS = "unit_offsets.npy"  # int64: passage i's units are UNITS[offsets[i]:offsets[i+1]]


MB = 1024 * 1024
# What a damaged file makes the readers (json, numpy, faiss, bm25s) raise.
_UNREADABLE = (OSError, ValueError, KeyError, TypeError, IndexError, RuntimeError, EOFError)


def make_tokenizer(user_words: Sequence[str]) -> ChineseTokenizer:
    """The BM25 tokenizer, with jieba's dictionary cache in the app's cache folder."""
    # jieba sets its logger to DEBUG on import, with its own stderr handler:
    # defer to the application's logging level instead.
    logging.getLogger("jieba").setLevel(logging.NOTSET)
    cache = jieba_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    return ChineseTokenizer(user_words, cache_file=str(cache / "jieba.cache"))


def write_index(
    folder: Path,
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
    units: Sequence[np.ndarray],
    tokens: Sequence[list[str]],
    docs: Mapping[str, DocMeta],
    manifest: Mapping[str, Any],
) -> None:
    """Write every file of a build folder; manifest.json last, as the mark of completeness."""
    if not (len(chunks) == vectors.shape[0] == len(tokens) == len(units)):
        raise ValueError(
            f"{len(chunks)} chunks, {vectors.shape[0]} vectors, {len(units)} unit vector sets "
            f"and {len(tokens)} token lists"
        )
    # Lazy: faiss and bm25s load native code that `policyqa --help` must not pay for.
    import bm25s
    import faiss

    with open(folder / CHUNKS, "w", encoding="utf-8") as handle:
        for row, chunk in enumerate(chunks):
            handle.write(json.dumps(chunk_record(row, chunk), ensure_ascii=False) + "\n")
    _write_json(folder / DOCS, {path: asdict(meta) for path, meta in sorted(docs.items())})
    dense = faiss.IndexFlatIP(int(vectors.shape[1]))
    dense.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(dense, str(folder / DENSE))
    offsets = np.cumsum([0, *(len(u) for u in units)]).astype(np.int64)
    stacked = np.concatenate([*units, np.zeros((0, vectors.shape[1]))]).astype(np.float16)
    np.save(folder / UNITS, stacked, allow_pickle=False)
    np.save(folder / UNIT_OFFSETS, offsets, allow_pickle=False)
    sparse = bm25s.BM25()
    # Token lists, not strings: bm25s's own splitter knows no Chinese.
    sparse.index([list(t) for t in tokens], show_progress=False)
    sparse.save(str(folder / BM25_DIR), allow_pickle=False, show_progress=False)
    write_manifest(folder, manifest)


def write_manifest(folder: Path, manifest: Mapping[str, Any]) -> None:
    """Write manifest.json last, recording every other file's size and checksum."""
    files = file_records(folder)
    _write_json(folder / MANIFEST, {"schema_version": SCHEMA_VERSION, **manifest, "files": files})


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a build folder, after checking its schema version and fields."""
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise IndexNotFoundError(f"{path} is missing: {fix_hint(folder)}") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise damaged(folder, f"{MANIFEST} is not valid JSON ({err})") from None
    except OSError as err:
        raise damaged(folder, f"{MANIFEST} cannot be read ({err.strerror})") from None
    if not isinstance(manifest, dict):
        raise damaged(folder, f"{MANIFEST} is not a JSON object")
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        raise IndexMismatchError(
            f"{folder} has index schema version {version}, this policy-qa reads "
            f"version {SCHEMA_VERSION}: rebuild with this version: {_rebuild(folder)}"
        )
    check_manifest(folder, manifest)
    return manifest


def read_chunks(folder: Path) -> list[Chunk]:
    """Chunks in row order, as written by write_index."""
    path = folder / CHUNKS
    chunks = []
    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            try:
                record = json.loads(line)
                chunks.append(chunk_from_record(record))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as err:
                raise damaged(folder, f"{CHUNKS} line {line_no} is unreadable ({err!r})") from None
            if record.get("row") != line_no - 1:
                raise damaged(folder, f"{CHUNKS} line {line_no}: row out of order")
    return chunks


def read_docs(folder: Path) -> dict[str, DocMeta]:
    """Per-document metadata keyed by document path."""
    try:
        raw = json.loads((folder / DOCS).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise damaged(folder, f"{DOCS} cannot be read ({err})") from None
    known = {f.name for f in fields(DocMeta)}
    ok = isinstance(raw, dict) and all(
        isinstance(meta, dict) and all(isinstance(v, str) for k, v in meta.items() if k in known)
        for meta in raw.values()
    )
    if not ok:
        raise damaged(folder, f"{DOCS} does not map each document to its metadata")
    return {
        path: DocMeta(**{k: v for k, v in meta.items() if k in known}) for path, meta in raw.items()
    }


def read_vectors(folder: Path) -> np.ndarray:
    """All passage vectors of a build, row i == chunk i (float32, normalized)."""
    # Lazy: native library, see write_index.
    import faiss

    dense = faiss.read_index(str(folder / DENSE))
    return dense.reconstruct_n(0, dense.ntotal) if dense.ntotal else np.zeros((0, dense.d), "f4")


def read_unit_vectors(folder: Path) -> list[np.ndarray]:
    """Each passage's unit vectors (float16 views of one memory-mapped array), in row order."""
    stacked = np.load(folder / UNITS, mmap_mode="r", allow_pickle=False)
    offsets = np.load(folder / UNIT_OFFSETS, allow_pickle=False)
    return [stacked[a:b] for a, b in itertools.pairwise(offsets)]


def _rebuild(folder: Path) -> str:
    root = folder.parent.parent if folder.parent.name == "builds" else folder
    return f"`{build_command(root)}`"


def _checksum_limit(index_settings: IndexSettings | None) -> int:
    limit = (index_settings or IndexSettings()).checksum_on_open_mb
    return round(limit * MB)


@dataclass(frozen=True, eq=False)
class OpenIndex:
    """A loaded build: chunks, metadata, the query-side encoder and tokenizer, two searchers."""

    path: Path
    manifest: dict[str, Any]
    chunks: list[Chunk]
    docs: dict[str, DocMeta]
    encoder: Encoder
    tokenizer: ChineseTokenizer
    dense: Any  # faiss.IndexFlatIP
    sparse: Any  # bm25s.BM25
    units: list[np.ndarray]  # per passage: its units' vectors (float16)

    @property
    def build_id(self) -> str:
        """The id of the build this index was opened from."""
        return str(self.manifest.get("build_id", self.path.name))

    def dense_search(
        self, query_vec: np.ndarray, k: int, rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """(row, inner product) of the k nearest passages, optionally among `rows` only."""
        # Lazy: native library, see write_index.
        import faiss

        k = min(k, self.dense.ntotal)
        query = np.ascontiguousarray(query_vec, dtype=np.float32).reshape(1, -1)
        if query.shape[1] != self.dense.d:
            raise ValueError(f"query vector has {query.shape[1]} dims, index has {self.dense.d}")
        if k <= 0:
            return []
        if rows is None:
            scores, ids = self.dense.search(query, k)
        else:
            subset = np.unique(np.asarray(rows, dtype=np.int64))
            if subset.size == 0:
                return []
            selector = faiss.IDSelectorBatch(subset)  # must outlive the search call
            params = faiss.SearchParameters(sel=selector)
            scores, ids = self.dense.search(query, k, params=params)
        # FAISS pads with id -1 when fewer than k passages qualify.
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def sparse_search(
        self, tokens: list[str], k: int, rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """(row, BM25 score) of the k best passages with score > 0, optionally among `rows`."""
        n_docs = len(self.chunks)
        known = [t for t in tokens if t in self.sparse.vocab_dict]
        if k <= 0 or not known or n_docs == 0:
            return []
        mask = None
        if rows is not None:
            mask = np.zeros(n_docs, dtype=np.float32)
            mask[np.asarray(rows, dtype=np.int64)] = 1.0
        scores = self.sparse.get_scores(known, weight_mask=mask)
        order = np.argsort(-scores, kind="stable")[:k]
        # bm25s ranks every document, even those sharing no term with the query.
        return [(int(i), float(scores[i])) for i in order if scores[i] > 0]


class ScopedIndex:
    """An opened index as the retriever's PassageStore: scopes become precomputed row sets."""

    def __init__(self, index: OpenIndex) -> None:
        """Index the rows of each region and each document once."""
        self.index = index
        by_doc: dict[str, list[int]] = {}
        by_region: dict[str, list[int]] = {}
        for row, chunk in enumerate(index.chunks):
            by_doc.setdefault(chunk.doc, []).append(row)
            by_region.setdefault(chunk.region, []).append(row)
        self._doc_rows = {d: np.asarray(r, dtype=np.int64) for d, r in by_doc.items()}
        self._region_rows = {g: np.asarray(r, dtype=np.int64) for g, r in by_region.items()}
        self._region_of_doc = {c.doc: c.region for c in index.chunks}

    def rows(self, scope: Scope) -> np.ndarray | None:
        """The rows inside `scope`, sorted; None when the scope excludes nothing."""
        if not scope.limited:
            return None
        if scope.docs:
            docs = [
                d for d in scope.docs
                if not scope.regions or self._region_of_doc.get(d) in scope.regions
            ]  # fmt: skip
            parts = [self._doc_rows[d] for d in docs if d in self._doc_rows]
        else:
            parts = [self._region_rows[r] for r in scope.regions if r in self._region_rows]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

    def dense_search(self, vector: np.ndarray, k: int, scope: Scope) -> list[tuple[int, float]]:
        """(row, similarity) of the k nearest passages within `scope`."""
        return self.index.dense_search(vector, k, self.rows(scope))

    def term_search(self, terms: Sequence[str], k: int, scope: Scope) -> list[tuple[int, float]]:
        """(row, BM25 score > 0) of the k best passages within `scope`."""
        return self.index.sparse_search(list(terms), k, self.rows(scope))

    def passages(self, rows: Sequence[int]) -> list[Chunk]:
        """The passages at `rows`, in that order."""
        return [self.index.chunks[row] for row in rows]

    def unit_vectors(self, rows: Sequence[int]) -> list[np.ndarray]:
        """Each passage's unit vectors (units, dim), in the order of `rows`."""
        return [np.asarray(self.index.units[row], dtype=np.float32) for row in rows]


def open_index(
    index_dir: Path,
    model: str | None = None,
    settings: IndexSettings | None = None,
    model_origin: str = "--model",
) -> OpenIndex:
    """Open the live build under `index_dir` (or a build folder), checking model and files.

    `model` (given by `model_origin`: "--model" or "the config") must be the model the
    index was built with. Every file's size is checked against the manifest, and the
    checksum of every file up to `settings.checksum_on_open_mb`; a damaged build raises
    IndexDamagedError.
    """
    folder = resolve_live(index_dir)
    manifest = read_manifest(folder)
    built_with = manifest["embedding"]["model"]
    if model is not None and not same_model(model, built_with):
        fix = (
            f"rebuild with `{build_command(index_dir)} --model {model}`, or leave out --model"
            if model_origin == "--model"
            else f"rebuild with `{build_command(index_dir)}` (it embeds with the configured "
            "model), or remove [embedding] model from the config"
        )
        raise IndexMismatchError(
            f"the index at {index_dir} was built with model {built_with!r}, but {model_origin} "
            f"names {model!r}: {fix}"
        )
    check_files(folder, manifest["files"], _checksum_limit(settings))
    chunks, dense, sparse, units, docs = _load_checked(folder, manifest)
    rebuild = _rebuild(folder)
    tokenizer = _open_tokenizer(folder, manifest, rebuild)
    encoder = _open_encoder(manifest, dense.d, rebuild)
    logger.info("opened index %s: %d chunks", folder, len(chunks))
    return OpenIndex(folder, manifest, chunks, docs, encoder, tokenizer, dense, sparse, units)


def verify_index(index_dir: Path, settings: IndexSettings | None = None) -> dict[str, Any]:
    """Check the live build's files against its manifest and that they load and agree,
    without the model; its manifest. Every checksum, or with `settings` those opening
    checks (files up to `checksum_on_open_mb`)."""
    folder = resolve_live(index_dir)
    manifest = read_manifest(folder)
    check_files(folder, manifest["files"], None if settings is None else _checksum_limit(settings))
    _load_checked(folder, manifest)
    return manifest


def _load_checked(
    folder: Path, manifest: dict[str, Any]
) -> tuple[list[Chunk], Any, Any, list[np.ndarray], dict[str, DocMeta]]:
    """Chunks, both searchers, unit vectors and documents, after checking that they agree."""
    # Lazy: native libraries, see write_index.
    import bm25s
    import faiss

    for name in (DENSE, BM25_DIR, CHUNKS, DOCS, UNITS, UNIT_OFFSETS):
        if not (folder / name).exists():
            raise damaged(folder, f"{name} is missing")
    chunks = read_chunks(folder)
    docs = read_docs(folder)
    try:
        dense = faiss.read_index(str(folder / DENSE))
    except _UNREADABLE as err:
        raise damaged(folder, f"{DENSE} cannot be read ({_brief(err)})") from None
    try:
        sparse = bm25s.BM25.load(str(folder / BM25_DIR), allow_pickle=False, show_progress=False)
        bm25_docs = int(sparse.scores["num_docs"])
    except _UNREADABLE as err:
        raise damaged(folder, f"{BM25_DIR}/ cannot be read ({_brief(err)})") from None
    try:
        units = read_unit_vectors(folder)
    except _UNREADABLE as err:
        raise damaged(folder, f"{UNITS} cannot be read ({_brief(err)})") from None
    expected = manifest["counts"]["chunks"]
    if not (expected == len(chunks) == dense.ntotal == bm25_docs == len(units)):
        raise damaged(
            folder,
            f"manifest.json says {expected} chunks, {CHUNKS} has {len(chunks)}, {DENSE} "
            f"{dense.ntotal} vectors, {BM25_DIR}/ {bm25_docs} documents, {UNITS} "
            f"{len(units)} passages",
        )
    unknown = {c.doc for c in chunks} - set(docs)
    if unknown:
        raise damaged(folder, f"{DOCS} lacks {len(unknown)} indexed document(s)")
    return chunks, dense, sparse, units, docs


def _brief(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def same_model(requested: str, built_with: str) -> bool:
    """Whether two model names (ids or folders) name the same model."""
    if requested == built_with:
        return True
    a, b = Path(requested).expanduser(), Path(built_with).expanduser()
    return a.exists() and b.exists() and a.resolve() == b.resolve()


def _open_tokenizer(folder: Path, manifest: dict[str, Any], rebuild: str) -> ChineseTokenizer:
    settings = manifest["tokenizer"]
    if settings.get("version") != TOKENIZER_VERSION:
        raise IndexMismatchError(
            f"the index at {folder} was tokenized with {settings.get('version')!r}, this "
            f"version tokenizes with {TOKENIZER_VERSION!r}: rebuild with {rebuild}"
        )
    return make_tokenizer(settings["user_words"])


def _open_encoder(manifest: dict[str, Any], dim: int, rebuild: str) -> Encoder:
    # Lazy: the encoder pulls in torch and sentence-transformers.
    from index.embedder import Encoder

    emb = manifest["embedding"]
    known = {f.name for f in fields(EmbeddingSettings)}
    encoder = Encoder.load(EmbeddingSettings(**{k: v for k, v in emb.items() if k in known}))
    if encoder.fingerprint != emb["fingerprint"] or encoder.dim != dim:
        raise IndexMismatchError(
            f"model {emb['model']!r} has changed since the index was built (fingerprint "
            f"{emb['fingerprint']} -> {encoder.fingerprint}, dim {dim} -> {encoder.dim}): "
            f"rebuild with {rebuild}"
        )
    return encoder
