"""A build folder's files (plain JSON, JSONL, .npy, FAISS and bm25s; no pickle), each read alone.

A build folder (schema 2) holds:

    manifest.json      schema version, library versions, model, chunking, tokenizer, dense
                       index kind and parameters, sources, inputs, counts, and every other
                       file's size and sha256 (written last: the mark of a complete build;
                       see index/manifest.py)
    chunks.jsonl       row i == FAISS id i == BM25 doc i; read by row through
    chunk_offsets.npy  chunk_crc.npy  chunk_docs.npy   (see index/chunk_table.py)
    dense.faiss        flat, or IVF with 8-bit codes and vectors.npy (see index/dense.py)
    bm25/              bm25s's files, opened memory-mapped (see index/bm25.py)
    units.npy          float16 vectors of every passage's units (sentences, table rows)
    unit_offsets.npy   int64: passage i's units are units.npy[offsets[i]:offsets[i+1]]
    docs.json          per-document metadata, in the order chunk_docs.npy numbers them
    terms.json         {"passages": n, "df": {bigram: passages using it}}: the answer
                       layer's term weights, counted at build time

Opening a whole build, every file checked against the manifest, is index/store.py's.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import numpy as np

from index.bm25 import BM25_DIR, VOCAB
from index.chunk_table import CHUNK_CRC, CHUNK_DOCS, CHUNK_OFFSETS, CHUNKS, ChunkTable
from index.dense import DENSE, DenseIndex
from index.errors import brief
from index.integrity import damaged
from index.manifest import read_manifest
from rag.answering.terms import TermWeights
from rag.types import Chunk, DocMeta

__all__ = [
    "DOCS",
    "HEAD_FILES",
    "REQUIRED_FILES",
    "TERMS",
    "UNITS",
    "UNIT_OFFSETS",
    "UnitTable",
    "read_chunks",
    "read_docs",
    "read_term_weights",
    "read_unit_vectors",
    "read_vectors",
]

DOCS = "docs.json"
TERMS = "terms.json"
UNITS = "units.npy"
UNIT_OFFSETS = "unit_offsets.npy"
REQUIRED_FILES: tuple[str, ...] = (CHUNKS, CHUNK_OFFSETS, CHUNK_CRC, CHUNK_DOCS, DENSE, BM25_DIR)
REQUIRED_FILES += (DOCS, TERMS, UNITS, UNIT_OFFSETS)
# What a server whose passages live in Milvus needs of a build: the query side.
HEAD_FILES = (DOCS, TERMS, f"{BM25_DIR}/{VOCAB}")


def read_chunks(folder: Path) -> list[Chunk]:
    """Every chunk in row order (for exports and tests: opening reads them by row)."""
    table = ChunkTable(folder)
    try:
        return list(table)
    finally:
        table.close()


def read_docs(folder: Path) -> dict[str, DocMeta]:
    """Per-document metadata keyed by document path, in the order chunk_docs.npy uses."""
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


def read_term_weights(folder: Path) -> TermWeights:
    """The answer layer's bigram weights, from the counts the build saved."""
    try:
        raw = json.loads((folder / TERMS).read_text(encoding="utf-8"))
        return TermWeights.from_counts(raw["df"], int(raw["passages"]))
    except (OSError, ValueError, KeyError, TypeError, ZeroDivisionError) as err:
        raise damaged(folder, f"{TERMS} cannot be read ({brief(err)})") from None


def read_vectors(folder: Path) -> np.ndarray:
    """All passage vectors of a build, row i == chunk i (float32)."""
    manifest = read_manifest(folder)
    dense = DenseIndex(folder, manifest.get("dense", {}), 0)
    if dense.vectors is not None:
        return np.asarray(dense.vectors, dtype=np.float32)
    index = dense.index
    return index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, index.d), "f4")


class UnitTable:
    """Each passage's unit vectors (float16 views of one memory-mapped array), by row."""

    def __init__(self, folder: Path) -> None:
        """Map units.npy and read its offsets."""
        self.stacked = np.load(folder / UNITS, mmap_mode="r", allow_pickle=False)
        self.offsets = np.load(folder / UNIT_OFFSETS, mmap_mode="r", allow_pickle=False)
        if self.offsets.ndim != 1 or (len(self.offsets) and self.offsets[-1] != len(self.stacked)):
            raise ValueError(f"{UNIT_OFFSETS} does not match {UNITS}")

    def __len__(self) -> int:
        """Number of passages."""
        return max(0, len(self.offsets) - 1)

    def __getitem__(self, row: int) -> np.ndarray:
        """Passage `row`'s unit vectors (units, dim), float16."""
        return self.stacked[int(self.offsets[row]) : int(self.offsets[row + 1])]


def read_unit_vectors(folder: Path) -> UnitTable:
    """Each passage's unit vectors, by row."""
    return UnitTable(folder)
