"""The quality gate: targets set in advance (eval/thresholds.toml), read against the held-out set.

The file has one top-level table, `[heldout]`:

    [heldout.min]             overall lower bounds      key_point_recall = 0.90
    [heldout.max]             overall upper bounds      answerable_refused = 0.05
    [heldout.tags.TAG.min]    lower bounds for a tag    key_point_recall = 0.95
    [heldout.gap.max]         |tune − held-out| bounds  citation_precision = 0.05
    [heldout.open]            targets = ["traps_declined", …]

A figure that could not be measured (no question of that kind) fails its target. A target
listed as open is not met yet: the report shows it as open and the gate does not fail on
it. The list only ever shrinks: a target leaves it once met (the report says so), and the
gate then holds it; its value is never changed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.aggregate import GAP_METRICS, HELDOUT
from eval.gold import TAGS

THRESHOLDS = Path(__file__).with_name("thresholds.toml")
BOUNDS = ("min", "max")
# Metrics a target may name (scalars of aggregate.group_metrics).
METRICS = (
    "hit@1",
    "hit@3",
    "hit@5",
    "hit@10",
    "mrr@10",
    "ndcg@10",
    "key_point_recall",
    "citation_precision",
    "region_coverage",
    "answerable_refused",
    "traps_declined",
    "junk_answered",
)


class TargetsError(ValueError):
    """The thresholds file cannot be read as targets; the message names the key."""


@dataclass(frozen=True)
class Target:
    """One bound on one figure of the held-out set."""

    scope: str  # "overall", "tag:TAG" or "gap" (|tune − held-out|)
    metric: str
    bound: str  # "min" or "max"
    value: float

    @property
    def label(self) -> str:
        """How the report names it, e.g. `key_point_recall (tag table)`."""
        if self.scope == "overall":
            return self.metric
        if self.scope == "gap":
            return f"{self.metric} gap (tune vs held-out, either way)"
        return f"{self.metric} (tag {self.scope.removeprefix('tag:')})"


@dataclass(frozen=True)
class Check:
    """A target and the figure measured against it."""

    target: Target
    value: float | None
    open: bool = False  # listed in [heldout.open]: tracked, not yet gated

    @property
    def gated(self) -> bool:
        """Whether the gate fails when this target is not met."""
        return not self.open

    @property
    def met(self) -> bool:
        """Whether the figure was measured and is within the bound."""
        if self.value is None:
            return False
        if self.target.bound == "min":
            return self.value >= self.target.value
        return self.value <= self.target.value


def load_targets(path: Path = THRESHOLDS) -> list[Target]:
    """The targets of the thresholds file, in file order; any unknown key is an error."""
    return _load(path)[0]


def open_targets(path: Path = THRESHOLDS) -> frozenset[str]:
    """Labels of the targets not met yet (`[heldout.open] targets`), which the gate tracks."""
    return _load(path)[1]


def _load(path: Path) -> tuple[list[Target], frozenset[str]]:
    try:
        data = dict(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TargetsError(f"{path}: cannot read the targets ({exc})") from exc
    try:
        heldout = dict(_table(data.get(HELDOUT, {}), HELDOUT))
        opened = heldout.pop("open", {})
        targets = _targets({**data, HELDOUT: heldout})
        return targets, _open_labels(opened, targets)
    except TargetsError as exc:
        raise TargetsError(f"{path}: {exc}") from None


def _open_labels(opened: object, targets: Sequence[Target]) -> frozenset[str]:
    table = _table(opened, f"{HELDOUT}.open")
    labels = table.get("targets", [])
    if set(table) - {"targets"} or not isinstance(labels, list):
        raise TargetsError(f'[{HELDOUT}.open]: expected only targets = ["label", …]')
    known = {t.label for t in targets}
    unknown = [label for label in labels if label not in known]
    if unknown:
        raise TargetsError(
            f"[{HELDOUT}.open]: {unknown[0]!r} names no target; use one of {sorted(known)}"
        )
    return frozenset(labels)


def _targets(data: Mapping[str, object]) -> list[Target]:
    extra = sorted(set(data) - {HELDOUT})
    if extra:
        raise TargetsError(f"[{extra[0]}]: only the [{HELDOUT}] set is gated; remove it")
    targets: list[Target] = []
    for key, value in _table(data.get(HELDOUT, {}), HELDOUT).items():
        where = f"{HELDOUT}.{key}"
        if key in BOUNDS:
            targets += _bounds("overall", key, value, where, METRICS)
        elif key == "gap":
            targets += _scoped("gap", value, where, ("max",), GAP_METRICS)
        elif key == "tags":
            for tag, bounds in _table(value, where).items():
                if tag not in TAGS:
                    raise TargetsError(
                        f"[{where}.{tag}]: unknown tag; use one of {', '.join(TAGS)}"
                    )
                targets += _scoped(f"tag:{tag}", bounds, f"{where}.{tag}", BOUNDS, METRICS)
        else:
            raise TargetsError(f"[{where}]: unknown table; use min, max, tags or gap")
    if not targets:
        raise TargetsError(f"[{HELDOUT}]: no targets; a gate without targets would always pass")
    return targets


def _scoped(
    scope: str, value: object, where: str, bounds: tuple[str, ...], metrics: tuple[str, ...]
) -> list[Target]:
    targets: list[Target] = []
    for bound, limits in _table(value, where).items():
        if bound not in bounds:
            raise TargetsError(f"[{where}.{bound}]: unknown bound; use {' or '.join(bounds)}")
        targets += _bounds(scope, bound, limits, f"{where}.{bound}", metrics)
    return targets


def _bounds(
    scope: str, bound: str, value: object, where: str, metrics: tuple[str, ...]
) -> list[Target]:
    targets = []
    for metric, limit in _table(value, where).items():
        if metric not in metrics:
            raise TargetsError(
                f"[{where}] {metric}: unknown metric; use one of {', '.join(metrics)}"
            )
        if isinstance(limit, bool) or not isinstance(limit, int | float):
            raise TargetsError(f"[{where}] {metric}: must be a number")
        targets.append(Target(scope, metric, bound, float(limit)))
    return targets


def check(
    targets: Sequence[Target],
    heldout: Mapping[str, object],
    gap: Mapping[str, float] | None,
    opened: frozenset[str] = frozenset(),
) -> list[Check]:
    """Each target against the held-out summary (`summarize`'s) and the tune–held-out gap;
    those labelled in `opened` are tracked but not gated."""
    overall = _table(heldout.get("overall"), "overall")
    by_tag = _table(heldout.get("by_tag", {}), "by_tag")
    checks: list[Check] = []
    for target in targets:
        if target.scope == "gap":
            value = None if gap is None or target.metric not in gap else abs(gap[target.metric])
        elif target.scope == "overall":
            value = _number(overall.get(target.metric))
        else:
            group = by_tag.get(target.scope.removeprefix("tag:"))
            value = _number(group.get(target.metric)) if isinstance(group, Mapping) else None
        checks.append(Check(target, value, target.label in opened))
    return checks


def _table(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise TargetsError(f"[{where}]: expected a table")
    return value


def _number(value: object) -> float | None:
    # An int (a count such as junk_answered) stays an int, so reports show it as one.
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None
