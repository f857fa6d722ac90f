"""The gate's targets: the shipped file holds the targets set in advance, read on held-out only."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.gate import (
    THRESHOLDS,
    Check,
    Target,
    TargetsError,
    check,
    load_targets,
    open_targets,
)


def test_the_shipped_targets_are_the_ones_set_in_advance() -> None:
    got = {(t.scope, t.metric, t.bound): t.value for t in load_targets()}
    assert got == {
        ("overall", "key_point_recall", "min"): 0.90,
        ("overall", "citation_precision", "min"): 0.92,
        ("overall", "answerable_refused", "max"): 0.05,
        ("overall", "traps_declined", "min"): 0.90,
        ("overall", "junk_answered", "max"): 0.0,
        ("overall", "hit@1", "min"): 0.80,
        ("overall", "hit@5", "min"): 0.95,
        ("overall", "mrr@10", "min"): 0.85,
        ("tag:table", "key_point_recall", "min"): 0.95,
        ("tag:paraphrase", "key_point_recall", "min"): 0.80,
        ("tag:unscoped", "key_point_recall", "min"): 0.80,
        ("tag:unscoped", "region_coverage", "min"): 1.0,
        ("gap", "key_point_recall", "max"): 0.05,
        ("gap", "citation_precision", "max"): 0.05,
    }
    text = THRESHOLDS.read_text(encoding="utf-8")
    assert "set in advance" in text
    assert "[dev" not in text and "[tune" not in text  # only held-out figures are gated


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[dev.min]\nkey_point_recall = 0.9\n", r"\[dev\]: only the \[heldout\] set is gated"),
        ("[heldout.min]\nrecall = 0.9\n", r"\[heldout.min\] recall: unknown metric"),
        ("[heldout.min]\nkey_point_recall = 'high'\n", "must be a number"),
        ("[heldout.tags.slang.min]\nkey_point_recall = 0.9\n", r"tags.slang\]: unknown tag"),
        ("[heldout.tags.table.most]\nkey_point_recall = 0.9\n", "unknown bound; use min or max"),
        ("[heldout.gap.min]\nkey_point_recall = 0.05\n", r"gap.min\]: unknown bound; use max"),
        ("[heldout.gap.max]\n\"hit@1\" = 0.05\n", r"hit@1: unknown metric; use one of key_point"),
        ("[heldout.extra]\nx = 1\n", "unknown table; use min, max, tags or gap"),
        ("[heldout\n", "cannot read the targets"),
        ("# nothing\n", r"\[heldout\]: no targets"),
    ],
)  # fmt: skip
def test_a_bad_targets_file_names_the_key(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "thresholds.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(TargetsError, match=message) as caught:
        load_targets(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_check_reads_overall_tag_and_gap_figures() -> None:
    targets = [
        Target("overall", "key_point_recall", "min", 0.9),
        Target("overall", "junk_answered", "max", 0.0),
        Target("overall", "traps_declined", "min", 0.9),
        Target("tag:table", "key_point_recall", "min", 0.95),
        Target("tag:paraphrase", "key_point_recall", "min", 0.8),
        Target("gap", "citation_precision", "max", 0.05),
        Target("gap", "key_point_recall", "max", 0.05),
    ]
    heldout = {
        "overall": {"key_point_recall": 0.9, "junk_answered": 1, "traps_declined": None},
        "by_tag": {"table": {"key_point_recall": 0.96}},
    }
    checks = check(targets, heldout, {"citation_precision": -0.06, "key_point_recall": 0.05})
    assert [(c.value, c.met) for c in checks] == [
        (0.9, True),  # a bound is inclusive
        (1.0, False),
        (None, False),  # not measured: not met
        (0.96, True),
        (None, False),  # no question with the tag
        (pytest.approx(0.06), False),  # the gap counts either way
        (0.05, True),
    ]
    assert [c.met for c in check(targets[-1:], heldout, None)] == [False]
    assert Check(Target("overall", "hit@1", "min", 0.8), 0.79).met is False


def test_open_targets_are_tracked_not_gated(tmp_path: Path) -> None:
    path = tmp_path / "thresholds.toml"
    path.write_text(
        '[heldout.min]\n"hit@1" = 0.8\nkey_point_recall = 0.9\n'
        '[heldout.open]\ntargets = ["key_point_recall"]\n',
        encoding="utf-8",
    )
    targets, opened = load_targets(path), open_targets(path)
    assert opened == {"key_point_recall"}
    heldout = {"overall": {"hit@1": 0.85, "key_point_recall": 0.7}, "by_tag": {}}
    checks = check(targets, heldout, None, opened)
    assert [(c.met, c.gated) for c in checks] == [(True, True), (False, False)]


def test_an_open_label_must_name_a_target(tmp_path: Path) -> None:
    path = tmp_path / "thresholds.toml"
    path.write_text(
        '[heldout.min]\n"hit@1" = 0.8\n[heldout.open]\ntargets = ["hit@2"]\n', encoding="utf-8"
    )
    with pytest.raises(TargetsError, match=r"'hit@2' names no target"):
        open_targets(path)
