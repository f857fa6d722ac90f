"""The evaluation report: metrics.json, per_item.jsonl and a summary.md a person reads first."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.charts import write_charts
from eval.metrics import ItemResult, PassageRecord, summarize

logger = logging.getLogger(__name__)

WORST_N = 5
SHOWN_PASSAGES = 3  # retrieved passages shown beside the gold evidence of a worst question
EXCERPT_CHARS = 160
# (summary key, column heading) of the tables, in reading order.
COLUMNS = (
    ("n", "n"),
    ("hit@1", "hit@1"),
    ("hit@5", "hit@5"),
    ("mrr@10", "MRR@10"),
    ("ndcg@10", "nDCG@10"),
    ("key_point_recall", "key points"),
    ("citation_precision", "citation prec."),
    ("abstention_recall", "abstain (unans.)"),
    ("false_abstention_rate", "false abstain"),
    ("latency_p50_s", "p50 s"),
    ("latency_p95_s", "p95 s"),
)
DESCRIPTIONS = {
    "n": "questions",
    "answerable": "answerable questions (retrieval and answer metrics are over these)",
    "hit@1": "gold evidence in the top passage",
    "hit@3": "gold evidence in the top 3 passages",
    "hit@5": "gold evidence in the top 5 passages",
    "hit@10": "gold evidence in the top 10 passages",
    "mrr@10": "mean reciprocal rank of the first evidence passage",
    "ndcg@10": "nDCG@10, one relevant passage per evidence string as the ideal",
    "key_point_recall": "share of key points stated in the answer",
    "citation_precision": "share of citations that cover gold evidence",
    "abstention_recall": "unanswerable questions declined",
    "false_abstention_rate": "answerable questions wrongly declined",
    "latency_p50_s": "median seconds per question",
    "latency_p95_s": "95th percentile seconds per question",
}


@dataclass(frozen=True)
class ReportFiles:
    """Paths of everything a report wrote."""

    metrics: Path
    per_item: Path
    summary: Path
    charts: tuple[Path, ...] = ()


def write_report(
    out_dir: Path,
    runs: Mapping[str, Sequence[ItemResult]],
    *,
    primary: str | None = None,
    meta: Mapping[str, object] | None = None,
    charts: bool = True,
) -> ReportFiles:
    """Write the report of one or more named configurations; `primary` is detailed."""
    if not runs:
        raise ValueError("write_report needs at least one configuration's results")
    primary = primary if primary is not None else next(iter(runs))
    if primary not in runs:
        raise ValueError(f"primary configuration {primary!r} is not among {sorted(runs)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    summaries = {name: summarize(results) for name, results in runs.items()}
    metrics: dict[str, object] = {"config": primary, "meta": dict(meta or {})}
    metrics.update(summaries[primary])
    if len(runs) > 1:
        metrics["configurations"] = summaries
    metrics_path = out_dir / "metrics.json"
    dump = json.dumps(metrics, ensure_ascii=False, indent=2, default=str)  # Paths in meta
    metrics_path.write_text(dump + "\n", encoding="utf-8")
    per_item_path = out_dir / "per_item.jsonl"
    with per_item_path.open("w", encoding="utf-8") as f:
        for name, results in runs.items():
            for result in results:
                f.write(json.dumps(item_record(result, name), ensure_ascii=False) + "\n")
    chart_paths: tuple[Path, ...] = ()
    if charts:
        chart_paths = tuple(write_charts(out_dir, summaries, primary))
    summary_path = out_dir / "summary.md"
    text = render_summary(summaries, runs[primary], primary, meta or {}, chart_paths)
    summary_path.write_text(text, encoding="utf-8")
    logger.info("wrote evaluation report to %s", out_dir)
    return ReportFiles(metrics_path, per_item_path, summary_path, chart_paths)


def item_record(result: ItemResult, config: str) -> dict[str, object]:
    """One per_item.jsonl line: the question, what came back and what it was scored."""
    item = result.item
    return {
        "config": config,
        "id": item.id,
        "question": item.question,
        "type": item.type,
        "doc": item.doc,
        "answer": result.answer,
        "abstained": result.abstained,
        "citations": [_passage_json(p) for p in result.citations],
        "first_relevant_rank": result.first_relevant_rank,
        "key_points_missed": list(result.key_points_missed),
        "key_point_recall": result.key_point_recall,
        "citation_precision": result.citation_precision,
        "latency_s": result.latency_s,
        "hits": [
            {"rank": rank, **_passage_json(p), "score": p.score}
            for rank, p in enumerate(result.hits, start=1)
        ],
    }


def _passage_json(p: PassageRecord) -> dict[str, object]:
    return {
        "doc": p.doc,
        "section": p.section,
        "start": p.start,
        "end": p.end,
        "relevant": p.relevant,
    }


def diagnose(result: ItemResult) -> list[str]:
    """What went wrong with one answer, in words; empty when nothing did."""
    problems: list[str] = []
    if not result.item.answerable:
        if not result.abstained:
            problems.append("wrong answer: answered a question the documents do not answer")
        return problems
    if result.abstained:
        problems.append("wrong abstention: declined a question the documents answer")
    rank = result.first_relevant_rank
    if rank is None:
        problems.append(f"retrieval miss: no gold evidence in the top {len(result.hits)} passages")
    elif rank > 1:
        problems.append(f"gold evidence first at rank {rank}")
    if not result.abstained:
        problems += [f"answer missed key point “{p}”" for p in result.key_points_missed]
    cited = result.citations
    wrong = sum(not c.relevant for c in cited)
    if wrong:
        problems.append(f"{wrong} of {len(cited)} citations lack gold evidence")
    return problems


def severity(result: ItemResult) -> float:
    """How badly one question went: wrong abstention/answer > retrieval miss > missed points."""
    if not result.item.answerable:
        return 0.0 if result.abstained else 3.0
    score = 3.0 if result.abstained else 0.0
    rank = result.first_relevant_rank
    score += 2.0 if rank is None else 0.5 * (1.0 - 1.0 / rank)
    score += 2.0 * (1.0 - (result.key_point_recall or 0.0))
    if result.citation_precision is not None:
        score += 0.5 * (1.0 - result.citation_precision)
    return score


def worst(results: Sequence[ItemResult], n: int = WORST_N) -> list[ItemResult]:
    """The n questions that went worst (only those where something went wrong)."""
    bad = [r for r in results if severity(r) > 0]
    return sorted(bad, key=lambda r: (-severity(r), r.item.id))[:n]


def render_summary(
    summaries: Mapping[str, Mapping[str, object]],
    primary_results: Sequence[ItemResult],
    primary: str,
    meta: Mapping[str, object],
    chart_paths: Sequence[Path] = (),
) -> str:
    """summary.md: overall, comparison, by type, by document, charts, then worst questions."""
    summary = summaries[primary]
    overall = _mapping(summary["overall"])
    lines = [f"# Evaluation: {primary}", ""]
    lines += [f"- {key}: {value}" for key, value in meta.items()]
    lines += ["", "## Overall", "", "| metric | value | meaning |", "|---|---|---|"]
    for key, meaning in DESCRIPTIONS.items():
        lines.append(f"| {key} | {_fmt(overall.get(key))} | {meaning} |")
    if len(summaries) > 1:
        rows = {name: _mapping(s["overall"]) for name, s in summaries.items()}
        lines += ["", "## Configurations compared", "", *_table("configuration", rows)]
    for title, key, head in (
        ("By question type", "by_type", "type"),
        ("By document", "by_doc", "document"),
    ):
        groups = {name: _mapping(g) for name, g in _mapping(summary[key]).items()}
        lines += ["", f"## {title}", "", *_table(head, groups)]
    if chart_paths:
        lines += ["", "## Charts", ""]
        lines += [f"![{p.stem}]({p.name})" for p in chart_paths]
    lines += ["", f"## Worst {WORST_N} questions", ""]
    bad = worst(primary_results)
    if not bad:
        lines.append("Every question was answered with its evidence retrieved first.")
    for i, result in enumerate(bad, start=1):
        lines += _worst_block(i, result)
    return "\n".join(lines) + "\n"


def _table(head: str, rows: Mapping[str, Mapping[str, object]]) -> list[str]:
    out = [
        "| " + " | ".join([head, *(title for _, title in COLUMNS)]) + " |",
        "|" + "---|" * (len(COLUMNS) + 1),
    ]
    for name, values in rows.items():
        cells = [_cell(name), *(_fmt(values.get(key)) for key, _ in COLUMNS)]
        out.append("| " + " | ".join(cells) + " |")
    return out


def _worst_block(i: int, result: ItemResult) -> list[str]:
    item = result.item
    answer = "(abstained) " + result.answer if result.abstained else result.answer
    lines = [
        f"### {i}. {item.id} · {item.type} · {item.doc or 'no document'}",
        "",
        f"- Question: {_cell(item.question)}",
        f"- Answer: {_cell(_excerpt(answer, 300))}",
        f"- What went wrong: {'; '.join(diagnose(result))}",
        "",
        "| gold evidence | top retrieved passages |",
        "|---|---|",
    ]
    evidence = list(item.evidence) or ["(none: the documents do not answer this)"]
    shown = list(result.hits[:SHOWN_PASSAGES])
    for row in range(max(len(evidence), len(shown))):
        left = _cell(evidence[row]) if row < len(evidence) else ""
        right = _passage_cell(row + 1, shown[row]) if row < len(shown) else ""
        lines.append(f"| {left} | {right} |")
    return [*lines, ""]


def _passage_cell(rank: int, p: PassageRecord) -> str:
    mark = "evidence" if p.relevant else "no evidence"
    where = f"{p.doc} › {p.section}" if p.section else p.doc
    head = f"**#{rank}** ({mark}, score {p.score:.3f}) {where} [{p.start}:{p.end}]"
    return _cell(f"{head}: {_excerpt(p.text, EXCERPT_CHARS)}")


def _excerpt(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _fmt(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _mapping(value: object) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a mapping in the summary, found {type(value).__name__}")
    return value
