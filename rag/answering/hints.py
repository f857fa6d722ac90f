"""Time-scope hints: target questions prefer target passages, review questions achievements.

A ranking signal, never a filter: a question's cue words (目标/到2025年/十四五 …)
raise passages whose text or section speaks of the same time scope.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rag.types import Chunk

TARGET, ACHIEVEMENT, LONG_RANGE = "target", "achievement", "long_range"
_HEADING_STRENGTH = 1.5

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


def passage_scopes(chunk: Chunk) -> dict[str, float]:
    """How strongly a passage speaks of each time scope: 1 when its text or section path
    mentions it, more when its own heading does (a 发展目标 section is targets throughout)."""
    heading = chunk.section[-1] if chunk.section else ""
    text = " ".join(chunk.section) + " " + chunk.text
    out: dict[str, float] = {}
    for name, cue in _PASSAGE_CUES.items():
        if cue.search(heading):
            out[name] = _HEADING_STRENGTH
        elif cue.search(text):
            out[name] = 1.0
    return out


def hint_boost(question: frozenset[str], passage: Mapping[str, float], weight: float) -> float:
    """Multiplier for a passage's fused score: 1 + weight × the strongest shared scope."""
    return 1.0 + weight * max((passage.get(s, 0.0) for s in question), default=0.0)
