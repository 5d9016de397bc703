"""Offline service records: the quick entry form, the list, one record, marking a next step done."""
from __future__ import annotations

import logging

from flask import Response, abort, flash, redirect, render_template, request, url_for

from ... import auth
from ...forms.messages import message
from ...forms.records_import import IMPORT_COLUMNS, MAX_ROWS, ImportProblem, ImportRejected, check_rows, read_rows
from ...forms.service_records import ImportForm, record_form
from ...reports import exports
from ...forms.staff import PAGE_SIZE
from ...storage import RecordNotFound
from ...vocabulary import RECORD_CHANNEL_LABELS, RECORD_KIND_LABELS, RECORD_KINDS
from .base import actor, bp, guide_today, page_number, paging, service_options, store

log = logging.getLogger(__name__)


def new_record_form(**kwargs):
    return record_form(service_options(), today=guide_today())(**kwargs)


def known_name(form) -> None:
    """Fill the form's ``known_name`` from the enterprise the code belongs to (if known)."""
    code = (form.uscc.data or "").strip().upper()
    if code:
        form.known_name = store().enterprise_name(code)


def labels() -> dict:
    return {"service_names": dict(service_options())}


def _render_form(form, status: int = 200):
    return render_template("staff/record_new.html", form=form, enterprises=store().known_enterprises(),
                           kind_options=list(RECORD_KIND_LABELS.items()),
                           channel_options=list(RECORD_CHANNEL_LABELS.items()), service_options=service_options(),
                           errors=form.error_list(), **labels()), status


@bp.get("/records/new")
def record_new():
    user = auth.current_user().name
    data = {"date": guide_today(), "staff": user, "kind": request.args.get("kind") or None,
            "uscc": (request.args.get("uscc") or "")[:18] or None}
    return _render_form(new_record_form(data=data))


@bp.post("/records/new")
def record_create():
    form = new_record_form()
    known_name(form)
    if not form.validate():
        return _render_form(form, 400)
    record_id = store().add_record(form.record(), actor=actor())
    log.info("service record %s added by %s", record_id, auth.current_user().name)
    flash(f"已保存服务记录（第 {record_id} 号）。", "info")
    return redirect(url_for(".record_new") if request.form.get("again") else url_for(".record", record_id=record_id),
                    303)


@bp.get("/records")
def records():
    kind = request.args.get("kind") if request.args.get("kind") in RECORD_KINDS else None
    page = page_number()
    rows, total = store().list_records(kind=kind, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template("staff/records.html", rows=rows, kind=kind, pages=paging(total, page), total=total,
                           kind_options=list(RECORD_KIND_LABELS.items()), **labels())


@bp.get("/records/<int:record_id>")
def record(record_id: int):
    rec = store().get_record(record_id)
    if rec is None:
        abort(404)
    return render_template("staff/record.html", r=rec, today=guide_today().isoformat(), **labels())


@bp.post("/records/<int:record_id>/next-done")
def record_next_done(record_id: int):
    try:
        store().finish_next_step(record_id)
    except RecordNotFound:
        abort(404)
    flash("已标记下一步安排为已完成。", "info")
    back = request.form.get("back")
    return redirect(url_for(".followup") if back == "followup" else url_for(".record", record_id=record_id), 303)


# ---------------------------------------------------------------- import from a spreadsheet

@bp.get("/records/import")
def records_import():
    return _render_import()


def _render_import(problems=(), filename: str | None = None, status: int = 200):
    return render_template("staff/records_import.html", columns=IMPORT_COLUMNS, problems=list(problems),
                           filename=filename, max_rows=MAX_ROWS), status


@bp.get("/records/import/template.<any(csv, xlsx):fmt>")
def records_import_template(fmt: str):
    """An empty sheet with the import's headers."""
    data = exports.render(fmt, [h for h, _, _ in IMPORT_COLUMNS], [], sheet="服务记录")
    return Response(data, mimetype=exports.CONTENT_TYPES[fmt].split(";")[0],
                    headers={"Content-Disposition": f'attachment; filename="service-records-template.{fmt}"',
                             "Content-Type": exports.CONTENT_TYPES[fmt]})


@bp.post("/records/import")
def records_import_upload():
    form = ImportForm()
    upload = request.files.get("file")
    if not form.validate() or upload is None or not upload.filename:
        if form.csrf_token.errors:
            abort(400)
        return _render_import([ImportProblem("", None, "表格文件", message("import_file"))], status=400)
    filename = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:200]
    try:
        rows = read_rows(filename, upload.read())
    except ImportRejected as exc:
        return _render_import(exc.problems, filename, 400)
    storage = store()
    records, problems = check_rows(rows, record_form(service_options(), today=guide_today(), csrf=False),
                                   service_options(), storage.enterprise_name)
    if problems:
        log.info("import of %s refused: %d problems in %d rows", filename, len(problems), len(rows))
        return _render_import(problems, filename, 400)
    n = storage.import_records(records, actor=actor())
    log.info("import of %s: %d service records by %s", filename, n, auth.current_user().name)
    flash(f"已从 {filename} 导入 {n} 条服务记录。", "info")
    return redirect(url_for(".records"), 303)
