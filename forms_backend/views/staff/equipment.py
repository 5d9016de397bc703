"""The equipment register in the console: the list with its filters, one record with its history,
adding and editing a record. (The 台账 import is ``equipment_import``, the dashboard ``equipment_dashboard``.)"""
from __future__ import annotations

import datetime as dt
import logging

from flask import abort, flash, redirect, render_template, request, url_for

from ... import auth
from ...duedates import Schedule, schedule_of
from ...forms.equipment import FIELD_LABELS, equipment_form
from ...forms.messages import message
from ...forms.staff import PAGE_SIZE
from ...forms.values import normalise
from ...storage import DuplicateDeviceCode, EquipmentFilter
from ...context import current_guide
from ...vocabulary import STATUS_LABELS, EQUIPMENT_EVENT_LABELS, EQUIPMENT_KIND_LABELS, EQUIPMENT_KINDS, EQUIPMENT_STATE_LABELS, EQUIPMENT_STATES
from .base import actor, bp, guide_today, page_number, paging, store

log = logging.getLogger(__name__)

OVERDUE = "overdue"


def schedule() -> Schedule | None:
    guide = current_guide()
    return schedule_of(guide.project, guide.calendar.get())


def level_of(rec: dict, sched: Schedule | None, today: dt.date) -> tuple[int | str, str]:
    """(level or 'overdue', its words) of a record today."""
    due = dt.date.fromisoformat(rec["due_date"])
    if rec["state"] != "in_use":
        return 0, EQUIPMENT_STATE_LABELS[rec["state"]]
    if due < today:
        return OVERDUE, "超期未检（应停止使用）"
    if sched is None:
        return 0, "—"
    level = sched.level(due, today)
    return level, sched.name(level)


def labels() -> dict:
    return {"field_labels": FIELD_LABELS, "status_labels": STATUS_LABELS, "EQUIPMENT_KIND_LABELS": EQUIPMENT_KIND_LABELS, "EQUIPMENT_STATE_LABELS": EQUIPMENT_STATE_LABELS,
            "EQUIPMENT_EVENT_LABELS": EQUIPMENT_EVENT_LABELS}


def _date_arg(name: str) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(normalise(request.args.get(name) or ""))
    except ValueError:
        return None
    return day if 1900 <= day.year <= 2199 else None


def equipment_filter(today: dt.date, sched: Schedule | None) -> tuple[EquipmentFilter, dict]:
    """The filter of ``request.args`` (unknown values are ignored) and the values to show back."""
    args = {k: normalise(request.args.get(k) or "")[:100] for k in ("q", "kind", "state", "level", "code")}
    kind = args["kind"] if args["kind"] in EQUIPMENT_KINDS else None
    state = args["state"] if args["state"] in EQUIPMENT_STATES else None
    due_from, due_to = _date_arg("due_from"), _date_arg("due_to")
    level = args["level"]
    if level == OVERDUE:
        state = "in_use"
        due_to = min(filter(None, (due_to, today - dt.timedelta(days=1))))
    elif level.isdigit() and sched is not None and int(level) <= len(sched.levels):
        state = "in_use"
        first, last = sched.due_range(int(level), today)
        due_from = max(filter(None, (due_from, first)))
        if last is not None:
            due_to = min(filter(None, (due_to, last)))
    else:
        level = ""
    flt = EquipmentFilter(enterprise=args["q"] or None, kind=kind, state=state, code=args["code"] or None,
                          due_from=due_from.isoformat() if due_from else None,
                          due_before=due_to.isoformat() if due_to else None)
    shown = {**args, "kind": kind or "", "state": state or "", "level": level,
             "due_from": request.args.get("due_from", "")[:10], "due_to": request.args.get("due_to", "")[:10]}
    return flt, shown


@bp.get("/equipment")
def equipment_list():
    today = guide_today()
    sched = schedule()
    flt, shown = equipment_filter(today, sched)
    page = page_number()
    rows, total = store().list_equipment(flt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    for r in rows:
        r["level"], r["level_name"] = level_of(r, sched, today)
    return render_template("staff/equipment_list.html", rows=rows, total=total, pages=paging(total, page),
                           shown=shown, levels=sched.levels if sched else (), today=today, **labels())


def _render_form(form, rec: dict | None = None, status: int = 200):
    return render_template("staff/equipment_form.html", form=form, rec=rec, errors=form.error_list(),
                           kind_options=list(EQUIPMENT_KIND_LABELS.items()),
                           state_options=list(EQUIPMENT_STATE_LABELS.items()), **labels()), status


@bp.route("/equipment/new", methods=["GET", "POST"])
def equipment_new():
    form_class = equipment_form()
    if request.method == "GET":
        return _render_form(form_class(data={"state": "in_use", "uscc": (request.args.get("uscc") or "")[:18] or None}))
    form = form_class()
    if not form.validate():
        return _render_form(form, status=400)
    try:
        eid = store().add_equipment(form.record(), actor=actor())
    except DuplicateDeviceCode as exc:
        form.device_code.errors = [message("device_code_taken", code=str(exc))]
        return _render_form(form, status=400)
    log.info("equipment %s added by %s", eid, auth.current_user().name)
    flash("已登记设备。", "info")
    return redirect(url_for(".equipment", equipment_id=eid), 303)


@bp.get("/equipment/<int:equipment_id>")
def equipment(equipment_id: int):
    rec = store().get_equipment(equipment_id)
    if rec is None:
        abort(404)
    today = guide_today()
    sched = schedule()
    rec["level"], rec["level_name"] = level_of(rec, sched, today)
    starts = []
    if sched is not None:
        due = dt.date.fromisoformat(rec["due_date"])
        starts = [(lv.name, sched.start(lv.level, due)) for lv in sched.levels]
    return render_template("staff/equipment.html", r=rec, starts=starts, today=today, **labels())


@bp.route("/equipment/<int:equipment_id>/edit", methods=["GET", "POST"])
def equipment_edit(equipment_id: int):
    rec = store().get_equipment(equipment_id)
    if rec is None:
        abort(404)
    form_class = equipment_form()
    if request.method == "GET":
        return _render_form(form_class(data=form_class.initial(rec)), rec)
    form = form_class()
    if not form.validate():
        return _render_form(form, rec, 400)
    try:
        changes = store().update_equipment(equipment_id, form.record(), actor=actor())
    except DuplicateDeviceCode as exc:
        form.device_code.errors = [message("device_code_taken", code=str(exc))]
        return _render_form(form, rec, 400)
    flash(f"已保存修改（{len(changes)} 项）。" if changes else "没有修改。", "info")
    return redirect(url_for(".equipment", equipment_id=equipment_id), 303)
