"""Rebuild indicator tables that web conversion flattened into one cell per line."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CELL_MAX = 24  # a table cell is short; anything longer is prose
_MIN_CELLS = 12
_NUMERIC = re.compile(r"^[-+]?[\d.,，%/]+[%‰]?$|^/$|^-$")
_YEAR = re.compile(r"^\d{4}年$")


@dataclass(frozen=True)
class Cell:
    """One table cell: its stripped text and where it sits in the source."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class TableRow:
    """A rebuilt row: readable text, and the source span of its original cells."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Table:
    """A flattened table found in a region, rebuilt as header + rows."""

    start: int
    end: int
    title: str
    header: tuple[str, ...]
    rows: tuple[TableRow, ...]


def _cells(text: str, start: int, end: int) -> list[Cell]:
    cells, pos = [], start
    for line in text[start:end].split("\n"):
        stripped = line.strip(" \t\u3000\xa0")
        if stripped:
            left = pos + line.index(stripped)
            cells.append(Cell(stripped, left, left + len(stripped)))
        pos += len(line) + 1
    return cells


def _is_cell(cell: Cell) -> bool:
    return len(cell.text) <= _CELL_MAX and "。" not in cell.text


def find_tables(text: str, start: int, end: int) -> list[Table]:
    """Tables among the lines of text[start:end]: long runs of short, partly numeric lines."""
    tables: list[Table] = []
    run: list[Cell] = []
    before: Cell | None = None  # the line just above the run: often the table's title
    for cell in [*_cells(text, start, end), None]:
        if cell is not None and _is_cell(cell):
            run.append(cell)
            continue
        if (
            len(run) >= _MIN_CELLS
            and sum(bool(_NUMERIC.match(c.text)) for c in run) >= len(run) / 4
        ):
            title_cell = before if before and _is_title(before) else None
            table = _rebuild(([title_cell] if title_cell else []) + run)
            if table is not None:
                tables.append(table)
        run, before = [], cell
    return tables


def _is_title(cell: Cell) -> bool:
    return len(cell.text) <= 2 * _CELL_MAX and not re.search(r"[。；;]", cell.text)


def _serial_positions(cells: list[Cell]) -> list[int]:
    """Indices of the row serial numbers 1, 2, 3, … in order."""
    positions, expected = [], 1
    for i, cell in enumerate(cells):
        if cell.text == str(expected):
            positions.append(i)
            expected += 1
    return positions


def _merge_header(cells: list[str]) -> list[str]:
    """Join split header cells such as "2016年" + "完成值"."""
    header: list[str] = []
    for cell in cells:
        if header and _YEAR.match(header[-1]) and not _NUMERIC.match(cell):
            header[-1] += cell
        else:
            header.append(cell)
    return header


_GROUP = re.compile(r"[(（]\d+项[)）]$")


def _split_group_label(values: list[str]) -> tuple[list[str], str]:
    """Split a trailing group label (经济活力指标(3项), or 创新活力指标 + (8项)) off a row."""
    if not values or not _GROUP.search(values[-1]):
        return values, ""
    if _GROUP.fullmatch(values[-1]) and len(values) >= 2:
        return values[:-2], values[-2] + values[-1]
    return values[:-1], values[-1]


def _rebuild(cells: list[Cell]) -> Table | None:
    serials = _serial_positions(cells)
    if len(serials) < 3:
        return None
    lead = [c.text for c in cells[: serials[0]]]
    title = ""
    if lead and len(lead[0]) > 8 and not _NUMERIC.match(lead[0]):
        title, lead = lead[0], lead[1:]
    lead, category = _split_group_label(lead)
    header = _merge_header(lead)
    serial_col = header.index("序号") if "序号" in header else -1
    columns = header[serial_col + 1 :] if serial_col >= 0 else header
    rows: list[TableRow] = []
    bounds = [*serials, len(cells)]
    for i, at in enumerate(serials):
        values, next_category = _split_group_label([c.text for c in cells[at + 1 : bounds[i + 1]]])
        if "单位" in columns and len(values) == len(columns) - 1:
            values.insert(columns.index("单位"), "")
        text = _row_text(category, cells[at].text, columns, values)
        rows.append(TableRow(cells[at].start, cells[bounds[i + 1] - 1].end, text))
        category = next_category or category
    return Table(cells[0].start, cells[-1].end, title, tuple(header), tuple(rows))


def _row_text(category: str, serial: str, columns: list[str], values: list[str]) -> str:
    parts = [category] if category else []
    parts.append(serial)
    for j, value in enumerate(values):
        col = columns[j] if j < len(columns) else ""
        plain = j == 0 or col == "单位" or not col
        parts.append(value if plain else f"{col} {value}")
    return " | ".join(p for p in parts if p)


def table_header_text(table: Table) -> str:
    """The lines every row group of a table repeats, so each chunk reads on its own."""
    lines = [f"表：{table.title}"] if table.title else []
    if table.header:
        lines.append("列：" + " | ".join(table.header))
    return "\n".join(lines)
