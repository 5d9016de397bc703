"""Importing the equipment 台账: upload → every row checked → preview (added, updated, unchanged)
→ apply in one transaction. The checked rows wait between preview and apply in a private file of
the data folder, named by a random token that only the staff session that uploaded it holds;
applying compares them with the register again, so what is applied is what the register needs then."""
from __future__ import annotations

import json
import logging
import os
import secrets
import time
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for

from ... import auth
from ...forms import equipment_import as equipment_import_form
from ...forms.equipment_import import IMPORT_COLUMNS, MAX_BYTES, MAX_ROWS, ImportPlan, check_rows, plan, read_rows
from ...forms.messages import message
from ...forms.service_records import ImportForm
from ...forms.spreadsheets import ImportProblem, ImportRejected
from ...private_files import opener, private_dir
from .base import actor, bp, import_template, store, uploaded_spreadsheet
from .equipment import labels

log = logging.getLogger(__name__)

PENDING_HOURS = 12
SESSION_KEY = "equipment_import"
PREVIEW_ROWS = 200


def _folder() -> Path:
    return private_dir(Path(current_app.config["GUIDE_DATA_DIR"]) / "imports")


def _forget_old(folder: Path) -> None:
    limit = time.time() - PENDING_HOURS * 3600
    for path in folder.glob("*.json"):
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def _render(problems=(), filename: str | None = None, status: int = 200, **extra):
    return render_template("staff/equipment_import.html", columns=IMPORT_COLUMNS, problems=list(problems),
                           filename=filename, max_rows=MAX_ROWS, max_mb=MAX_BYTES // (1024 * 1024),
                           preview_rows=PREVIEW_ROWS, **labels(), **extra), status


@bp.get("/equipment/import")
def equipment_import():
    return _render()


@bp.get("/equipment/import/template.<any(csv, xlsx):fmt>")
def equipment_import_template(fmt: str):
    """An empty 台账 with the import's headers."""
    return import_template(IMPORT_COLUMNS, sheet="设备台账", name="equipment-register", fmt=fmt)


def check_file(filename: str, data: bytes) -> tuple[list[dict], ImportPlan | None, list[ImportProblem]]:
    """Read, check every row, compare with the register: (records, plan, problems)."""
    rows = read_rows(filename, data)
    records, problems = check_rows(rows)
    if problems:
        return records, None, problems
    result, problems = plan(records, store().equipment_by_codes(r["device_code"] for r in records))
    return records, (None if problems else result), problems


@bp.post("/equipment/import")
def equipment_import_upload():
    uploaded = uploaded_spreadsheet(equipment_import_form.MAX_BYTES)
    if uploaded is None:
        return _render([ImportProblem("", None, "表格文件", message("import_file"))], status=400)
    filename, data = uploaded
    try:
        records, result, problems = check_file(filename, data)
    except ImportRejected as exc:
        return _render(exc.problems, filename, 400)
    if problems:
        log.info("equipment import of %s refused: %d problems", filename, len(problems))
        return _render(problems, filename, 400)
    folder = _folder()
    _forget_old(folder)
    token = secrets.token_urlsafe(18)
    with open(folder / f"{token}.json", "w", encoding="utf-8", opener=opener) as fh:
        json.dump({"filename": filename, "records": records}, fh, ensure_ascii=False)
    session[SESSION_KEY] = token
    return _render(filename=filename, plan=result, token=token)


@bp.post("/equipment/import/apply")
def equipment_import_apply():
    form = ImportForm()
    token = request.form.get("token", "")
    if not form.validate():
        abort(400)
    if not token or token != session.get(SESSION_KEY):
        flash("导入预览已失效，请重新上传表格。", "warning")
        return redirect(url_for(".equipment_import"), 303)
    path = _folder() / f"{token}.json"
    try:
        with open(path, encoding="utf-8") as fh:
            pending = json.load(fh)
    except FileNotFoundError:
        flash("导入预览已失效，请重新上传表格。", "warning")
        return redirect(url_for(".equipment_import"), 303)
    records = [{**r, "_where": tuple(r["_where"])} for r in pending["records"]]
    result, problems = plan(records, store().equipment_by_codes(r["device_code"] for r in records))
    if problems:
        return _render(problems, pending["filename"], 409)
    store().import_equipment(result.added, [(eid, rec) for eid, rec, _ in result.updated], actor=actor())
    os.unlink(path)
    session.pop(SESSION_KEY, None)
    log.info("equipment import of %s by %s: %d added, %d updated, %d unchanged", pending["filename"],
             auth.current_user().name, len(result.added), len(result.updated), result.unchanged)
    flash(f"已从 {pending['filename']} 导入：新增 {len(result.added)} 台，更新 {len(result.updated)} 台，"
          f"{result.unchanged} 台无变化。", "info")
    return redirect(url_for(".equipment_list"), 303)
