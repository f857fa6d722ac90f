"""PNG charts of an evaluation: hit@k curves per configuration, per-type bars (ASCII labels)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

HIT_CURVE_PNG = "hit_at_k.png"
BY_TYPE_PNG = "by_type.png"


def write_charts(
    out_dir: Path, summaries: Mapping[str, Mapping[str, object]], primary: str
) -> list[Path]:
    """Write the hit@k curves of every configuration and the per-type bars of `primary`."""
    curves = {name: _floats(_get(s, "overall", "hit_curve")) for name, s in summaries.items()}
    by_type = _get(summaries[primary], "by_type")
    if not isinstance(by_type, Mapping):
        raise TypeError("summary['by_type'] must map question types to metrics")
    bars = {
        kind: (_float(_get(m, "hit@5")), _float(_get(m, "key_point_recall")))
        for kind, m in by_type.items()
    }
    return [
        hit_curve_chart(curves, out_dir / HIT_CURVE_PNG),
        type_bars_chart(bars, out_dir / BY_TYPE_PNG, title=f"By question type ({primary})"),
    ]


def hit_curve_chart(curves: Mapping[str, Sequence[float | None]], path: Path) -> Path:
    """Line chart of hit@k for k = 1..len(curve), one line per configuration."""
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
    fig = _figure()
    ax = fig.subplots()
    kinds = [k for k, values in bars.items() if any(v is not None for v in values)]
    width = 0.38
    for offset, label, pick in ((-width / 2, "hit@5", 0), (width / 2, "key-point recall", 1)):
        xs = [i + offset for i in range(len(kinds))]
        heights = [bars[k][pick] or 0.0 for k in kinds]
        drawn = ax.bar(xs, heights, width, label=label)
        ax.bar_label(drawn, fmt="%.2f", fontsize=8)
    ax.set_xticks(range(len(kinds)), [_ascii(k) for k in kinds])
    ax.set(ylabel="mean over answerable questions", ylim=(0, 1.22))
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_title(_ascii(title))
    ax.legend(loc="upper center", ncols=2)  # above the 1.0 line, clear of the bars
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
