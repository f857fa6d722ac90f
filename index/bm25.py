"""BM25 over the project's jieba tokens, built streaming and searched memory-mapped.

The files are bm25s's own (`bm25s.BM25.load(folder, mmap=True)` opens them):

    bm25/data.csc.index.npy     float32: BM25 weight of each (term, passage) pair, by term
    bm25/indices.csc.index.npy  int32: the passage of each pair, ascending within a term
    bm25/indptr.csc.index.npy   int64 (terms + 1): term t's pairs are [indptr[t], indptr[t+1])
    bm25/vocab.index.json       {term: id}
    bm25/params.index.json      k1, b, method ("lucene"), number of passages

The weights are computed exactly as bm25s computes them (Lucene IDF in float64 rounded to
float32, times the term-frequency part in float64, stored as float32) and a query sums
them term by term in float32 as bm25s does, so scores match bm25s to the bit. The build
never holds the corpus's token lists: each batch of passages becomes a run of
(term, passage, tf) triples sorted by term on disk, and the runs are merged one range of
terms at a time, so memory stays bounded whatever the number of passages.
"""

from __future__ import annotations

import json
import math
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.npyfile import NpyAppender

BM25_DIR = "bm25"
DATA, INDICES, INDPTR = "data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy"
VOCAB, PARAMS = "vocab.index.json", "params.index.json"
K1, B = 1.5, 0.75
RUN_TRIPLES = 4_000_000  # (term, passage, tf) triples sorted in memory at once
BM25S_VERSION = "0.3.16"
RECENT_QUERIES = 4  # queries whose scores over every passage are kept for other scopes


class BM25Writer:
    """Collects each passage's tokens in row order; `finish` writes the bm25/ folder."""

    def __init__(self, work: Path) -> None:
        """`work`: a scratch folder for the sorted runs (removed by `finish`)."""
        self.work = work
        work.mkdir(parents=True, exist_ok=True)
        self.vocab: dict[str, int] = {}
        self.docs = 0
        self.total_length = 0
        self._df = np.zeros(1024, dtype=np.int64)
        self._lengths = NpyAppender(work / "lengths.npy", "int32")
        self._runs: list[Path] = []
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._pending_size = 0

    def add(self, tokens: Sequence[str]) -> None:
        """The next passage's tokens (duplicates count as term frequency)."""
        vocab = self.vocab
        ids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in tokens), np.int64, len(tokens))
        self.add_ids(ids)

    def add_ids(self, ids: np.ndarray) -> None:
        """The next passage as term ids of `self.vocab` (a caller that tokenized already)."""
        terms, tf = np.unique(np.asarray(ids, dtype=np.int64), return_counts=True)
        if len(self.vocab) > len(self._df):
            self._df = np.concatenate(
                [self._df, np.zeros(len(self._df) + len(self.vocab), np.int64)]
            )
        self._df[terms] += 1
        self._lengths.append(np.asarray([len(ids)], dtype=np.int32))
        self.total_length += len(ids)
        doc = np.full(len(terms), self.docs, dtype=np.int32)
        self._pending.append((terms.astype(np.int32), doc, tf.astype(np.int32)))
        self._pending_size += len(terms)
        self.docs += 1
        if self._pending_size >= RUN_TRIPLES:
            self._spill()

    def finish(self, folder: Path) -> None:
        """Write bm25s's files for every passage added into `folder` (created)."""
        self._spill()
        self._lengths.close()
        folder.mkdir(parents=True, exist_ok=True)
        vocab = dict(self.vocab)
        vocab.setdefault("", len(vocab))  # bm25s's empty term, scored nowhere
        df = np.zeros(len(vocab), dtype=np.int64)
        df[: len(self.vocab)] = self._df[: len(self.vocab)]
        idf = _idf(df, self.docs)
        indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
        np.save(folder / INDPTR, indptr, allow_pickle=False)
        self._merge(folder, idf, indptr)
        (folder / VOCAB).write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        params = {
            "k1": K1, "b": B, "delta": 0.5, "method": "lucene", "idf_method": "lucene",
            "dtype": "float32", "int_dtype": "int32", "num_docs": self.docs,
            "version": BM25S_VERSION, "backend": "numpy",
        }  # fmt: skip
        (folder / PARAMS).write_text(json.dumps(params, indent=4), encoding="utf-8")
        shutil.rmtree(self.work)

    def _spill(self) -> None:
        """Write the pending triples as one run sorted by term (passages stay ascending)."""
        if not self._pending:
            return
        terms, docs, tf = (np.concatenate(parts) for parts in zip(*self._pending, strict=True))
        order = np.argsort(terms, kind="stable")
        path = self.work / f"run-{len(self._runs):05d}.npy"
        np.save(path, np.stack([terms[order], docs[order], tf[order]]), allow_pickle=False)
        self._runs.append(path)
        self._pending, self._pending_size = [], 0

    def _merge(self, folder: Path, idf: np.ndarray, indptr: np.ndarray) -> None:
        """Merge the runs one range of terms at a time into the data and indices files."""
        lengths = np.load(self.work / "lengths.npy", mmap_mode="r", allow_pickle=False)
        average = float(self.total_length) / self.docs if self.docs else 0.0
        runs = [np.load(path, mmap_mode="r", allow_pickle=False) for path in self._runs]
        data = NpyAppender(folder / DATA, "float32")
        indices = NpyAppender(folder / INDICES, "int32")
        terms = len(idf)
        start = 0
        while start < terms:
            # The next range of terms holding at most RUN_TRIPLES pairs (at least one term).
            end = int(np.searchsorted(indptr, indptr[start] + RUN_TRIPLES, side="right")) - 1
            end = min(max(end, start + 1), terms)
            parts = []
            for run in runs:
                lo, hi = np.searchsorted(run[0], [start, end], side="left")
                parts.append(np.asarray(run[:, lo:hi]))
            block = np.concatenate(parts, axis=1) if parts else np.zeros((3, 0), np.int32)
            block = block[:, np.argsort(block[0], kind="stable")]
            data.append(_weights(block, idf, lengths, average))
            indices.append(block[1])
            start = end
        data.close()
        indices.close()


