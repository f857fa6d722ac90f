"""Dense vectors on disk: exact FAISS search for a small index, IVF with 8-bit codes for a big one.

    dense.faiss   IndexFlatIP below [index] ivf_threshold passages; above it
                  IndexIVFScalarQuantizer (inner product, QT_8bit), trained on a sample
    vectors.npy   IVF builds only: float16 (passages, dim), memory-mapped, for exact search
                  inside a small scope (a region, a document)

The manifest's `dense` entry records the kind and its parameters (nlist, nprobe, training
sample). A build appends vectors to a scratch file as it embeds them, so memory does not
grow with the corpus beyond the index itself (4 bytes per dimension per passage for flat,
1 for IVF).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, cast

import numpy as np

from index.npyfile import NpyAppender
from rag.config import IndexSettings

DENSE = "dense.faiss"
VECTORS = "vectors.npy"
_BLOCK = 65_536  # vectors added to FAISS at a time
_TRAIN_PER_LIST = 40  # training vectors per IVF list (FAISS warns below 39)
_SEED = 1234


def ivf_params(rows: int, settings: IndexSettings) -> dict[str, Any] | None:
    """The IVF parameters for an index of `rows` passages, or None for exact (flat) search."""
    if rows < settings.ivf_threshold:
        return None
    nlist = settings.ivf_nlist or max(1, int(4 * math.sqrt(rows)))
    return {
        "nlist": nlist,
        "nprobe": min(nlist, max(1, math.ceil(nlist * settings.ivf_probe_share))),
        "refine": settings.ivf_refine,
        "train": min(rows, nlist * _TRAIN_PER_LIST),
        "quantizer": "QT_8bit",
    }


class DenseWriter:
    """Appends passage vectors (float32, unit length) in row order; `finish` makes the index."""

    def __init__(self, work: Path, dim: int) -> None:
        """`work`: scratch folder for the vectors while the build runs."""
        work.mkdir(parents=True, exist_ok=True)
        self.dim = dim
        self._path = work / "vectors.f32.npy"
        self._out = NpyAppender(self._path, "float32", (dim,))

    @property
    def rows(self) -> int:
        """Vectors appended so far."""
        return self._out.rows

    def append(self, vectors: np.ndarray) -> None:
        """Append the next rows' vectors."""
        self._out.append(vectors)

    def finish(self, folder: Path, settings: IndexSettings) -> dict[str, Any]:
        """Write dense.faiss (and vectors.npy for IVF) into `folder`; the manifest entry."""
        # Lazy: faiss loads native code that `policyqa --help` must not pay for.
        import faiss

        self._out.close()
        faiss.omp_set_num_threads(len(os.sched_getaffinity(0)))  # training uses every core
        vectors = np.load(self._path, mmap_mode="r", allow_pickle=False)
        params = ivf_params(len(vectors), settings)
        if params is None:
            index = faiss.IndexFlatIP(self.dim)
            entry: dict[str, Any] = {"kind": "flat", "metric": "inner_product"}
        else:
            index = _trained_ivf(vectors, self.dim, params)
            entry = {"kind": "ivf_sq8", "metric": "inner_product", **params}
            copy = NpyAppender(folder / VECTORS, "float16", (self.dim,))
        for start in range(0, len(vectors), _BLOCK):
            block = np.ascontiguousarray(vectors[start : start + _BLOCK], dtype=np.float32)
            index.add(block)
            if params is not None:
                copy.append(block)
        if params is not None:
            copy.close()
        faiss.write_index(index, str(folder / DENSE))
        del vectors
        self._path.unlink()
        return entry


def _trained_ivf(vectors: np.ndarray, dim: int, params: dict[str, Any]) -> Any:
    import faiss

    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, dim, params["nlist"], faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    sample = np.sort(np.random.default_rng(_SEED).choice(len(vectors), params["train"], False))
    index.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))
    index.nprobe = params["nprobe"]
    return index


class DenseIndex:
    """dense.faiss opened for search, exact within small scopes."""

    def __init__(self, folder: Path, entry: dict[str, Any], exact_scope_rows: int) -> None:
        """Read the index (and map vectors.npy for IVF)."""
        import faiss

        # One thread per question, as for its encoding: OpenMP threads spinning for each
        # other on a shared 2-core server cost more than a second core gains.
        faiss.omp_set_num_threads(1)
        self.index = faiss.read_index(str(folder / DENSE))
        self.kind = entry.get("kind", "flat")
        self.exact_scope_rows = exact_scope_rows
        self.vectors = None
        self.refine = 1
        if self.kind != "flat":
            cast("faiss.IndexIVF", self.index).nprobe = int(entry["nprobe"])
            self.refine = max(1, int(entry.get("refine", 1)))
            self.vectors = np.load(folder / VECTORS, mmap_mode="r", allow_pickle=False)

    @property
    def dim(self) -> int:
        """Vector size."""
        return int(self.index.d)

    @property
    def ntotal(self) -> int:
        """Number of vectors."""
        return int(self.index.ntotal)

    def search(
        self, query_vec: np.ndarray, k: int, rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """(row, inner product) of the k nearest passages, optionally among sorted `rows`."""
        import faiss

        k = min(k, self.ntotal)
        query = np.ascontiguousarray(query_vec, dtype=np.float32).reshape(1, -1)
        if query.shape[1] != self.dim:
            raise ValueError(f"query vector has {query.shape[1]} dims, index has {self.dim}")
        if k <= 0:
            return []
        if rows is None and self.vectors is not None:
            _, ids = self.index.search(query, min(self.ntotal, k * self.refine))
            found = ids[0][ids[0] >= 0]
            return _exact(self.vectors, query[0], k, np.sort(found))
        if rows is None:
            scores, ids = self.index.search(query, k)
        elif rows.size == 0:
            return []
        elif self.vectors is not None and rows.size <= self.exact_scope_rows:
            return _exact(self.vectors, query[0], k, rows)
        else:
            selector: faiss.IDSelector
            params: faiss.SearchParameters
            if self.kind == "flat":
                selector = faiss.IDSelectorBatch(np.asarray(rows, dtype=np.int64))
                params = faiss.SearchParameters()
            else:
                mask = np.zeros(self.ntotal, dtype=bool)
                mask[rows] = True
                bits = np.packbits(mask, bitorder="little")
                selector = faiss.IDSelectorBitmap(self.ntotal, faiss.swig_ptr(bits))
                params = ivf_params = faiss.SearchParametersIVF()
                ivf_params.nprobe = cast("faiss.IndexIVF", self.index).nprobe
            params.sel = selector
            # The selector (and its bits) must outlive the search call.
            scores, ids = self.index.search(query, k * self.refine, params=params)
            if self.vectors is not None:
                return _exact(self.vectors, query[0], k, np.sort(ids[0][ids[0] >= 0]))
        # FAISS pads with id -1 when fewer than k passages qualify.
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]


def _exact(
    vectors: np.ndarray, query: np.ndarray, k: int, rows: np.ndarray
) -> list[tuple[int, float]]:
    """The k best of `rows` (sorted) by exact inner product with the stored vectors."""
    if rows.size == 0:
        return []
    k = min(k, rows.size)
    scores = np.asarray(vectors[rows], dtype=np.float32) @ query
    top = np.argpartition(-scores, k - 1)[:k] if len(rows) > k else np.arange(len(rows))
    order = top[np.lexsort((rows[top], -scores[top]))]
    return [(int(rows[i]), float(scores[i])) for i in order]
