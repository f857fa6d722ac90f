"""`policyqa eval`: measure retrieval and answers on a gold set, with a report folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from index.paths import DEFAULT_DOCS, DEFAULT_INDEX
from ui.checks import check_folder
from ui.cmd_index import SCALED
from ui.cmd_index import STAGES as BUILD_STAGES
from ui.progress import StageBars

DEFAULT_OUT = Path("reports/eval")
# A missing index is built first; then each set's questions are asked.
STAGES = {**BUILD_STAGES, "questions": "answering questions"}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `eval`."""
    from eval.configs import CONFIGS, DEFAULT

    ev = subparsers.add_parser(
        "eval",
        help="measure the index and answers against a gold Q&A set",
        description=(
            "Ask every question of each gold set (named by its file stem: tune, heldout,\n"
            "dev), then write one report into --out: metrics.json, per_item.jsonl,\n"
            "summary.md (sets side by side, the tune - held-out gap, held-out targets and\n"
            "failures by cause), PNG charts and TREC run/qrels files. --compare runs several\n"
            f"named configurations side by side: {', '.join(CONFIGS)} (default {DEFAULT})."
        ),
    )
    ev.add_argument(
        "--gold", type=Path, nargs="+", required=True, metavar="FILE",
        help="gold sets (JSONL), evaluated with the same index and configurations",
    )  # fmt: skip
    ev.add_argument(
        "--docs", type=Path, default=DEFAULT_DOCS, metavar="DIR",
        help=f"documents the gold set refers to (default: {DEFAULT_DOCS})",
    )  # fmt: skip
    ev.add_argument(
        "--index", type=Path, default=DEFAULT_INDEX, metavar="DIR",
        help=f"index to evaluate; built when missing (default: {DEFAULT_INDEX})",
    )  # fmt: skip
    ev.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
        help=f"report folder (default: {DEFAULT_OUT})",
    )  # fmt: skip
    ev.add_argument(
        "--compare", nargs="+", metavar="NAME", default=[DEFAULT],
        help="configurations to run side by side",
    )  # fmt: skip
    ev.add_argument(
        "--learn", action="store_true",
        help="first learn the answer layer's weights ([evidence], [abstention]) on the tune "
        "set and write them to OUT/learned.toml (copy into policyqa.toml to use them); "
        "the report is of the configuration as given",
    )  # fmt: skip
    ev.set_defaults(run=run)


def error_codes() -> dict[type[Exception], int]:
    """A bad gold set or configuration name is bad input (exit 2)."""
    from eval.configs import UnknownConfigError
    from eval.gate import TargetsError
    from eval.gold import GoldSetError

    return {GoldSetError: 2, UnknownConfigError: 2, TargetsError: 1}


SHOWN = (
    ("hit@1", "hit@1"),
    ("hit@5", "hit@5"),
    ("mrr@10", "mrr@10"),
    ("key_point_recall", "key points"),
    ("citation_precision", "citation precision"),
    ("answerable_refused", "refused"),
    ("traps_declined", "traps declined"),
    ("junk_answered", "junk answered"),
)


def run(args: argparse.Namespace) -> int:
    """Check folders and names, then evaluate and print each set's figures.

    The harness checks every gold set (files, lines, evidence) before it builds or asks.
    """
    from eval.configs import configured
    from index.config import load_settings
    from rag.config import Settings

    check_folder(args.docs, "--docs folder")
    for name in args.compare:
        configured(Settings(), name)
    settings = load_settings(args.config)

    from eval.harness import evaluate

    with StageBars(STAGES, enabled=args.quiet == 0, scaled=SCALED) as bars:
        result = evaluate(
            args.gold, args.docs, args.index, settings, args.out, tuple(args.compare),
            progress=bars.update, learning=args.learn,
        )  # fmt: skip
    print(f"configuration {result.primary}")
    width = max(len(name) for name in result.sets)
    for name, overall in result.sets.items():
        figures = "  ".join(f"{label} {_fmt(overall.get(key))}" for key, label in SHOWN)
        print(f"  {name:<{width}}  {figures}")
    if result.gap is not None:
        gap = "  ".join(f"{key} {value:+.3f}" for key, value in result.gap.items())
        print(f"  tune - heldout gap: {gap}")
    if result.targets:
        met = sum(t["met"] for t in result.targets)
        missed = ", ".join(t["target"] for t in result.targets if not t["met"])
        print(f"  held-out targets met: {met} of {len(result.targets)}" + (
            f" (not met: {missed})" if missed else ""
        ))  # fmt: skip
    print(f"report: {result.files.summary}")
    if result.learned is not None:
        learned = result.learned
        print(
            f"learned on tune: key points {learned.key_points:.3f}, citation precision "
            f"{learned.citation_precision:.3f}, refused {learned.refused:.3f}, traps declined "
            f"{learned.traps_declined:.3f}; weights in {args.out / 'learned.toml'}"
        )
    return 0


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "n/a" if value is None else str(value)
