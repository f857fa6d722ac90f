"""Opening a build folder: its files checked against the manifest, its parts loaded and agreeing.

Opening memory-maps the big arrays and reads no passage: a passage is read (and its
checksum checked) when a question needs it. The query side (encoder, tokenizer) is
rebuilt from the manifest, so a question is always embedded and tokenized the way its
index was. The files themselves are described in index/build_files.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.bm25 import BM25_DIR, VOCAB, TermIndex
from index.build_files import (
    DOCS,
    HEAD_FILES,
    REQUIRED_FILES,
    UNITS,
    UnitTable,
    read_docs,
    read_term_weights,
)
from index.chunk_table import CHUNK_DOCS, CHUNKS, ChunkTable
from index.dense import DENSE, DenseIndex
from index.errors import brief
from index.integrity import IndexDamagedError, IndexMismatchError, check_files, damaged
from index.manifest import embedding_settings, read_manifest, rebuild_hint
from index.paths import jieba_cache_dir
from index.publish import IndexNotFoundError, build_command, resolve_live
from rag.answering.terms import TermWeights
from rag.config import IndexSettings
from rag.tokenize import TOKENIZER_VERSION, ChineseTokenizer
from rag.types import DocMeta

if TYPE_CHECKING:
    from index.embedder import Encoder

__all__ = [
    "IndexDamagedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "OpenIndex",
    "make_tokenizer",
    "open_index",
    "verify_index",
]

logger = logging.getLogger(__name__)

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


def _checksum_limit(index_settings: IndexSettings | None) -> int:
    limit = (index_settings or IndexSettings()).checksum_on_open_mb
    return round(limit * MB)


@dataclass(frozen=True, eq=False)
class OpenIndex:
    """A loaded build: passages by row, metadata, the query side and both searchers."""

    path: Path
    manifest: dict[str, Any]
    chunks: ChunkTable  # the parts below are None when only the head was opened
    docs: dict[str, DocMeta]
    encoder: Encoder
    tokenizer: ChineseTokenizer
    dense: DenseIndex
    sparse: TermIndex
    units: UnitTable  # per passage: its units' vectors (float16)
    weights: TermWeights
    vocab: dict[str, int]  # BM25 terms and their ids

    @property
    def size(self) -> int:
        """Number of passages."""
        return int(self.manifest["counts"]["chunks"])

    @property
    def build_id(self) -> str:
        """The id of the build this index was opened from."""
        return str(self.manifest.get("build_id", self.path.name))

    def dense_search(
        self, query_vec: np.ndarray, k: int, rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """(row, inner product) of the k nearest passages, optionally among `rows` only."""
        subset = None if rows is None else np.unique(np.asarray(rows, dtype=np.int64))
        return self.dense.search(query_vec, k, subset)

    def sparse_search(
        self, tokens: list[str], k: int, rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """(row, BM25 score) of the k best passages with score > 0, optionally among `rows`."""
        allowed = None
        if rows is not None:
            allowed = np.zeros(len(self.chunks), dtype=bool)
            allowed[np.asarray(rows, dtype=np.int64)] = True
        return self.sparse.search(tokens, k, allowed)


def open_index(
    index_dir: Path,
    model: str | None = None,
    settings: IndexSettings | None = None,
    model_origin: str = "--model",
    head_only: bool = False,
) -> OpenIndex:
    """Open the live build under `index_dir` (or a build folder), checking model and files.

    `model` (given by `model_origin`: "--model" or "the config") must be the model the
    index was built with. Every file's size is checked against the manifest, and the
    checksum of every file up to `settings.checksum_on_open_mb`; a damaged build raises
    IndexDamagedError. `head_only`: only the query side (documents, term statistics and
    vocabulary, model, tokenizer), for a store that serves the passages from elsewhere.
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
    files = manifest["files"]
    if head_only:
        files = {rel: record for rel, record in files.items() if rel in HEAD_FILES}
    check_files(folder, files, _checksum_limit(settings))
    if head_only:
        parts = _load_head(folder)
    else:
        parts = _load_checked(folder, manifest, settings or IndexSettings())
    rebuild = rebuild_hint(folder)
    tokenizer = _open_tokenizer(folder, manifest, rebuild)
    encoder = _open_encoder(manifest, int(manifest["embedding"]["dim"]), rebuild)
    logger.info("opened index %s: %d chunks", folder, manifest["counts"]["chunks"])
    return OpenIndex(folder, manifest, encoder=encoder, tokenizer=tokenizer, **parts)


