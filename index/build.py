"""Build an index from a documents folder: load, chunk, tokenize, embed (reusing), publish."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.discovery import shown
from index.freshness import scan_inputs, why_stale
from index.loaders import UnreadableDocument, discover, load_document, read_file
from index.publish import (
    IndexNotFoundError,
    abandon_build,
    build_lock,
    new_build_id,
    publish_build,
    resolve_live,
    start_build,
)
from index.store import (
    IndexMismatchError,
    make_tokenizer,
    read_chunks,
    read_manifest,
    read_unit_vectors,
    read_vectors,
    verify_index,
    write_index,
)
from rag.answering.units import UNITS_VERSION, unit_spans
from rag.config import Settings
from rag.reading.chunking import CHUNKER_VERSION, chunk_document
from rag.tokenize import user_words_from_chunks
from rag.types import Chunk, SourceDoc

if TYPE_CHECKING:
    from index.embedder import Encoder

logger = logging.getLogger(__name__)

# (stage, done, total); stages in order: "load", "chunk", "tokenize", "model", "embed", "write".
# "load" counts bytes of the files read, "chunk" characters chunked: a huge file moves the bar.
BuildProgress = Callable[[str, int, int], None]

LIBRARIES = ("faiss-cpu", "bm25s", "jieba", "sentence-transformers", "torch", "numpy")


class NoDocumentsError(ValueError):
    """The documents folder is missing or holds nothing that can be indexed."""


@dataclass(frozen=True)
class BuildReport:
    """What a build did, for the CLI summary and the benchmark."""

    build_id: str
    index_dir: Path
    documents: int
    sections: int
    chunks: int
    embeddings_reused: int
    embeddings_new: int
    skipped: tuple[tuple[str, str], ...]  # (document path, reason)
    seconds: float


@dataclass(frozen=True)
class _Loaded:
    docs: list[SourceDoc]
    sha256: dict[str, str]  # by document path
    skipped: tuple[tuple[str, str], ...]
    by_file: dict[str, str]  # sha256 by path as found in the folder


def build_index(
    docs_dir: Path, index_root: Path, settings: Settings, progress: BuildProgress | None = None
) -> BuildReport:
    """Build a new index of `docs_dir` and make it the live build under `index_root`."""
    started = time.perf_counter()
    if not docs_dir.is_dir():
        raise NoDocumentsError(f"documents folder {docs_dir} does not exist: pass --docs DIR")
    report = _noop if progress is None else progress
    with build_lock(index_root):
        build_id = new_build_id()
        tmp = start_build(index_root, build_id)
        try:
            result = _build_into(tmp, build_id, docs_dir, index_root, settings, report)
        except BaseException:
            abandon_build(tmp)
            raise
        final = publish_build(index_root, tmp, build_id, settings.index.keep_builds)
    seconds = time.perf_counter() - started
    logger.info("published build %s (%d chunks) in %.1f s", build_id, result.chunks, seconds)
    return replace(result, index_dir=final, seconds=seconds)


def _noop(stage: str, done: int, total: int) -> None:
    """Progress sink when nobody watches."""


def _build_into(
    tmp: Path,
    build_id: str,
    docs_dir: Path,
    index_root: Path,
    settings: Settings,
    progress: BuildProgress,
) -> BuildReport:
    inputs = scan_inputs(docs_dir, settings)
    loaded = _load_documents(docs_dir, settings, progress)
    chunks = _chunk_documents(loaded.docs, settings, progress)
    if not chunks:
        raise NoDocumentsError(f"the documents in {docs_dir} hold no text to index")
    tokenizer = make_tokenizer(user_words_from_chunks(chunks))
    tokens = []
    for i, chunk in enumerate(chunks, 1):
        tokens.append(tokenizer.tokens(chunk.index_text))
        progress("tokenize", i, len(chunks))
    # Lazy: the encoder pulls in torch and sentence-transformers.
    from index.embedder import Encoder

    progress("model", 0, 1)
    encoder = Encoder.load(settings.embedding)
    progress("model", 1, 1)
    reusable = _reusable_vectors(index_root, _embedding_entry(encoder))
    vectors, units, reused = _embed(chunks, encoder, reusable, progress)
    manifest = _manifest(build_id, settings, encoder, tokenizer.settings(), loaded, chunks)
    manifest["inputs"] = inputs.record(loaded.by_file, settings)
    progress("write", 0, 1)
    docs = {d.path: d.meta for d in loaded.docs}
    write_index(tmp, chunks, vectors, units, tokens, docs, manifest)
    verify_index(tmp)  # every checksum read back, every file loaded: never publish a bad build
    progress("write", 1, 1)
    return BuildReport(
        build_id=build_id,
        index_dir=tmp,
        documents=len(loaded.docs),
        sections=manifest["counts"]["sections"],
        chunks=len(chunks),
        embeddings_reused=reused,
        embeddings_new=len(chunks) - reused,
        skipped=loaded.skipped,
        seconds=0.0,
    )


def _load_documents(docs_dir: Path, settings: Settings, progress: BuildProgress) -> _Loaded:
    max_bytes = round(settings.documents.max_document_mb * 1024 * 1024)
    found = discover(docs_dir, max_bytes)
    docs: list[SourceDoc] = []
    sha256: dict[str, str] = {}
    by_file: dict[str, str] = {}
    skipped = [(s.path, s.reason) for s in found.skipped]
    for path, reason in skipped:
        logger.warning("skipping %s: %s", path, reason)
    sizes = [_size(path) for path in found.documents]
    done, total = 0, sum(sizes)
    progress("load", 0, total)
    for path, size in zip(found.documents, sizes, strict=True):
        step = functools.partial(_load_progress, progress, done, size, total)
        try:
            doc = load_document(path, docs_dir, max_bytes, step)
            digest = hashlib.sha256(read_file(path, max_bytes)).hexdigest()
        except UnreadableDocument as err:
            rel = shown(path.relative_to(docs_dir).as_posix())
            logger.warning("skipping %s: %s", rel, err.reason)
            skipped.append((rel, err.reason))
        else:
            docs.append(doc)
            sha256[doc.path] = digest
            by_file[path.relative_to(docs_dir).as_posix()] = digest
        done += size
        progress("load", done, total)
    if not docs:
        reasons = "; ".join(f"{p}: {r}" for p, r in skipped) or "no supported files found"
        raise NoDocumentsError(f"no readable documents in {docs_dir} ({reasons})")
    return _Loaded(docs, sha256, tuple(sorted(skipped)), by_file)


def _load_progress(progress: BuildProgress, base: int, size: int, total: int, share: float) -> None:
    progress("load", base + round(share * size), total)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # gone since it was found: loading it says why


def _chunk_progress(progress: BuildProgress, base: int, total: int, offset: int) -> None:
    progress("chunk", base + offset, total)


def _chunk_documents(
    docs: Sequence[SourceDoc], settings: Settings, progress: BuildProgress
) -> list[Chunk]:
    chunks: list[Chunk] = []
    done, total = 0, sum(len(doc.text) for doc in docs)
    progress("chunk", 0, total)
    for doc in docs:
        step = functools.partial(_chunk_progress, progress, done, total)
        chunks.extend(chunk_document(doc, settings.chunking, step))
        done += len(doc.text)
        progress("chunk", done, total)
    return chunks


def embedding_key(embedding: dict[str, Any], index_text: str) -> str:
    """What identifies a passage vector: model fingerprint, passage prompt, length and text."""
    parts = (
        str(embedding["fingerprint"]),
        str(embedding["passage_prompt"]),
        str(embedding["max_seq_length"]),
        index_text,
    )
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _embedding_entry(encoder: Encoder) -> dict[str, Any]:
    """The manifest's embedding section: settings plus what identifies the weights."""
    return {
        **asdict(encoder.settings),
        "model_id": encoder.model_id,
        "fingerprint": encoder.fingerprint,
        "dim": encoder.dim,
        "units": UNITS_VERSION,
    }


