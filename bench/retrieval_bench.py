"""How long a question takes on the corpus index: retrieval, query encoding, answers, batches.

Opens the corpus index (default var/index, built by `policyqa index build`) with the
configured settings and, over the dev-set questions, times

  - `service.index.encoder.encode_queries([q])` (query encoding alone),
  - `service.retrieve(q)` for a new question (encoding included) and for a repeated one
    (the service keeps each question's vector, so only search, fusion and ranking remain),
  - `service.ask(q)` for a new question (retrieval plus the composed, cited answer),

each warm: every question runs once first, then a second pass is timed. The service's
per-question vector cache is emptied before each "new question" call so that pass still
pays for encoding, as a user's next question would. Then `policyqa ask --jsonl` runs as a
subprocess over the same questions for batch throughput. Prints a markdown table:

    PYTHONPATH=. python bench/retrieval_bench.py [--index var/index] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.config import load_settings
from index.paths import DEFAULT_INDEX
from index.service import QAService

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "eval" / "gold" / "dev.jsonl"


@dataclass(frozen=True)
class Latency:
    """Percentiles of one timed pass, in milliseconds (CPU time is steadier on a busy machine)."""

    p50: float
    p95: float
    mean: float
    cpu_mean: float  # process CPU time per question, all threads together

    @classmethod
    def of(cls, wall: list[float], cpu: list[float]) -> Latency:
        """Summarize per-question wall and CPU times given in seconds."""
        ms = np.asarray(wall) * 1000.0
        p50, p95 = np.percentile(ms, [50, 95])
        return cls(float(p50), float(p95), float(ms.mean()), 1000.0 * float(np.mean(cpu)))


@dataclass(frozen=True)
class BatchRun:
    """Wall times of one `policyqa ask --jsonl` process."""

    questions: int
    total_s: float  # start of the process to its exit: imports, model and index load included
    first_s: float  # start of the process to its first output line

    @property
    def total_qps(self) -> float:
        """Questions per second over the whole process."""
        return self.questions / self.total_s

    @property
    def steady_qps(self) -> float:
        """Questions per second once the first answer is out (startup excluded)."""
        rest = self.total_s - self.first_s
        return (self.questions - 1) / rest if rest > 0 else float("nan")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder")
    parser.add_argument("--gold", type=Path, default=GOLD, help="questions (gold JSONL)")
    parser.add_argument("--threads", type=int, default=2, help="torch and FAISS threads")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.WARNING)  # bm25s sets its own logger to DEBUG
    questions = _questions(args.gold)
    load_before = os.getloadavg()
    service = QAService.open(args.index, load_settings(None))
    _set_threads(args.threads)
    times = time_service(service, questions)
    batch = time_batch(args.index, questions, args.threads)
    load_after = os.getloadavg()
    command = shlex.join(["python", "bench/retrieval_bench.py", *sys.argv[1:]])
    print(table(command, service, times, batch, (load_before, load_after), args.threads))
    return 0


def _questions(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line)["question"] for line in handle if line.strip()]


def _set_threads(threads: int) -> None:
    # Lazy: both are loaded by the service already; importing here only fetches them.
    import faiss
    import torch

    torch.set_num_threads(threads)
    faiss.omp_set_num_threads(threads)


def _warm_then_time(
    run: Callable[[str], object], questions: list[str], before: Callable[[], None] | None = None
) -> Latency:
    """Run every question once, then time a second pass one question at a time."""
    for q in questions:
        if before:
            before()
        run(q)
    wall, cpu = [], []
    for q in questions:
        if before:
            before()
        start, start_cpu = time.perf_counter(), time.process_time()
        run(q)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return Latency.of(wall, cpu)


def time_service(service: QAService, questions: list[str]) -> dict[str, Latency]:
    """Latency of encoding, retrieval (new and repeated question) and full answers."""
    # The service keeps each question's vector; a new question must not find it there.
    forget = service._query_vectors.clear
    return {
        "encode": _warm_then_time(lambda q: service.index.encoder.encode_queries([q]), questions),
        "retrieve": _warm_then_time(service.retrieve, questions, forget),
        "retrieve_cached": _warm_then_time(service.retrieve, questions),
        "ask": _warm_then_time(service.ask, questions, forget),
    }


def time_batch(index: Path, questions: list[str], threads: int) -> BatchRun:
    """Run `policyqa ask --jsonl` over the questions as a subprocess; check every answer."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    with tempfile.TemporaryDirectory(prefix="retrieval-bench-") as tmp:
        batch = Path(tmp) / "dev.jsonl"
        lines = (
            json.dumps({"id": i, "question": q}, ensure_ascii=False)
            for i, q in enumerate(questions)
        )
        batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
        command = [sys.executable, "-m", "ui.cli", "-q", "ask", "--jsonl", str(batch)]
        start = time.perf_counter()
        proc = subprocess.Popen(
            [*command, "--index", str(index.resolve())],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, encoding="utf-8",
        )  # fmt: skip
        assert proc.stdout is not None
        first_line = proc.stdout.readline()
        first = time.perf_counter() - start
        ids = [json.loads(line)["id"] for line in (first_line, *proc.stdout) if line]
        code = proc.wait()
        total = time.perf_counter() - start
    if code != 0 or ids != list(range(len(questions))):
        raise RuntimeError(f"policyqa ask --jsonl exited {code} after {len(ids)} answers")
    return BatchRun(len(questions), total, first)


def table(
    command: str,
    service: QAService,
    times: dict[str, Latency],
    batch: BatchRun,
    load: tuple[tuple[float, ...], tuple[float, ...]],
    threads: int,
) -> str:
    """The results as a markdown table, headed by the command line that produced them."""
    status = service.status()
    rows = [
        f"`{command}`",
        "",
        f"Index: {status['documents']} documents, {status['chunks']} chunks, model "
        f"`{status['model']}`; {batch.questions} dev questions; {threads} threads; "
        f"load average before {_load(load[0])}, after {_load(load[1])}.",
        "",
        "| what (warm, one question at a time) | p50 ms | p95 ms | mean ms | CPU ms |",
        "|---|---:|---:|---:|---:|",
    ]
    labels = {
        "encode": "query encoding: `encoder.encode_queries([q])`",
        "retrieve": "`service.retrieve(q)`, new question (encoding included)",
        "retrieve_cached": "`service.retrieve(q)`, repeated question (vector cached)",
        "ask": "`service.ask(q)`, new question (retrieval + cited answer)",
    }
    for key, label in labels.items():
        t = times[key]
        rows.append(f"| {label} | {t.p50:.1f} | {t.p95:.1f} | {t.mean:.1f} | {t.cpu_mean:.1f} |")
    rows += [
        "",
        "| `policyqa ask --jsonl` subprocess | value |",
        "|---|---:|",
        f"| questions/s, whole process (startup included) | {batch.total_qps:.2f} |",
        f"| questions/s after the first answer | {batch.steady_qps:.2f} |",
        f"| startup to first answer, s | {batch.first_s:.1f} |",
        f"| total wall, s | {batch.total_s:.1f} |",
    ]
    return "\n".join(rows)


def _load(avg: tuple[float, ...]) -> str:
    return " / ".join(f"{x:.2f}" for x in avg)


if __name__ == "__main__":
    sys.exit(main())
