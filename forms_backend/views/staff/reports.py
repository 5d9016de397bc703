"""Exports (CSV/XLSX), statistics with charts, and the yearly evaluation report."""
from __future__ import annotations

import datetime as dt
import logging

from flask import Response, abort, current_app, redirect, render_template, request, url_for

from ... import auth
from ...context import current_guide
from ...forms.staff import RangeForm
from ...reports import exports, stats
from ...storage import QueueFilter
from .base import followup_cutoff, queue_filter, store, guide_today, utc_bounds, guide_zone, bp

log = logging.getLogger(__name__)

EXPORTS = {"applications": "申请", "ratings": "评价", "feedback": "页面反馈", "suggestions": "意见箱",
           "catalogue": "档案目录"}

def _export_rows(what: str) -> tuple[list[str], list[list]]:
    """The rows of one export (the filters come from the query string); columns by ``reports.exports``."""
    storage, zone = store(), guide_zone()
    if what == "applications":
        form = current_guide().extra_forms["queue"](formdata=request.args)
        form.validate()
        return exports.applications_table(storage.export_applications(queue_filter(form)), zone)
    if what == "ratings":
        return exports.ratings_table(storage.export_ratings(), zone)
    if what == "feedback":
        return exports.page_feedback_table(storage.export_page_feedback(), zone)
    if what == "suggestions":
        return exports.suggestions_table(storage.export_suggestions(), zone)
    # catalogue: one year (?year=) or one enterprise (?uscc=), else everything archived
    year = request.args.get("year", type=int)
    uscc = (request.args.get("uscc") or "").upper()[:18] or None
    return exports.catalogue_table(storage.catalogue(year=year, uscc=uscc), zone)


@bp.get("/exports")
def exports_page():
    guide = current_guide()
    return render_template("staff/exports.html", exports=EXPORTS, years=store().archive_years(),
                           services=[guide.project.services[sid] for sid in guide.forms])


@bp.get("/exports/<any(applications, ratings, feedback, suggestions, catalogue):what>.<any(csv, xlsx):fmt>")
def export(what: str, fmt: str):
    columns, rows = _export_rows(what)
    data = exports.render(fmt, columns, rows, sheet=EXPORTS[what])
    name = f"{what}-{guide_today().isoformat()}.{fmt}"
    log.info("export %s (%d rows) by %s", name, len(rows), auth.current_user().name)
    return Response(data, mimetype=exports.CONTENT_TYPES[fmt].split(";")[0],
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Content-Type": exports.CONTENT_TYPES[fmt]})


@bp.get("/exports/service/<service_id>.<any(csv, xlsx):fmt>")
def export_service(service_id: str, fmt: str):
    """One service's applications, one column per field of its form (the queue's filters apply)."""
    guide = current_guide()
    form_class = guide.forms.get(service_id)
    if form_class is None:
        abort(404)
    fields = [(q.name, q.label) for q in form_class.questions if q.section == "service"]
    form = guide.extra_forms["queue"](formdata=request.args)
    form.validate()
    f = queue_filter(form)
    f.service_id = service_id
    columns, rows = exports.service_applications_table(store().export_applications(f), fields, guide_zone())
    data = exports.render(fmt, columns, rows, sheet=guide.project.services[service_id].name)
    name = f"applications-{service_id}-{guide_today().isoformat()}.{fmt}"
    log.info("export %s (%d rows) by %s", name, len(rows), auth.current_user().name)
    return Response(data, mimetype=exports.CONTENT_TYPES[fmt].split(";")[0],
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Content-Type": exports.CONTENT_TYPES[fmt]})


# ---------------------------------------------------------------- statistics and the yearly report

@bp.get("/stats")
def statistics():
    form = RangeForm(formdata=request.args)
    form.validate()
    today = guide_today()
    first = form.value("date_from") or dt.date(today.year, 1, 1)
    last = form.value("date_to") or today
    if last < first:
        first, last = last, first
    since, until = utc_bounds(first, last)
    storage = store()
    followup_overdue = storage.search_applications(QueueFilter(overdue="followup", followup_cutoff=followup_cutoff()),
                                                   limit=1)[1]
    apps = storage.stats_applications(since, until)
    charts = stats.charts_for(
        apps=apps, ratings=storage.stats_ratings(since, until),
        pages=storage.page_feedback_by_page(since, until), overdue=storage.count_open_issues_overdue(today.isoformat()),
        followup_overdue=followup_overdue, followup_days=current_app.config["GUIDE_FOLLOWUP_DAYS"],
        calendar=current_guide().calendar.get(), zone=guide_zone(), first=first, last=last)
    within, with_due = stats.on_time(apps, guide_zone())
    return render_template("staff/stats.html", form=form, charts=charts, first=first, last=last,
                           on_time=(within, with_due), no_limit=storage.count_closed_without_limit(since, until),
                           percent=stats.percent, errors=form.error_list())


@bp.get("/report")
def report_current():
    return redirect(url_for(".report", year=guide_today().year), 303)


@bp.get("/report/<int:year>")
def report(year: int):
    if not 2000 <= year <= 2100:
        abort(404)
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    since, until = utc_bounds(first, last)
    storage, zone, calendar = store(), guide_zone(), current_guide().calendar.get()
    apps = storage.stats_applications(since, until)
    ratings = storage.stats_ratings(since, until)
    days = stats.completion_days(apps, calendar, zone)
    all_days = [d for ds in days.values() for d in ds]
    within, with_due = stats.on_time(apps, zone)
    issues_rows = storage.stats_issues(since, until)
    scores = [r["score"] for r in ratings]
    data = {
        "applications": len(apps),
        "enterprises": len({a["uscc"] for a in apps}),
        "status": stats.status_mix(apps),
        "per_service": sorted(((name, sum(counts)) for name, counts in
                               stats.per_service_month(apps, zone, stats.months_between(first, last))),
                              key=lambda kv: -kv[1]),
        "median_days": stats.median(all_days) if all_days else None,
        "on_time": (within, with_due),
        "no_limit": storage.count_closed_without_limit(since, until),
        "contacts": storage.stats_contacts(since, until),
        "ratings": len(ratings),
        "distribution": stats.score_distribution(ratings),
        "good_rate": stats.good_rate(scores),
        "average": sum(scores) / len(scores) if scores else None,
        "score_per_service": stats.score_per_service(ratings),
        "questions": stats.question_yes_rates(ratings),
        "issues": stats.issues_summary(issues_rows, guide_today().isoformat(), zone),
        "outcomes": [i for i in issues_rows if i["status"] == "closed" and i["outcome"]],
        "pages": stats.page_no_rates(storage.page_feedback_by_page(since, until), limit=10),
        "archived": [n for y, n in storage.archive_years() if y == year],
        "catalogue": storage.catalogue(year=year),
    }
    return render_template("staff/report.html", year=year, data=data, percent=stats.percent,
                           generated=dt.datetime.now(zone).strftime("%Y-%m-%d %H:%M"))


