"""The review worksheet: one row per unconfirmed fact, for the departments that must confirm them.

An editor sends the worksheet round; each department fills in the empty columns; the editor
then records each confirmation in the YAML (``provenance.confirmed``) and replaces placeholders.
Written as XLSX (openpyxl) for people and CSV (UTF-8 with BOM, so Excel opens it) for tools.
"""
from __future__ import annotations

import csv
from pathlib import Path

from .content.provenance import Item

COLUMNS = ["序号", "类别", "内容", "位置", "来源或编者假设", "确认部门", "确认人", "确认日期", "意见"]
WIDTHS = [6, 12, 60, 40, 60, 20, 12, 12, 30]


def rows(found: list[Item]) -> list[list[str]]:
    """The worksheet rows (without the header), in file and line order."""
    out = []
    for n, item in enumerate(found, start=1):
        source = "待补充：请填写确认后的内容" if item.placeholder else (item.source or "未写明来源")
        out.append([str(n), item.kind_name, item.statement, item.where, source, "", "", "", ""])
    return out


def write_csv(path: Path, found: list[Item]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerows(rows(found))
    return path


def write_xlsx(path: Path, found: list[Item], title: str = "") -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "待确认事项"
    ws.append(COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows(found):
        ws.append([int(row[0])] + row[1:])
    for i, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    if title:
        wb.properties.title = f"{title} 审核工作表"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_worksheet(out_dir: Path, found: list[Item], title: str = "") -> tuple[Path, Path]:
    """Write ``review-worksheet.xlsx`` and ``review-worksheet.csv`` into ``out_dir``."""
    return (write_xlsx(out_dir / "review-worksheet.xlsx", found, title),
            write_csv(out_dir / "review-worksheet.csv", found))
