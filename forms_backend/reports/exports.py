"""Exports for spreadsheets: CSV (UTF-8 with BOM, so Excel reads Chinese) and XLSX (openpyxl).

Every text cell is neutralised against formula injection: applicants and anonymous visitors
write most of these cells, and a spreadsheet would run ``=HYPERLINK(...)`` or ``=cmd|...``
typed into a form. A text that starts with = + - @, a tab or a carriage return (or their
full-width forms, which some spreadsheet programs also accept) gets a leading apostrophe, as
OWASP recommends; numbers stay numbers. The ``*_table`` functions turn storage rows into the
columns and rows of each export. Pure functions: the staff blueprint sends the bytes.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any, Iterable, Iterator, Sequence
from zoneinfo import ZoneInfo

from ..forms.records_import import IMPORT_COLUMNS
from ..vocabulary import (KIND_LABELS, RATING_QUESTIONS, RECORD_CHANNEL_LABELS, RECORD_KIND_LABELS, SCORE_LABELS,
                          STATUS_LABELS, TOLD_VIA_LABELS)

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


def iter_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, batch: int = 500) -> Iterator[bytes]:
    """The CSV as UTF-8 chunks of ``batch`` rows (with a BOM first), written as the rows come."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    out.write("\ufeff")
    writer.writerow([neutralise(c) for c in columns])
    for i, row in enumerate(rows, start=1):
        writer.writerow([neutralise(v) for v in row])
        if i % batch == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    return b"".join(iter_csv(columns, rows))


def to_xlsx(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str = "导出") -> bytes:
    buf = io.BytesIO()
    write_xlsx(buf, columns, rows, sheet=sheet)
    return buf.getvalue()