Reusable = dict[str, tuple[np.ndarray, np.ndarray]]  # embedding_key -> passage and unit vectors


def _reusable_vectors(index_root: Path, embedding: dict[str, Any]) -> Reusable:
    """Vectors of the live build keyed by embedding_key, or {} when none can be reused."""
    try:
        folder = resolve_live(index_root)
        old = read_manifest(folder)["embedding"]
        same = ("fingerprint", "dim", "units")
        if any(old.get(key) != embedding[key] for key in same):
            logger.info("the live index used another model or units: embedding every passage")
            return {}
        chunks, vectors = read_chunks(folder), read_vectors(folder)
        units = read_unit_vectors(folder)
    except IndexNotFoundError:
        return {}
    except (IndexMismatchError, KeyError, OSError, RuntimeError) as err:
        # This build replaces a broken live index; all it loses is the reuse.
        logger.warning("cannot reuse embeddings of the live index: %s", err)
        return {}
    if not len(chunks) == len(vectors) == len(units):
        logger.warning(
            "live index has %d chunks, %d vectors: not reusing", len(chunks), len(vectors)
        )
        return {}
    return {
        embedding_key(old, c.index_text): (vectors[i], np.asarray(units[i], dtype=np.float32))
        for i, c in enumerate(chunks)
    }


