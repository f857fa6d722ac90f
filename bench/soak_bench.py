"""Does the chat server run for weeks? Memory, errors and latency over a long session.

Starts `policyqa serve` on the corpus index (default var/index) and runs N simulated
staff members for S seconds. Each one asks dev-set questions one after another
through the app's `/ask` endpoint and, like the browser, sends the conversation so
far with each question. The server's resident memory is sampled throughout; growth
is measured from the end of a warm-up (every user has asked a few questions) to the
end. With --publish-at T, a copy of the live build is published as a new build T
seconds in, and the bench reports when answers start coming from it (the status line
shows its build time) and whether any request failed during the switch; the soak
then serves a temporary copy of the index root, so the real one is left as it was:

    python bench/soak_bench.py [--index var/index] [--users 10] [--seconds 300]
                               [--concurrency 2] [--publish-at 60]
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from serving import (
    PageSession,
    Server,
    chat_history,
    gold_questions,
    message_text,
    percentile,
    serve,
)

from index.paths import DEFAULT_INDEX
from index.publish import (
    BUILDS,
    CURRENT,
    MANIFEST,
    build_lock,
    new_build_id,
    publish_build,
    resolve_live,
    start_build,
)
from ui.handlers import ANY_DOC, ANY_REGION

WARMUP_S = 20.0
SAMPLE_EVERY_S = 5.0


@dataclass
class Tally:
    """What the users saw, shared by their threads."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    statuses: list[tuple[float, str]] = field(default_factory=list)  # (time, status line)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self, seconds: float, status: str) -> None:
        """Record one answered question and the status line that came with it."""
        with self.lock:
            self.latencies.append(seconds)
            self.statuses.append((time.monotonic(), status))

    def error(self, what: str) -> None:
        """Record one failed question."""
        with self.lock:
            self.errors.append(what)


