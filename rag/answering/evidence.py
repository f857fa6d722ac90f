"""Candidate evidence: every sentence and table row of the top passages, with what it offers.

Each candidate gets named features, each a number that says one thing about how well it
answers the query: its meaning (the embedding model's similarity, from vectors pooled at
build time), its words, where it sits (its section's headings, its passage's rank), and
whether it is the kind of thing asked for (a figure in the asked measure, the named year,
a target, an enumeration, a table row about the asked indicator). A plan's sentence that
dates nothing itself speaks of the plan's period: asked about 2025, an undated target of a
2021-2025 plan does not miss the year (one that writes 2025 still states it). A linear
model over the features (AnswerWeights, learned on the tune split) scores them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from rag import lexicon as lx
from rag.answering.asks import LIST, TARGET
from rag.answering.query import Query
from rag.answering.units import Unit, units
from rag.config import AnswerWeights
from rag.reading.tables import label_column
from rag.types import Chunk, Hit, Table

FEATURES = (
    "dense",
    "passage_dense",
    "lexical",
    "heading",
    "passage_rank",
    "passage_score",
    "figure",
    "measure",
    "year",
    "year_missing",
    "target",
    "enumeration",
    "count",
    "row_label",
    "column",
    "length",
)
_FIGURE = re.compile(r"\d")
_MEASURES = "|".join(re.escape(m) for m in sorted(lx.MEASURE_WORDS, key=len, reverse=True))
_FIGURE_WITH_MEASURE = re.compile(rf"\d(?:[\d.,，]*)\s*(?:[-—~至到]\s*[\d.]+\s*)?({_MEASURES})")
_TARGET = re.compile(lx.TARGET_STATEMENT)
_ITEM_START = re.compile(lx.ITEM_START)
_CLAUSES = re.compile(f"[{re.escape(lx.CLAUSE_MARKS)}]")
_DATED = re.compile(lx.YEAR_CUE)
_UNIT_COLUMN = "单位"
_SERIAL_COLUMN = "序号"


@dataclass(frozen=True)
class Candidate:
    """A sentence or table row of a retrieved passage, with its features and score."""

    hit_index: int  # which of the passages read
    unit: Unit
    features: tuple[float, ...]  # in FEATURES order
    score: float  # the linear model's logit

    def feature(self, name: str) -> float:
        """One named feature's value."""
        return self.features[FEATURES.index(name)]


def candidates(
    query: Query,
    hits: Sequence[Hit],
    unit_vectors: Sequence[np.ndarray],
    query_vector: np.ndarray | None,
    weights: AnswerWeights,
    periods: Mapping[str, str] | None = None,
) -> list[Candidate]:
    """Every unit of the given passages, featured and scored; `periods` maps a document to
    its plan period (2021-2025)."""
    top = max((h.score for h in hits), default=0.0) or 1.0
    coefficients = np.array([getattr(weights, name) for name in FEATURES])
    out: list[Candidate] = []
    for i, hit in enumerate(hits):
        chunk = hit.chunk
        vectors = unit_vectors[i] if i < len(unit_vectors) else None
        heading = query.share(" ".join(chunk.section))
        passage_dense = hit.dense_score or 0.0
        period = (periods or {}).get(chunk.doc, "")
        for unit in units(chunk):
            dense = (_similarity(query_vector, vectors, unit.position), passage_dense)
            values = unit_features(
                query,
                chunk,
                unit,
                dense,
                heading,
                i,
                hit.score / top,
                weights.length_scale,
                period,
            )
            score = float(weights.bias + coefficients @ np.array(values))
            out.append(Candidate(i, unit, values, score))
    return out


def unit_features(
    query: Query,
    chunk: Chunk,
    unit: Unit,
    dense: tuple[float, float],
    heading: float,
    hit_index: int,
    passage_score: float,
    length_scale: float,
    period: str = "",
) -> tuple[float, ...]:
    """The FEATURES of one unit, in order; `dense` is (the unit's, its passage's) similarity,
    `period` its document's plan period."""
    text = unit.text
    context = f"{_lead_in(chunk, unit)}{text} {_column_names(chunk)} {' '.join(chunk.section)}"
    years = [y for y in query.years if any(f in context for f in lx.year_forms(y))]
    implied = bool(query.years) and not years and _in_period_end(query, context, period)
    figure = bool(_FIGURE.search(text))
    enumerated = enumeration_length(text)
    values = {
        "dense": dense[0],
        "passage_dense": dense[1],
        "lexical": query.share(text),
        "heading": heading,
        "passage_rank": 1.0 / (hit_index + 1),
        "passage_score": passage_score,
        "figure": float(query.asks_figure and figure),
        "measure": float(
            bool(query.measure) and _has_measure(text, query.measure, _unit_cell(chunk, unit))
        ),
        "year": len(years) / len(query.years) if query.years else 0.0,
        "year_missing": float(bool(query.years) and not years and not implied),
        "target": float(query.wants == TARGET and bool(_TARGET.search(text))),
        "enumeration": float(
            query.wants == LIST and (enumerated >= 3 or bool(_ITEM_START.match(text)))
        ),
        "count": float(query.count > 1 and enumerated >= query.count),
        "row_label": _row_label_share(query, chunk, unit),
        "column": float(unit.row is not None and _names_a_column(query, chunk)),
        "length": min(1.0, math.log1p(len(text)) / math.log1p(length_scale)),
    }
    return tuple(values[name] for name in FEATURES)


