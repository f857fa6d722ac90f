"""Learn the abstention thresholds from a gold set's answerable and unanswerable questions."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

MAX_FALSE_ABSTENTIONS = 0.05


@dataclass(frozen=True)
class Observation:
    """One gold question: whether it is answerable, its kind, and its evidence strength."""

    answerable: bool
    wants_number: bool
    support: float


@dataclass(frozen=True)
class Thresholds:
    """Abstain when support falls below these (number questions have their own)."""

    below: float
    below_number: float
    abstention_recall: float
    false_abstention_rate: float

    def toml(self) -> str:
        """The [answer] lines to put in policyqa.toml."""
        return (
            "[answer]\n"
            f"abstain_below = {self.below:.4f}\n"
            f"abstain_below_number = {self.below_number:.4f}\n"
        )


def _cuts(values: Sequence[float]) -> list[float]:
    """Candidate thresholds: below everything, and midway between neighbouring values."""
    ordered = sorted(set(values))
    if not ordered:
        return [0.0]
    cuts = [ordered[0] - 1.0]
    cuts.extend((a + b) / 2 for a, b in itertools.pairwise(ordered))
    return cuts


def _rates(obs: Sequence[Observation], below: float, below_number: float) -> tuple[float, float]:
    def abstains(o: Observation) -> bool:
        return o.support < (below_number if o.wants_number else below)

    unanswerable = [o for o in obs if not o.answerable]
    answerable = [o for o in obs if o.answerable]
    recall = sum(map(abstains, unanswerable)) / len(unanswerable) if unanswerable else 0.0
    false = sum(map(abstains, answerable)) / len(answerable) if answerable else 0.0
    return recall, false


def learn_thresholds(
    obs: Sequence[Observation], max_false: float = MAX_FALSE_ABSTENTIONS
) -> Thresholds:
    """Most unanswerable questions declined with at most `max_false` answerable ones declined.

    Ties go to fewer false abstentions, then to the lower thresholds (the most cautious
    about declining): each threshold sits midway between observed strengths.
    """
    best: tuple[float, float, float, float] | None = None
    for below in _cuts([o.support for o in obs if not o.wants_number]):
        for below_number in _cuts([o.support for o in obs if o.wants_number]):
            recall, false = _rates(obs, below, below_number)
            if false > max_false:
                continue
            key = (recall, -false, -below, -below_number)
            if best is None or key > (best[0], -best[1], -best[2], -best[3]):
                best = (recall, false, below, below_number)
    if best is None:
        raise ValueError("no thresholds keep false abstentions within bounds")
    recall, false, below, below_number = best
    return Thresholds(below, below_number, recall, false)
