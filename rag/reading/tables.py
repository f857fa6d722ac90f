"""Tables of a document, cell by cell with exact offsets: flattened ones and `a | b` rows.

Two shapes reach us. Web pages converted to text flatten an indicator table into one cell
per line (序号, 指标, 单位, 2016年, 完成值 …); HTML and Word tables are read as one row per
line with cells joined by " | ". Both become a Table whose rows keep each cell's source
offsets, so an answer can quote a row and highlight exactly the cells it read.
"""

from __future__ import annotations

import re

from rag.types import Cell, Table, TableRow

_CELL_MAX = 24  # a flattened table cell is short; anything longer is prose
_MIN_CELLS = 12
_NUMERIC = re.compile(r"^[-+]?[\d.,，%/]+[%‰]?$|^/$|^-$")
_YEAR = re.compile(r"^\d{4}年$")
_GROUP = re.compile(r"[(（]\d+项[)）]$")
_SERIAL_COLUMN = "序号"
_UNIT_COLUMN = "单位"
PIPE = " | "
_RULE = re.compile(r"^[\s|:：\-—]+$")  # a Markdown rule line (---|---)
MISSING = Cell("", -1, -1)


def find_tables(text: str, start: int, end: int) -> list[Table]:
    """Every table among the lines of text[start:end], in reading order."""
    found = _flattened_tables(text, start, end) + _pipe_tables(text, start, end)
    return sorted(found, key=lambda t: t.start)


def _lines(text: str, start: int, end: int) -> list[Cell]:
    """Non-empty lines of text[start:end], stripped, with their offsets."""
    lines, pos = [], start
    for line in text[start:end].split("\n"):
        stripped = line.strip(" \t\u3000\xa0")
        if stripped:
            left = pos + line.index(stripped)
            lines.append(Cell(stripped, left, left + len(stripped)))
        pos += len(line) + 1
    return lines


# --- Flattened tables: one cell per line -----------------------------------------------


def _flattened_tables(text: str, start: int, end: int) -> list[Table]:
    """Long runs of short, partly numeric lines, rebuilt at their row serial numbers."""
    tables: list[Table] = []
    run: list[Cell] = []
    before: Cell | None = None  # the line just above the run: often the table's title
    for cell in [*_lines(text, start, end), None]:
        if cell is not None and _is_cell(cell):
            run.append(cell)
            continue
        numeric = sum(bool(_NUMERIC.match(c.text)) for c in run)
        if len(run) >= _MIN_CELLS and numeric >= len(run) / 4:
            title_cell = before if before and _is_title(before) else None
            table = _rebuild(([title_cell] if title_cell else []) + run)
            if table is not None:
                tables.append(table)
        run, before = [], cell
    return tables


def _is_cell(cell: Cell) -> bool:
    return len(cell.text) <= _CELL_MAX and "。" not in cell.text and PIPE not in cell.text


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


def _split_group_label(values: list[Cell]) -> tuple[list[Cell], str]:
    """Split a trailing group label (经济活力指标(3项), or 创新活力指标 + (8项)) off a row."""
    if not values or not _GROUP.search(values[-1].text):
        return values, ""
    if _GROUP.fullmatch(values[-1].text) and len(values) >= 2:
        return values[:-2], values[-2].text + values[-1].text
    return values[:-1], values[-1].text


def _rebuild(cells: list[Cell]) -> Table | None:
    serials = _serial_positions(cells)
    if len(serials) < 3:
        return None
    lead = cells[: serials[0]]
    title = ""
    if lead and len(lead[0].text) > 8 and not _NUMERIC.match(lead[0].text):
        title, lead = lead[0].text, lead[1:]
    lead, group = _split_group_label(lead)
    header = _merge_header([c.text for c in lead])
    first = header.index(_SERIAL_COLUMN) if _SERIAL_COLUMN in header else 0
    columns = header[first:] if _SERIAL_COLUMN in header else [_SERIAL_COLUMN, *header]
    rows: list[TableRow] = []
    bounds = [*serials, len(cells)]
    for i, at in enumerate(serials):
        values, next_group = _split_group_label(cells[at + 1 : bounds[i + 1]])
        row = [cells[at], *values]
        if _UNIT_COLUMN in columns and len(row) == len(columns) - 1:
            row.insert(columns.index(_UNIT_COLUMN), MISSING)
        row_cells = tuple(row[: len(columns)]) + (MISSING,) * (len(columns) - len(row))
        rows.append(TableRow(cells[at].start, cells[bounds[i + 1] - 1].end, row_cells, group))
        group = next_group or group
    return Table(cells[0].start, cells[-1].end, title, tuple(columns), tuple(rows))