def _in_period_end(query: Query, context: str, period: str) -> bool:
    """Whether an undated sentence speaks of an asked year: the last of its plan period.

    A plan's targets are for the end of its period unless the sentence dates itself; one
    naming a plan (十三五) speaks of that plan's period instead of its document's.
    """
    if _DATED.search(context):
        return False
    named = lx.plans_named(context)
    if named:
        ends = {str(lx.plan_years(plan)[1]) for plan in named}
    else:
        ends = {period.rpartition("-")[2]} if period else set()
    return any(y in ends for y in query.years)


def enumeration_length(text: str) -> int:
    """Items in the longest 、-separated run within one clause of `text`."""
    return max(clause.count("、") + 1 for clause in _CLAUSES.split(text))


def has_figure(text: str) -> bool:
    """Whether the text states any figure."""
    return bool(_FIGURE.search(text))


def _has_measure(text: str, measure: str, unit_cell: str | None) -> bool:
    """Whether a figure in `text` is counted in `measure` (万人 counts as 人, 亿元 as 元).

    A table row states its figures in its unit column (`unit_cell`); a row with no unit
    given may be in any measure.
    """
    if unit_cell is not None:
        return not unit_cell or _same_measure(unit_cell, measure)
    return any(_same_measure(m.group(1), measure) for m in _FIGURE_WITH_MEASURE.finditer(text))


def _same_measure(found: str, asked: str) -> bool:
    if asked == lx.GENERAL_CLASSIFIER and found in lx.COUNT_CLASSIFIERS:
        return True  # 多少个 is answered in any classifier of a count
    return found.endswith(asked) or asked.endswith(found)


def _unit_cell(chunk: Chunk, unit: Unit) -> str | None:
    """The row's unit column text ("" when empty), or None for a sentence or a table without one."""
    if unit.row is None or chunk.table is None or _UNIT_COLUMN not in chunk.table.columns:
        return None
    at = chunk.table.columns.index(_UNIT_COLUMN)
    return unit.row.cells[at].text if at < len(unit.row.cells) else ""


def _names_a_column(query: Query, chunk: Chunk) -> bool:
    """Whether the question names a value column of the passage's table (2019年完成值)."""
    return chunk.table is not None and bool(asked_columns(query, chunk.table))


def asked_columns(query: Query, table: Table) -> frozenset[int]:
    """The value columns a question asks about: its year (2019年完成值) or its words (目标值)."""
    label = label_column(table)
    chosen = set()
    for j, name in enumerate(table.columns):
        if j == label or name in (_SERIAL_COLUMN, _UNIT_COLUMN):
            continue
        named_year = any(year in name for year in query.years)
        if named_year or (not query.years and query.share(name) > 0):
            chosen.add(j)
    return frozenset(chosen)


def _similarity(query_vector: np.ndarray | None, vectors: np.ndarray | None, i: int) -> float:
    if query_vector is None or vectors is None or i >= len(vectors):
        return 0.0
    return float(np.asarray(vectors[i], dtype=np.float32) @ query_vector)


def _lead_in(chunk: Chunk, unit: Unit) -> str:
    """The text before the unit on its own line: a target list's 到2025年，实现… lead-in."""
    if unit.row is not None:
        return ""
    local = unit.start - chunk.start
    return chunk.text[chunk.text.rfind("\n", 0, local) + 1 : local]


def _column_names(chunk: Chunk) -> str:
    return " ".join(chunk.table.columns) if chunk.table is not None else ""


def _row_label_share(query: Query, chunk: Chunk, unit: Unit) -> float:
    """How much of the question a table row's label (its indicator, its item) states."""
    if unit.row is None or chunk.table is None:
        return 0.0
    label = unit.row.cells[label_column(chunk.table)].text
    return query.share(f"{label} {unit.row.group}")
