"""Passages per CPU-second of the build's encoding path, torch against OpenVINO, and how close
their vectors are (passage vectors and the pooled sentence/table-row vectors).

    python bench/encoder_bench.py [--index var/index] [--passages 256] [--model NAME]

Encodes the first N passages of a built index exactly as a build does (one forward pass
per batch, passage and unit vectors together) with each backend, after one warm-up batch,
and prints a markdown table. torch runs as a build runs it (bf16 autocast on a CPU that
multiplies bf16 natively) and, for reference, in fp32. CPU seconds are the process's own,
so other work on a shared machine does not count against either backend.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from index.build_files import read_chunks
from index.embedder import Encoder
from index.manifest import embedding_settings, read_manifest
from index.paths import DEFAULT_INDEX
from index.publish import resolve_live
from index.unit_vectors import encode_with_units
from rag.answering.units import unit_spans

# (row name, backend, precision): torch as a build runs it, torch in fp32 for reference.
RUNS = (
    ("torch", "torch", "auto"),
    ("torch fp32", "torch", "fp32"),
    ("openvino", "openvino", "auto"),
)


def _run(encoder: Encoder, texts: list[str], spans: list) -> tuple[float, float, np.ndarray, list]:
    encode_with_units(encoder, texts[:16], spans[:16])  # warm-up (and OpenVINO's first compile)
    wall, cpu = time.perf_counter(), time.process_time()
    vectors, units = encode_with_units(encoder, texts, spans)
    return time.perf_counter() - wall, time.process_time() - cpu, vectors, units


def main(argv: list[str] | None = None) -> int:
    """Run both backends and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="a built index root")
    parser.add_argument("--passages", type=int, default=256, help="passages to encode")
    args = parser.parse_args(argv)
    folder = resolve_live(args.index)
    chunks = read_chunks(folder)[: args.passages]
    texts, spans = [c.index_text for c in chunks], [unit_spans(c) for c in chunks]
    settings = embedding_settings(read_manifest(folder))
    results = {}
    for name, backend, precision in RUNS:
        encoder = Encoder.load(replace(settings, backend=backend), precision)
        results[name] = _run(encoder, texts, spans)
        del encoder
    _, torch_cpu, torch_vectors, torch_units = results["torch"]
    _, _, ov_vectors, ov_units = results["openvino"]
    passage_cos = np.sum(torch_vectors * ov_vectors, axis=1)
    unit_cos = np.concatenate(
        [np.sum(a * b, axis=1) for a, b in zip(torch_units, ov_units, strict=True) if len(a)]
    )
    n = len(texts)
    print(f"Encoding {n} passages of {folder} ({settings.model}), build path (units included)")
    print()
    print("| backend | wall s | CPU s | passages per CPU-second | vs torch |")
    print("|---|---:|---:|---:|---:|")
    for name, (wall, cpu, *_rest) in results.items():
        print(f"| {name} | {wall:.1f} | {cpu:.1f} | {n / cpu:.2f} | {torch_cpu / cpu:.2f}× |")
    print()
    print(
        f"cosine to torch: passages min {passage_cos.min():.6f} mean {passage_cos.mean():.6f}; "
        f"units min {unit_cos.min():.6f} mean {unit_cos.mean():.6f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