def main(argv: list[str] | None = None) -> int:
    """Run the soak and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index root")
    parser.add_argument("--users", type=int, default=10, help="concurrent simulated users")
    parser.add_argument("--seconds", type=float, default=300.0, help="how long they ask")
    parser.add_argument("--concurrency", type=int, default=2, help="serve --concurrency")
    parser.add_argument("--no-history", action="store_true",
                        help="send each question without the conversation")  # fmt: skip
    parser.add_argument("--publish-at", type=float, default=None, metavar="T",
                        help="publish a copy of the live build T seconds in")  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    questions = gold_questions()
    with tempfile.TemporaryDirectory(prefix="policyqa-soak-") as scratch:
        index = _private_copy(args.index, Path(scratch)) if args.publish_at else args.index
        tally, watch = _soak(index, questions, args)
    print(_report(tally, watch, args))
    return 0 if tally.latencies and not tally.errors else 1


def _private_copy(index_root: Path, scratch: Path) -> Path:
    """An index root under `scratch` holding a copy of the live build of `index_root`."""
    live = resolve_live(index_root)
    root = scratch / "index"
    shutil.copytree(live, root / BUILDS / live.name)
    (root / CURRENT).write_text(live.name + "\n", encoding="utf-8")
    return root


def _soak(index: Path, questions: list[str], args: argparse.Namespace) -> tuple[Tally, Watch]:
    with serve(index, "--concurrency", str(args.concurrency)) as server:
        tally = Tally()
        stop_at = time.monotonic() + args.seconds
        users = [
            threading.Thread(
                target=_user, args=(server.url, questions, i, stop_at, tally, not args.no_history)
            )
            for i in range(args.users)
        ]
        for user in users:
            user.start()
        watch = _watch(server, index, args.publish_at, stop_at)
        for user in users:
            user.join()
        watch.samples.append((time.monotonic(), server.rss_mb()))
        watch.cpu.append((time.monotonic(), server.cpu_s()))
    return tally, watch


@dataclass
class Watch:
    """Memory samples and, with --publish-at, when the new build was published."""

    samples: list[tuple[float, float]] = field(default_factory=list)  # (time, RSS MB)
    cpu: list[tuple[float, float]] = field(default_factory=list)  # (time, server CPU s)
    published_at: float | None = None
    start: float = field(default_factory=time.monotonic)


def _watch(server: Server, index: Path, publish_at: float | None, stop_at: float) -> Watch:
    watch = Watch()
    while time.monotonic() < stop_at:
        watch.samples.append((time.monotonic(), server.rss_mb()))
        watch.cpu.append((time.monotonic(), server.cpu_s()))
        due = publish_at is not None and watch.published_at is None
        if due and time.monotonic() - watch.start >= publish_at:
            _publish_copy(index)
            watch.published_at = time.monotonic()
        time.sleep(min(SAMPLE_EVERY_S, max(0.0, stop_at - time.monotonic())))
    return watch


def _publish_copy(index_root: Path) -> str:
    """Publish a copy of the live build under a new id, with a new build time."""
    live = resolve_live(index_root)
    build_id = new_build_id()
    with build_lock(index_root):
        tmp = start_build(index_root, build_id)
        shutil.rmtree(tmp)
        shutil.copytree(live, tmp)
        manifest = json.loads((tmp / MANIFEST).read_text(encoding="utf-8"))
        # A minute later than the old build, so the status line visibly changes.
        old = datetime.fromisoformat(manifest["created_at"])
        later = max(datetime.now(UTC), old + timedelta(minutes=1))
        manifest.update(build_id=build_id, created_at=later.isoformat(timespec="seconds"))
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
        publish_build(index_root, tmp, build_id)
    assert (index_root / BUILDS / build_id).is_dir()
    return build_id


def _user(
    url: str, questions: list[str], number: int, stop_at: float, tally: Tally, keep: bool
) -> None:
    """One staff member: asks the next question as soon as the last one is answered."""
    http = httpx.Client(timeout=120)
    page = PageSession(http, url, "ask")
    history: list[dict] = []
    i = number * 7  # users start at different places in the question list
    while time.monotonic() < stop_at:
        question = questions[i % len(questions)]
        i += 1
        began = time.monotonic()
        try:
            outputs = page.run([question, history, ANY_REGION, ANY_DOC, None])
        # A benchmark counts failures of any kind instead of stopping at the first.
        except Exception as err:
            tally.error(f"{type(err).__name__}: {err}")
            continue
        shown = chat_history(outputs)
        history = shown if keep else []
        answer = message_text(shown[-1]) if shown else ""
        status = next((o for o in outputs if isinstance(o, str) and "构建时间" in o), "")
        if not answer or answer.startswith(("出错了", "无法检索")):
            tally.error(f"no answer for {question!r}: {answer[:60]!r}")
        else:
            tally.ok(time.monotonic() - began, status)


def _report(tally: Tally, watch: Watch, args: argparse.Namespace) -> str:
    lat = tally.latencies
    after_warmup = [(t, m) for t, m in watch.samples if t - watch.start >= WARMUP_S]
    base = after_warmup[0][1] if after_warmup else float("nan")
    end = watch.samples[-1][1]
    peak = max(m for _, m in watch.samples)
    warm_answers = sum(1 for t, _ in tally.statuses if t - watch.start >= WARMUP_S)
    per_answer = (end - base) * 1024 / warm_answers if warm_answers else float("nan")
    warm_cpu = [c for t, c in watch.cpu if t - watch.start >= WARMUP_S]
    cpu_ms = (watch.cpu[-1][1] - warm_cpu[0]) * 1000 / warm_answers if warm_answers else 0.0
    rows = [
        "| users | seconds | answers | answers/s | p50 s | p95 s | max s | errors "
        "| RSS after warm-up MB | RSS end MB | growth MB | peak MB | KB per answer "
        "| server CPU ms per answer |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        f"| {args.users} | {args.seconds:.0f} | {len(lat)} | {len(lat) / args.seconds:.1f} "
        f"| {percentile(lat, 0.5):.2f} | {percentile(lat, 0.95):.2f} | {max(lat, default=0):.2f} "
        f"| {len(tally.errors)} | {base:.0f} | {end:.0f} | {end - base:+.0f} | {peak:.0f} "
        f"| {per_answer:+.1f} | {cpu_ms:.0f} |",
    ]
    if watch.published_at is not None:
        rows.append(_switch_line(tally, watch.published_at))
    if tally.errors:
        rows.append("\nFirst errors:\n" + "\n".join(f"- {e[:160]}" for e in tally.errors[:5]))
    return "\n".join(rows)


def _switch_line(tally: Tally, published_at: float) -> str:
    before = {s for t, s in tally.statuses if t < published_at}
    new = [(t, s) for t, s in tally.statuses if t >= published_at and s not in before]
    if not new:
        return "\nnew build published: no answer came from it before the end"
    first = min(t for t, _ in new) - published_at
    return f"\nnew build published: first answer from it after {first:.1f} s ({new[0][1]})"


if __name__ == "__main__":
    sys.exit(main())
