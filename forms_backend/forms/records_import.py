"""Importing offline service records from a spreadsheet (XLSX or CSV), all or nothing.

The column layout (``IMPORT_COLUMNS``, documented in the README and on the import page; the
records export uses the same columns, so an export can be edited and imported elsewhere) maps
each header to a field of the record form. Every row goes through that same form
(``service_records.record_form``), so a row is checked exactly like a record typed in the console;
each problem comes back as (sheet, row, column, message). Storage stores the rows in one
transaction only when no row has a problem.
"""
from __future__ import annotations

import re
from typing import Callable, Sequence

from werkzeug.datastructures import MultiDict

from ..vocabulary import RECORD_CHANNEL_LABELS, RECORD_KIND_LABELS
from .spreadsheets import ImportProblem, ImportRejected, read_table
from .values import normalise

__all__ = ["IMPORT_COLUMNS", "MAX_ROWS", "ImportProblem", "ImportRejected", "read_rows", "check_rows"]

# (header, form field, what to write) in the order of the template.
IMPORT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("服务类型", "kind", "咨询接待、走访调研、法规宣贯/培训、现场模拟检查、注册资料预审、人员参训、其他，"
                      "或办事指南 site.yml 中增加的服务类型名称（必填）"),
    ("其他类型名称", "kind_label", "服务类型为“其他”时填写"),
    ("咨询渠道", "channel", "电话、来访或线上（咨询接待必填）"),
    ("服务日期", "date", "年-月-日，例如 2026-03-05（必填）"),
    ("统一社会信用代码", "uscc", "18 位（宣贯/培训、人员参训可不填）"),
    ("企业名称", "org_name", "已登记的企业可不填"),
    ("产品名称", "product_name", "涉及具体产品时填写；新名称会登记为该企业的产品"),
    ("服务事项", "services", "办事指南中的服务事项名称或编号，多个用顿号或逗号分隔"),
    ("服务人员", "staff", "必填"),
    ("用时（分钟）", "duration_minutes", "整数"),
    ("服务内容摘要", "summary", "必填"),
    ("服务结果", "outcome", ""),
    ("下一步安排", "next_step", "填写时须同时填写下次跟进日期"),
    ("下次跟进日期", "next_date", "年-月-日"),
    ("主题", "topic", "宣贯/培训、人员参训必填"),
    ("主讲人", "speakers", ""),
    ("参加企业", "attendees", ""),
    ("参加人数", "headcount", "宣贯/培训、人员参训必填"),
)
HEADERS = {normalise(h): f for h, f, _ in IMPORT_COLUMNS}   # cells are NFKC-normalised: （） -> ()
REQUIRED_HEADERS = ("服务类型", "服务日期", "服务人员", "服务内容摘要")
MAX_ROWS = 5000
MAX_BYTES = 10 * 1024 * 1024
KIND_BY_WORD = {**{v: k for k, v in RECORD_KIND_LABELS.items()}, **{k: k for k in RECORD_KIND_LABELS},
                "法规宣贯": "training", "培训": "training", "宣贯": "training", "咨询": "consultation",
                "走访": "visit", "模拟检查": "mock_inspection", "资料预审": "pre_review"}
CHANNEL_BY_WORD = {**{v: k for k, v in RECORD_CHANNEL_LABELS.items()}, **{k: k for k in RECORD_CHANNEL_LABELS},
                   "来电": "phone", "电话咨询": "phone", "窗口": "walk_in", "现场": "walk_in", "网上": "online",
                   "在线": "online"}


def read_rows(filename: str, data: bytes) -> list[tuple[str, int, dict[str, str]]]:
    """(sheet, row number as the spreadsheet shows it, {header: text}) of every non-empty row
    (``spreadsheets.read_table``: each sheet's first non-empty row is its header)."""
    return read_table(filename, data, headers=HEADERS, required=REQUIRED_HEADERS, max_rows=MAX_ROWS,
                      max_bytes=MAX_BYTES)


def _services(text: str, by_name: dict[str, str]) -> tuple[list[str], list[str]]:
    ids, unknown = [], []
    for word in (w.strip() for w in re.split(r"[、,，;；\n]", text)):
        if word:
            (ids if word in by_name else unknown).append(by_name.get(word, word))
    return ids, unknown


def check_rows(rows: list[tuple[str, int, dict[str, str]]], form_class, services: list[tuple[str, str]],
               known_name: Callable[[str], str | None], kinds: Sequence = ()) -> tuple[list[dict], list[ImportProblem]]:
    """Every row through the record form: the records to store, or every problem found. ``kinds``:
    site.yml ``record_kinds``, named in the 服务类型 column by their name or id."""
    by_name = {**{sid: sid for sid, _ in services}, **{name: sid for sid, name in services}}
    kind_by_word = {**KIND_BY_WORD, **{k.name: k.id for k in kinds}, **{k.id: k.id for k in kinds}}
    column_of = {f: h for h, f, _ in IMPORT_COLUMNS}
    records, problems = [], []
    named: dict[str, str] = {}   # enterprises named in earlier rows of the same file
    for sheet, n, cells in rows:
        values = {HEADERS[h]: v for h, v in cells.items()}
        data = MultiDict()
        for field, value in values.items():
            if field == "kind":
                value = kind_by_word.get(value, value)
            elif field == "channel":
                value = CHANNEL_BY_WORD.get(value, value)
            elif field == "services":
                ids, unknown = _services(value, by_name)
                for u in unknown:
                    problems.append(ImportProblem(sheet, n, column_of["services"], f"办事指南中没有服务事项“{u}”"))
                for sid in ids:
                    data.add("services", sid)
                continue
            data[field] = value
        form = form_class(formdata=data)
        code = (data.get("uscc") or "").strip().upper()
        form.known_name = (named.get(code) or known_name(code)) if code else None
        if form.validate():
            record = form.record()
            records.append(record)
            if record["uscc"] and record["org_name"]:
                named.setdefault(record["uscc"], record["org_name"])
        for field in form:
            for error in field.errors[:1]:
                problems.append(ImportProblem(sheet, n, column_of.get(field.name, field.name), error))
    return records, problems
