"""How long reading, cleaning and chunking take as a document grows: time must stay linear.

Writes one UTF-8 policy text per size into a temporary folder (the bundled corpus
repeated: headings, tables of contents, flattened tables, page boilerplate), then times
`load_document` (read, decode, boilerplate, metadata) and `chunk_document` on it in a
fresh process each, and prints a markdown table with the seconds per MB:

    python bench/ingest_bench.py [--sizes 3.7 14.7 29.5 100] [--docs corpus]
                                 [--shape corpus|prose]

`prose` strips every heading and line break from the corpus into paragraphs of plain
sentences: one section with nothing to skip, the splitter's worst case.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from index.paths import DEFAULT_DOCS

MB = 1_000_000


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[3.7, 14.7, 29.5, 100.0])
    parser.add_argument("--docs", type=Path, default=DEFAULT_DOCS, help="texts to repeat")
    parser.add_argument("--shape", choices=["corpus", "prose"], default="corpus")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # child: time one file
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(_time_one(args.one)))
        return 0
    seed = _seed_text(args.docs, args.shape)
    rows = []
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        for size in args.sizes:
            path = Path(tmp) / f"doc-{size:g}mb.txt"
            _write(path, seed, int(size * MB))
            rows.append(_measure(path))
            path.unlink()
    print(_table(rows, args.shape))
    return 0


def _seed_text(docs: Path, shape: str) -> str:
    texts = [p.read_text(encoding="utf-8") for p in sorted(docs.glob("*.txt"))]
    if shape == "corpus":
        return "\n".join(texts) + "\n"
    sentences = re.findall(r"[^。\n]{8,}。", "".join(texts))
    paragraphs = ["".join(sentences[i : i + 6]) for i in range(0, len(sentences), 6)]
    return "\n\n".join(paragraphs) + "\n\n"


def _write(path: Path, seed: str, size: int) -> None:
    """`seed` repeated to `size` bytes, the last copy cut at a character boundary."""
    data = seed.encode("utf-8")
    copies, rest = divmod(size, len(data))
    with path.open("wb") as handle:
        for _ in range(copies):
            handle.write(data)
        handle.write(data[:rest].decode("utf-8", "ignore").encode("utf-8"))


def _measure(path: Path) -> dict[str, float]:
    """Time one file in a fresh process, so sizes do not share caches or memory."""
    out = subprocess.run(
        [sys.executable, __file__, "--one", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def _time_one(path: Path) -> dict[str, float]:
    from index.loaders import load_document
    from rag.config import ChunkSettings
    from rag.reading.chunking import chunk_document

    started = time.perf_counter()
    doc = load_document(path, path.parent)
    loaded = time.perf_counter()
    chunks = chunk_document(doc, ChunkSettings())
    done = time.perf_counter()
    return {
        "mb": path.stat().st_size / MB,
        "chars": len(doc.text),
        "load_s": loaded - started,
        "chunk_s": done - loaded,
        "chunks": len(chunks),
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _table(rows: list[dict[str, float]], shape: str) -> str:
    lines = [
        f"shape: {shape}",
        "",
        "| MB | characters | read + clean + metadata s | chunk s | total s | s per MB "
        "| chunks | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        total = r["load_s"] + r["chunk_s"]
        lines.append(
            f"| {r['mb']:.1f} | {r['chars']:,.0f} | {r['load_s']:.1f} | {r['chunk_s']:.1f} "
            f"| {total:.1f} | {total / r['mb']:.2f} | {r['chunks']:,.0f} | {r['rss_mb']:.0f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
