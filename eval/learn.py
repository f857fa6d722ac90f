"""Learn the answer layer's weights on a tune split: ranking, evidence, keep margins, abstention.

Four steps, each on the tune split only (never the held-out one):
0. Ranking: the passage signals' weights (RankingWeights), by coordinate search for the
   best MRR@10 of the passages that hold gold evidence.
1. Evidence scoring: a logistic regression of "this unit (sentence or table row) of the
   top passages is gold evidence" over the features of rag.answering.evidence.
2. Keep margins: with that scoring, the margins within which other units join the best
   one, chosen by grid search for the best mean of key-point recall and citation precision.
3. Abstention: a logistic regression of "the question is answerable" over the signals of
   the chosen evidence (rag.answering.abstain), with the threshold that declines the most
   traps while declining at most `max_refused` of the answerable questions; questions
   declined before evidence is weighed (a zone no document concerns) are left out.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from eval.fit import conditional_logit, logistic, signed_fit, signed_logistic
from eval.gold import GoldItem
from eval.metrics import gold_spans, key_point_recall, mrr_at_k, passage_covers, relevance
from index.service import QAService
from rag.answering.abstain import SIGNALS, signals
from rag.answering.compose import choose
from rag.answering.evidence import FEATURES, Candidate, candidates
from rag.answering.query import Query
from rag.config import AbstainWeights, AnswerWeights, RankingWeights, Settings
from rag.types import Hit

log = logging.getLogger(__name__)

MARGINS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)
# Values tried for each ranking weight, one weight at a time, for RANKING_PASSES passes.
RANKING_GRID = {
    "meaning": (0.0, 4.0, 8.0, 16.0),
    "heading": (0.0, 0.1, 0.2, 0.4),
    "sentence": (0.0, 0.2, 0.4, 0.8),
    "time_scope": (0.0, 0.1, 0.2),
}
RANKING_PASSES = 2
WHOLE_SECTION = (0.3, 0.5, 0.7, 1.01)  # shares of the question a heading must state (> 1: never)
MAX_REFUSED = 0.04  # answerable questions the learned threshold may decline on tune
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Learned:
    """The learned settings and what they reach on the tune split."""

    ranking: RankingWeights
    mrr: float
    evidence: AnswerWeights
    abstention: AbstainWeights
    key_points: float
    citation_precision: float
    refused: float
    traps_declined: float

    def toml(self) -> str:
        """[evidence] and [abstention] tables for policyqa.toml (or the defaults in code)."""
        out = []
        groups = (
            ("ranking", self.ranking),
            ("evidence", self.evidence),
            ("abstention", self.abstention),
        )
        for name, group in groups:
            out.append(f"[{name}]")
            out += [
                f"{f.name} = {_toml_value(getattr(group, f.name))}"
                for f in dataclasses.fields(group)
            ]
            out.append("")
        return "\n".join(out)


def _toml_value(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, int):
        return str(value)
    return f"{value:.4f}"


class _Case:
    """One gold question with what retrieval gave it, kept for every composition tried."""

    def __init__(self, item: GoldItem, query: Query, hits: Sequence[Hit], service: QAService,
                 texts: dict[str, str]) -> None:  # fmt: skip
        self.item, self.query = item, query
        self.passages = service.answerer.passages_for(query, hits)
        self.vectors = service.answerer.unit_vectors([h.row for h in self.passages])
        self.query_vector = service.answerer.encode_query(query.text)
        self.periods = service.answerer.periods
        self.spans = gold_spans(item, texts)
        self.absent = service.answerer.absent_share(query, query.scope)

    def candidates(self, weights: AnswerWeights) -> list[Candidate]:
        return candidates(
            self.query, self.passages, self.vectors, self.query_vector, weights, self.periods
        )

    def choose(self, weights: AnswerWeights, settings: Settings) -> list[Candidate]:
        return choose(self.query, self.candidates(weights), self.passages, settings.answer, weights)

    def is_evidence(self, c: Candidate) -> bool:
        doc = self.passages[c.hit_index].chunk.doc
        return passage_covers((doc, c.unit.start, c.unit.end), self.spans)

    def relevant(self, hit: Hit) -> bool:
        return passage_covers((hit.chunk.doc, hit.chunk.start, hit.chunk.end), self.spans)


# The features that rest on the embedding model (the evidence features and the abstention
# signals use these names).
MEANING = ("dense", "passage_dense")
# Each feature was made to say one thing: more of it can only make a unit more likely the
# evidence (+1), or an answer less likely right (-1); 0 leaves the sign to the data. A fit
# on a few dozen traps must not learn the opposite by chance.
EVIDENCE_SIGNS = {"year_missing": -1, "length": 0}
ABSTAIN_SIGNS = {
    "best": 0,
    "unknown": -1,
    "absent": -1,
    "figure_missing": -1,
    "measure_missing": -1,
    "year_missing": -1,
}


def _signs(names: Sequence[str], given: dict[str, int]) -> np.ndarray:
    return np.array([given.get(name, 1) for name in names])


def learn(
    service: QAService,
    items: Sequence[GoldItem],
    texts: dict[str, str],
    progress: Progress,
    meaning: bool = True,
) -> Learned:
    """Weights learned on `items` (the tune split), with the figures they reach there.

    The service's retriever keeps the learned ranking weights afterwards.

    Without `meaning` the embedding model's similarities get no weight: weights for a
    model whose vectors carry no meaning (a test model), or any model not yet learned for.
    """
    if not meaning:
        service.retriever.weights = dataclasses.replace(service.retriever.weights, meaning=0.0)
    ranking, mrr = _learn_ranking(service, items, texts, () if meaning else ("meaning",))
    service.retriever.weights = ranking
    cases = []
    usable = [i for i in items if "junk" not in i.tags]
    for n, item in enumerate(usable, start=1):
        query = service.analyze(item.question)
        if not query.problem:
            cases.append(_Case(item, query, service.retriever.search(query).hits, service, texts))
        progress("questions", n, len(usable))
    settings = service.settings
    off = () if meaning else MEANING
    evidence = _learn_evidence([c for c in cases if c.item.answerable], settings.evidence, off)
    evidence = _learn_margins([c for c in cases if c.item.answerable], evidence, settings)
    abstention, rates = _learn_abstention(cases, evidence, settings, off)
    kp, cp = _quality([c for c in cases if c.item.answerable], evidence, settings)
    model = str(service.index.manifest["embedding"]["model"]) if meaning else ""
    return Learned(
        dataclasses.replace(ranking, learned_for=model),
        mrr,
        dataclasses.replace(evidence, learned_for=model),
        dataclasses.replace(abstention, learned_for=model),
        kp,
        cp,
        *rates,
    )


def _learn_ranking(
    service: QAService, items: Sequence[GoldItem], texts: dict[str, str], off: Sequence[str]
) -> tuple[RankingWeights, float]:
    """Coordinate search over RANKING_GRID for the best MRR@10 of gold evidence passages."""
    answerable = [i for i in items if i.answerable]
    queries = [service.analyze(i.question) for i in answerable]
    spans = [gold_spans(i, texts) for i in answerable]
    retriever = service.retriever

    def mrr(weights: RankingWeights) -> float:
        retriever.weights = weights
        total = 0.0
        for query, gold in zip(queries, spans, strict=True):
            hits = retriever.search(query, 10).hits
            relevant = relevance([(h.chunk.doc, h.chunk.start, h.chunk.end) for h in hits], gold)
            total += mrr_at_k(relevant, 10)
        return total / max(1, len(queries))

    best, best_value = retriever.weights, mrr(retriever.weights)
    for _ in range(RANKING_PASSES):
        for name, values in RANKING_GRID.items():
            for value in values if name not in off else ():
                change: dict[str, Any] = {name: value}
                tried = dataclasses.replace(best, **change)
                value_mrr = mrr(tried)
                if value_mrr > best_value:
                    best, best_value = tried, value_mrr
    retriever.weights = best
    return best, best_value


def _learn_evidence(
    cases: Sequence[_Case], start: AnswerWeights, off: Sequence[str]
) -> AnswerWeights:
    """A conditional logit: which unit of its question's candidates is the evidence."""
    data = []
    for case in cases:
        found = case.candidates(start)
        labels = np.array([case.is_evidence(c) for c in found], dtype=float)
        if found and 0 < labels.sum() < len(found):
            data.append((np.array([c.features for c in found]), labels))
    signs = _signs(FEATURES, EVIDENCE_SIGNS)

    def fit(used: list[int]) -> np.ndarray:
        return conditional_logit([(x[:, used], y) for x, y in data])

    w = signed_fit(fit, [i for i, n in enumerate(FEATURES) if n not in off], signs)
    log.info("evidence model from %d questions", len(data))
    values: dict[str, Any] = dict(zip(FEATURES, map(float, w), strict=True))
    return dataclasses.replace(start, bias=0.0, **values)