def _idf(df: np.ndarray, docs: int) -> np.ndarray:
    """Lucene IDF per term, computed as bm25s does (Python float64, stored float32)."""
    idf = np.zeros(len(df), dtype=np.float32)
    for term, count in enumerate(df.tolist()):
        if count:
            idf[term] = math.log(1 + (docs - count + 0.5) / (count + 0.5))
    return idf


def _weights(block: np.ndarray, idf: np.ndarray, lengths: np.ndarray, average: float) -> np.ndarray:
    """BM25 weights of (term, passage, tf) triples, operation for operation as bm25s."""
    terms, docs, tf = block[0], block[1], block[2].astype(np.float64)
    length = np.asarray(lengths[docs], dtype=np.float64)
    # bm25s: tf / (k1 * ((1 - b) + b * l_d / l_avg) + tf), l_avg a NumPy float64.
    norm = K1 * ((1 - B) + B * length / np.float64(average))
    tfc = tf / (norm + tf)
    return (idf[terms].astype(np.float64) * tfc).astype(np.float32)


class TermIndex:
    """The bm25/ folder opened memory-mapped: top passages for a list of terms."""

    def __init__(self, folder: Path) -> None:
        """Map the arrays and read the vocabulary."""
        self.vocab: dict[str, int] = json.loads((folder / VOCAB).read_text(encoding="utf-8"))
        params = json.loads((folder / PARAMS).read_text(encoding="utf-8"))
        self.docs = int(params["num_docs"])
        self.data = np.load(folder / DATA, mmap_mode="r", allow_pickle=False)
        self.indices = np.load(folder / INDICES, mmap_mode="r", allow_pickle=False)
        self.indptr = np.load(folder / INDPTR, allow_pickle=False)
        if not isinstance(self.vocab, dict) or len(self.indptr) != len(self.vocab) + 1:
            raise ValueError(f"{VOCAB} and {INDPTR} disagree")
        if len(self.data) != len(self.indices) or int(self.indptr[-1]) != len(self.data):
            raise ValueError(f"{DATA}, {INDICES} and {INDPTR} disagree")
        self._recent: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}
        self._lock = threading.Lock()

    def _scores(self, ids: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Every passage's score for the term ids, and the passages scoring above 0.

        The last few queries' scores are kept: a question answered region by region asks
        the same terms once per region, each time within another scope.
        """
        with self._lock:
            cached = self._recent.get(ids)
        if cached is not None:
            return cached
        scores = np.zeros(self.docs, dtype=np.float32)
        for term in ids:
            start, end = int(self.indptr[term]), int(self.indptr[term + 1])
            rows = self.indices[start:end]
            # A term's passages are distinct, so fancy-index addition is bm25s's np.add.at.
            scores[rows] += self.data[start:end]
        result = (scores, np.flatnonzero(scores > 0))
        with self._lock:
            self._recent[ids] = result
            while len(self._recent) > RECENT_QUERIES:
                self._recent.pop(next(iter(self._recent)))
        return result

    def known(self, term: str) -> bool:
        """Whether any passage holds the term."""
        return term in self.vocab

    def search(
        self, terms: Sequence[str], k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """(row, score > 0) of the k best passages, best first, ties by row.

        `allowed`: a boolean array over rows (None: every row). A term given twice counts
        twice, as in bm25s.
        """
        ids = tuple(self.vocab[t] for t in terms if t in self.vocab)
        if k <= 0 or not ids or self.docs == 0:
            return []
        scores, found = self._scores(ids)
        if allowed is not None:
            found = found[allowed[found]]
        if len(found) > k:
            top = np.argpartition(-scores[found], k - 1)[:k]
            cutoff = scores[found[top]].min()
            found = found[scores[found] >= cutoff]  # keep every tie at the cut
        order = np.lexsort((found, -scores[found]))[:k]
        return [(int(found[i]), float(scores[found[i]])) for i in order]
