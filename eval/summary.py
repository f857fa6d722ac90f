"""summary.md: the sets side by side, the tune–held-out gap, targets, tags, failures by cause."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from eval.aggregate import GAP_METRICS, HELDOUT, REPORTED_TAGS, TUNE, set_order
from eval.failures import CAUSE_MEANINGS, WORST_N, diagnose, failures_by_cause, worst
from eval.gate import Check
from eval.gold import TRAP_TAGS
from eval.metrics import ItemResult, PassageRecord

SHOWN_PASSAGES = 3  # retrieved passages shown beside the gold evidence of a worst question
EXCERPT_CHARS = 160
ANSWER_CHARS = 200  # of an answer in the failure lists
MULTI_DOC_TAGS = ("unscoped", "compare")
# (summary key, meaning) of the side-by-side table, in reading order.
DESCRIPTIONS = {
    "n": "questions",
    "answerable": "answerable questions (retrieval and answer metrics are over these)",
    "traps": "unanswerable questions other than junk",
    "junk": "junk: not a question at all",
    "hit@1": "gold evidence in the top passage",
    "hit@3": "gold evidence in the top 3 passages",
    "hit@5": "gold evidence in the top 5 passages",
    "hit@10": "gold evidence in the top 10 passages",
    "mrr@10": "mean reciprocal rank of the first evidence passage",
    "ndcg@10": "nDCG@10, one relevant passage per evidence string as the ideal",
    "key_point_recall": "share of key points stated in the answer",
    "citation_precision": "share of citations that cover gold evidence",
    "region_coverage": "questions several documents answer: regions with evidence in the "
    "top 10 that the answer cites",
    "answerable_refused": "answerable questions declined",
    "traps_declined": "unanswerable questions (not junk) declined",
    "junk_answered": "junk questions answered (count)",
    "latency_p50_s": "median seconds per question",
    "latency_p95_s": "95th percentile seconds per question",
}
# (summary key, column heading) of the group tables.
COLUMNS = (
    ("n", "n"),
    ("hit@1", "hit@1"),
    ("hit@5", "hit@5"),
    ("mrr@10", "MRR@10"),
    ("ndcg@10", "nDCG@10"),
    ("key_point_recall", "key points"),
    ("citation_precision", "citation prec."),
    ("region_coverage", "region cov."),
    ("answerable_refused", "refused"),
    ("traps_declined", "traps declined"),
    ("junk_answered", "junk answered"),
    ("latency_p50_s", "p50 s"),
    ("latency_p95_s", "p95 s"),
)

Summaries = Mapping[str, Mapping[str, Mapping[str, object]]]  # config -> set -> summary


def render_summary(
    summaries: Summaries,
    runs: Mapping[str, Sequence[ItemResult]],
    primary: str,
    meta: Mapping[str, object],
    checks: Sequence[Check] = (),
    chart_paths: Sequence[Path] = (),
) -> str:
    """summary.md for the primary configuration's results on each set (`runs`)."""
    sets = {name: summaries[primary][name] for name in set_order(list(runs))}
    lines = [f"# Evaluation: {primary}", ""]
    lines += [f"- {key}: {value}" for key, value in meta.items()]
    lines += ["", "## Sets side by side", "", *_side_by_side(sets)]
    if TUNE in sets and HELDOUT in sets:
        lines += ["", "## Tune vs held-out", "", *_gap(sets)]
    if checks:
        lines += ["", "## Held-out targets (set in advance)", "", *_targets(checks)]
    lines += ["", "## Key points by tag", "", *_by_tag(sets)]
    lines += ["", "## Traps by kind", "", *_traps(sets)]
    if len(summaries) > 1:
        lines += ["", "## Configurations compared"]
        for name in sets:
            rows = {
                config: _mapping(by_set[name]["overall"]) for config, by_set in summaries.items()
            }
            lines += ["", f"### {name}", "", *_table("configuration", rows)]
    for title, key, head in (
        ("By question type", "by_type", "type"),
        ("By document", "by_doc", "document"),
    ):
        lines += ["", f"## {title}"]
        for name, summary in sets.items():
            groups = {g: _mapping(m) for g, m in _mapping(summary[key]).items()}
            lines += ["", f"### {name}", "", *_table(head, groups)]
    if chart_paths:
        lines += ["", "## Charts", ""]
        lines += [f"![{p.stem}]({p.name})" for p in chart_paths]
    detail = HELDOUT if HELDOUT in runs else next(iter(sets))
    title = "Held-out failures by cause" if detail == HELDOUT else f"Failures by cause: {detail}"
    lines += ["", f"## {title}", "", *_failures(runs[detail])]
    for name in sets:
        if name != HELDOUT:
            lines += ["", f"## Worst {WORST_N} questions: {name}", "", *_worst(runs[name])]
    return "\n".join(lines) + "\n"


def _side_by_side(sets: Mapping[str, Mapping[str, object]]) -> list[str]:
    names = list(sets)
    out = [
        "| metric | " + " | ".join(names) + " | meaning |",
        "|---|" + "---|" * (len(names) + 1),
    ]
    for key, meaning in DESCRIPTIONS.items():
        cells = [_fmt(_mapping(s["overall"]).get(key)) for s in sets.values()]
        out.append(f"| {key} | " + " | ".join(cells) + f" | {meaning} |")
    return out