def _quality(
    cases: Sequence[_Case], weights: AnswerWeights, settings: Settings
) -> tuple[float, float]:
    """Mean key-point recall and citation precision of the composed answers (no abstention)."""
    recalls, precisions = [], []
    for case in cases:
        chosen = case.choose(weights, settings)
        text = " ".join(c.unit.text for c in chosen)
        recalls.append(key_point_recall(text, case.item.key_points) or 0.0)
        cited = {c.hit_index for c in chosen}
        if cited:
            good = sum(case.relevant(case.passages[i]) for i in cited)
            precisions.append(good / len(cited))
    return float(np.mean(recalls)), float(np.mean(precisions)) if precisions else 0.0


def _learn_margins(
    cases: Sequence[_Case], weights: AnswerWeights, settings: Settings
) -> AnswerWeights:
    best, best_value = weights, -1.0
    for same, other, whole in itertools.product(MARGINS, MARGINS, WHOLE_SECTION):
        if other > same:
            continue
        tried = dataclasses.replace(
            weights, keep_same_passage=same, keep_other_passage=other, whole_section_share=whole
        )
        value = sum(_quality(cases, tried, settings)) / 2
        if value > best_value:
            best, best_value = tried, value
    return best


def _learn_abstention(
    cases: Sequence[_Case], weights: AnswerWeights, settings: Settings, off: Sequence[str]
) -> tuple[AbstainWeights, tuple[float, float]]:
    rows, labels = [], []
    for case in cases:
        if case.query.unknown_place:
            continue  # declined before any evidence is weighed: not the decision's to learn
        chosen = case.choose(weights, settings)
        rows.append(signals(case.query, chosen, case.passages, settings.abstention, case.absent))
        labels.append(float(case.item.answerable))
    x, y = np.array(rows), np.array(labels)
    signs = _signs(SIGNALS, ABSTAIN_SIGNS)
    used = [i for i, n in enumerate(SIGNALS) if n not in off]
    bias, coefficients = signed_logistic(x, y, used, signs)
    logits = bias + x @ coefficients
    probability = logistic(logits)
    threshold, rates = _threshold(probability, y)
    values: dict[str, Any] = dict(
        zip(("bias", *SIGNALS), [bias, *map(float, coefficients)], strict=True)
    )
    return dataclasses.replace(settings.abstention, **values, threshold=threshold), rates


def _threshold(
    probability: np.ndarray, answerable: np.ndarray
) -> tuple[float, tuple[float, float]]:
    """The highest threshold that declines at most MAX_REFUSED of the answerable questions."""
    good = np.sort(probability[answerable == 1])
    allowed = int(np.floor(MAX_REFUSED * len(good)))
    threshold = float(good[allowed]) if len(good) else 0.5
    refused = float(np.mean(good < threshold)) if len(good) else 0.0
    traps = probability[answerable == 0]
    declined = float(np.mean(traps < threshold)) if len(traps) else 0.0
    return threshold, (refused, declined)