def _load_head(folder: Path) -> dict[str, Any]:
    """Documents, term weights and the BM25 vocabulary (no passage, vector or posting)."""
    try:
        vocab = json.loads((folder / BM25_DIR / VOCAB).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise damaged(folder, f"{BM25_DIR}/{VOCAB} cannot be read ({brief(err)})") from None
    if not isinstance(vocab, dict):
        raise damaged(folder, f"{BM25_DIR}/{VOCAB} is not a JSON object")
    parts = {"chunks": None, "dense": None, "sparse": None, "units": None}
    return {
        **parts,
        "docs": read_docs(folder),
        "weights": read_term_weights(folder),
        "vocab": vocab,
    }


def verify_index(index_dir: Path, settings: IndexSettings | None = None) -> dict[str, Any]:
    """Check the live build's files against its manifest and that they load and agree,
    without the model; its manifest. Every checksum, or with `settings` those opening
    checks (files up to `checksum_on_open_mb`)."""
    folder = resolve_live(index_dir)
    manifest = read_manifest(folder)
    check_files(folder, manifest["files"], None if settings is None else _checksum_limit(settings))
    parts = _load_checked(folder, manifest, settings or IndexSettings())
    parts["chunks"].close()
    return manifest


def _load_checked(folder: Path, manifest: dict[str, Any], settings: IndexSettings) -> dict:
    """Passage table, both searchers, unit vectors, documents and term weights, after
    checking that they agree (nothing big is read: the arrays are memory-mapped)."""
    for name in REQUIRED_FILES:
        if not (folder / name).exists():
            raise damaged(folder, f"{name} is missing")
    docs = read_docs(folder)
    weights = read_term_weights(folder)
    loaders = {
        "chunks": lambda: ChunkTable(folder),
        "dense": lambda: DenseIndex(folder, manifest.get("dense", {}), settings.exact_scope_rows),
        "sparse": lambda: TermIndex(folder / BM25_DIR),
        "units": lambda: UnitTable(folder),
    }
    names = {"chunks": CHUNKS, "dense": DENSE, "sparse": f"{BM25_DIR}/", "units": UNITS}
    parts: dict[str, Any] = {"docs": docs, "weights": weights}
    for key, load in loaders.items():
        try:
            parts[key] = load()
        except IndexDamagedError:
            raise
        except _UNREADABLE as err:
            raise damaged(folder, f"{names[key]} cannot be read ({brief(err)})") from None
    counts = {
        "manifest.json": manifest["counts"]["chunks"],
        CHUNKS: len(parts["chunks"]),
        DENSE: parts["dense"].ntotal,
        f"{BM25_DIR}/": parts["sparse"].docs,
        UNITS: len(parts["units"]),
    }
    if len(set(counts.values())) != 1:
        said = ", ".join(f"{name} {count}" for name, count in counts.items())
        raise damaged(folder, f"its parts disagree on the number of passages ({said})")
    doc_ids = parts["chunks"].doc_ids
    if len(doc_ids) and (int(doc_ids.min()) < 0 or int(doc_ids.max()) >= len(docs)):
        raise damaged(folder, f"{CHUNK_DOCS} names documents {DOCS} does not hold")
    if parts["dense"].dim != manifest["embedding"]["dim"]:
        raise damaged(folder, f"{DENSE} holds vectors of another size than the model's")
    parts["vocab"] = parts["sparse"].vocab
    return parts


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
    encoder = Encoder.load(embedding_settings(manifest))
    if encoder.fingerprint != emb["fingerprint"] or encoder.dim != dim:
        raise IndexMismatchError(
            f"model {emb['model']!r} has changed since the index was built (fingerprint "
            f"{emb['fingerprint']} -> {encoder.fingerprint}, dim {dim} -> {encoder.dim}): "
            f"rebuild with {rebuild}"
        )
    return encoder
