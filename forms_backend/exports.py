"""Exports for spreadsheets: CSV (UTF-8 with BOM, so Excel reads Chinese) and XLSX (openpyxl).

Every text cell is neutralised against formula injection: applicants and anonymous visitors
write most of these cells, and a spreadsheet would run ``=HYPERLINK(...)`` or ``=cmd|...``
typed into a form. A text that starts with = + - @, a tab or a carriage return (or their
full-width forms, which some spreadsheet programs also accept) gets a leading apostrophe, as
OWASP recommends; numbers stay numbers. Pure functions: the staff blueprint sends the bytes.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any, Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class UnknownFormat(ValueError):
    """An export was asked for in a format other than csv or xlsx."""


def neutralise(value: Any) -> Any:
    """The cell value made safe to open in a spreadsheet (text only; None becomes "")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in columns])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str = "导出") -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    ws = book.create_sheet(title=sheet[:31])
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in columns:
        cell = WriteOnlyCell(ws, value=neutralise(name))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(ws, value=neutralise(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever openpyxl would guess
            cells.append(cell)
        ws.append(cells)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def render(fmt: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str = "导出") -> bytes:
    if fmt == "csv":
        return to_csv(columns, rows)
    if fmt == "xlsx":
        return to_xlsx(columns, rows, sheet=sheet)
    raise UnknownFormat(fmt)
