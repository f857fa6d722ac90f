"""Sentence spans of Chinese text, with offsets, for extraction and highlighting."""

from __future__ import annotations

import re

_END = re.compile(r"[^。！？；;!?\n]*(?:[。！？；;!?]+[”’」』)]?|\n|$)")
_CONTENT = re.compile(r"[\u4e00-\u9fff0-9A-Za-z]")


def sentence_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text`, shifted by `offset`, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    for m in _END.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start and _CONTENT.search(text[start:end]):
            spans.append((offset + start, offset + end))
    return spans
