"""Build an index from a documents folder, streaming: read and chunk, then tokenize and embed
in batches, append everything to disk, publish.

Memory stays bounded whatever the corpus: one document is read at a time and its passages
go straight to chunks.jsonl; passages are then tokenized and embedded `batch_chunks` at a
time, their vectors appended to disk and their tokens to sorted runs that the BM25 writer
merges at the end. Embeddings are kept by content in the index root's cache (committed
batch by batch), so an unchanged passage is never embedded twice, a killed build resumes
where it stopped, and a build whose passages are all cached never loads the model.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import logging
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.bm25 import BM25_DIR, BM25Writer
from index.build_files import DOCS, TERMS, UNIT_OFFSETS, UNITS
from index.chunk_table import ChunkTable, ChunkWriter
from index.dense import DenseWriter
from index.discovery import shown
from index.embed_cache import CACHE_FILE, EmbeddingCache
from index.freshness import scan_inputs, why_stale
from index.loaders import UnreadableDocument, discover, load_document, read_file
from index.manifest import write_manifest
from index.npyfile import NpyAppender
from index.publish import abandon_build, build_lock, new_build_id, publish_build, start_build
from index.reuse import LazyEncoder, LazyTokenizer, batch_vectors
from index.store import verify_index
from rag.answering.terms import bigrams
from rag.config import Settings
from rag.reading.chunking import CHUNKER_VERSION, chunk_document
from rag.tokenize import user_words_from_chunks
from rag.types import Chunk, DocMeta

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)

# (stage, done, total); stages in order: "load", "model", "embed", "write" ("model" only
# when a passage is not in the embedding cache). "load" counts bytes of the files read and
# chunked, so a huge file moves the bar; "embed" counts passages tokenized and embedded
# (reused ones included).
BuildProgress = Callable[[str, int, int], None]

WORK = ".work"  # scratch files of a build in progress, inside its temporary folder
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


@dataclass
class _Read:
    """What reading and chunking left behind (the passages themselves are on disk)."""

    docs: dict[str, DocMeta] = field(default_factory=dict)  # in row order of first passage
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_file: dict[str, str] = field(default_factory=dict)  # sha256 by path in the folder
    skipped: list[tuple[str, str]] = field(default_factory=list)
    user_words: set[str] = field(default_factory=set)
    bigram_df: Counter[str] = field(default_factory=Counter)
    sections: int = 0
    chunks: int = 0


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
        cache = EmbeddingCache(index_root / CACHE_FILE)
        try:
            result = _build_into(tmp, build_id, docs_dir, cache, settings, report)
            remote = settings.store.backend == "milvus"
            if remote:
                # Lazy: pymilvus is an optional extra, imported only for a Milvus store.
                from index import milvus_publish

                milvus_publish.publish(tmp, settings.store, report)
            final = publish_build(index_root, tmp, build_id, settings.index.keep_builds)
            if remote:
                milvus_publish.make_live(settings.store, build_id, settings.index.keep_builds)
            cache.prune()
        except BaseException:
            abandon_build(tmp)
            raise
        finally:
            cache.close()
    seconds = time.perf_counter() - started
    logger.info("published build %s (%d chunks) in %.1f s", build_id, result.chunks, seconds)
    return replace(result, index_dir=final, seconds=seconds)


def _noop(stage: str, done: int, total: int) -> None:
    """Progress sink when nobody watches."""


def _build_into(
    tmp: Path,
    build_id: str,
    docs_dir: Path,
    cache: EmbeddingCache,
    settings: Settings,
    progress: BuildProgress,
) -> BuildReport:
    inputs = scan_inputs(docs_dir, settings)
    read = _read_documents(docs_dir, tmp, settings, progress)
    if not read.chunks:
        raise NoDocumentsError(f"the documents in {docs_dir} hold no text to index")
    tokenizer = LazyTokenizer(sorted(read.user_words), cache)
    encoder = LazyEncoder(settings.embedding, cache, progress)
    embedded = _embed_and_tokenize(tmp, read.chunks, tokenizer, encoder, cache, settings, progress)
    progress("write", 0, 1)
    dense = embedded.dense.finish(tmp, settings.index)
    embedded.bm25.finish(tmp / BM25_DIR)
    shutil.rmtree(tmp / WORK)
    _write_json(tmp / DOCS, {path: asdict(meta) for path, meta in read.docs.items()})
    _write_json(tmp / TERMS, {"passages": read.chunks, "df": dict(sorted(read.bigram_df.items()))})
    manifest = {
        "build_id": build_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "builder": {"name": "policy-qa", "version": _version("policy-qa")},
        "libraries": {name: _version(name) for name in LIBRARIES},
        "embedding": encoder.entry(),
        "chunking": {**asdict(settings.chunking), "chunker_version": CHUNKER_VERSION},
        "tokenizer": tokenizer.settings,
        "dense": dense,
        "sources": read.sources,
        "skipped": [{"path": p, "reason": r} for p, r in sorted(read.skipped)],
        "counts": {"documents": len(read.docs), "sections": read.sections, "chunks": read.chunks},
        "inputs": inputs.record(read.by_file, settings),
    }
    write_manifest(tmp, manifest)
    verify_index(tmp)  # every checksum read back, every file opened: never publish a bad build
    progress("write", 1, 1)
    return BuildReport(
        build_id=build_id,
        index_dir=tmp,
        documents=len(read.docs),
        sections=read.sections,
        chunks=read.chunks,
        embeddings_reused=read.chunks - embedded.new,
        embeddings_new=embedded.new,
        skipped=tuple(sorted(read.skipped)),
        seconds=0.0,
    )


def _read_documents(
    docs_dir: Path, tmp: Path, settings: Settings, progress: BuildProgress
) -> _Read:
    """Read, clean and chunk one document at a time, appending its passages to disk."""
    max_bytes = round(settings.documents.max_document_mb * 1024 * 1024)
    found = discover(docs_dir, max_bytes)
    read = _Read(skipped=[(s.path, s.reason) for s in found.skipped])
    for name, reason in read.skipped:
        logger.warning("skipping %s: %s", name, reason)
    sizes = [_size(path) for path in found.documents]
    done, total = 0, sum(sizes)
    writer = ChunkWriter(tmp)
    progress("load", 0, total)
    try:
        for path, size in zip(found.documents, sizes, strict=True):
            # One bar in bytes: reading a file moves it through the first half of the
            # file's share, chunking its text through the second.
            step = functools.partial(_load_progress, progress, done, size // 2, total)
            try:
                doc = load_document(path, docs_dir, max_bytes, step)
                digest = hashlib.sha256(read_file(path, max_bytes)).hexdigest()
            except UnreadableDocument as err:
                rel = shown(path.relative_to(docs_dir).as_posix())
                logger.warning("skipping %s: %s", rel, err.reason)
                read.skipped.append((rel, err.reason))
            else:
                read.by_file[path.relative_to(docs_dir).as_posix()] = digest
                half = size // 2
                chunked = functools.partial(
                    _chunk_progress, progress, done + half, size - half, len(doc.text), total
                )
                chunks = chunk_document(doc, settings.chunking, chunked)
                _add_document(read, writer, doc.path, doc.meta, digest, chunks)
                read.sources[doc.path]["chars"] = len(doc.text)
            done += size
            progress("load", done, total)
    finally:
        writer.close()
    if not read.docs:
        reasons = "; ".join(f"{p}: {r}" for p, r in read.skipped) or "no supported files found"
        raise NoDocumentsError(f"no readable documents in {docs_dir} ({reasons})")
    return read


def _add_document(
    read: _Read, writer: ChunkWriter, path: str, meta: DocMeta, digest: str, chunks: list[Chunk]
) -> None:
    """Append one document's passages and count what the manifest and the query side need."""
    doc_id = len(read.docs)
    read.docs[path] = meta
    for chunk in chunks:
        writer.add(chunk, doc_id)
        read.bigram_df.update(bigrams(chunk.text.lower()))
    read.chunks += len(chunks)
    read.sections += len({c.section for c in chunks})
    read.user_words.update(user_words_from_chunks(chunks))
    read.sources[path] = {"sha256": digest, "chars": 0, "chunks": len(chunks), "meta": asdict(meta)}


