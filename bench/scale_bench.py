"""Open time, memory and per-question latency of an index of N passages, without an encoder.

Makes a synthetic index in the project's own format from a real build (default: the live
build under var/index, `policyqa index build`): its passages replicated under new region
names (each replica's region, titles and texts renamed, its tokens renamed the same way),
their real vectors with a little noise (so no two are equal), their unit vectors as they
are. Then opens it with QAService in a fresh process and times questions of three kinds:
naming a region, naming none, and naming a plan period (十四五) but no region.

    python bench/scale_bench.py --chunks 100000 [--json FILE] [--source var/index]
        [--work DIR] [--keep]

With --json it writes {"chunks", "open_s", "rss_mb", "types": {"region"|"unscoped"|
"period": {"retrieval_p50_ms", "retrieval_p95_ms", "answer_p50_ms",
"retrieval_cpu_p50_ms"}}} (the last: CPU time, steadier than wall time on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from index.bm25 import BM25_DIR, BM25Writer
from index.build_files import (
    DOCS,
    TERMS,
    UNIT_OFFSETS,
    UNITS,
    read_chunks,
    read_docs,
    read_unit_vectors,
    read_vectors,
)
from index.chunk_table import ChunkWriter
from index.dense import DenseWriter
from index.manifest import read_manifest, write_manifest
from index.npyfile import NpyAppender
from index.paths import DEFAULT_INDEX
from index.publish import new_build_id, publish_build, resolve_live, start_build
from index.store import make_tokenizer
from rag.answering.terms import bigrams
from rag.config import IndexSettings
from rag.reading.places import region_aliases

CODES = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥东南西北春夏秋冬金木水火土"
QUESTIONS = {
    "region": [
        "{R}2020年规上工业总产值是多少",
        "{R}的氢能目标是什么",
        "{R}有哪些主导产业",
        "{R}计划到2025年研发投入强度达到多少",
        "{R}如何推进人才引进",
        "{R}在生态环境保护方面有什么目标",
    ],
    "unscoped": [
        "加氢站建设有哪些目标",
        "高新技术企业数量计划达到多少家",
        "如何优化营商环境",
        "数字经济发展的重点任务有哪些",
        "科技创新平台建设有什么举措",
        "人才引进有哪些支持政策",
    ],
    "period": [
        "十四五期间高新技术企业发展目标是什么",
        "十四五规划中关于人才引进有什么措施",
        "“十四五”期间研发投入强度的目标是多少",
        "十四五时期重点发展哪些产业",
        "十四五规划提出的生态环境目标有哪些",
        "十四五期间如何推动产业集群发展",
    ],
}


def code(replica: int) -> str:
    """A unique two- or three-character prefix naming replica `replica`."""
    n = len(CODES)
    first, rest = divmod(replica, n * n)
    return (CODES[first - 1] if first else "") + CODES[rest // n] + CODES[rest % n]


def renamer(regions: list[str], prefix: str) -> list[tuple[str, str]]:
    """(original name, replica's name) for every region and alias, longest first."""
    pairs = {}
    for region in regions:
        for alias in region_aliases(region):
            pairs[alias] = prefix + alias
        pairs[region] = "/".join(prefix + part for part in region.split("/"))
    return sorted(pairs.items(), key=lambda p: -len(p[0]))


def rename(text: str, pairs: list[tuple[str, str]]) -> str:
    """`text` with each original name replaced by the replica's (longest names first)."""
    marks: list[str] = []
    for i, (old, _) in enumerate(pairs):
        if old in text:
            text = text.replace(old, f"\0{i}\0")
            marks.append(str(i))
    for i in marks:
        text = text.replace(f"\0{i}\0", pairs[int(i)][1])
    return text


def make_index(source: Path, root: Path, chunks_wanted: int) -> Path:
    """Write a synthetic index of `chunks_wanted` passages under `root`; its build folder."""
    folder = resolve_live(source)
    manifest = read_manifest(folder)
    chunks, docs = read_chunks(folder), read_docs(folder)
    vectors, units = read_vectors(folder), read_unit_vectors(folder)
    regions = sorted({m.region for m in docs.values() if m.region})
    replicas = -(-chunks_wanted // len(chunks))
    names = [renamer(regions, code(r)) for r in range(replicas)]
    user_words = set(manifest["tokenizer"]["user_words"])
    for pairs in names:
        user_words.update(new for _, new in pairs)
    tokenizer = make_tokenizer(sorted(user_words))
    base_tokens = [tokenizer.tokens(c.index_text) for c in chunks]
    build_id = new_build_id()
    tmp = start_build(root, build_id)
    writer, sparse = ChunkWriter(tmp), BM25Writer(tmp / ".work" / "bm25")
    dense = DenseWriter(tmp / ".work", vectors.shape[1])
    stacked = NpyAppender(tmp / UNITS, "float16", (vectors.shape[1],))
    offsets = NpyAppender(tmp / UNIT_OFFSETS, "int64")
    offsets.append(np.zeros(1, dtype=np.int64))
    rng = np.random.default_rng(7)
    df: Counter[str] = Counter()
    new_docs: dict[str, object] = {}
    made = 0
    for r, pairs in enumerate(names):
        swap = dict(pairs)
        doc_ids = {}
        for path, meta in docs.items():
            new_path = f"r{r:05d}/{path}"
            doc_ids[path] = len(new_docs)
            new_docs[new_path] = replace(
                meta, title=rename(meta.title, pairs), region=swap.get(meta.region, meta.region)
            )
        take = min(len(chunks), chunks_wanted - made)
        for chunk, tokens in zip(chunks[:take], base_tokens[:take], strict=True):
            text = rename(chunk.text, pairs)
            renamed = replace(
                chunk,
                chunk_id=f"{chunk.chunk_id}-{r}",
                doc=f"r{r:05d}/{chunk.doc}",
                title=rename(chunk.title, pairs),
                region=swap.get(chunk.region, chunk.region),
                end=chunk.start + len(text),
                text=text,
                index_text=rename(chunk.index_text, pairs),
            )
            writer.add(renamed, doc_ids[chunk.doc])
            sparse.add([swap.get(t, t) for t in tokens])
            df.update(bigrams(text.lower()))
        noisy = vectors[:take] + rng.normal(0, 0.02, (take, vectors.shape[1])).astype(np.float32)
        dense.append(noisy / np.linalg.norm(noisy, axis=1, keepdims=True))
        ends = []
        for row in range(take):
            stacked.append(np.asarray(units[row]))
            ends.append(stacked.rows)
        offsets.append(np.asarray(ends, dtype=np.int64))
        made += take
        print(f"\r  writing {made}/{chunks_wanted} passages", end="", file=sys.stderr)
    print(file=sys.stderr)
    writer.close()
    stacked.close()
    offsets.close()
    sparse.finish(tmp / BM25_DIR)
    entry = dense.finish(tmp, IndexSettings())
    shutil.rmtree(tmp / ".work")
    (tmp / DOCS).write_text(
        json.dumps({p: asdict(m) for p, m in new_docs.items()}, ensure_ascii=False), "utf-8"
    )
    (tmp / TERMS).write_text(json.dumps({"passages": made, "df": df}, ensure_ascii=False), "utf-8")
    counts = {"documents": len(new_docs), "sections": made, "chunks": made}
    tokenizer_entry = {**manifest["tokenizer"], "user_words": sorted(user_words)}
    keep = ("embedding", "chunking", "libraries", "builder")
    write_manifest(
        tmp,
        {
            "build_id": build_id,
            **{k: manifest[k] for k in keep},
            "tokenizer": tokenizer_entry,
            "dense": entry,
            "sources": {},
            "counts": counts,
        },
    )
    return publish_build(root, tmp, build_id)


MEASURE = r"""
import json, statistics, sys, time
from pathlib import Path
t0 = time.perf_counter()
from index.config import load_settings
from index.service import QAService
service = QAService.open(Path(sys.argv[1]), load_settings(None))
open_s = time.perf_counter() - t0
regions = service.regions()
questions = json.loads(sys.argv[2])

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024

service.retrieve("预热问题")  # first question pays for lazy imports
out = {"open_s": open_s, "rss_after_open_mb": rss(), "types": {}}
for kind, texts in questions.items():
    retrieval, answer = [], []
    cpu = []
    for i, text in enumerate(texts):
        service._query_vectors.clear()
        t, c = time.perf_counter(), time.process_time()
        service.retrieve(text)
        retrieval.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        service._query_vectors.clear()
        t = time.perf_counter(); service.reply(text); answer.append(time.perf_counter() - t)
    out["types"][kind] = {"retrieval": retrieval, "answer": answer, "cpu": cpu}
out["rss_mb"] = rss()
print(json.dumps(out))
"""


def questions(root: Path, rounds: int) -> dict[str, list[str]]:
    """The benchmark's questions, region ones naming several replicas' regions."""
    docs = read_docs(resolve_live(root))
    regions = sorted({m.region.split("/")[0] for m in docs.values() if m.region})
    rng = np.random.default_rng(3)
    picked = [regions[i] for i in rng.choice(len(regions), rounds * len(QUESTIONS["region"]))]
    out = {
        "region": [
            q.format(R=r) for q, r in zip(QUESTIONS["region"] * rounds, picked, strict=True)
        ],
    }
    for kind in ("unscoped", "period"):
        out[kind] = [q + "？" * i for i in range(rounds) for q in QUESTIONS[kind]]
    return out


def percentile(values: list[float], share: float) -> float:
    """The `share` percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    """Make the index, measure it in a fresh process, print (and write) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, required=True, help="passages in the index")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--source", type=Path, default=DEFAULT_INDEX, help="a real index root")
    parser.add_argument("--work", type=Path, help="where to write the index (default: temp)")
    parser.add_argument("--rounds", type=int, default=4, help="questions per kind ÷ 6")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic index")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="scale-bench-"))
    root = work / f"index-{args.chunks}"
    try:
        if not (root / "CURRENT").is_file():
            started = time.perf_counter()
            make_index(args.source, root, args.chunks)
            print(f"  made in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        asked = questions(root, args.rounds)
        run = subprocess.run(
            [sys.executable, "-c", MEASURE, str(root), json.dumps(asked, ensure_ascii=False)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        raw = json.loads(run.stdout.strip().splitlines()[-1])
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    result = {
        "chunks": args.chunks,
        "open_s": round(raw["open_s"], 2),
        "rss_mb": round(max(raw["rss_mb"], raw["rss_after_open_mb"])),
        "types": {
            kind: {
                "retrieval_p50_ms": round(1000 * statistics.median(t["retrieval"]), 1),
                "retrieval_p95_ms": round(1000 * percentile(t["retrieval"], 0.95), 1),
                "answer_p50_ms": round(1000 * statistics.median(t["answer"]), 1),
                # CPU seconds of the process per retrieval: steadier on a shared machine.
                "retrieval_cpu_p50_ms": round(1000 * statistics.median(t["cpu"]), 1),
            }
            for kind, t in raw["types"].items()
        },
    }
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
