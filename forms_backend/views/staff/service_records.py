"""Offline service records: the quick entry form, the list, one record with its files and its
history of changes, editing a saved record, marking a next step done, the spreadsheet import.

A record's files (attachments; a session's training materials) are checked and stored like the
applicants' uploads (``uploads.receive``: content sniffed, generated 0600 names) in their own
folder, kept with the archive, and sent to staff only (the blueprint's login check)."""
from __future__ import annotations

import logging

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField

from ... import auth, uploads
from ...forms.messages import message
from ...forms.records_import import IMPORT_COLUMNS, MAX_BYTES, MAX_ROWS, ImportProblem, ImportRejected, check_rows, read_rows
from ...forms.service_records import RECORD_FILE_ACCEPT, RECORD_FILE_MAX_MB, kind_options, record_form
from ...forms.staff import PAGE_SIZE
from ...storage import RecordChanged, RecordNotFound
from ...vocabulary import RECORD_CHANNEL_LABELS, RECORD_FILE_ROLE_LABELS, RECORD_KINDS, SESSION_KINDS
from .base import (actor, bp, guide_today, import_template, page_number, paging, record_kinds, service_options, store,
                   uploaded_spreadsheet)
from .extras import receive_files

log = logging.getLogger(__name__)


def new_record_form(**kwargs):
    return record_form(service_options(), today=guide_today(), kinds=record_kinds())(**kwargs)


def files_dir():
    return current_app.config["RECORD_FILE_DIR"]


# The file inputs of the record form and of a record page: name -> role.
FILE_INPUTS = {"attachments": "attachment", "materials": "material"}


def _receive_record_files() -> tuple[list[dict], dict[str, str]]:
    """The files of this request's file inputs, stored; or the error per input (nothing kept then)."""
    files, errors = [], {}
    for name, role in FILE_INPUTS.items():
        got, error = receive_files(name, folder=files_dir(), accept=RECORD_FILE_ACCEPT, max_mb=RECORD_FILE_MAX_MB)
        if error:
            errors[name] = error
        files += [{**g, "role": role} for g in got]
    if errors:
        uploads.discard(files_dir(), [f["stored_name"] for f in files])
        return [], errors
    return files, {}


def known_name(form) -> None:
    """Fill the form's ``known_name`` from the enterprise the code belongs to (if known)."""
    code = (form.uscc.data or "").strip().upper()
    if code:
        form.known_name = store().enterprise_name(code)


def labels() -> dict:
    return {"service_names": dict(service_options())}


def _render_form(form, status: int = 200, *, record: dict | None = None, file_errors: dict | None = None,
                 version: int | None = None):
    file_errors = file_errors or {}
    return render_template("staff/record_new.html", form=form, enterprises=store().known_enterprises(),
                           kind_options=kind_options(record_kinds()), session_kinds=session_kinds(),
                           channel_options=list(RECORD_CHANNEL_LABELS.items()), service_options=service_options(),
                           errors=form.error_list() + [(f"files-{k}", v) for k, v in file_errors.items()],
                           file_errors=file_errors, record=record, version=version,
                           file_accept=RECORD_FILE_ACCEPT, file_max_mb=RECORD_FILE_MAX_MB, **labels()), status


def session_kinds() -> list[str]:
    """The kinds (fixed and from site.yml) whose records are sessions (topic, headcount, materials)."""
    return list(SESSION_KINDS) + [k.id for k in record_kinds() if k.counts_as in SESSION_KINDS]


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
    files, file_errors = _receive_record_files()
    if file_errors:
        return _render_form(form, 400, file_errors=file_errors)
    try:
        record_id = store().add_record(form.record(), actor=actor(), files=files)
    except BaseException:
        uploads.discard(files_dir(), [f["stored_name"] for f in files])
        raise
    log.info("service record %s added by %s with %d files", record_id, auth.current_user().name, len(files))
    flash(f"已保存服务记录（第 {record_id} 号）" + (f"，{len(files)} 个文件" if files else "") + "。", "info")
    return redirect(url_for(".record_new") if request.form.get("again") else url_for(".record", record_id=record_id),
                    303)


