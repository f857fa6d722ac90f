"""Tables of contents: a 目录 block, or a run of numbered headings the body repeats.

A contents list repeats headings that the body gives again further down; chunking it
would give passages of bare headings that outrank the real sections. Whether a heading
recurs later is answered for every line after one sort of the lines, so a huge text
costs n log n, not one scan of the rest of the text per heading.
"""

from __future__ import annotations

import math
import re

from rag.lexicon import TOC_TITLES

SHORT_LINE = 40  # characters: longer lines are body text, not menus or headings
_MIN_TOC_RUN = 4  # numbered headings in a row needed to call an unlabelled run a TOC
_NUMBERED_HEADING = re.compile(
    r"^(?:第[一二三四五六七八九十百零〇两\d]+[章节篇部条]"
    r"|[一二三四五六七八九十]+[、.．]"
    r"|[（(][一二三四五六七八九十]+[)）]"
    r"|\d{1,2}[.、．](?!\d))"
)
_TOC_TITLE = set(TOC_TITLES)
_PAGE_NUMBER = re.compile(r"(?:[.…·．\s]{2,}|\s)\d{1,4}\s*$")
_NON_KEY = re.compile(r"[^\w\u4e00-\u9fff]")


def mark_tables_of_contents(cores: list[str], drop: list[bool]) -> None:
    """Set drop[i] for each line of a contents list; `cores` are the stripped lines."""
    keys = [_key(core) for core in cores]
    later = _Recurrence(keys)
    i = 0
    while i < len(cores):
        if keys[i] in _TOC_TITLE:
            last = _toc_run_end(cores, keys, later, i + 1)
            if last is not None:
                for k in range(i, last + 1):
                    drop[k] = True
                i = last + 1
                continue
        run = _numbered_run(cores, keys, later, i)
        if len(run) >= _MIN_TOC_RUN:
            for k in range(run[0], run[-1] + 1):
                drop[k] = True
            i = run[-1] + 1
            continue
        i += 1


def _key(core: str) -> str:
    """A heading's comparable form: no spaces, punctuation or trailing page number."""
    return _NON_KEY.sub("", _PAGE_NUMBER.sub("", core))


class _Recurrence:
    """Answers whether a heading line reappears further down the document.

    Built once in O(n log n) for the whole text, so asking about every line stays cheap:
    the keys are sorted once and each heading's last recurrence found in one sweep.
    """

    def __init__(self, keys: list[str]) -> None:
        self._keys = keys
        # Keys compared as prefixes are headings: at most SHORT_LINE characters.
        self._last_start = _last_line_starting_with(keys, SHORT_LINE)
        self._last_whole = {key: i for i, key in enumerate(keys) if 6 <= len(key) <= SHORT_LINE}

    def after(self, index: int) -> bool:
        """True when the heading at `index` reappears on a later line (as a heading or lead)."""
        key = self._keys[index]
        if not 3 <= len(key) <= SHORT_LINE:
            return False
        if self._last_start.get(key, -1) > index:
            return True
        # The body may break a long heading over two lines (第三章 … / 发展示范区).
        shortest = max(6, math.ceil(0.6 * len(key)))
        return any(
            self._last_whole.get(key[:size], -1) > index for size in range(shortest, len(key) + 1)
        )


def _last_line_starting_with(keys: list[str], longest: int) -> dict[str, int]:
    """For each key of 3..`longest` characters, the last line index whose key starts with it.

    The lines starting with a key are one run of the sorted keys, and these runs nest, so
    one sweep with a stack of open keys finds every run's largest line index.
    """
    wanted = sorted({k for k in keys if 3 <= len(k) <= longest})
    lines = sorted((key[:longest], i) for i, key in enumerate(keys) if key)
    last: dict[str, int] = {}
    stack: list[list] = []  # [key, largest line index seen in its run], outermost first

    def close() -> None:
        key, largest = stack.pop()
        last[key] = largest
        if stack and largest > stack[-1][1]:
            stack[-1][1] = largest

    w = 0
    for key, i in lines:
        while w < len(wanted) and wanted[w] <= key:
            while stack and not wanted[w].startswith(stack[-1][0]):
                close()
            stack.append([wanted[w], -1])
            w += 1
        while stack and not key.startswith(stack[-1][0]):
            close()
        if stack and i > stack[-1][1]:
            stack[-1][1] = i
    while stack:
        close()
    return last


def _is_heading_like(core: str) -> bool:
    return 0 < len(core) <= SHORT_LINE and not re.search(r"[。;；]", core)


def _toc_run_end(cores: list[str], keys: list[str], later: _Recurrence, start: int) -> int | None:
    """Index of the last entry of the contents list that starts at `start`, if it is one.

    Entries are headings the body repeats, or numbered headings (第二节 …) the body may
    have reworded; the list ends where a heading repeats one of its own entries (the
    body has begun) or after a few lines that are neither.
    """
    last: int | None = None
    found = misses = 0
    seen: set[str] = set()
    for j in range(start, len(cores)):
        core = cores[j]
        if not core:
            continue
        if not _is_heading_like(core) or keys[j] in seen:
            break
        seen.add(keys[j])
        if later.after(j):
            last, found, misses = j, found + 1, 0
        elif _NUMBERED_HEADING.match(core):
            last, misses = j, 0
        else:
            misses += 1
            if misses > 2:
                break
    return last if found >= 2 else None


def _numbered_run(cores: list[str], keys: list[str], later: _Recurrence, start: int) -> list[int]:
    """Consecutive numbered headings from `start` (blank lines allowed) that recur later."""
    run: list[int] = []
    for j in range(start, len(cores)):
        core = cores[j]
        if not core:
            if run:
                continue
            return run
        if not (_is_heading_like(core) and _NUMBERED_HEADING.match(core) and later.after(j)):
            break
        run.append(j)
    return run
