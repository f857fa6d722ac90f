"""Peak memory and throughput of a real build as the corpus grows: does memory stay flat?

Writes a documents folder of about N passages (the corpus's own files copied under new
region names, so every copy is real text that reads, cleans, chunks and tokenizes like
the original) and builds it with `policyqa index build` in a fresh process, reporting
wall seconds, passages per second, the process's peak RSS and its peak anonymous memory
(RSS less the file pages it maps: the vectors file is read through a memory map while the
FAISS index is written, and those pages are page cache the kernel reclaims at will). The
encoder is a small static model (characters → vectors) unless --model names another, so
the figures show the pipeline's own cost and memory; encoding time with the default model
is measured by bench/build_bench.py and bench/encoder_bench.py.

    python bench/build_memory_bench.py --chunks 20000 200000 [--docs corpus] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from index.paths import DEFAULT_DOCS

PASSAGES_PER_COPY = 564  # passages of one copy of the corpus's plain-text files (measured)
CODES = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥东南西北春夏秋冬金木水火土"
REGIONS = re.compile(r"(河源|新乡|襄阳|黄埔|汀澜|鹭岭)")
MEASURE = r"""
import json, resource, sys, threading, time
from pathlib import Path
from index.build import build_index
from index.config import load_settings
anon = [0]
def sample():  # the kernel keeps no peak of anonymous memory: sample it
    while True:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    anon[0] = max(anon[0], int(line.split()[1]) // 1024)
        time.sleep(0.2)
threading.Thread(target=sample, daemon=True).start()
overrides = {"embedding.model": sys.argv[3]} if sys.argv[3] else {}
settings = load_settings(None, overrides)
start = time.perf_counter()
report = build_index(Path(sys.argv[1]), Path(sys.argv[2]), settings)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"chunks": report.chunks, "documents": report.documents,
                  "seconds": seconds, "peak_rss_mb": peak, "peak_anon_mb": anon[0]}))
"""


def copy_corpus(source: Path, target: Path, copies: int) -> None:
    """`copies` copies of the documents, each copy's region names prefixed with its code."""
    files = sorted(p for p in source.iterdir() if p.is_file() and p.suffix in (".txt", ".md"))
    for i in range(copies):
        n = len(CODES)
        code = CODES[i // n % n] + CODES[i % n] + (CODES[i // (n * n)] if i >= n * n else "")
        for path in files:
            text = REGIONS.sub(lambda m, c=code: c + m.group(1), path.read_text(encoding="utf-8"))
            (target / f"{i:05d}_{path.name}").write_text(text, encoding="utf-8")


def tiny_model(folder: Path) -> Path:
    """A small static sentence-transformers model, built once (the tests' own recipe)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.tiny_model import build_tiny_model

    return build_tiny_model(folder)


def main(argv: list[str] | None = None) -> int:
    """Build each size in a fresh process and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, nargs="+", required=True, help="target sizes")
    parser.add_argument("--docs", type=Path, default=DEFAULT_DOCS, help="documents to copy")
    parser.add_argument("--work", type=Path, help="scratch folder (default: temp)")
    parser.add_argument("--model", default="", help="embedding model (default: a static one)")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="build-memory-"))
    model = args.model or str(tiny_model(work / "model"))
    rows = []
    for wanted in args.chunks:
        docs, index = work / f"docs-{wanted}", work / f"index-{wanted}"
        shutil.rmtree(docs, ignore_errors=True)
        docs.mkdir(parents=True)
        copy_corpus(args.docs, docs, max(1, round(wanted / PASSAGES_PER_COPY)))
        run = subprocess.run(
            [sys.executable, "-c", MEASURE, str(docs), str(index), model],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        rows.append(json.loads(run.stdout.strip().splitlines()[-1]))
        shutil.rmtree(docs)
        shutil.rmtree(index)
    print("| passages | documents | build s | passages/s | peak RSS MB | peak anonymous MB |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        rate = r["chunks"] / r["seconds"]
        print(
            f"| {r['chunks']} | {r['documents']} | {r['seconds']:.0f} | {rate:.0f} | "
            f"{r['peak_rss_mb']:.0f} | {r['peak_anon_mb']:.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
