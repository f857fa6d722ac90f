"""`policyqa index build|status|verify|rollback`: build and publish the index, show and check
the live one, or make the previous build live again."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.paths import DEFAULT_DOCS, DEFAULT_INDEX
from ui.checks import check_folder
from ui.progress import StageBars

if TYPE_CHECKING:
    from index.build import BuildReport

STAGES = {
    "load": "reading and chunking",
    "model": "loading model",
    "embed": "tokenizing and embedding",
    "write": "writing index",
}
SCALED = ("load",)  # reading and chunking count bytes


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `index build` and `index status`."""
    index = subparsers.add_parser(
        "index",
        help="build the search index or show its status",
        description="Build the search index of a documents folder, or show the live one.",
    )
    actions = index.add_subparsers(title="index commands", metavar="ACTION", required=True)
    build = actions.add_parser(
        "build",
        help="build a new index and make it live",
        description=(
            "Read every .txt/.md/.html/.pdf/.docx under --docs, cut it into section-aware\n"
            "passages, embed and tokenize them, and publish the result atomically under\n"
            "--index: the previous index keeps serving until the new one is complete.\n"
            "Embeddings of unchanged passages are reused, so a rebuild after a small edit\n"
            "is fast. Unreadable files are skipped and listed with the reason."
        ),
    )
    build.add_argument(
        "--docs", type=Path, default=DEFAULT_DOCS, metavar="DIR",
        help=f"documents folder (default: {DEFAULT_DOCS})",
    )  # fmt: skip
    _index_option(build)
    build.add_argument(
        "--model", metavar="NAME_OR_PATH", default=None,
        help="sentence-transformers model: the bundled default, a local folder or a hub id "
        "(default: [embedding] model of the config)",
    )  # fmt: skip
    build.set_defaults(run=run, action="build")
    status = actions.add_parser(
        "status",
        help="show the live index: model, documents, counts, builds",
        description="Show what the live index was built from, without loading the model.",
    )
    _index_option(status)
    status.set_defaults(run=run, action="status")
    verify = actions.add_parser(
        "verify",
        help="check every file of the live build against its manifest",
        description=(
            "Check the live build without loading the model: every file present, at its\n"
            "recorded size and checksum, and readable, with counts that agree. A damaged\n"
            "build is reported on one line with the fix (exit 2)."
        ),
    )
    _index_option(verify)
    verify.set_defaults(run=run, action="verify")
    rollback = actions.add_parser(
        "rollback",
        help="make the previous build live again",
        description=(
            "Point the index at the newest kept build older than the live one, after\n"
            "checking its files. The newer build stays on disk until pruned."
        ),
    )
    _index_option(rollback)
    rollback.set_defaults(run=run, action="rollback")


def _index_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--index", type=Path, default=DEFAULT_INDEX, metavar="DIR",
        help=f"index root holding builds/ and CURRENT (default: {DEFAULT_INDEX})",
    )  # fmt: skip


def error_codes() -> dict[type[Exception], int]:
    """Expected errors of these commands and their exit codes."""
    from index.build import NoDocumentsError
    from index.milvus_errors import StoreError
    from index.publish import BuildInProgressError, NoPreviousBuildError
    from index.store import IndexMismatchError, IndexNotFoundError

    return {
        StoreError: 2,
        NoDocumentsError: 2,
        IndexNotFoundError: 2,
        IndexMismatchError: 2,
        NoPreviousBuildError: 2,
        BuildInProgressError: 1,
    }


def run(args: argparse.Namespace) -> int:
    """Run `index build`, `status`, `verify` or `rollback`."""
    actions = {"build": _build, "status": _status, "verify": _verify, "rollback": _rollback}
    return actions[args.action](args)


def _verify(args: argparse.Namespace) -> int:
    from index.store import verify_index

    manifest = verify_index(args.index)
    files = manifest["files"]
    size = sum(record["size"] for record in files.values())
    print(
        f"Index {args.index}: build {manifest['build_id']} is intact "
        f"({len(files)} files, {size / 1e6:.1f} MB, {manifest['counts']['chunks']} chunks)"
    )
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from index.publish import build_lock, live_build_id, make_live, previous_build
    from index.store import verify_index

    with build_lock(args.index):
        before = live_build_id(args.index)
        target = previous_build(args.index)
        verify_index(args.index / "builds" / target)
        make_live(args.index, target)
    print(f"Index {args.index}: build {target} is live again (was {before or 'none'})")
    return 0


def _build(args: argparse.Namespace) -> int:
    from index.build import build_index
    from index.config import load_settings

    check_folder(args.docs, "--docs folder")
    overrides = {"embedding.model": args.model} if args.model else {}
    settings = load_settings(args.config, overrides)
    with StageBars(STAGES, enabled=args.quiet == 0, scaled=SCALED) as bars:
        report = build_index(args.docs, args.index, settings, progress=bars.update)
    print(format_report(report))
    return 0


def format_report(report: BuildReport) -> str:
    """The build summary shown after `index build`."""
    lines = [
        f"Built index {report.build_id} in {report.index_dir}",
        f"  documents   {report.documents}",
        f"  sections    {report.sections}",
        f"  chunks      {report.chunks}",
        f"  embeddings  {report.embeddings_new} new, {report.embeddings_reused} reused",
        f"  time        {report.seconds:.1f} s",
    ]
    if report.skipped:
        lines.append(f"Skipped {len(report.skipped)} file(s):")
        lines.extend(f"  {path}: {reason}" for path, reason in report.skipped)
    return "\n".join(lines)


def _status(args: argparse.Namespace) -> int:
    from index.config import load_settings
    from index.publish import list_builds, live_build_id
    from index.store import verify_index

    manifest = verify_index(args.index, load_settings(args.config).index)
    emb, counts = manifest["embedding"], manifest["counts"]
    lines = [
        f"Index {args.index}: live build {manifest['build_id']} ({manifest['created_at']})",
        f"  model       {emb['model']} ({emb['model_id']}, dim {emb['dim']})",
        f"  chunking    {_settings_line(manifest['chunking'])}",
        f"  tokenizer   {manifest['tokenizer']['version']}, "
        f"{len(manifest['tokenizer']['user_words'])} user words",
        f"  documents   {counts['documents']}",
        f"  sections    {counts['sections']}",
        f"  chunks      {counts['chunks']}",
        f"  dense       {_dense_line(manifest.get('dense', {}))}",
    ]
    for path, source in sorted(manifest["sources"].items()):
        title = source["meta"].get("title") or "(no title)"
        lines.append(f"    {path}  {source['chunks']:>4} chunks  {title}")
    for skipped in manifest.get("skipped", []):
        lines.append(f"  skipped     {skipped['path']}: {skipped['reason']}")
    live = live_build_id(args.index)
    others = [b for b in list_builds(args.index) if b != live]
    if others:
        lines.append(f"  older builds kept: {', '.join(others)}")
    print("\n".join(lines))
    return 0


def _dense_line(dense: dict[str, Any]) -> str:
    if dense.get("kind") == "ivf_sq8":
        return f"IVF, 8-bit codes (nlist {dense['nlist']}, nprobe {dense['nprobe']})"
    return "exact (flat)"


def _settings_line(settings: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in settings.items())