# --- Tables read from HTML and Word: one row per line, cells joined by " | " ------------


def _pipe_tables(text: str, start: int, end: int) -> list[Table]:
    """Runs of `a | b | c` lines with the same number of cells; the first is the header."""
    tables: list[Table] = []
    run: list[list[Cell]] = []
    before: Cell | None = None
    for line in [*_lines(text, start, end), None]:
        cells = _pipe_cells(line) if line is not None else None
        if cells is not None and (not run or len(cells) == len(run[0])):
            run.append(cells)
            continue
        if cells is None and line is not None and _RULE.match(line.text) and run:
            continue  # a Markdown rule under the header
        if len(run) >= 2:
            tables.append(_pipe_table(run, before))
        before = line if cells is None else None
        run = [cells] if cells is not None else []
    return tables


def _pipe_cells(line: Cell) -> list[Cell] | None:
    """The cells of a `a | b | c` line with their offsets, or None for other lines."""
    if PIPE not in line.text or _RULE.match(line.text):
        return None
    body, pos = line.text, line.start
    if body.startswith("| "):
        body, pos = body[2:], pos + 2
    body = body.removesuffix(" |")
    cells = []
    for piece in body.split(PIPE):
        stripped = piece.strip()
        left = pos + (piece.index(stripped) if stripped else 0)
        cells.append(Cell(stripped, left, left + len(stripped)) if stripped else MISSING)
        pos += len(piece) + len(PIPE)
    return cells if len(cells) >= 2 else None


def _pipe_table(run: list[list[Cell]], before: Cell | None) -> Table:
    header, *body = run
    title = before.text if before is not None and _is_title(before) else ""
    rows = tuple(TableRow(_first(cells).start, _last(cells).end, tuple(cells)) for cells in body)
    start = before.start if title and before is not None else _first(header).start
    return Table(start, _last(body[-1]).end, title, tuple(c.text for c in header), rows)


def _first(cells: list[Cell]) -> Cell:
    return next(c for c in cells if c.start >= 0)


def _last(cells: list[Cell]) -> Cell:
    return next(c for c in reversed(cells) if c.start >= 0)


# --- Reading a row ---------------------------------------------------------------------


def label_column(table: Table) -> int:
    """The column that names each row (指标, 支持事项, 重点任务): the first that is not 序号."""
    for j, name in enumerate(table.columns):
        if name != _SERIAL_COLUMN:
            return j
    return 0


def row_text(table: Table, row: TableRow, columns: frozenset[int] | None = None) -> str:
    """A row as staff read it: its label and unit plain, every other value after its column.

    With `columns`, only those value columns are shown besides the label and unit.
    """
    label = label_column(table)
    parts = [row.group] if row.group else []
    for j, cell in enumerate(row.cells):
        name = table.columns[j] if j < len(table.columns) else ""
        if not cell.text or name == _SERIAL_COLUMN:
            continue
        if j == label or name == _UNIT_COLUMN or not name:
            parts.append(cell.text)
        elif columns is None or j in columns:
            parts.append(f"{name} {cell.text}")
    return " | ".join(parts)


def shown_cells(table: Table, row: TableRow, columns: frozenset[int] | None = None) -> list[Cell]:
    """The cells `row_text` shows, for highlighting: label, unit and the chosen values."""
    label = label_column(table)
    chosen = []
    for j, cell in enumerate(row.cells):
        name = table.columns[j] if j < len(table.columns) else ""
        if cell.start < 0 or name == _SERIAL_COLUMN:
            continue
        if j == label or name == _UNIT_COLUMN or columns is None or j in columns:
            chosen.append(cell)
    return chosen


def table_header_text(table: Table) -> str:
    """The lines every row group of a table repeats, so each chunk reads on its own."""
    lines = [f"表：{table.title}"] if table.title else []
    if table.columns:
        lines.append("列：" + " | ".join(table.columns))
    return "\n".join(lines)
