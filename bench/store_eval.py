"""Same answers from either store: every gold question asked of the local build folder and of
the same build published to Milvus, answers and hits compared one by one.

    python bench/store_eval.py [--index var/index] [--uri FILE_OR_URL] [--gold FILE ...]

Without --uri the build is published to a Milvus Lite file in a temporary folder. Prints
how many questions got the identical answer text, decision, citations and top-10 hits,
and the first differences if any.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from index.config import load_settings
from index.milvus_publish import make_live, publish
from index.milvus_store import MilvusStore
from index.paths import DEFAULT_INDEX
from index.publish import resolve_live
from index.service import QAService
from index.store import open_index
from rag.config import StoreSettings

GOLD = sorted(Path("eval/gold").glob("*.jsonl"))


def _shape(answer: object) -> tuple:
    return (
        answer.text,
        answer.abstained,
        [(c.n, c.hit.row, c.spans) for c in answer.citations],
        [h.row for h in answer.hits[:10]],
    )


def main(argv: list[str] | None = None) -> int:
    """Ask every question of both services and compare."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    parser.add_argument("--uri", default="", help="Milvus URI (default: a temporary Lite file)")
    parser.add_argument("--gold", type=Path, nargs="*", default=GOLD)
    args = parser.parse_args(argv)
    settings = load_settings(None)
    uri = args.uri or str(Path(tempfile.mkdtemp(prefix="store-eval-")) / "milvus.db")
    store_settings = StoreSettings(backend="milvus", uri=uri, collection="policyqa_eval")
    started = time.perf_counter()
    publish(resolve_live(args.index), store_settings)
    local = QAService(open_index(args.index), settings)
    make_live(store_settings, local.index.build_id, keep=1)
    head = open_index(args.index, head_only=True)
    remote = QAService(
        head, replace(settings, store=store_settings), MilvusStore.open(head, store_settings)
    )
    print(f"published {local.index.size} passages in {time.perf_counter() - started:.0f} s")
    questions = [
        json.loads(line)
        for path in args.gold
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    same, different = 0, []
    for item in questions:
        a, b = local.ask(item["question"]), remote.ask(item["question"])
        if _shape(a) == _shape(b):
            same += 1
        else:
            different.append(item["id"])
    print(f"{same} of {len(questions)} questions: identical answers, citations and top-10 hits")
    if different:
        print(f"different: {', '.join(different[:20])}")
    return 0 if not different else 1


if __name__ == "__main__":
    sys.exit(main())
