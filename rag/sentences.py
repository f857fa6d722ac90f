"""Sentence spans of Chinese text, with offsets: the one splitter for answers and highlights.

A sentence ends at 。！？ (with any closing quote or bracket after it) or at a line break,
never inside brackets or quotes, and never at ；: a clause cut at ； is not something an
answer can quote on its own. A bracketed note that follows a sentence on its own
((牵头部门：区经济发展局；配合部门：…)) belongs to that sentence.
"""

from __future__ import annotations

import re

_ENDS = frozenset("。！？!?")
_ASCII_ENDS = frozenset("!?")  # end a sentence only before space, a line end or a closing mark
_OPEN = "（(【[“‘「『《〔"
_CLOSE = "）)】]”’」』》〕"
_CLOSING = frozenset(_CLOSE)
_CONTENT = re.compile(r"[\u4e00-\u9fff0-9A-Za-z]")
_NOTE = re.compile(r"^[（(【][^（()）【】]*[）)】][。；;，,]?$")
_MAX_DEPTH = 3  # unbalanced brackets in converted text must not swallow a whole section


def sentence_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text`, shifted by `offset`, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    for start, end in _raw_spans(text):
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end <= start or not _CONTENT.search(text, start, end):
            continue
        if spans and _NOTE.match(text[start:end]) and "\n" not in text[spans[-1][1] : start]:
            spans[-1] = (spans[-1][0], end)  # a bracketed note joins its sentence
        else:
            spans.append((start, end))
    return [(offset + a, offset + b) for a, b in spans]


def _inside_word(text: str, i: int) -> bool:
    """An ASCII ? or ! between characters (868?家: a character lost in conversion)."""
    if text[i] not in _ASCII_ENDS or i + 1 >= len(text):
        return False
    following = text[i + 1]
    return not (following.isspace() or following in _CLOSING or following in _ENDS)


def _raw_spans(text: str) -> list[tuple[int, int]]:
    """Cut points: sentence ends outside brackets, and every line break."""
    spans: list[tuple[int, int]] = []
    start, depth, i = 0, 0, 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            spans.append((start, i))
            start, depth = i + 1, 0
        elif ch in _OPEN and ch not in _CLOSING:
            depth = min(depth + 1, _MAX_DEPTH)
        elif ch in _CLOSING:
            depth = max(depth - 1, 0)
        elif ch in _ENDS and not _inside_word(text, i):
            end, closed = i + 1, 0
            while end < n and (text[end] in _ENDS or text[end] in _CLOSING):
                closed += text[end] in _CLOSING
                end += 1
            # 。 inside brackets ends nothing, unless the brackets close right after it (“…。”).
            if depth - closed <= 0:
                spans.append((start, end))
                start, i, depth = end, end, 0
                continue
        i += 1
    spans.append((start, n))
    return spans
