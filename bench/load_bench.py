"""How the chat app holds up under a team: simulated users asking through the gradio API.

Starts `policyqa serve` on the corpus index (default var/index, built by
`policyqa index build`) on a free local port, or uses --url, then runs N simulated
users for S seconds; each asks dev-set questions one after another through the
app's `/ask` endpoint (the same queue and handler the page uses). Prints a markdown
table of answers/s, latency percentiles and errors:

    python bench/load_bench.py [--index var/index] [--users 20] [--seconds 60]
                               [--concurrency 2] [--url URL]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from index.paths import DEFAULT_INDEX
from ui.handlers import ANY_DOC, ANY_REGION

GOLD = Path(__file__).resolve().parents[1] / "eval" / "gold" / "dev.jsonl"
STARTUP_S = 300  # loading the default model and the index can take a while on 2 cores


@dataclass
class Tally:
    """Latencies of answered questions and the errors, shared by all user threads."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float | None, error: str | None = None) -> None:
        """Record one finished question."""
        with self.lock:
            if error is None and seconds is not None:
                self.latencies.append(seconds)
            else:
                self.errors.append(error or "unknown")


def main(argv: list[str] | None = None) -> int:
    """Run the load test and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder")
    parser.add_argument("--users", type=int, default=20, help="concurrent simulated users")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long they ask")
    parser.add_argument("--url", help="an already running app (skip starting one)")
    parser.add_argument("--concurrency", type=int, default=2, help="serve --concurrency")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    questions = _questions(GOLD)
    with _server(args.index, args.url, args.concurrency) as url:
        tally, wall = _run_users(url, questions, args.users, args.seconds)
    print(_table(tally, wall, args.users, args.seconds, args.concurrency))
    return 1 if not tally.latencies else 0


def _questions(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line)["question"] for line in handle if line.strip()]


@contextmanager
def _server(index: Path, url: str | None, concurrency: int) -> Iterator[str]:
    """The app's URL: the given one, or a `policyqa serve` started here and stopped after."""
    if url:
        yield url.rstrip("/") + "/"
        return
    port = _free_port()
    command = [sys.executable, "-m", "ui.cli", "-q", "serve", "--index", str(index)]
    command += ["--port", str(port), "--concurrency", str(concurrency)]
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    process = subprocess.Popen(command, cwd=root, env=env)
    try:
        local = f"http://127.0.0.1:{port}/"
        _wait_ready(local, process)
        yield local
    finally:
        process.terminate()
        process.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"policyqa serve exited with code {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"policyqa serve did not answer at {url} within {STARTUP_S} s")


def _run_users(url: str, questions: list[str], users: int, seconds: float) -> tuple[Tally, float]:
    tally = Tally()
    start = time.monotonic()
    stop_at = start + seconds
    threads = [
        threading.Thread(target=_user, args=(url, questions, i, stop_at, tally), daemon=True)
        for i in range(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally, time.monotonic() - start


def _user(url: str, questions: list[str], number: int, stop_at: float, tally: Tally) -> None:
    """One staff member: asks the next question as soon as the last one is answered."""
    # Lazy: only the load test needs the client library.
    from gradio_client import Client

    client = Client(url, verbose=False)
    i = number * 7  # users start at different places in the question list
    while time.monotonic() < stop_at:
        question = questions[i % len(questions)]
        i += 1
        began = time.monotonic()
        try:
            outputs = client.predict(question, [], ANY_REGION, ANY_DOC, api_name="/ask")
        # A benchmark counts failures of any kind instead of stopping at the first.
        except Exception as err:
            tally.add(None, f"{type(err).__name__}: {err}")
            continue
        history = outputs[1]
        answer = history[-1]["content"][0]["text"] if history else ""
        if not answer or answer.startswith("⚠️"):
            tally.add(None, f"no answer for {question!r}: {answer[:60]!r}")
        else:
            tally.add(time.monotonic() - began)


def _table(tally: Tally, wall: float, users: int, seconds: float, concurrency: int) -> str:
    lat = sorted(tally.latencies)

    def pct(p: float) -> str:
        return f"{lat[min(len(lat) - 1, int(p * len(lat)))]:.2f}" if lat else "—"

    mean = f"{statistics.fmean(lat):.2f}" if lat else "—"
    rows = [
        "| users | concurrency | seconds | answers | answers/s | p50 s | p95 s | max s | mean s "
        "| errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
        f"| {users} | {concurrency} | {seconds:.0f} (wall {wall:.0f}) | {len(lat)} | "
        f"{len(lat) / wall:.2f} | "
        f"{pct(0.50)} | {pct(0.95)} | {lat[-1] if lat else 0:.2f} | {mean} | "
        f"{len(tally.errors)} |",
    ]
    if tally.errors:
        rows.append("\nFirst errors:\n" + "\n".join(f"- {e[:160]}" for e in tally.errors[:5]))
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
