"""How fast and how plainly the CLI refuses bad input: each case run as staff would run it.

Runs `policyqa` (as `python -m ui.cli`) on each bad input against the corpus index
(default var/index) and prints a markdown table: exit code, wall seconds, the number
of stderr lines, whether a traceback appeared, and the line itself:

    python bench/cli_errors_bench.py [--index var/index]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from index.paths import DEFAULT_INDEX

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "新乡高新区的氢能目标是什么"


def cases(index: Path, busy_port: int) -> list[list[str]]:
    """The bad command lines, each without the leading `policyqa`."""
    at = ["--index", str(index)]
    return [
        ["ask", "", *at],
        ["ask", QUESTION, "--k", "0", *at],
        ["ask", QUESTION, "--k", "-3", *at],
        ["ask", "--jsonl", "missing.jsonl", *at],
        ["ask", QUESTION, "--region", "北京", *at],
        ["ask", QUESTION, "--doc", "corpus/999_missing.txt", *at],
        ["ask", QUESTION, "--doc", "规划", *at],
        ["ask", QUESTION, "--index", "no/such/index"],
        ["eval", "--gold", "missing.jsonl"],
        ["eval", "--gold", "eval/gold/dev.jsonl", "--compare", "nonsense"],
        ["index", "build", "--docs", "no/such/folder", "--index", "/tmp/policyqa-unused"],
        ["serve", "--concurrency", "0", *at],
        ["serve", "--port", str(busy_port), *at],
        ["serve", "--auth-file", "missing-users.txt", *at],
    ]


def main(argv: list[str] | None = None) -> int:
    """Run every case and print the table; exit 1 when one misses its targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index root")
    args = parser.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rows = [
        "| command | exit | seconds | stderr lines | traceback | message |",
        "|---|---|---|---|---|---|",
    ]
    worst = 0.0
    failed = False
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        for case in cases(args.index, busy.getsockname()[1]):
            began = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "ui.cli", *case],
                cwd=ROOT, env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            seconds = time.perf_counter() - began
            worst = max(worst, seconds)
            lines = done.stderr.strip().splitlines()
            traceback = "Traceback" in done.stderr
            failed |= done.returncode != 2 or len(lines) != 1 or traceback or seconds > 1.0
            shown = " ".join(f'"{a}"' if not a or " " in a else a for a in case)
            message = (lines[0] if lines else "").replace("|", "\\|")
            rows.append(
                f"| `policyqa {shown}` | {done.returncode} | {seconds:.2f} | {len(lines)} "
                f"| {'yes' if traceback else 'no'} | {message[:90]} |"
            )
    rows.append(f"\nslowest: {worst:.2f} s")
    print("\n".join(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
