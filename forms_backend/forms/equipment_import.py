"""Importing the equipment 台账 (XLSX or CSV): check every row, then show what would change.

The column layout (``IMPORT_COLUMNS``, documented in the README and on the import page, and the
headers of the downloadable template and of the register's export) maps each header to a field
of the equipment form; every row goes through that same form (``equipment.equipment_form``), so
a row is checked exactly like a record typed in the console. Words people write in a 台账 are
understood for the kind (叉车, 计量器具 ...) and the state. Problems come back located (sheet,
row, column); a device code twice in the file, or already registered to another enterprise, is a
problem too. ``plan`` compares the checked rows with the register by device code: added, updated
(with the fields that change) and unchanged — re-importing the same file changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from ..storage import EQUIPMENT_FIELDS
from ..vocabulary import EQUIPMENT_KIND_LABELS, EQUIPMENT_STATE_LABELS
from .equipment import FIELD_LABELS, equipment_form
from .messages import message
from .spreadsheets import ImportProblem, read_table
from .values import normalise

__all__ = ["IMPORT_COLUMNS", "EXPORT_LEVEL_COLUMN", "MAX_ROWS", "MAX_BYTES", "read_rows", "check_rows", "plan", "ImportPlan"]

# (header, form field, what to write) in the order of the template.
IMPORT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("统一社会信用代码", "uscc", "18 位（必填）"),
    ("企业名称", "org_name", "必填"),
    ("设备类别", "kind", "锅炉、压力容器、压力管道、电梯、起重机械、客运索道、大型游乐设施、场（厂）内专用机动车辆或强制检定计量器具（必填）"),
    ("设备代码", "device_code", "每台设备唯一（必填）；已登记的设备按设备代码更新"),
    ("使用登记证编号", "registration_no", ""),
    ("设备名称", "name", "必填"),
    ("型号规格", "model", ""),
    ("安装地点", "location", ""),
    ("上次检验日期", "last_date", "年-月-日"),
    ("检验周期（月）", "cycle_months", "整数，1 至 120（必填）"),
    ("下次检验日期", "due_date", "年-月-日；不填时按上次检验日期加检验周期计算"),
    ("安全管理员", "manager_name", "必填"),
    ("安全管理员手机", "manager_phone", "手机与邮箱至少填一项"),
    ("安全管理员邮箱", "manager_email", ""),
    ("主要负责人", "head_name", "二级、三级预警同时告知"),
    ("主要负责人手机", "head_phone", ""),
    ("主要负责人邮箱", "head_email", ""),
    ("设备状态", "state", "在用、停用或报废；不填为在用"),
)
# The export adds the level of the day; an export imported again ignores that column.
EXPORT_LEVEL_COLUMN = "今日预警级别"
HEADERS = {normalise(h): f for h, f, _ in IMPORT_COLUMNS} | {EXPORT_LEVEL_COLUMN: "_level"}
COLUMN_OF = {f: h for h, f, _ in IMPORT_COLUMNS}
REQUIRED_HEADERS = ("统一社会信用代码", "企业名称", "设备类别", "设备代码", "设备名称", "检验周期（月）", "安全管理员")
MAX_ROWS = 100_000
MAX_BYTES = 25 * 1024 * 1024
KIND_BY_WORD = {**{normalise(v): k for k, v in EQUIPMENT_KIND_LABELS.items()}, **{k: k for k in EQUIPMENT_KIND_LABELS},
                "场内机动车辆": "vehicle", "厂内机动车辆": "vehicle", "场(厂)内机动车辆": "vehicle", "叉车": "vehicle",
                "起重机": "lifting", "索道": "ropeway", "游乐设施": "amusement", "气瓶": "pressure_vessel",
                "管道": "pressure_piping", "计量器具": "measuring", "强检计量器具": "measuring"}
STATE_BY_WORD = {**{v: k for k, v in EQUIPMENT_STATE_LABELS.items()}, **{k: k for k in EQUIPMENT_STATE_LABELS},
                 "": "in_use", "使用": "in_use", "正常": "in_use", "封存": "stopped"}


def read_rows(filename: str, data: bytes) -> list[tuple[str, int, dict[str, str]]]:
    return read_table(filename, data, headers=HEADERS, required=[normalise(h) for h in REQUIRED_HEADERS],
                      max_rows=MAX_ROWS, max_bytes=MAX_BYTES)


def check_rows(rows: list[tuple[str, int, dict[str, str]]]) -> tuple[list[dict], list[ImportProblem]]:
    """Every row through the equipment form: the records (each with its ``_where``) or every problem."""
    form_class = equipment_form(csrf=False)
    records, problems = [], []
    seen: dict[str, str] = {}       # device code -> where it first appeared
    kinds = "、".join(EQUIPMENT_KIND_LABELS.values())
    for sheet, n, cells in rows:
        values = {HEADERS[h]: v for h, v in cells.items() if HEADERS[h] != "_level"}
        row_problems = []
        kind_word = values.get("kind", "")
        if kind_word and kind_word not in KIND_BY_WORD:
            row_problems.append(ImportProblem(sheet, n, COLUMN_OF["kind"],
                                              message("import_unknown_kind", value=kind_word, kinds=kinds)))
        values["kind"] = KIND_BY_WORD.get(kind_word, kind_word)
        values["state"] = STATE_BY_WORD.get(values.get("state", ""), values.get("state", ""))
        form = form_class(formdata=MultiDict(values))
        valid = form.validate()
        for f in form:
            if f.errors and not (f.name == "kind" and kind_word and kind_word not in KIND_BY_WORD):
                row_problems.append(ImportProblem(sheet, n, COLUMN_OF.get(f.name, FIELD_LABELS.get(f.name, f.name)),
                                                  f.errors[0]))
        code = (form.device_code.data or "").strip().upper()
        where = f"{sheet} 第 {n} 行"
        if code and code in seen:
            row_problems.append(ImportProblem(sheet, n, COLUMN_OF["device_code"],
                                              message("import_duplicate", code=code, where=seen[code])))
        elif code:
            seen[code] = where
        problems += row_problems
        if valid and not row_problems:
            records.append({**form.record(), "_where": (sheet, n)})
    return records, problems


@dataclass
class ImportPlan:
    added: list[dict] = field(default_factory=list)
    updated: list[tuple[int, dict, dict]] = field(default_factory=list)   # (id, record, {field: [old, new]})
    unchanged: int = 0

    @property
    def changes_anything(self) -> bool:
        return bool(self.added or self.updated)


def plan(records: list[dict], existing: dict[str, dict]) -> tuple[ImportPlan, list[ImportProblem]]:
    """Compare checked rows with the stored records of the same device codes."""
    result, problems = ImportPlan(), []
    for rec in records:
        sheet, n = rec["_where"]
        clean = {k: rec[k] for k in EQUIPMENT_FIELDS}
        old = existing.get(clean["device_code"])
        if old is None:
            result.added.append(clean)
            continue
        if old["uscc"] != clean["uscc"]:
            problems.append(ImportProblem(sheet, n, COLUMN_OF["device_code"],
                                          message("import_other_enterprise", code=clean["device_code"])))
            continue
        changes = {k: [old[k], clean[k]] for k in EQUIPMENT_FIELDS if old[k] != clean[k]}
        if changes:
            result.updated.append((old["id"], clean, changes))
        else:
            result.unchanged += 1
    return result, problems
