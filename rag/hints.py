"""Time-scope hints: target questions prefer target passages, review questions achievements.

A ranking signal, never a filter: a question's cue words (目标/到2025年/十四五 …)
raise passages whose text or section speaks of the same time scope.
"""

from __future__ import annotations

import re

from rag.types import Chunk

TARGET, ACHIEVEMENT, LONG_RANGE = "target", "achievement", "long_range"

_QUESTION_CUES = {
    LONG_RANGE: re.compile(r"2035|二〇三五|二0三五|远景"),
    ACHIEVEMENT: re.compile(r"十三五|成效|成就|完成|取得|截至|过去|近五年|已经|累计|20(1\d|20)年"),
    TARGET: re.compile(r"目标|到20[2-3]\d年|十四五|力争|计划|打算|将要|规划|预期|末"),
}
_PASSAGE_CUES = {
    LONG_RANGE: re.compile(r"2035|二〇三五|二0三五|远景"),
    ACHIEVEMENT: re.compile(r"十三五|成效|成就|发展基础|现实基础|累计|完成|实现了|达到了|同比增长"),
    TARGET: re.compile(r"力争|到20[2-3]\d年|目标|十四五末|“十四五”末|达到|预期"),
}


def question_scopes(question: str) -> frozenset[str]:
    """The time scopes a question's wording points to (often none)."""
    scopes = {name for name, cue in _QUESTION_CUES.items() if cue.search(question)}
    if LONG_RANGE in scopes:
        scopes.discard(TARGET)
    return frozenset(scopes)


def passage_scopes(chunk: Chunk) -> frozenset[str]:
    """The time scopes a passage speaks of, from its section path and text."""
    text = " ".join(chunk.section) + " " + chunk.text
    return frozenset(name for name, cue in _PASSAGE_CUES.items() if cue.search(text))


def hint_boost(question: frozenset[str], passage: frozenset[str], weight: float) -> float:
    """Multiplier for a passage's fused score: 1 + weight when the scopes meet."""
    return 1.0 + weight if question & passage else 1.0
