"""Build on start: `policyqa serve` rebuilds the index only when its documents changed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rag.config import Settings


def add_build_options(parser: argparse.ArgumentParser) -> None:
    """Add --docs and --no-build to a command that serves the index."""
    parser.add_argument(
        "--docs", type=Path, default=None, metavar="DIR",
        help="documents folder to keep the index in step with: the index is built on start "
        "when there is none, and rebuilt only when a document or a setting changed since "
        "the live build (default: the folder the live build was made from)",
    )  # fmt: skip
    parser.add_argument(
        "--no-build", action="store_true",
        help="serve the live build as it is, without checking the documents",
    )  # fmt: skip


def build_if_needed(args: argparse.Namespace, settings: Settings) -> None:
    """Bring the live build up to date with the documents, or say it is (no model loaded)."""
    if args.no_build:
        return
    from index.build import build_if_stale
    from index.freshness import recorded_docs_dir
    from ui.cmd_index import STAGES, format_report
    from ui.progress import StageBars

    docs = args.docs if args.docs is not None else recorded_docs_dir(args.index)
    if docs is None:
        return  # no live build to compare (opening says how to build one)
    if not docs.is_dir():
        if args.docs is not None:
            from index.build import NoDocumentsError

            raise NoDocumentsError(f"documents folder {docs} does not exist: pass --docs DIR")
        return  # serving an index whose documents are elsewhere: nothing to compare
    with StageBars(STAGES, enabled=args.quiet == 0) as bars:
        reason, report = build_if_stale(docs, args.index, settings, progress=bars.update)
    if report is None:
        print(f"policyqa serve: the index is up to date with {docs}", file=sys.stderr)
    else:
        print(f"policyqa serve: rebuilt the index ({reason})", file=sys.stderr)
        print(format_report(report), file=sys.stderr)
