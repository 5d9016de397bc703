"""The equipment register's dashboard: counts per level and per kind, due this month, overdue, open
follow-up items, a chart of due dates per month (server SVG), the export (CSV/XLSX, formula-safe),
and the enterprises' links to their own list (made and revoked here)."""
from __future__ import annotations

import calendar as _calendar
import datetime as dt
import logging

from flask import abort, flash, redirect, render_template, request, url_for

from ... import auth
from ...duedates import add_months
from ...forms.values import clean_uscc
from ...links import enterprise_token, external_url
from ...reports import charts
from ...storage import EquipmentFilter
from ...vocabulary import EQUIPMENT_KIND_LABELS
from .base import actor, bp, guide_today, store
from .equipment import equipment_filter, labels, level_of, schedule
from .reports import send_export

log = logging.getLogger(__name__)

CHART_MONTHS = 12


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=_calendar.monthrange(day.year, day.month)[1])


@bp.get("/equipment/dashboard")
def equipment_dashboard():
    today = guide_today()
    sched = schedule()
    flt, shown = equipment_filter(today, sched)
    thresholds = {lv: d.isoformat() for lv, d in sched.thresholds(today).items()} if sched else {}
    counts = store().equipment_counts(today=today.isoformat(), month_end=_month_end(today).isoformat(),
                                      thresholds=thresholds, flt=flt)
    months = [add_months(today.replace(day=1), i).strftime("%Y-%m") for i in range(CHART_MONTHS)]
    per_month = store().due_per_month(months[0], months[-1], flt)
    chart = charts.bar_chart("due-per-month", f"今后 {CHART_MONTHS} 个月每月到期的在用设备",
                             [(m, per_month.get(m, 0)) for m in months], label_column="月份", value_column="台数")
    level_rows = [(lv.level, lv.name, counts["levels"].get(lv.level, 0)) for lv in (sched.levels if sched else ())]
    kind_rows = [(k, label, counts["kinds"].get(k, 0)) for k, label in EQUIPMENT_KIND_LABELS.items()]
    query = {k: v for k, v in request.args.items() if v and k in ("q", "kind")}
    shown = {**shown, "today_iso": today.isoformat(), "month_end_iso": _month_end(today).isoformat()}
    return render_template("staff/equipment_dashboard.html", counts=counts, level_rows=level_rows, kind_rows=kind_rows,
                           chart=chart, shown=shown, levels=sched.levels if sched else (), query=query, **labels())


def equipment_table(flt: EquipmentFilter, today: dt.date):
    """The export: the import's columns (an export can be edited and imported again) and the level today."""
    from ...forms.equipment_import import EXPORT_LEVEL_COLUMN, IMPORT_COLUMNS
    sched = schedule()

    def value(r: dict, field: str):
        if field == "kind":
            return EQUIPMENT_KIND_LABELS[r["kind"]]
        if field == "state":
            return labels()["EQUIPMENT_STATE_LABELS"][r["state"]]
        return r.get(field)

    def table():
        columns = [h for h, _, _ in IMPORT_COLUMNS] + [EXPORT_LEVEL_COLUMN]
        rows = ([value(r, f) for _, f, _ in IMPORT_COLUMNS] + [level_of(r, sched, today)[1]]
                for r in store().iter_equipment(flt))
        return columns, rows
    return table


@bp.get("/equipment/export.<any(csv, xlsx):fmt>")
def equipment_export(fmt: str):
    today = guide_today()
    flt, _ = equipment_filter(today, schedule())
    count = store().list_equipment(flt, limit=0)[1]
    return send_export(f"equipment-{today.isoformat()}.{fmt}", fmt, count, equipment_table(flt, today),
                       sheet="设备台账")


# ---------------------------------------------------------------- enterprises' links

@bp.post("/equipment/links")
def equipment_link_new():
    from ...forms.service_records import ImportForm   # a form with only its CSRF token
    if not ImportForm().validate():
        abort(400)
    try:
        uscc = clean_uscc(request.form.get("uscc", ""))
    except ValueError:
        abort(400)
    if store().list_equipment(EquipmentFilter(uscc=uscc), limit=0)[1] == 0:
        abort(404)
    link_id = store().new_enterprise_link(uscc, actor=actor())
    log.info("enterprise link %s for %s made by %s", link_id, uscc, auth.current_user().name)
    flash("已生成企业查看链接，请复制后发给企业（只发给本企业）。", "info")
    return redirect(url_for(".equipment_links", uscc=uscc), 303)


@bp.get("/equipment/links/<uscc>")
def equipment_links(uscc: str):
    links = store().enterprise_links(uscc[:18])
    if not links and store().list_equipment(EquipmentFilter(uscc=uscc[:18]), limit=0)[1] == 0:
        abort(404)
    for link in links:
        if not link["revoked_at"]:
            token = enterprise_token(link["id"], uscc)
            link["url"] = external_url("enterprise.equipment_list", token=token)
            link["ics"] = external_url("enterprise.calendar", token=token)
    org = store().list_equipment(EquipmentFilter(uscc=uscc[:18]), limit=1)[0]
    return render_template("staff/equipment_links.html", links=links, uscc=uscc,
                           org=org[0]["org_name"] if org else uscc)


@bp.post("/equipment/links/<uscc>/<int:link_id>/revoke")
def equipment_link_revoke(uscc: str, link_id: int):
    from ...forms.service_records import ImportForm
    if not ImportForm().validate():
        abort(400)
    if store().revoke_enterprise_link(link_id, uscc):
        log.info("enterprise link %s revoked by %s", link_id, auth.current_user().name)
        flash("链接已撤销，企业再打开它会看到“链接无效”。", "info")
    return redirect(url_for(".equipment_links", uscc=uscc), 303)