def write_xlsx(dest, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str = "导出") -> int:
    """Write an XLSX to ``dest`` (a path or a binary file) in openpyxl's write-only (streaming)
    mode: rows are written as they come, memory does not grow with them. Returns the rows written."""
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
    written = 0
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(ws, value=neutralise(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever openpyxl would guess
            cells.append(cell)
        ws.append(cells)
        written += 1
    book.save(dest)
    return written


def render(fmt: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str = "导出") -> bytes:
    if fmt == "csv":
        return to_csv(columns, rows)
    if fmt == "xlsx":
        return to_xlsx(columns, rows, sheet=sheet)
    raise UnknownFormat(fmt)


# ---------------------------------------------------------------- the tables staff can export
# Each takes storage rows (an iterator: exports are streamed) and returns the columns and a
# generator of rows, so a table is never held in memory whole.


def local_minute(value: str | None, zone: ZoneInfo) -> str:
    """A stored UTC moment as local 'YYYY-MM-DD HH:MM' ('' when empty)."""
    return dt.datetime.fromisoformat(value).astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""


def _yes_no(value) -> str:
    return "" if value is None else ("是" if value else "否")


Table = tuple[list[str], Iterator[list]]


def applications_table(applications: Iterable[dict], zone: ZoneInfo) -> Table:
    def t(value):
        return local_minute(value, zone)
    columns = ["申请编号", "服务事项", "状态", "单位名称", "统一社会信用代码", "联系人", "联系电话", "电子邮箱",
               "提交时间", "最近更新", "办理期限", "办结时间", "档案号", "最近联系", "评价", "申请内容"]
    rows = ([a["ref"], a["service_name"], STATUS_LABELS[a["status"]], a["org_name"], a["uscc"], a["contact_name"],
             a["phone"], a["email"], t(a["submitted_at"]), t(a["updated_at"]), a["due_at"], t(a["closed_at"]),
             a["archive_no"], t(a["last_contact_at"]), SCORE_LABELS.get(a["score"], ""),
             "；".join(f"{x['label']}：{x['display']}" for x in a["answers"])]
            for a in applications)
    return columns, rows


def service_applications_table(applications: Iterable[dict], fields: Sequence[tuple[str, str]],
                               answered: Sequence[tuple[str, str]], zone: ZoneInfo) -> Table:
    """One service's applications with one column per form field (``fields``: (id, label) in form order).

    Answers to fields the form no longer has (it changed after they were given; ``answered``
    lists every (id, label) found in the answers) get columns of their own after the current
    ones, under the label they were asked with.
    """
    known = dict(fields)
    extra: dict[str, str] = {}
    for field_id, label in answered:
        if field_id not in known and field_id not in extra:
            extra[field_id] = f"{label}（表单已不再询问）"
    ids = [*known, *extra]
    columns = ["申请编号", "状态", "单位名称", "统一社会信用代码", "联系人", "联系电话", "电子邮箱", "提交时间",
               "办理期限", "办结时间", "档案号", "承办人", *known.values(), *extra.values()]

    def rows():
        for a in applications:
            answers = {x["id"]: x["display"] for x in a["answers"]}
            yield [a["ref"], STATUS_LABELS[a["status"]], a["org_name"], a["uscc"], a["contact_name"], a["phone"],
                   a["email"], local_minute(a["submitted_at"], zone), a["due_at"],
                   local_minute(a["closed_at"], zone), a["archive_no"], a.get("assignee") or "",
                   *(answers.get(i, "") for i in ids)]
    return columns, rows()


def ratings_table(ratings: Iterable[dict], zone: ZoneInfo) -> Table:
    columns = ["申请编号", "服务事项", "单位名称", "统一社会信用代码", "评价", "分值",
               *(label for _, label in RATING_QUESTIONS), "意见或建议", "评价时间", "是否当前评价"]
    rows = ([r["ref"], r["service_name"], r["org_name"], r["uscc"], SCORE_LABELS[r["score"]], r["score"],
             *(_yes_no(r[name]) for name, _ in RATING_QUESTIONS), r["comment"], local_minute(r["created_at"], zone),
             "是" if r["current"] else "否（已被新评价替换）"] for r in ratings)
    return columns, rows


def page_feedback_table(votes: Iterable[dict], zone: ZoneInfo) -> Table:
    columns = ["页面", "是否有帮助", "意见", "时间"]
    rows = ([r["page"], "是" if r["helpful"] else "否", r["comment"], local_minute(r["created_at"], zone)]
            for r in votes)
    return columns, rows


def suggestions_table(suggestions: Iterable[dict], zone: ZoneInfo) -> Table:
    def t(value):
        return local_minute(value, zone)
    columns = ["编号", "类型", "服务事项", "相关申请编号", "内容", "称呼", "单位名称", "联系电话", "电子邮箱",
               "提交时间", "处理状态", "负责人", "首次联系期限", "首次联系时间", "整改期限", "办结时间", "处理结果",
               "告知方式"]
    rows = ([r["ref"], KIND_LABELS[r["kind"]], r["service_name"], r["related_ref"], r["body"], r["name"],
             r["org_name"], r["phone"], r["email"], t(r["created_at"]),
             "已办结" if r["status"] == "closed" else "处理中", r["owner"], r["first_contact_due"],
             t(r["first_contact_at"]), r["rectify_due"], t(r["closed_at"]), r["outcome"],
             TOLD_VIA_LABELS.get(r["told_via"] or "", "")] for r in suggestions)
    return columns, rows


def catalogue_table(entries: Iterable[dict], zone: ZoneInfo) -> Table:
    columns = ["序号", "档号", "年度", "申请编号", "题名", "单位名称", "统一社会信用代码", "提交日期", "办结日期",
               "办理结果"]
    rows = ([i, r["archive_no"], r["year"], r["ref"], f"{r['org_name']}{r['service_name']}服务档案", r["org_name"],
             r["uscc"], local_minute(r["submitted_at"], zone)[:10], local_minute(r["closed_at"], zone)[:10],
             STATUS_LABELS[r["status"]]]
            for i, r in enumerate(entries, start=1))
    return columns, rows


def records_table(records: Iterable[dict], service_names: dict[str, str]) -> Table:
    """Offline service records in the import's column layout (an export can be imported again)."""
    def value(r: dict, field: str):
        if field == "kind":   # a site.yml kind by its name (the import takes it back)
            return r["kind_label"] if r.get("kind_key") and r["kind_label"] else RECORD_KIND_LABELS[r["kind"]]
        if field == "kind_label":
            return None if r.get("kind_key") else r["kind_label"]
        if field == "channel":
            return RECORD_CHANNEL_LABELS.get(r["channel"] or "", "")
        if field == "services":
            return "、".join(service_names.get(s, s) for s in r["service_ids"])
        return r.get(field)
    return [h for h, _, _ in IMPORT_COLUMNS], [[value(r, f) for _, f, _ in IMPORT_COLUMNS] for r in records]
