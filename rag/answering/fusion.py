"""Fusion of ranked runs from several retrievers into one ranking (pure functions).

A *run* is a list of ``(row, score)`` pairs, best first, as one retriever returned
them. Two parameters are easily confused:

* ``rrf_k`` is the smoothing constant of reciprocal rank fusion (60 in Cormack et
  al., 2009); it is not a number of results.
* ``k`` is how many fused results are returned; each run's *depth* (how many
  candidates it contributed) is decided by whoever produced the run.
"""

from __future__ import annotations

from collections.abc import Sequence

Run = Sequence[tuple[int, float]]


def reciprocal_rank_fusion(
    runs: Sequence[Run], rrf_k: int = 60, k: int = 10
) -> list[tuple[int, float]]:
    """Cormack, Clarke & Buettcher (SIGIR 2009): score(d) = Σ_runs 1 / (rrf_k + rank_run(d)).

    Ranks are 1-based; a document missing from a run contributes nothing for it.
    Ties are broken by row id so the result is deterministic.
    """
    scores: dict[int, float] = {}
    for run in runs:
        for rank, (row, _) in enumerate(run, start=1):
            scores[row] = scores.get(row, 0.0) + 1.0 / (rrf_k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]


def min_max(run: Run) -> list[tuple[int, float]]:
    """Scale a run's scores to [0, 1] (all-equal scores become 1)."""
    if not run:
        return []
    values = [score for _, score in run]
    low, high = min(values), max(values)
    span = high - low
    return [(row, (score - low) / span if span > 0 else 1.0) for row, score in run]


def weighted_fusion(
    runs: Sequence[Run], weights: Sequence[float], k: int = 10, normalize: bool = True
) -> list[tuple[int, float]]:
    """Convex combination of (min-max normalized) scores: score(d) = Σ w_i · s_i(d).

    The combination used by term/vector hybrids such as RAGFlow's (0.7 term / 0.3
    vector). A document missing from a run gets 0 for it. Unlike RRF the result keeps
    score magnitudes, so a single strong match can outrank many weak ones.
    """
    if len(runs) != len(weights):
        raise ValueError(f"weighted_fusion: {len(runs)} runs but {len(weights)} weights")
    scores: dict[int, float] = {}
    for run, weight in zip(runs, weights, strict=True):
        for row, score in min_max(run) if normalize else run:
            scores[row] = scores.get(row, 0.0) + weight * score
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]


FUSIONS = ("rrf", "weighted")


def fuse(
    method: str, runs: Sequence[Run], weights: Sequence[float], rrf_k: int, k: int
) -> list[tuple[int, float]]:
    """Dispatch to a named fusion; the name comes from settings, so it is validated here."""
    if method == "rrf":
        return reciprocal_rank_fusion(runs, rrf_k=rrf_k, k=k)
    if method == "weighted":
        return weighted_fusion(runs, weights, k=k)
    raise ValueError(f"retrieval.fusion: unknown method {method!r}; use one of {FUSIONS}")
