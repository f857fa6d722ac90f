"""The regressions the learner fits: L2-penalized logistic regression, conditional logit
(one choice among each question's candidates), both by Newton's method, and fits that
keep each coefficient's sign."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

RIDGE = 1.0  # L2 penalty of both regressions (per feature, on the summed log-likelihood)
NEWTON_STEPS = 50
_LOGIT_LIMIT = 50.0  # beyond this exp() overflows and probabilities are 0 or 1 anyway


def logistic(z: np.ndarray) -> np.ndarray:
    """The logistic function, clipped where exp() would overflow."""
    return 1.0 / (1.0 + np.exp(-np.clip(z, -_LOGIT_LIMIT, _LOGIT_LIMIT)))


def _scale(x: np.ndarray) -> np.ndarray:
    """Each feature's spread, so the ridge penalty treats features of any scale alike."""
    spread = x.std(axis=0)
    return np.where(spread > 0, spread, 1.0)


def logistic_regression(x: np.ndarray, y: np.ndarray, ridge: float = RIDGE) -> np.ndarray:
    """Coefficients (bias first) of an L2-penalized logistic regression, by Newton's method.

    Features are scaled to unit spread for the fit; the coefficients returned apply to the
    features as given.
    """
    scale = _scale(x)
    w = _logistic_fit(x / scale, y, ridge)
    return np.concatenate([w[:1], w[1:] / scale])


def _logistic_fit(x: np.ndarray, y: np.ndarray, ridge: float) -> np.ndarray:
    design = np.hstack([np.ones((len(x), 1)), x])
    penalty = np.full(design.shape[1], ridge)
    penalty[0] = 0.0  # the bias is not shrunk

    def terms(w: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        z = design @ w
        p = logistic(z)
        loss = float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * penalty @ (w * w))
        gradient = design.T @ (p - y) + penalty * w
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        return loss, gradient, hessian

    return _newton(terms, design.shape[1])


def signed_fit(
    fit: Callable[[list[int]], np.ndarray], used: list[int], signs: np.ndarray
) -> np.ndarray:
    """Coefficients over all features, fitted on `used` with each sign kept (active set).

    A feature whose fitted coefficient comes out against its sign is dropped (its weight
    is 0) and the rest refitted, until every kept coefficient has its sign.
    """
    used = list(used)
    while True:
        w = np.zeros(len(signs))
        if used:
            w[used] = fit(used)
        wrong = [i for i in used if signs[i] * w[i] < 0]
        if not wrong:
            return w
        used.remove(max(wrong, key=lambda i: abs(w[i])))


def signed_logistic(
    x: np.ndarray, y: np.ndarray, used: Sequence[int], signs: np.ndarray
) -> tuple[float, np.ndarray]:
    """A logistic regression over the columns `used` of `x`, each coefficient keeping its
    sign: the intercept and the coefficients over all columns (0 for those dropped).

    The intercept is the one fitted with the coefficients returned; the kept columns are
    not read back from the coefficients, since a kept column (one that never varies) may
    come out at exactly 0. With every column dropped it is the labels' log-odds.
    """
    fits: list[tuple[list[int], np.ndarray]] = []

    def fit(columns: list[int]) -> np.ndarray:
        fits.append((list(columns), logistic_regression(x[:, columns], y)))
        return fits[-1][1][1:]

    coefficients = signed_fit(fit, list(used), signs)
    if fits:
        columns, params = fits[-1]
        fitted = np.zeros_like(coefficients)
        fitted[columns] = params[1:]
        if np.array_equal(fitted, coefficients):
            return float(params[0]), coefficients
    share = float(np.clip(np.mean(y), 1e-6, 1 - 1e-6))
    return float(np.log(share / (1 - share))), coefficients


def _newton(
    terms: Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]], size: int
) -> np.ndarray:
    """Minimize a smooth convex loss given (loss, gradient, Hessian), halving overlong steps."""
    w = np.zeros(size)
    loss, gradient, hessian = terms(w)
    for _ in range(NEWTON_STEPS):
        step = np.linalg.solve(hessian + 1e-9 * np.eye(size), gradient)
        rate = 1.0
        while rate > 1e-6:
            trial = w - rate * step
            trial_loss, trial_gradient, trial_hessian = terms(trial)
            if trial_loss <= loss:
                break
            rate /= 2
        else:
            break
        w, loss, gradient, hessian = trial, trial_loss, trial_gradient, trial_hessian
        if np.abs(rate * step).max() < 1e-8:
            break
    return w


def conditional_logit(
    groups: Sequence[tuple[np.ndarray, np.ndarray]], ridge: float = RIDGE
) -> np.ndarray:
    """Coefficients w maximizing Σ_groups Σ_positives log softmax(x·w), by Newton's method.

    Each group is one question's candidates (features, 0/1 labels): only differences
    within a question matter, as when choosing its evidence (McFadden, 1974). Features are
    scaled to unit spread for the fit, as in logistic_regression.
    """
    if not groups:
        return np.zeros(0)
    scale = _scale(np.vstack([x for x, _ in groups]))
    return _conditional_fit([(x / scale, y) for x, y in groups], ridge) / scale


def _conditional_fit(groups: Sequence[tuple[np.ndarray, np.ndarray]], ridge: float) -> np.ndarray:
    size = groups[0][0].shape[1]

    def terms(w: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        loss = 0.5 * ridge * float(w @ w)
        gradient = ridge * w
        hessian = ridge * np.eye(size)
        for x, y in groups:
            z = x @ w
            top = z.max()
            p = np.exp(z - top)
            total = p.sum()
            p /= total
            positives = y.sum()
            loss -= float(y @ z) - positives * (top + np.log(total))
            mean = p @ x
            gradient = gradient - ((y @ x) - positives * mean)
            centred = x - mean
            hessian = hessian + positives * (centred * p[:, None]).T @ centred
        return loss, gradient, hessian

    return _newton(terms, size)
