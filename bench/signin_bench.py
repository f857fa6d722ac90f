"""Sign-in under attack: equal time for unknown and known names, and a usable app while guessed at.

Starts `policyqa serve --auth-file` twice on the corpus index (default var/index),
with one user whose password hash has the default 600,000 PBKDF2 iterations:

1. timing (failure limits raised so nothing is refused): wrong passwords for the known
   name and for unknown names, interleaved; median and mean time of each;
2. guessing (default [serve] limits): a signed-in user asks questions alone (idle),
   then while 4 loops send 200 wrong guesses (the known name and made-up ones, each
   loop from its own loopback address); the user's median and p95 in both phases, and
   how long the guessing took.

    python bench/signin_bench.py [--index var/index] [--attempts 30] [--guesses 200]
"""

from __future__ import annotations

import argparse
import itertools
import logging
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from serving import PageSession, gold_questions, percentile, serve

from index.paths import DEFAULT_INDEX
from ui.auth import auth_line
from ui.handlers import ANY_DOC, ANY_REGION

USER, PASSWORD = "alice", "correct horse battery staple"
GUESS_LOOPS = 4


def main(argv: list[str] | None = None) -> int:
    """Run both phases and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index root")
    parser.add_argument("--attempts", type=int, default=30, help="timed attempts per kind")
    parser.add_argument("--guesses", type=int, default=200, help="wrong guesses in phase 2")
    parser.add_argument("--idle-s", type=float, default=15.0, help="phase 2 idle measurement")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="policyqa-signin-") as scratch:
        folder = Path(scratch)
        users = folder / "users.txt"
        users.write_text(auth_line(USER, PASSWORD) + "\n", encoding="utf-8")
        lenient = folder / "lenient.toml"
        lenient.write_text("[serve]\nsignin_max_failures = 100000\n", encoding="utf-8")
        with serve(args.index, "--auth-file", str(users), "--config", str(lenient)) as server:
            known, unknown = _timing(server.url, args.attempts)
        with serve(args.index, "--auth-file", str(users)) as server:
            idle, busy, guessing = _guessing(server.url, args.guesses, args.idle_s)
    print(_report(known, unknown, idle, busy, guessing, args))
    return 0


def _login(http: httpx.Client, url: str, user: str, password: str) -> int:
    return http.post(f"{url}login", data={"username": user, "password": password}).status_code


def _timing(url: str, attempts: int) -> tuple[list[float], list[float]]:
    known: list[float] = []
    unknown: list[float] = []
    with httpx.Client(timeout=60) as http:
        for user in (USER, "warm-up", USER, "warm-up"):
            _login(http, url, user, "x")
        for i in range(attempts):
            pair = [(USER, known), (f"nobody{i}", unknown)]
            # Alternate which goes first, so a steady background load biases neither.
            for user, times in pair if i % 2 == 0 else reversed(pair):
                began = time.perf_counter()
                status = _login(http, url, user, f"wrong {i}")
                times.append(time.perf_counter() - began)
                if status != 400:
                    raise SystemExit(f"a wrong password for {user!r} got HTTP {status}")
    return known, unknown


def _guessing(url: str, guesses: int, idle_s: float) -> tuple[list[float], list[float], float]:
    http = httpx.Client(timeout=120)
    if _login(http, url, USER, PASSWORD) != 200:
        raise SystemExit("the user could not sign in")
    page = PageSession(http, url, "ask")
    questions = itertools.cycle(gold_questions())

    def ask_for(seconds: float | None, stop: threading.Event | None = None) -> list[float]:
        times: list[float] = []
        until = time.monotonic() + (seconds or 0)
        while (stop is not None and not stop.is_set()) or (
            seconds is not None and time.monotonic() < until
        ):
            began = time.monotonic()
            page.run([next(questions), [], ANY_REGION, ANY_DOC, None])
            times.append(time.monotonic() - began)
        return times

    idle = ask_for(idle_s)
    done = threading.Event()
    busy: list[float] = []
    user = threading.Thread(target=lambda: busy.extend(ask_for(None, done)))
    user.start()
    began = time.monotonic()
    loops = [
        threading.Thread(target=_guess, args=(url, n, guesses // GUESS_LOOPS))
        for n in range(GUESS_LOOPS)
    ]
    for loop in loops:
        loop.start()
    for loop in loops:
        loop.join()
    guessing = time.monotonic() - began
    done.set()
    user.join()
    return idle, busy, guessing


def _guess(url: str, number: int, count: int) -> None:
    """One guessing loop from its own loopback address: the known name and made-up ones."""
    transport = httpx.HTTPTransport(local_address=f"127.0.0.{10 + number}")
    with httpx.Client(timeout=120, transport=transport) as http:
        for i in range(count):
            user = USER if i % 2 == 0 else f"guess{number}-{i}"
            if _login(http, url, user, f"guess {number}-{i}") == 200:
                raise SystemExit("a wrong password signed in")


def _report(
    known: list[float],
    unknown: list[float],
    idle: list[float],
    busy: list[float],
    guessing: float,
    args: argparse.Namespace,
) -> str:
    k, u = statistics.median(known), statistics.median(unknown)
    rows = [
        "| wrong password for | attempts | median ms | mean ms |",
        "|---|---|---|---|",
        f"| the known name | {len(known)} | {k * 1000:.0f} "
        f"| {statistics.fmean(known) * 1000:.0f} |",
        f"| unknown names | {len(unknown)} | {u * 1000:.0f} "
        f"| {statistics.fmean(unknown) * 1000:.0f} |",
        f"\nunknown / known median: {u / k:.2f}",
        "",
        "| signed-in user | questions | p50 s | p95 s |",
        "|---|---|---|---|",
        f"| idle | {len(idle)} | {percentile(idle, 0.5):.3f} | {percentile(idle, 0.95):.3f} |",
        f"| during {args.guesses} wrong guesses ({GUESS_LOOPS} loops, {guessing:.1f} s) "
        f"| {len(busy)} | {percentile(busy, 0.5):.3f} | {percentile(busy, 0.95):.3f} |",
        f"\np50 during guessing / idle: {percentile(busy, 0.5) / percentile(idle, 0.5):.2f}",
    ]
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
