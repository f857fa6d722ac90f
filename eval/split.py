"""Split gold questions into a tune and a held-out set by document section, never at random.

Two questions about the same passage (a paraphrase and its original, a table value asked
two ways) must not sit on both sides, or tuning on one would grade itself on the other.
So questions are grouped by the sections their evidence lies in (chapter › section), groups
joined when one question spans several (a question answered by two documents), and whole
groups are dealt to the two sides, balancing each kind of question (type and tags).
Traps have no evidence: they are dealt per trap kind, alternately, in a fixed order.

    python -m eval.split FILE.jsonl … --docs corpus --out eval/gold
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from index.loaders import load_document
from rag.reading.clean import boilerplate_spans
from rag.reading.sections import build_sections, find_headings
from rag.types import Section

SECTION_DEPTH = 2  # chapter › section: the unit two phrasings of one question share
SIDES = ("tune", "heldout")

Record = dict[str, object]


def _docs_of(record: Record) -> list[str]:
    doc = record.get("doc")
    if isinstance(doc, list):
        return [str(d) for d in doc]
    return [str(doc)] if doc else []


class _Sections:
    """The section tree of each document, built once."""

    def __init__(self, docs_dir: Path) -> None:
        self.docs_dir = docs_dir
        self._cache: dict[str, tuple[str, list[Section]]] = {}

    def key(self, doc: str, quote: str, paragraph: bool = False) -> tuple[str, object] | None:
        """(doc, chapter › section) of the innermost section holding the quote's start;
        with `paragraph`, (doc, offset of the paragraph holding it) instead."""
        if doc not in self._cache:
            text = load_document(self.docs_dir / doc, self.docs_dir).text
            headings = find_headings(text, boilerplate_spans(text))
            self._cache[doc] = (text, build_sections(text, headings))
        text, sections = self._cache[doc]
        at = text.find(quote)
        if at < 0:
            return None
        if paragraph:
            return doc, text.rfind("\n", 0, at) + 1
        path: tuple[str, ...] = ()
        for section in sections:
            if section.start <= at < section.end and len(section.path) >= len(path):
                path = section.path
        return doc, path[:SECTION_DEPTH]


def _categories(record: Record) -> Counter[str]:
    tags = record.get("tags") or []
    assert isinstance(tags, list)
    return Counter([f"type:{record['type']}", *(str(t) for t in tags), "all"])


def _stable(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _components(
    records: Sequence[Record], sections: _Sections, paragraph: bool = False
) -> list[list[int]]:
    """Indices of answerable records grouped by shared sections (union-find)."""
    parent = list(range(len(records)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[tuple[str, object], int] = {}
    for i, record in enumerate(records):
        evidence = record.get("evidence") or []
        assert isinstance(evidence, list)
        for doc in _docs_of(record):
            for quote in evidence:
                key = sections.key(doc, str(quote), paragraph)
                if key is None:
                    continue
                if key in owner:
                    parent[find(i)] = find(owner[key])
                else:
                    owner[key] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(records)):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def _deal(groups: Iterable[list[int]], records: Sequence[Record]) -> dict[str, list[int]]:
    """Largest groups first, each to the side where its kinds of question are scarcer."""
    counts = {side: Counter[str]() for side in SIDES}
    dealt: dict[str, list[int]] = {side: [] for side in SIDES}
    order = sorted(groups, key=lambda g: (-len(g), _stable(str(records[g[0]]["id"]))))
    for group in order:
        kinds = sum((_categories(records[i]) for i in group), Counter[str]())

        def imbalance(side: str, kinds: Counter[str] = kinds) -> float:
            after = {s: counts[s] + (kinds if s == side else Counter()) for s in SIDES}
            return sum(
                (after["tune"][k] - after["heldout"][k]) ** 2 / (kinds[k] + 1) for k in kinds
            )

        side = min(SIDES, key=lambda s: (imbalance(s), SIDES.index(s)))
        counts[side] += kinds
        dealt[side].extend(group)
    return dealt


def split(records: Sequence[Record], docs_dir: Path) -> dict[str, list[Record]]:
    """The tune and held-out records; every record lands on exactly one side.

    Questions answered by one document and those answered by several (unscoped and
    comparison questions) are grouped each among themselves: a question that spans five
    plans touches sections of all of them, so grouping it with single-document questions
    would chain most of the set into one group and leave no cross-region question to judge.
    For the same reason questions answered by several documents are grouped by the
    paragraphs their evidence lies in, not by whole sections.
    """
    sections = _Sections(docs_dir)
    out: dict[str, list[Record]] = {side: [] for side in SIDES}
    for multi in (False, True):
        chosen = [r for r in records if _docs_of(r) and (len(_docs_of(r)) > 1) == multi]
        dealt = _deal(_components(chosen, sections, paragraph=multi), chosen)
        for side in SIDES:
            out[side] += [chosen[i] for i in sorted(dealt[side])]
    traps = [r for r in records if not _docs_of(r)]
    by_kind: dict[str, list[Record]] = {}
    for trap in traps:
        by_kind.setdefault(_trap_kind(trap), []).append(trap)
    for kind in sorted(by_kind):
        # Alternate within a kind, starting on the side with fewer traps so far.
        first = min(SIDES, key=lambda s: (sum(not _docs_of(r) for r in out[s]), s))
        sides = (first, SIDES[1 - SIDES.index(first)])
        ordered = sorted(by_kind[kind], key=lambda r: _stable(str(r["id"])))
        for n, trap in enumerate(ordered):
            out[sides[n % 2]].append(trap)
    return out


def _trap_kind(record: Record) -> str:
    tags = record.get("tags") or []
    assert isinstance(tags, list)
    return next((str(t) for t in tags if str(t).startswith(("trap:", "junk"))), "trap")


def main(argv: list[str] | None = None) -> int:
    """Read the authored files, write OUT/tune.jsonl and OUT/heldout.jsonl."""
    parser = argparse.ArgumentParser(prog="python -m eval.split", description=__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--docs", type=Path, default=Path("corpus"))
    parser.add_argument("--out", type=Path, default=Path("eval/gold"))
    args = parser.parse_args(argv)
    records = [
        json.loads(line)
        for path in args.files
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    for side, chosen in split(records, args.docs).items():
        lines = [json.dumps(r, ensure_ascii=False) for r in chosen]
        (args.out / f"{side}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