def _gap(sets: Mapping[str, Mapping[str, object]]) -> list[str]:
    tune, heldout = _mapping(sets[TUNE]["overall"]), _mapping(sets[HELDOUT]["overall"])
    out = ["| metric | tune | heldout | gap (tune − held-out) |", "|---|---|---|---|"]
    for key in GAP_METRICS:
        a, b = tune.get(key), heldout.get(key)
        gap = a - b if isinstance(a, float) and isinstance(b, float) else None
        out.append(f"| {key} | {_fmt(a)} | {_fmt(b)} | {_signed(gap)} |")
    return out


def _targets(checks: Sequence[Check]) -> list[str]:
    out = ["| target | bound | held-out | met |", "|---|---|---|---|"]
    for c in checks:
        sign = "≥" if c.target.bound == "min" else "≤"
        label = _cell(c.target.label)
        out.append(f"| {label} | {sign} {c.target.value:g} | {_fmt(c.value)} | {_state(c)} |")
    met = sum(c.met for c in checks)
    opened = sum(c.open and not c.met for c in checks)
    return [
        *out,
        "",
        f"{met} of {len(checks)} targets met (eval/thresholds.toml); {opened} still open "
        "(listed in [heldout.open]: reported, not yet gated).",
    ]


def _state(c: Check) -> str:
    if c.met:
        return "yes — take it off [heldout.open]" if c.open else "yes"
    return "open" if c.open else "**no**"


def _by_tag(sets: Mapping[str, Mapping[str, object]]) -> list[str]:
    names = list(sets)
    out = ["| tag | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for tag in REPORTED_TAGS:
        out.append(f"| {tag} | " + " | ".join(_tag_cell(s, tag) for s in sets.values()) + " |")
    for tag in MULTI_DOC_TAGS:
        cells = [_fmt(_tag_group(s, tag).get("region_coverage")) for s in sets.values()]
        out.append(f"| {tag}: region coverage | " + " | ".join(cells) + " |")
    return [*out, "", "Cells: key-point recall (answerable questions with the tag)."]


def _traps(sets: Mapping[str, Mapping[str, object]]) -> list[str]:
    names = list(sets)
    out = ["| kind | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for tag in TRAP_TAGS:
        cells = [_declined_cell(_tag_group(s, tag)) for s in sets.values()]
        out.append(f"| {tag} | " + " | ".join(cells) + " |")
    return [*out, "", "Cells: declined / questions of that kind."]


def _declined_cell(group: Mapping[str, object]) -> str:
    if not group:
        return "n/a"
    if _number(group.get("junk")):
        n = int(_number(group.get("junk")))
        return f"{n - int(_number(group.get('junk_answered')))}/{n}"
    n = int(_number(group.get("traps")))
    return f"{round(_number(group.get('traps_declined')) * n)}/{n}"


def _tag_group(summary: Mapping[str, object], tag: str) -> Mapping[str, object]:
    group = _mapping(summary.get("by_tag", {})).get(tag)
    return _mapping(group) if group is not None else {}


def _tag_cell(summary: Mapping[str, object], tag: str) -> str:
    group = _tag_group(summary, tag)
    if not group:
        return "n/a"
    return f"{_fmt(group.get('key_point_recall'))} ({group.get('answerable')})"


def _table(head: str, rows: Mapping[str, Mapping[str, object]]) -> list[str]:
    out = [
        "| " + " | ".join([head, *(title for _, title in COLUMNS)]) + " |",
        "|" + "---|" * (len(COLUMNS) + 1),
    ]
    for name, values in rows.items():
        cells = [_cell(name), *(_fmt(values.get(key)) for key, _ in COLUMNS)]
        out.append("| " + " | ".join(cells) + " |")
    return out


def _failures(results: Sequence[ItemResult]) -> list[str]:
    causes = failures_by_cause(results)
    out = [" · ".join(f"{cause} {len(rs)}" for cause, rs in causes.items())]
    for cause, failed in causes.items():
        meaning = CAUSE_MEANINGS[cause]
        out += ["", f"### {cause} ({len(failed)})", "", f"{meaning[0].upper()}{meaning[1:]}.", ""]
        if not failed:
            out.append("None.")
            continue
        out += ["| id | question | what came back |", "|---|---|---|"]
        out += [f"| {r.item.id} | {_cell(r.item.question)} | {_came_back(r)} |" for r in failed]
    return out


def _came_back(result: ItemResult) -> str:
    answer = _excerpt(result.answer, ANSWER_CHARS)
    parts = [f"(declined) {answer}" if result.abstained else answer]
    if result.key_points_missed and not result.abstained and result.item.answerable:
        parts.append("missed: " + ", ".join(f"“{p}”" for p in result.key_points_missed))
    if result.hits:
        top = result.hits[0]
        parts.append(f"top passage: {top.doc} › {top.section or '(no section)'}")
    return _cell("; ".join(parts))


def _worst(results: Sequence[ItemResult]) -> list[str]:
    bad = worst(results)
    if not bad:
        return ["Every question was answered with its evidence retrieved first."]
    lines: list[str] = []
    for i, result in enumerate(bad, start=1):
        lines += _worst_block(i, result)
    return lines


def _worst_block(i: int, result: ItemResult) -> list[str]:
    item = result.item
    answer = "(abstained) " + result.answer if result.abstained else result.answer
    docs = ", ".join(item.docs) or "no document"
    lines = [
        f"### {i}. {item.id} · {item.type} · {docs}",
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


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.3f}"


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _mapping(value: object) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a mapping in the summary, found {type(value).__name__}")
    return value
