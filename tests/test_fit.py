"""The learner's sign-keeping logistic fit returns the intercept fitted with its coefficients."""

from __future__ import annotations

import numpy as np

from eval.fit import logistic_regression, signed_logistic

# One signal that separates answerable (1) from not (0) with some overlap, one that never
# fires on the tune set (always 0), and one whose fitted sign comes out wrong.
SIGNAL = np.array([0.1, 0.2, 0.3, 0.6, 0.4, 0.7, 0.8, 0.9, 0.5, 0.95])
LABELS = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1], dtype=float)
X = np.column_stack([SIGNAL, np.zeros(10), SIGNAL])


def test_a_signal_that_never_fires_keeps_the_intercept_of_its_fit() -> None:
    bias, coefficients = signed_logistic(X[:, :2], LABELS, [0, 1], np.array([1, 1]))
    assert coefficients[0] > 0 and coefficients[1] == 0.0
    expected = logistic_regression(X[:, :2], LABELS)
    assert np.isclose(bias, expected[0]) and bias < 0  # not 0: most low values are labelled 0


def test_a_signal_against_its_sign_is_dropped_and_the_rest_refitted() -> None:
    bias, coefficients = signed_logistic(X, LABELS, [0, 1, 2], np.array([1, 1, -1]))
    assert coefficients[2] == 0.0
    assert np.isclose(bias, logistic_regression(X[:, :2], LABELS)[0])


def test_with_every_signal_dropped_the_intercept_is_the_labels_log_odds() -> None:
    bias, coefficients = signed_logistic(X[:, :1], LABELS, [0], np.array([-1]))
    assert not coefficients.any()
    assert np.isclose(bias, np.log(0.6 / 0.4))
