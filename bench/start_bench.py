"""How long `policyqa serve --docs corpus` takes to a page that answers, on an unchanged corpus.

The start checks the documents against the live build (sizes and times, without loading
the model), then loads the model and the index and opens the app. Run after
`policyqa index build`; prints seconds from launch to the first page per run:

    python bench/start_bench.py [--docs corpus] [--index var/index] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from serving import serve

from index.paths import DEFAULT_DOCS, DEFAULT_INDEX


def main() -> None:
    """Start and stop the app `--runs` times; print each start and the median."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=DEFAULT_DOCS)
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    seconds = []
    for run in range(args.runs):
        started = time.perf_counter()
        with serve(args.index, "--docs", str(args.docs)):
            seconds.append(time.perf_counter() - started)
        print(f"run {run + 1}: page answering after {seconds[-1]:.1f} s")
    print(f"median {statistics.median(seconds):.1f} s over {args.runs} runs")


if __name__ == "__main__":
    main()
