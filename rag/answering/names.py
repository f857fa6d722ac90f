"""Finding known names in a question in one pass, however many names the index knows.

A question is short and the names are many (every region's aliases, every title): each
matcher here is built once per opened index, and a question costs time in proportion to its
own length, never to the number of names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

_END = ""  # trie key marking the end of a name (no character is the empty string)
TITLE_GRAM = 4  # characters a title fragment must share with a question to count


class NameMatcher:
    """Leftmost-longest matching of a fixed set of names, each mapped to a value."""

    def __init__(self, names: Mapping[str, str]) -> None:
        """`names` maps each name (an alias) to what it stands for (its region)."""
        self._root: dict[str, dict] = {}
        for name, value in names.items():
            if not name:
                continue
            node = self._root
            for ch in name:
                node = node.setdefault(ch, {})
            node[_END] = {value: {}}

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, value) of non-overlapping names in `text`, the longest at each place."""
        found: list[tuple[int, int, str]] = []
        i = 0
        while i < len(text):
            match = self._longest_at(text, i)
            if match is None:
                i += 1
                continue
            end, value = match
            found.append((i, end, value))
            i = end
        return found

    def _longest_at(self, text: str, start: int) -> tuple[int, str] | None:
        node: dict[str, dict] | None = self._root
        best = None
        for j in range(start, len(text)):
            node = node.get(text[j]) if node is not None else None
            if node is None:
                break
            if _END in node:
                best = (j + 1, next(iter(node[_END])))
        return best


class TitleIndex:
    """Which document a question names by a distinctive run of its title.

    Titles are cut into overlapping runs of TITLE_GRAM characters; a question looks up its
    own runs, so the cost is its length, not the number of titles. A run many titles share
    (国民经济和社会发展) names none of them.
    """

    def __init__(self, titles: Mapping[str, str], max_docs_per_gram: int) -> None:
        """`titles` maps each document to its title with the region's own names removed."""
        self._docs_of: dict[str, set[str]] = {}
        self._titles = dict(titles)
        self._max_docs = max_docs_per_gram
        for doc, title in titles.items():
            for gram in _grams(title):
                self._docs_of.setdefault(gram, set()).add(doc)

    def named(
        self, text: str, min_run: int, among: Iterable[str] | None = None
    ) -> tuple[str, list[str]]:
        """The one document sharing the longest run (≥ `min_run` characters) of its title
        with `text`, and the runs it shares; ("", []) when none does or two tie."""
        allowed = None if among is None else set(among)
        candidates: set[str] = set()
        for gram in _grams(text):
            docs = self._docs_of.get(gram, ())
            if len(docs) <= self._max_docs:
                candidates.update(d for d in docs if allowed is None or d in allowed)
        longest = {doc: shared_runs(text, self._titles[doc]) for doc in candidates}
        best = max((max(map(len, r)) for r in longest.values() if r), default=0)
        winners = [d for d, r in longest.items() if r and max(map(len, r)) == best]
        if best < min_run or len(winners) != 1:
            return "", []
        return winners[0], longest[winners[0]]


def _grams(text: str) -> set[str]:
    return {text[i : i + TITLE_GRAM] for i in range(len(text) - TITLE_GRAM + 1)}


def shared_runs(text: str, title: str) -> list[str]:
    """Maximal runs of `text` of at least TITLE_GRAM characters that also occur in `title`."""
    runs: list[str] = []
    i = 0
    while i <= len(text) - TITLE_GRAM:
        if text[i : i + TITLE_GRAM] not in title:
            i += 1
            continue
        end = i + TITLE_GRAM
        while end < len(text) and text[i : end + 1] in title:
            end += 1
        runs.append(text[i:end])
        i = end
    return runs