@bp.get("/records")
def records():
    """The list; a fixed kind also lists the site.yml kinds counted as it, a site.yml kind only itself."""
    wanted = request.args.get("kind")
    extra = {k.id for k in record_kinds()}
    kind = wanted if wanted in RECORD_KINDS or wanted in extra else None
    page = page_number()
    rows, total = store().list_records(kind=kind if kind in RECORD_KINDS else None,
                                       kind_key=kind if kind in extra else None,
                                       limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template("staff/records.html", rows=rows, kind=kind, pages=paging(total, page), total=total,
                           kind_options=kind_options(record_kinds()),
                           file_counts=store().record_file_counts(r["id"] for r in rows), **labels())


def _record_or_404(record_id: int) -> dict:
    rec = store().get_record(record_id)
    if rec is None:
        abort(404)
    return rec


class FilesForm(FlaskForm):
    """Adding files to a saved record: its CSRF token (the files are read by ``receive_files``)."""
    role = HiddenField()


def _render_record(rec: dict, *, file_errors: dict | None = None, status: int = 200):
    file_errors = file_errors or {}
    labels_of = {f.name: f.label.text for f in new_record_form(formdata=None, meta={"csrf": False})}
    return render_template("staff/record.html", r=rec, today=guide_today().isoformat(),
                           files=store().record_files(rec["id"]), history=_history(rec["id"], labels_of),
                           file_errors=file_errors, errors=[(f"files-{k}", v) for k, v in file_errors.items()],
                           session=rec["kind"] in SESSION_KINDS, file_accept=RECORD_FILE_ACCEPT,
                           file_max_mb=RECORD_FILE_MAX_MB, role_labels=RECORD_FILE_ROLE_LABELS,
                           **labels()), status


def _history(record_id: int, labels_of: dict) -> list[dict]:
    """The record's changes for people: each field by its label, values as the record page shows them."""
    names = dict(service_options())
    labels_of = {**labels_of, "service_ids": labels_of.get("services", "涉及的服务事项"), "kind": "服务类型"}

    def shown(field: str, value) -> str:
        if value is None or value == "" or value == []:
            return "（空）"
        if field == "channel":
            return RECORD_CHANNEL_LABELS.get(value, value)
        if field == "service_ids":
            return "、".join(names.get(s, s) for s in value)
        return str(value)

    def change(field: str, before, after) -> tuple[str, str | None, str]:
        if field == "files":   # an upload: "上传培训材料：课件.pdf"
            role, _, name = str(after).partition(":")
            return f"上传{RECORD_FILE_ROLE_LABELS.get(role, role)}", None, name
        return labels_of.get(field, field), shown(field, before), shown(field, after)
    return [{"at": h["at"], "actor": h["actor"], "changes": [change(*c) for c in h["changes"]]}
            for h in store().record_changes(record_id)]


@bp.get("/records/<int:record_id>")
def record(record_id: int):
    return _render_record(_record_or_404(record_id))


@bp.get("/records/<int:record_id>/edit")
def record_edit(record_id: int):
    rec = _record_or_404(record_id)
    form_class = record_form(service_options(), today=guide_today(), kinds=record_kinds())
    return _render_form(form_class(data=form_class.data_of(rec)), record=rec,
                        version=len(store().record_changes(record_id)))


@bp.post("/records/<int:record_id>/edit")
def record_update(record_id: int):
    rec = _record_or_404(record_id)
    form = new_record_form()
    known_name(form)
    version = request.form.get("version", type=int)
    if not form.validate():
        return _render_form(form, 400, record=rec, version=version)
    try:
        changes = store().update_record(record_id, form.record(), actor=actor(), expected=version)
    except RecordChanged:
        flash("这条记录刚被其他人修改，请查看最新内容后再修改。", "warning")
        return _render_form(form, 409, record=store().get_record(record_id),
                            version=len(store().record_changes(record_id)))
    log.info("service record %s changed by %s: %s", record_id, auth.current_user().name,
             ", ".join(c[0] for c in changes) or "nothing")
    flash("已保存修改，修改记录见本页“修改记录”。" if changes else "没有修改任何内容。", "info")
    return redirect(url_for(".record", record_id=record_id), 303)


@bp.post("/records/<int:record_id>/files")
def record_files_add(record_id: int):
    rec = _record_or_404(record_id)
    if not FilesForm().validate():
        abort(400)
    files, file_errors = _receive_record_files()
    if not file_errors and not files:
        file_errors = {"attachments": message("choose_files")}
    if file_errors:
        return _render_record(rec, file_errors=file_errors, status=400)
    try:
        store().add_record_files(record_id, files, actor=actor())
    except BaseException:
        uploads.discard(files_dir(), [f["stored_name"] for f in files])
        raise
    log.info("service record %s: %d files added by %s", record_id, len(files), auth.current_user().name)
    flash(f"已上传 {len(files)} 个文件。", "info")
    return redirect(url_for(".record", record_id=record_id) + "#files", 303)


@bp.get("/records/<int:record_id>/files/<token>")
def record_file(record_id: int, token: str):
    for f in store().record_files(record_id):
        if f["token"] == token:
            log.info("service record %s: file %s sent to %s", record_id, token, auth.current_user().name)
            return uploads.send_upload(files_dir(), f["stored_name"], f["original_name"], f["kind"])
    abort(404)


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
    return import_template(IMPORT_COLUMNS, sheet="服务记录", name="service-records", fmt=fmt)


@bp.post("/records/import")
def records_import_upload():
    uploaded = uploaded_spreadsheet(MAX_BYTES)
    if uploaded is None:
        return _render_import([ImportProblem("", None, "表格文件", message("import_file"))], status=400)
    filename, data = uploaded
    try:
        rows = read_rows(filename, data)
    except ImportRejected as exc:
        return _render_import(exc.problems, filename, 400)
    storage = store()
    records, problems = check_rows(rows, record_form(service_options(), today=guide_today(), csrf=False,
                                                     kinds=record_kinds()),
                                   service_options(), storage.enterprise_name, kinds=record_kinds())
    if problems:
        log.info("import of %s refused: %d problems in %d rows", filename, len(problems), len(rows))
        return _render_import(problems, filename, 400)
    n = storage.import_records(records, actor=actor())
    log.info("import of %s: %d service records by %s", filename, n, auth.current_user().name)
    flash(f"已从 {filename} 导入 {n} 条服务记录。", "info")
    return redirect(url_for(".records"), 303)
