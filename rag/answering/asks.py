"""What a question's wording asks for: the kind of answer, the measure of an asked figure,
the time it speaks of, and the full forms of its abbreviations.

Read from the question's words by the lexicon's cues; `QueryAnalyzer` calls these once and
keeps what they find in the Query.
"""

from __future__ import annotations

import re

from rag import lexicon as lx

# What a question wants as its answer.
NUMBER, LIST, TARGET, EXPLAIN = "number", "list", "target", "explain"

_LIST = re.compile(lx.LIST_CUES)
_TARGET = re.compile(lx.TARGET_CUES)
_WHAT_IS = re.compile(lx.WHAT_IS_CUES)
_ASKED_MEASURE = re.compile(lx.ASKED_MEASURE)
_SHARE = re.compile(lx.SHARE_CUES)
_MONEY = re.compile(lx.MONEY_CUES)
_QUESTION_TIME = {name: re.compile(cue) for name, cue in lx.QUESTION_TIME_CUES.items()}


def expansions(text: str) -> tuple[str, ...]:
    """Full forms of the abbreviations the question uses."""
    lowered = text.lower()
    found = [f for a, fulls in lx.ABBREVIATIONS.items() if a.lower() in lowered for f in fulls]
    return tuple(dict.fromkeys(found))


def measure(text: str) -> str:
    """The measure word the asked figure is counted in: 家, "%" for a share, "元" for money."""
    m = _ASKED_MEASURE.search(text)
    if m:
        return m.group(1)
    if _MONEY.search(text):
        return "元"
    return "%" if _SHARE.search(text) else ""


def wants(text: str, asks_figure: bool) -> str:
    """NUMBER, LIST, TARGET or EXPLAIN: what kind of answer the wording asks for."""
    if _LIST.search(text):
        return LIST
    if _TARGET.search(text) and not asks_figure:
        return TARGET  # 目标是什么 asks for targets, not for a list
    if _WHAT_IS.search(text) and not asks_figure:
        return LIST
    return NUMBER if asks_figure else EXPLAIN


def time_scopes(text: str) -> frozenset[str]:
    """The lexicon's time scopes the question speaks of (targets, achievements, 2035)."""
    scopes = {name for name, cue in _QUESTION_TIME.items() if cue.search(text)}
    if lx.LONG_RANGE in scopes:
        scopes.discard(lx.TARGET)
    return frozenset(scopes)
