"""PNG charts of an evaluation: hit@k curves, per-type and per-tag bars (ASCII labels)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from eval.aggregate import REPORTED_TAGS, set_order

if TYPE_CHECKING:
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

HIT_CURVE_PNG = "hit_at_k.png"
BY_TYPE_PNG = "by_type.png"
BY_TAG_PNG = "by_tag.png"

Summaries = Mapping[str, Mapping[str, Mapping[str, object]]]  # config -> set -> summary


def write_charts(out_dir: Path, summaries: Summaries, primary: str, detail_set: str) -> list[Path]:
    """hit@k curves of every set (and configuration), per-type bars of `detail_set`, and
    key points by tag of every set, all under the `primary` configuration."""
    sets = {name: summaries[primary][name] for name in set_order(list(summaries[primary]))}
    curves = {
        _curve_label(config, name, summaries): _floats(_get(s, "overall", "hit_curve"))
        for config, by_set in summaries.items()
        for name, s in sorted(by_set.items(), key=lambda kv: list(sets).index(kv[0]))
    }
    by_type = _groups(sets[detail_set], "by_type")
    bars = {
        kind: (_float(_get(m, "hit@5")), _float(_get(m, "key_point_recall")))
        for kind, m in by_type.items()
    }
    by_tag = {
        name: {
            tag: _float(_get(g, "key_point_recall"))
            for tag, g in _groups(s, "by_tag").items()
            if tag in REPORTED_TAGS
        }
        for name, s in sets.items()
    }
    return [
        hit_curve_chart(curves, out_dir / HIT_CURVE_PNG),
        type_bars_chart(bars, out_dir / BY_TYPE_PNG, title=f"By question type ({detail_set})"),
        grouped_bars_chart(
            by_tag, out_dir / BY_TAG_PNG, "Key points by tag", "key-point recall", REPORTED_TAGS
        ),
    ]


def _curve_label(config: str, name: str, summaries: Summaries) -> str:
    if len(summaries) == 1:
        return name
    sets = {s for by_set in summaries.values() for s in by_set}
    return config if len(sets) == 1 else f"{name} {config}"


def hit_curve_chart(curves: Mapping[str, Sequence[float | None]], path: Path) -> Path:
    """Line chart of hit@k for k = 1..len(curve), one line per set or configuration."""
    fig = _figure()
    ax = fig.subplots()
    for name, curve in curves.items():
        ks = [k for k, v in enumerate(curve, start=1) if v is not None]
        ax.plot(ks, [v for v in curve if v is not None], marker="o", label=_ascii(name))
    ax.set(xlabel="k (passages retrieved)", ylabel="hit@k", ylim=(0, 1.02))
    ax.set_title("Gold evidence in the top k (answerable questions)")
    depth = max((len(c) for c in curves.values()), default=1)
    ax.set_xticks(range(1, depth + 1))
    ax.grid(alpha=0.3)
    if curves:
        ax.legend(loc="lower right")
    return _save(fig, path)


def type_bars_chart(
    bars: Mapping[str, tuple[float | None, float | None]], path: Path, title: str = "By type"
) -> Path:
    """Grouped bars of hit@5 and key-point recall per question type (types with data only)."""
    series = {
        "hit@5": {kind: values[0] for kind, values in bars.items()},
        "key-point recall": {kind: values[1] for kind, values in bars.items()},
    }
    return grouped_bars_chart(series, path, title, "mean over answerable questions", list(bars))


def grouped_bars_chart(
    series: Mapping[str, Mapping[str, float | None]],
    path: Path,
    title: str,
    ylabel: str,
    groups: Sequence[str],
) -> Path:
    """One bar per series in each group (groups without any figure are left out)."""
    fig = _figure()
    ax = fig.subplots()
    shown = [g for g in groups if any(values.get(g) is not None for values in series.values())]
    drawn_series = {
        label: values
        for label, values in series.items()
        if any(values.get(g) is not None for g in shown)
    }
    width = 0.8 / max(len(drawn_series), 1)
    for i, (label, values) in enumerate(drawn_series.items()):
        offset = (i - (len(drawn_series) - 1) / 2) * width
        # A group this series has no figure for gets no bar (not a bar at 0).
        points = [(j + offset, v) for j, g in enumerate(shown) if (v := values.get(g)) is not None]
        drawn = ax.bar([x for x, _ in points], [v for _, v in points], width, label=_ascii(label))
        ax.bar_label(drawn, fmt="%.2f", fontsize=7)
    ax.set_xticks(range(len(shown)), [_ascii(g) for g in shown])
    ax.set(ylabel=ylabel, ylim=(0, 1.22))
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_title(_ascii(title))
    ax.legend(loc="upper center", ncols=max(len(drawn_series), 1))  # above the 1.0 line
    return _save(fig, path)


def _figure() -> Figure:
    # matplotlib is heavy; it loads only when a chart is drawn.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.2), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)  # Agg renders PNGs without any display or GUI toolkit
    return fig


def _save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, format="png")
    logger.info("wrote chart %s", path)
    return path


def _ascii(label: str) -> str:
    # No CJK font may be installed; non-ASCII would render as empty boxes.
    return label.encode("ascii", "replace").decode("ascii")


def _get(summary: Mapping[str, object], *keys: str) -> object:
    value: object = summary
    for key in keys:
        if not isinstance(value, Mapping) or key not in value:
            raise KeyError(f"summary has no {'.'.join(keys)}; pass the output of summarize()")
        value = value[key]
    return value


def _groups(summary: Mapping[str, object], key: str) -> Mapping[str, Mapping[str, object]]:
    groups = _get(summary, key)
    if not isinstance(groups, Mapping) or not all(isinstance(g, Mapping) for g in groups.values()):
        raise TypeError(f"summary['{key}'] must map group names to metrics")
    return groups


def _floats(value: object) -> list[float | None]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list of numbers, found {type(value).__name__}")
    return [_float(v) for v in value]


def _float(value: object) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float):
        raise TypeError(f"expected a number or None, found {type(value).__name__}")
    return float(value)
