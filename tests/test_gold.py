"""Gold set loading: every problem reported with file:line and field; the shipped set is valid."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from eval.gold import QUESTION_TYPES, GoldItem, GoldSetError, load_gold
from eval.metrics import missed_key_points
from tests.conftest import CORPUS, ROOT

DOCS = {"a.txt": "到2025年吸引50名人才。园区面积20平方公里。"}
GOOD = {
    "id": "g1",
    "question": "吸引多少人才?",
    "type": "fact",
    "doc": "a.txt",
    "answer": "50名。",
    "key_points": ["50名"],
    "evidence": ["到2025年吸引50名人才"],
}
NONE = {
    "id": "g2",
    "question": "2019年产值?",
    "type": "unanswerable",
    "doc": None,
    "answer": None,
    "key_points": [],
    "evidence": [],
}


def write(tmp_path: Path, lines: list[object]) -> Path:
    """A gold file with one line per entry: dicts as JSON, strings verbatim."""
    path = tmp_path / "gold.jsonl"
    text = "\n".join(
        json.dumps(x, ensure_ascii=False) if isinstance(x, dict) else str(x) for x in lines
    )
    path.write_text(text + "\n", encoding="utf-8")
    return path


def test_valid_file_loads_into_frozen_items(tmp_path: Path) -> None:
    items = load_gold(write(tmp_path, [GOOD, "", NONE]), DOCS)
    assert [i.id for i in items] == ["g1", "g2"]
    assert items[0] == GoldItem(
        "g1", "吸引多少人才?", "fact", "a.txt", "50名。", ("50名",), ("到2025年吸引50名人才",)
    )
    assert items[0].answerable and not items[1].answerable
    assert items[1].doc is None and items[1].evidence == ()


def test_every_problem_is_listed_with_line_and_field(tmp_path: Path) -> None:
    lines: list[object] = [
        GOOD,  # 1: fine
        "{not json",  # 2
        "[1, 2]",  # 3
        {k: v for k, v in GOOD.items() if k != "question"} | {"id": "g4", "type": "opinion"},  # 4
        NONE | {"id": "g5", "doc": "a.txt", "evidence": ["园区面积"]},  # 5
        GOOD | {"id": "g6", "evidence": [], "key_points": []},  # 6
        GOOD,  # 7: duplicate id
        GOOD | {"id": "g8", "evidence": ["园区面积20平方公里", "不在文中"]},  # 8
        GOOD | {"id": "g9", "doc": "missing.txt"},  # 9
        GOOD | {"id": "g10", "key_points": "50名"},  # 10
        {k: v for k, v in GOOD.items() if k != "evidence"} | {"id": "g11", "evidences": []},  # 11
    ]
    path = write(tmp_path, lines)
    with pytest.raises(GoldSetError) as caught:
        load_gold(path, DOCS)
    problems = caught.value.problems
    expected = [
        (2, "invalid JSON"),
        (3, "expected a JSON object"),
        (4, "question: missing required field"),
        (4, "type: unknown type 'opinion'"),
        (5, "doc: unanswerable questions have doc null"),
        (5, "evidence: unanswerable questions have no evidence"),
        (6, "evidence: add at least one"),
        (6, "key_points: add at least one"),
        (7, "id: duplicate id 'g1' (first used on line 1)"),
        (8, "evidence[1]: not found verbatim in a.txt"),
        (9, "doc: 'missing.txt' is not among the documents"),
        (10, "key_points: must be a list of non-empty strings"),
        (11, "evidences: unknown field"),
        (11, "evidence: missing required field"),
    ]
    assert len(problems) == len(expected), "\n".join(problems)
    for (line, fragment), problem in zip(expected, problems, strict=True):
        assert problem.startswith(f"{path}:{line}: "), problem
        assert fragment in problem
    assert f"{len(expected)} problems" in str(caught.value)


def test_evidence_is_checked_only_when_documents_are_given(tmp_path: Path) -> None:
    path = write(tmp_path, [GOOD | {"evidence": ["不在文中"]}])
    assert load_gold(path)[0].evidence == ("不在文中",)
    with pytest.raises(GoldSetError, match=r"gold\.jsonl:1: evidence\[0\]"):
        load_gold(path, DOCS)


def test_unreadable_empty_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(GoldSetError, match="cannot read"):
        load_gold(tmp_path / "absent.jsonl")
    with pytest.raises(GoldSetError, match="holds no questions"):
        load_gold(write(tmp_path, [""]))
    path = tmp_path / "latin.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n" + b'{"id": "\xe9"}\n')
    with pytest.raises(GoldSetError, match=r"latin\.jsonl:2: line is not UTF-8") as caught:
        load_gold(path)
    assert len(caught.value.problems) == 1


def test_shipped_dev_set_is_valid_against_the_corpus() -> None:
    docs = {p.name: p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))}
    items = load_gold(ROOT / "eval" / "gold" / "dev.jsonl", docs)
    assert len(items) >= 60
    assert set(Counter(i.type for i in items)) == set(QUESTION_TYPES)
    for item in items:
        assert all(e in docs[item.doc] for e in item.evidence) if item.doc else not item.evidence
        # A reference answer scores full key-point recall, or the matching rule is broken.
        if item.answerable:
            assert missed_key_points(item.answer or "", item.key_points) == [], item.id
