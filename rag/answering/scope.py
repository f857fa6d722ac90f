"""Where a search looks: the regions and documents a question (or a filter) limits it to."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

QUESTION, FILTER = "question", "filter"


@dataclass(frozen=True)
class Scope:
    """The regions and documents a search is limited to (both empty = no limit).

    A passage is in scope when its region is one of `regions` (or `regions` is empty) and
    its document is one of `docs` (or `docs` is empty). Stores turn a scope into their own
    filter: precomputed row sets, or a filter expression.
    """

    regions: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()
    source: str = ""  # QUESTION, FILTER or "" (unscoped)

    @property
    def limited(self) -> bool:
        """Whether the scope excludes anything."""
        return bool(self.regions or self.docs)

    @cached_property
    def _members(self) -> tuple[frozenset[str], frozenset[str]]:
        # A period scope names every plan of the period: tuples would make `allows`
        # linear in them, and a loop over the documents quadratic.
        return frozenset(self.docs), frozenset(self.regions)

    def allows(self, doc: str, region: str) -> bool:
        """True when a passage from `doc` in `region` is inside the scope."""
        docs, regions = self._members
        if docs and doc not in docs:
            return False
        return not regions or region in regions