def _load_progress(progress: BuildProgress, base: int, size: int, total: int, share: float) -> None:
    progress("load", base + round(share * size), total)


def _chunk_progress(
    progress: BuildProgress, base: int, size: int, chars: int, total: int, offset: int
) -> None:
    progress("load", base + round(size * offset / max(chars, 1)), total)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # gone since it was found: loading it says why


@dataclass
class _Embedded:
    dense: DenseWriter
    bm25: BM25Writer
    new: int


def _embed_and_tokenize(
    tmp: Path,
    rows: int,
    tokenizer: LazyTokenizer,
    encoder: LazyEncoder,
    cache: EmbeddingCache,
    settings: Settings,
    progress: BuildProgress,
) -> _Embedded:
    """Tokenize and embed the passages batch by batch, appending tokens and vectors to disk."""
    work = tmp / WORK
    bm25 = BM25Writer(work / "bm25")
    dense = DenseWriter(work, encoder.dim)
    units = NpyAppender(tmp / UNITS, "float16", (encoder.dim,))
    offsets = NpyAppender(tmp / UNIT_OFFSETS, "int64")
    offsets.append(np.zeros(1, dtype=np.int64))
    table = ChunkTable(tmp)
    done = new = 0
    progress("embed", 0, rows)
    try:
        for batch in _batches(iter(table), settings.index.batch_chunks):
            for tokens in tokenizer.tokens([chunk.index_text for chunk in batch]):
                bm25.add(tokens)
            vectors, unit_sets, made = batch_vectors(batch, encoder, cache)
            dense.append(vectors)
            ends = []
            for unit_vectors in unit_sets:
                units.append(unit_vectors)
                ends.append(units.rows)
            offsets.append(np.asarray(ends, dtype=np.int64))
            new += made
            done += len(batch)
            progress("embed", done, rows)
    finally:
        table.close()
        units.close()
        offsets.close()
    return _Embedded(dense, bm25, new)


def _batches(chunks: Iterator[Chunk], size: int) -> Iterator[list[Chunk]]:
    batch: list[Chunk] = []
    for chunk in chunks:
        batch.append(chunk)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


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
