"""Recall@10 of the IVF index (8-bit codes) against exact search, on vectors of real text.

The vectors are a built index's own: every passage vector and every sentence and table-row
vector (real text, embedded by the index's model); the queries are the gold questions,
embedded as questions. The IVF index is made exactly as a build makes it above
`[index] ivf_threshold` (nlist = 4·√N, trained on a sample), at several shares of lists
searched, with and without the exact re-ranking of `[index] ivf_refine` × 10 candidates
that DenseIndex does (on the float16 copy of the vectors).

    python bench/ivf_recall_bench.py [--index var/index] [--gold eval/gold/*.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from index.build_files import read_unit_vectors, read_vectors
from index.dense import _trained_ivf, ivf_params
from index.embedder import Encoder
from index.manifest import embedding_settings, read_manifest
from index.paths import DEFAULT_INDEX
from index.publish import resolve_live
from rag.config import IndexSettings

GOLD = sorted(Path("eval/gold").glob("*.jsonl"))
K = 10


def recall(flat_ids: np.ndarray, ivf_ids: np.ndarray) -> float:
    """Mean share of the exact top-k that the approximate top-k holds."""
    return float(
        np.mean([len(set(a) & set(b)) / K for a, b in zip(flat_ids, ivf_ids, strict=True)])
    )


def _refined(stored: np.ndarray, query: np.ndarray, ids: np.ndarray) -> list[int]:
    """The K best of IVF's candidates by exact inner product, as DenseIndex re-ranks them."""
    ids = ids[ids >= 0]
    order = np.argsort(-(stored[ids] @ query), kind="stable")[:K]
    return [int(i) for i in ids[order]] + [-1] * (K - len(order))


def main(argv: list[str] | None = None) -> int:
    """Build flat and IVF over the index's vectors and print recall@10."""
    import faiss

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    parser.add_argument("--gold", type=Path, nargs="*", default=GOLD)
    args = parser.parse_args(argv)
    folder = resolve_live(args.index)
    units = read_unit_vectors(folder)
    vectors = np.concatenate([read_vectors(folder), np.asarray(units.stacked, dtype=np.float32)])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    questions = [
        json.loads(line)["question"]
        for path in args.gold
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    encoder = Encoder.load(embedding_settings(read_manifest(folder)))
    queries = encoder.encode_queries(questions)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    _, exact = flat.search(queries, K)
    settings = IndexSettings(ivf_threshold=1)
    params = ivf_params(len(vectors), settings)
    assert params is not None
    ivf = _trained_ivf(vectors, vectors.shape[1], params)
    ivf.add(vectors)
    print(f"{len(vectors)} vectors of real text ({folder}), {len(questions)} questions")
    print()
    print(
        f"| nlist | nprobe | share of lists scanned | recall@10 | re-ranked ×{params['refine']} |"
    )
    print("|---:|---:|---:|---:|---:|")
    million = ivf_params(1_000_000, settings)
    assert million is not None
    same_share = max(1, round(params["nlist"] * million["nprobe"] / million["nlist"]))
    shares = (0.0125, 0.025, 0.05, 0.1)
    probes = {params["nprobe"], same_share, *(max(1, round(params["nlist"] * x)) for x in shares)}
    stored = vectors.astype(np.float16).astype(np.float32)  # vectors.npy is float16
    for nprobe in sorted(probes):
        ivf.nprobe = nprobe
        _, approx = ivf.search(queries, K)
        _, wide = ivf.search(queries, K * params["refine"])
        refined = [_refined(stored, q, ids) for q, ids in zip(queries, wide, strict=True)]
        share = nprobe / params["nlist"]
        print(
            f"| {params['nlist']} | {nprobe} | {share:.1%} | {recall(exact, approx):.4f} | "
            f"{recall(exact, np.asarray(refined)):.4f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
