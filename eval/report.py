"""The evaluation report: metrics.json, per_item.jsonl, charts and a summary.md read first.

`runs` maps each gold set (named by its file stem: tune, heldout, dev) to each
configuration's results on it; every set is evaluated under the same configurations.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.aggregate import HELDOUT, Summary, summarize, tune_heldout_gap
from eval.charts import write_charts
from eval.failures import failure_cause
from eval.gate import Target, check
from eval.metrics import ItemResult, PassageRecord
from eval.summary import render_summary

logger = logging.getLogger(__name__)

Runs = Mapping[str, Mapping[str, Sequence[ItemResult]]]  # set -> config -> results


@dataclass(frozen=True)
class ReportFiles:
    """Paths of everything a report wrote."""

    metrics: Path
    per_item: Path
    summary: Path
    charts: tuple[Path, ...] = ()


def write_report(
    out_dir: Path,
    runs: Runs,
    *,
    primary: str | None = None,
    meta: Mapping[str, object] | None = None,
    charts: bool = True,
    targets: Sequence[Target] = (),
    opened: frozenset[str] = frozenset(),
) -> ReportFiles:
    """Write the report of every set under one or more configurations; `primary` is detailed.

    metrics.json holds, under the primary configuration, each set's summary (`sets`), the
    tune − held-out gap (`gap`, when both were evaluated) and the held-out figures against
    `targets` (`targets`); with several configurations, every one's summaries as well.
    """
    configs = _configs(runs)
    primary = primary if primary is not None else configs[0]
    if primary not in configs:
        raise ValueError(f"primary configuration {primary!r} is not among {configs}")
    out_dir.mkdir(parents=True, exist_ok=True)
    summaries: dict[str, dict[str, Summary]] = {
        config: {name: summarize(by_config[config]) for name, by_config in runs.items()}
        for config in configs
    }
    sets = summaries[primary]
    metrics: dict[str, object] = {"config": primary, "meta": dict(meta or {}), "sets": sets}
    gap = tune_heldout_gap(sets)
    if gap is not None:
        metrics["gap"] = gap
    checks = check(targets, sets[HELDOUT], gap, opened) if targets and HELDOUT in sets else []
    if checks:
        metrics["targets"] = [
            {"target": c.target.label, "bound": c.target.bound, "limit": c.target.value}
            | {"value": c.value, "met": c.met, "open": c.open}
            for c in checks
        ]
    if len(configs) > 1:
        metrics["configurations"] = summaries
    metrics_path = out_dir / "metrics.json"
    dump = json.dumps(metrics, ensure_ascii=False, indent=2, default=str)  # Paths in meta
    metrics_path.write_text(dump + "\n", encoding="utf-8")
    per_item_path = out_dir / "per_item.jsonl"
    with per_item_path.open("w", encoding="utf-8") as f:
        for name, by_config in runs.items():
            for config, results in by_config.items():
                for result in results:
                    line = item_record(result, config, name)
                    f.write(json.dumps(line, ensure_ascii=False) + "\n")
    detail = HELDOUT if HELDOUT in runs else next(iter(runs))
    chart_paths: tuple[Path, ...] = ()
    if charts:
        chart_paths = tuple(write_charts(out_dir, summaries, primary, detail))
    primary_runs = {name: list(by_config[primary]) for name, by_config in runs.items()}
    text = render_summary(summaries, primary_runs, primary, meta or {}, checks, chart_paths)
    summary_path = out_dir / "summary.md"
    summary_path.write_text(text, encoding="utf-8")
    logger.info("wrote evaluation report to %s", out_dir)
    return ReportFiles(metrics_path, per_item_path, summary_path, chart_paths)


def _configs(runs: Runs) -> list[str]:
    """The configurations every set was evaluated under, in order."""
    if not runs or not all(runs.values()):
        raise ValueError("write_report needs at least one set with one configuration's results")
    configs = [list(by_config) for by_config in runs.values()]
    if any(c != configs[0] for c in configs):
        raise ValueError(f"every set needs the same configurations, found {configs}")
    return configs[0]


def item_record(result: ItemResult, config: str, gold_set: str = "") -> dict[str, object]:
    """One per_item.jsonl line: the question, what came back and what it was scored."""
    item = result.item
    return {
        "set": gold_set,
        "config": config,
        "id": item.id,
        "question": item.question,
        "type": item.type,
        "tags": list(item.tags),
        "docs": list(item.docs),
        "answer": result.answer,
        "abstained": result.abstained,
        "failure": failure_cause(result),
        "citations": [_passage_json(p) for p in result.citations],
        "first_relevant_rank": result.first_relevant_rank,
        "key_points_missed": list(result.key_points_missed),
        "key_point_recall": result.key_point_recall,
        "citation_precision": result.citation_precision,
        "region_coverage": result.region_coverage,
        "latency_s": result.latency_s,
        "hits": [
            {"rank": rank, **_passage_json(p), "score": p.score}
            for rank, p in enumerate(result.hits, start=1)
        ],
    }


def _passage_json(p: PassageRecord) -> dict[str, object]:
    return {
        "doc": p.doc,
        "region": p.region,
        "section": p.section,
        "start": p.start,
        "end": p.end,
        "relevant": p.relevant,
    }
