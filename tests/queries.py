"""Queries read without an index: uniform term weights and every region's names as given."""

from __future__ import annotations

from collections.abc import Mapping

from rag.answering.query import Query, QueryAnalyzer
from rag.answering.terms import UNIFORM
from rag.config import QuerySettings
from rag.types import DocMeta


def analyzer(docs: Mapping[str, DocMeta] | None = None) -> QueryAnalyzer:
    """An analyzer over `docs`: uniform weights, characters as search terms, no term known."""
    return QueryAnalyzer(docs or {}, UNIFORM, list, lambda term: False, QuerySettings())


def query(text: str, docs: Mapping[str, DocMeta] | None = None) -> Query:
    """`text` read as a Query over `docs` (none by default)."""
    return analyzer(docs).analyze(text)
