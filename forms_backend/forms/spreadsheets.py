"""Reading an uploaded spreadsheet (XLSX or CSV) for an import, safely, in one place.

Used by every import (offline service records, the equipment 台账). What it guarantees:

- only .xlsx and .csv; CSV in UTF-8 (with or without BOM) or GB18030 (what Excel and WPS save in China);
- a file larger than ``max_bytes`` is refused before it is parsed; an XLSX (a zip) whose parts
  would unpack to more than ``MAX_UNPACKED_BYTES``, or any part compressed more than
  ``MAX_RATIO`` times, is refused as a spreadsheet bomb before openpyxl opens it;
- formula cells are read as the value Excel saved with them (``data_only``), never evaluated;
- reading stops as soon as there are more data rows than ``max_rows`` or a row is wider than
  ``MAX_COLUMNS`` (a huge declared sheet is never read to its end);
- each sheet's first non-empty row is its header; headers are NFKC-normalised (（） -> ()).

Problems come back as ``ImportProblem`` (sheet, row, column, message) inside ``ImportRejected``.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from .messages import message
from .values import normalise

__all__ = ["ImportProblem", "ImportRejected", "read_table", "MAX_UNPACKED_BYTES", "MAX_RATIO", "MAX_COLUMNS"]

MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200
MAX_COLUMNS = 200


@dataclass(frozen=True)
class ImportProblem:
    sheet: str
    row: int | None
    column: str | None
    message: str


class ImportRejected(ValueError):
    """The file as a whole cannot be read (format, size, header); ``problems`` say why."""

    def __init__(self, problems: list[ImportProblem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def _refuse(filename: str, key: str, **params) -> ImportRejected:
    return ImportRejected([ImportProblem(filename, None, None, message(key, **params))])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_zip(filename: str, data: bytes) -> None:
    """Refuse a zip bomb before any XML of it is parsed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except zipfile.BadZipFile:
        raise _refuse(filename, "import_unreadable", reason="不是有效的 .xlsx 文件") from None
    total = sum(i.file_size for i in infos)
    if len(infos) > 10000 or total > MAX_UNPACKED_BYTES:
        raise _refuse(filename, "import_too_big", what=f"解压后超过 {MAX_UNPACKED_BYTES // (1024 * 1024)} MB")
    for i in infos:
        if i.file_size > 1024 * 1024 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise _refuse(filename, "import_too_big", what="压缩比异常（疑似压缩炸弹）")


def _csv_rows(filename: str, data: bytes) -> Iterator[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _refuse(filename, "import_unreadable", reason="文字编码无法识别")
    try:
        yield from csv.reader(io.StringIO(text))
    except csv.Error as exc:
        raise _refuse(filename, "import_unreadable", reason=f"CSV 格式错误（{exc}）") from None


def _sheets(filename: str, data: bytes) -> Iterator[tuple[str, Iterable[list[str]]]]:
    name = filename.lower()
    if name.endswith(".csv"):
        yield filename, _csv_rows(filename, data)
        return
    if not name.endswith(".xlsx"):
        raise _refuse(filename, "import_file")
    _check_zip(filename, data)
    from openpyxl import load_workbook
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise _refuse(filename, "import_unreadable", reason=type(exc).__name__) from None
    try:
        for sheet in book.worksheets:
            yield sheet.title, ([_cell(v) for v in row] for row in sheet.iter_rows(values_only=True))
    finally:
        book.close()


def read_table(filename: str, data: bytes, *, headers: dict[str, str], required: Iterable[str], max_rows: int,
               max_bytes: int) -> list[tuple[str, int, dict[str, str]]]:
    """(sheet, row number as the spreadsheet shows it, {header: text}) of every non-empty row.

    ``headers`` maps each known (normalised) header to its field; a header not in it or a missing
    ``required`` one rejects the whole file, as do more than ``max_rows`` rows and a file over
    ``max_bytes``.
    """
    if len(data) > max_bytes:
        raise _refuse(filename, "import_too_big", what=f"超过 {max_bytes // (1024 * 1024)} MB")
    rows, problems = [], []
    for sheet, table in _sheets(filename, data):
        header: list[str] | None = None
        for n, raw in enumerate(table, start=1):
            if len(raw) > MAX_COLUMNS:
                if any(normalise(c) for c in raw[MAX_COLUMNS:]):
                    raise ImportRejected([ImportProblem(sheet, n, None, message(
                        "import_too_big", what=f"第 {n} 行超过 {MAX_COLUMNS} 列"))])
                raw = raw[:MAX_COLUMNS]
            cells = [normalise(c) for c in raw]
            if not any(cells):
                continue
            if header is None:
                header = cells
                unknown = [h for h in header if h and h not in headers]
                missing = [h for h in required if h not in header]
                if unknown:
                    problems.append(ImportProblem(sheet, n, None, message("import_unknown_columns",
                                                                          columns="、".join(unknown))))
                if missing:
                    problems.append(ImportProblem(sheet, n, None, message("import_columns",
                                                                          columns="、".join(missing))))
                if unknown or missing:
                    break
                continue
            rows.append((sheet, n, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h}))
            if len(rows) > max_rows:
                raise _refuse(filename, "import_too_many", max=max_rows)
    if problems:
        raise ImportRejected(problems)
    if not rows:
        raise _refuse(filename, "import_empty")
    return rows
