"""Write a complete build folder from passages, vectors and tokens already in memory.

The streaming build (index/build.py) writes the same files batch by batch; this one-call
form serves tests and benchmarks that make their passages and vectors themselves.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from index.bm25 import BM25_DIR, BM25Writer
from index.build_files import DOCS, TERMS, UNIT_OFFSETS, UNITS
from index.chunk_table import ChunkWriter
from index.dense import DenseWriter
from index.manifest import write_manifest
from index.npyfile import NpyAppender
from rag.answering.terms import bigrams
from rag.config import IndexSettings
from rag.types import Chunk, DocMeta


def write_index(
    folder: Path,
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
    units: Sequence[np.ndarray],
    tokens: Sequence[Sequence[str]],
    docs: Mapping[str, DocMeta],
    manifest: Mapping[str, Any],
    settings: IndexSettings | None = None,
) -> None:
    """Write every file of a build folder; manifest.json last, as the mark of completeness."""
    if not (len(chunks) == vectors.shape[0] == len(tokens) == len(units)):
        raise ValueError(
            f"{len(chunks)} chunks, {vectors.shape[0]} vectors, {len(units)} unit vector sets "
            f"and {len(tokens)} token lists"
        )
    work = folder / ".work"
    order = {path: i for i, path in enumerate(docs)}
    writer = ChunkWriter(folder)
    df: Counter[str] = Counter()
    for chunk in chunks:
        writer.add(chunk, order[chunk.doc])
        df.update(bigrams(chunk.text.lower()))
    writer.close()
    sparse = BM25Writer(work / "bm25")
    for passage_tokens in tokens:
        sparse.add(passage_tokens)
    sparse.finish(folder / BM25_DIR)
    dim = int(vectors.shape[1])
    dense = DenseWriter(work, dim)
    dense.append(np.asarray(vectors, dtype=np.float32))
    entry = dense.finish(folder, settings or IndexSettings())
    write_units(folder, units, dim)
    _write_json(folder / DOCS, {path: asdict(meta) for path, meta in docs.items()})
    _write_json(folder / TERMS, {"passages": len(chunks), "df": dict(sorted(df.items()))})
    shutil.rmtree(work)
    write_manifest(folder, {**manifest, "dense": entry})


def write_units(folder: Path, units: Sequence[np.ndarray], dim: int) -> None:
    """units.npy and unit_offsets.npy for passages' unit vectors in row order."""
    stacked = NpyAppender(folder / UNITS, "float16", (dim,))
    offsets = NpyAppender(folder / UNIT_OFFSETS, "int64")
    ends = [0]
    for unit_vectors in units:
        stacked.append(np.asarray(unit_vectors).reshape(-1, dim))
        ends.append(stacked.rows)
    offsets.append(np.asarray(ends, dtype=np.int64))
    stacked.close()
    offsets.close()


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
