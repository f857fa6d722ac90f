"""How much a full index build costs beyond embedding, and what an unchanged rebuild costs.

Builds the corpus index twice into a temporary folder with the configured model
(default: the bundled multilingual-e5-small), then encodes the same passages directly
with the same Encoder, and prints a markdown table:

    python bench/build_bench.py [--docs corpus] [--model NAME_OR_PATH]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from index.build import BuildReport, build_index
from index.build_files import read_chunks
from index.config import load_settings
from index.embedder import Encoder
from index.paths import DEFAULT_DOCS

T = TypeVar("T")


@dataclass(frozen=True)
class Timed:
    """Wall-clock and CPU seconds of one run (CPU time is steadier on a shared machine)."""

    wall: float
    cpu: float


def _timed(run: Callable[[], T]) -> tuple[Timed, T]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return Timed(time.perf_counter() - wall, time.process_time() - cpu), result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=DEFAULT_DOCS, help="documents folder")
    parser.add_argument("--model", default=None, help="embedding model (default: config)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.WARNING)  # bm25s sets its own logger to DEBUG
    overrides = {"embedding.model": args.model} if args.model else {}
    settings = load_settings(None, overrides)
    # Load once first: materializing the bundled model and importing torch are
    # one-time costs that would otherwise land on the first build only.
    encoder = Encoder.load(settings.embedding)
    with tempfile.TemporaryDirectory(prefix="build-bench-") as tmp:
        root = Path(tmp) / "index"
        full, first = _timed(lambda: build_index(args.docs, root, settings))
        texts = [chunk.index_text for chunk in read_chunks(first.index_dir)]
        direct, _ = _timed(lambda: encoder.encode_passages(texts))
        again, second = _timed(lambda: build_index(args.docs, root, settings))
    print(table(first, second, {"direct": direct, "full": full, "rebuild": again}, encoder))
    return 0


def table(
    first: BuildReport, second: BuildReport, times: dict[str, Timed], encoder: Encoder
) -> str:
    """The results as a markdown table."""
    n = first.chunks
    direct, full, again = times["direct"], times["full"], times["rebuild"]
    rows = [
        f"Build benchmark: {first.documents} documents, {n} chunks, "
        f"model `{encoder.model_id}`, {torch_threads()} torch threads",
        "",
        "| run | wall s | chunks/s | CPU s | note |",
        "|---|---:|---:|---:|---|",
        f"| encode index_texts directly | {direct.wall:.1f} | {n / direct.wall:.1f} "
        f"| {direct.cpu:.1f} | Encoder.encode_passages only |",
        f"| full build | {full.wall:.1f} | {n / full.wall:.1f} | {full.cpu:.1f} "
        f"| overhead {_pct(full.wall, direct.wall)} wall, {_pct(full.cpu, direct.cpu)} CPU |",
        f"| unchanged rebuild | {again.wall:.1f} | {n / again.wall:.1f} | {again.cpu:.1f} "
        f"| {100 * again.wall / full.wall:.1f}% of the full build's wall time; "
        f"{second.embeddings_reused}/{n} embeddings reused |",
    ]
    return "\n".join(rows)


def _pct(value: float, base: float) -> str:
    return f"{100.0 * (value - base) / base:+.1f}%"


def torch_threads() -> int:
    """Threads torch computes with (the encoder sets them from the CPU affinity)."""
    # Lazy: torch is already loaded by the encoder when this runs.
    import torch

    return torch.get_num_threads()


if __name__ == "__main__":
    sys.exit(main())
