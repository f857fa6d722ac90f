"""The first and last lines of a text, found without splitting the whole of it.

Metadata reads a document's header and signature: a few lines at each end. Splitting
a 100 MB text into lines to read fifteen of them would cost time and memory; these
helpers walk from either end and stop as soon as they have enough.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence

Span = tuple[int, int]

LINE_SPACE = " \t\r\u00a0\u3000"  # stripped from both ends of a line


def lines(text: str) -> Iterator[tuple[int, str]]:
    """(offset, line) of each line from the first, lazily."""
    pos = 0
    while pos <= len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        yield pos, text[pos:end]
        pos = end + 1


def lines_backward(text: str) -> Iterator[tuple[int, str]]:
    """(offset, line) of each line from the last to the first, lazily."""
    end = len(text)
    while end >= 0:
        start = text.rfind("\n", 0, end) + 1
        yield start, text[start:end]
        end = start - 1


def first_lines(text: str, count: int, skip: Sequence[Span] = ()) -> list[str]:
    """The first `count` non-empty lines that start outside `skip`, stripped."""
    return _kept(lines(text), count, skip)


def last_lines(text: str, count: int, skip: Sequence[Span] = ()) -> list[str]:
    """The last `count` non-empty lines that start outside `skip`, stripped, in text order."""
    return _kept(lines_backward(text), count, skip)[::-1]


def _kept(numbered: Iterator[tuple[int, str]], count: int, skip: Sequence[Span]) -> list[str]:
    skipped = _Spans(skip)
    kept: list[str] = []
    for start, raw in numbered:
        if len(kept) >= count:
            break
        line = raw.strip(LINE_SPACE)
        if line and start not in skipped:
            kept.append(line)
    return kept


class _Spans:
    """Whether an offset lies in one of a set of disjoint spans (binary search)."""

    def __init__(self, spans: Sequence[Span]) -> None:
        self._spans = sorted(spans)
        self._starts = [s for s, _ in self._spans]

    def __contains__(self, offset: int) -> bool:
        i = bisect.bisect_right(self._starts, offset) - 1
        return i >= 0 and offset < self._spans[i][1]
