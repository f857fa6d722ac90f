"""Abstention thresholds learned by hand-checkable rules."""

from __future__ import annotations

import pytest

from eval.tune import Observation, learn_thresholds


def test_thresholds_decline_unanswerable_without_declining_answerable() -> None:
    obs = [
        Observation(True, False, 0.9),
        Observation(True, False, 0.5),
        Observation(True, True, 0.8),
        Observation(True, True, 0.6),
        Observation(False, True, 0.2),
        Observation(False, False, -0.5),
    ]
    t = learn_thresholds(obs, max_false=0.0)
    assert t.abstention_recall == 1.0
    assert t.false_abstention_rate == 0.0
    assert t.below_number == pytest.approx(0.4)  # midway between 0.2 and 0.6
    assert t.below == pytest.approx(0.0)  # midway between -0.5 and 0.5
    assert "abstain_below_number = 0.4000" in t.toml()


def test_a_false_abstention_is_accepted_only_within_the_budget() -> None:
    obs = [Observation(True, True, s) for s in (0.1, 0.7, 0.8, 0.9)]
    obs.append(Observation(False, True, 0.3))
    strict = learn_thresholds(obs, max_false=0.0)
    assert strict.abstention_recall == 0.0
    loose = learn_thresholds(obs, max_false=0.25)
    assert loose.abstention_recall == 1.0
    assert loose.false_abstention_rate == 0.25
