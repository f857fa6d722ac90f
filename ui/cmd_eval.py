"""`policyqa eval`: measure retrieval and answers on a gold set, with a report folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from index.paths import DEFAULT_DOCS, DEFAULT_INDEX
from ui.checks import check_folder, check_readable_file
from ui.progress import StageBars

DEFAULT_OUT = Path("reports/eval")
STAGES = {"questions": "answering questions"}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `eval`."""
    from eval.configs import CONFIGS, DEFAULT

    ev = subparsers.add_parser(
        "eval",
        help="measure the index and answers against a gold Q&A set",
        description=(
            "Ask every gold question, then write metrics.json, per_item.jsonl, summary.md,\n"
            "PNG charts and TREC run/qrels files into --out. --compare runs several named\n"
            f"configurations side by side: {', '.join(CONFIGS)} (default {DEFAULT})."
        ),
    )
    ev.add_argument("--gold", type=Path, required=True, metavar="FILE", help="gold set (JSONL)")
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
        "--tune-abstention", action="store_true",
        help="learn the abstention thresholds from the gold set and write them to "
        "OUT/abstention.toml (copy into policyqa.toml to use them)",
    )  # fmt: skip
    ev.set_defaults(run=run)


def error_codes() -> dict[type[Exception], int]:
    """A bad gold set or configuration name is bad input (exit 2)."""
    from eval.configs import UnknownConfigError
    from eval.gold import GoldSetError

    return {GoldSetError: 2, UnknownConfigError: 2}


def run(args: argparse.Namespace) -> int:
    """Check the gold set, folders and names, then evaluate and print the headline metrics."""
    from eval.configs import configured
    from eval.gold import load_gold
    from index.config import load_settings
    from rag.config import Settings

    check_readable_file(args.gold, "--gold file")
    load_gold(args.gold)  # every line checked now; evidence once the documents are read
    check_folder(args.docs, "--docs folder")
    for name in args.compare:
        configured(Settings(), name)
    settings = load_settings(args.config)

    from eval.harness import evaluate

    with StageBars(STAGES, enabled=args.quiet == 0) as bars:
        result = evaluate(
            args.gold, args.docs, args.index, settings, args.out, tuple(args.compare),
            progress=bars.update, tune=args.tune_abstention,
        )  # fmt: skip
    shown = ("hit@1", "hit@5", "mrr@10", "key_point_recall", "citation_precision")
    shown += ("abstention_recall", "false_abstention_rate")
    figures = "  ".join(f"{key} {result.overall[key]:.3f}" for key in shown)
    print(f"{result.primary}: {figures}")
    print(f"report: {result.files.summary}")
    if result.thresholds is not None:
        t = result.thresholds
        print(
            f"learned abstention thresholds (recall {t.abstention_recall:.2f}, false "
            f"{t.false_abstention_rate:.3f}), written to {args.out / 'abstention.toml'}:\n"
            + t.toml()
        )
    return 0
