"""How the chat app holds up under a team: simulated users asking through the app's queue.

Starts `policyqa serve` on the corpus index (default var/index, built by
`policyqa index build`) on a free local port, or uses --url, then runs N simulated
users for S seconds; each is a browser tab of its own (one session) asking dev-set
questions one after another through the `/ask` event, the same queue and handler the
page uses. Prints a markdown table of answers/s, latency percentiles and errors:

    python bench/load_bench.py [--index var/index] [--users 20] [--seconds 60]
                               [--concurrency 2] [--url URL]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from serving import PageSession, chat_history, gold_questions, message_text, percentile, serve

from index.paths import DEFAULT_INDEX
from ui.handlers import ANY_DOC, ANY_REGION


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
    questions = gold_questions()
    with _server(args.index, args.url, args.concurrency) as url:
        tally, wall = _run_users(url, questions, args.users, args.seconds)
    print(_table(tally, wall, args.users, args.seconds, args.concurrency))
    return 1 if not tally.latencies else 0


@contextmanager
def _server(index: Path, url: str | None, concurrency: int) -> Iterator[str]:
    """The app's URL: the given one, or a `policyqa serve` started here and stopped after."""
    if url:
        yield url.rstrip("/") + "/"
        return
    with serve(index, "--concurrency", str(concurrency)) as server:
        yield server.url


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
    page = PageSession(httpx.Client(timeout=120), url, "ask")
    i = number * 7  # users start at different places in the question list
    while time.monotonic() < stop_at:
        question = questions[i % len(questions)]
        i += 1
        began = time.monotonic()
        try:
            outputs = page.run([question, [], ANY_REGION, ANY_DOC, None])
        # A benchmark counts failures of any kind instead of stopping at the first.
        except Exception as err:
            tally.add(None, f"{type(err).__name__}: {err}")
            continue
        history = chat_history(outputs)
        answer = message_text(history[-1]) if history else ""
        if not answer or answer.startswith(("出错了", "无法检索")):
            tally.add(None, f"no answer for {question!r}: {answer[:60]!r}")
        else:
            tally.add(time.monotonic() - began)


def _table(tally: Tally, wall: float, users: int, seconds: float, concurrency: int) -> str:
    lat = tally.latencies
    mean = f"{statistics.fmean(lat):.2f}" if lat else "—"
    rows = [
        "| users | concurrency | seconds | answers | answers/s | p50 s | p95 s | max s | mean s "
        "| errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
        f"| {users} | {concurrency} | {seconds:.0f} (wall {wall:.0f}) | {len(lat)} | "
        f"{len(lat) / wall:.2f} | {percentile(lat, 0.5):.2f} | {percentile(lat, 0.95):.2f} | "
        f"{max(lat, default=0):.2f} | {mean} | {len(tally.errors)} |",
    ]
    if tally.errors:
        rows.append("\nFirst errors:\n" + "\n".join(f"- {e[:160]}" for e in tally.errors[:5]))
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