def _embed(
    chunks: Sequence[Chunk],
    encoder: Encoder,
    reusable: Reusable,
    progress: BuildProgress,
) -> tuple[np.ndarray, list[np.ndarray], int]:
    """Passage and unit vectors for all chunks in row order, and how many were reused."""
    # Lazy: the pooling code needs torch, loaded along with the model.
    from index.unit_vectors import encode_with_units

    embedding = _embedding_entry(encoder)
    keys = [embedding_key(embedding, c.index_text) for c in chunks]
    vectors = np.zeros((len(chunks), encoder.dim), dtype=np.float32)
    units: list[np.ndarray] = [np.zeros((0, encoder.dim), np.float32)] * len(chunks)
    todo = [i for i, key in enumerate(keys) if key not in reusable]
    for i, key in enumerate(keys):
        if key in reusable:
            vectors[i], units[i] = reusable[key]
    progress("embed", 0, len(todo))
    if todo:
        # One call: the encoder batches the texts by length across all of them.
        new, new_units = encode_with_units(
            encoder,
            [chunks[i].index_text for i in todo],
            [unit_spans(chunks[i]) for i in todo],
            progress=lambda done: progress("embed", done, len(todo)),
        )
        vectors[todo] = new
        for i, unit_vectors in zip(todo, new_units, strict=True):
            units[i] = unit_vectors
    return vectors, units, len(chunks) - len(todo)


def _manifest(
    build_id: str,
    settings: Settings,
    encoder: Encoder,
    tokenizer: dict[str, object],
    loaded: _Loaded,
    chunks: Sequence[Chunk],
) -> dict[str, Any]:
    per_doc: dict[str, int] = {}
    for chunk in chunks:
        per_doc[chunk.doc] = per_doc.get(chunk.doc, 0) + 1
    sources = {
        d.path: {
            "sha256": loaded.sha256[d.path],
            "chars": len(d.text),
            "chunks": per_doc.get(d.path, 0),
            "meta": asdict(d.meta),
        }
        for d in loaded.docs
    }
    return {
        "build_id": build_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "builder": {"name": "policy-qa", "version": _version("policy-qa")},
        "libraries": {name: _version(name) for name in LIBRARIES},
        "embedding": _embedding_entry(encoder),
        "chunking": {**asdict(settings.chunking), "chunker_version": CHUNKER_VERSION},
        "tokenizer": tokenizer,
        "sources": sources,
        "skipped": [{"path": p, "reason": r} for p, r in loaded.skipped],
        "counts": {
            "documents": len(loaded.docs),
            "sections": len({(c.doc, c.section) for c in chunks}),
            "chunks": len(chunks),
        },
    }


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"  # running from a source tree that was never pip-installed


def build_if_stale(
    docs_dir: Path, index_root: Path, settings: Settings, progress: BuildProgress | None = None
) -> tuple[str, BuildReport | None]:
    """Build only when the live build no longer matches the documents or the settings.

    Returns why a build was made ("" when none was) and its report. The check reads no
    document that is unchanged in size and time, and never loads the model.
    """
    reason = why_stale(index_root, docs_dir, settings)
    if not reason:
        return "", None
    logger.info("building %s: %s", index_root, reason)
    return reason, build_index(docs_dir, index_root, settings, progress)
