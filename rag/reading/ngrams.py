"""Count many short Chinese strings in a long text in one linear pass.

Metadata weighs place-name candidates (新乡, 发新乡 …) by how often each occurs in the
whole document. One `str.count` per candidate costs a pass over the text each, which
grows with the square of a document that names many places; here every position of
the text is encoded once as a number and all candidates are looked up together.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

_FIRST, _LAST = 0x4E00, 0x9FFF  # CJK Unified Ideographs: what place names are made of
_BITS = 15  # (_LAST - _FIRST) < 2**15, so four characters fit in one 64-bit code
_OTHER = (1 << _BITS) - 1  # any other character: never part of a candidate
_MAX_LEN = 4
_BLOCK = 1 << 22  # characters encoded at a time, to bound memory on huge texts


def count_all(text: str, candidates: Iterable[str]) -> dict[str, int]:
    """`text.count(c)` (non-overlapping occurrences) for every candidate.

    Candidates are 1–4 CJK ideographs (U+4E00–U+9FFF); others are counted with
    `str.count`, as are the rare ones that can overlap themselves (新新).
    """
    counts: dict[str, int] = {}
    by_length: dict[int, list[str]] = {}
    for cand in dict.fromkeys(candidates):
        if not _encodable(cand) or _overlaps_itself(cand):
            counts[cand] = text.count(cand)
        else:
            by_length.setdefault(len(cand), []).append(cand)
    for length, names in by_length.items():
        counts.update(_count_length(text, length, names))
    return counts


def _encodable(cand: str) -> bool:
    return 0 < len(cand) <= _MAX_LEN and all(_FIRST <= ord(c) <= _LAST for c in cand)


def _overlaps_itself(cand: str) -> bool:
    """True when a proper prefix equals a suffix: occurrences may overlap (新新 in 新新新)."""
    return any(cand[:k] == cand[-k:] for k in range(1, len(cand)))


def _codes_at(chars: np.ndarray, at: np.ndarray, length: int) -> np.ndarray:
    """One 64-bit code per position in `at` for the `length` characters starting there."""
    code = np.zeros(len(at), dtype=np.uint64)
    for k in range(length):
        code = (code << np.uint64(_BITS)) | chars[at + k].astype(np.uint64)
    return code


def _count_length(text: str, length: int, names: list[str]) -> dict[str, int]:
    """Occurrences of each of `names` (all `length` long; none overlaps itself)."""
    own = np.array(
        [_codes_at(_encode(n), np.zeros(1, dtype=np.int64), length)[0] for n in names],
        dtype=np.uint64,
    )
    order = np.argsort(own)
    wanted, names = own[order], [names[i] for i in order]
    first = np.zeros(1 << _BITS, dtype=bool)  # characters a name starts with
    first[[ord(n[0]) - _FIRST for n in names]] = True
    totals = np.zeros(len(names), dtype=np.int64)
    # Blocks overlap by length - 1 characters, so every position is looked at exactly once.
    for start in range(0, max(1, len(text) - length + 1), _BLOCK):
        chars = _encode(text[start : start + _BLOCK + length - 1])
        if len(chars) < length:
            break
        at = np.flatnonzero(first[chars[: len(chars) - length + 1]])
        codes = _codes_at(chars, at, length)
        found = np.searchsorted(wanted, codes)
        found[found == len(wanted)] = 0
        hit = wanted[found] == codes
        totals += np.bincount(found[hit], minlength=len(names))
    return {name: int(total) for name, total in zip(names, totals, strict=True)}


def _encode(s: str) -> np.ndarray:
    """Characters as 15-bit numbers: ideographs by their offset, anything else as _OTHER."""
    points = np.frombuffer(s.encode("utf-32-le"), dtype=np.uint32)
    inside = (points >= _FIRST) & (points <= _LAST)
    return np.where(inside, points - _FIRST, _OTHER).astype(np.uint16)
