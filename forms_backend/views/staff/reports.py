"""Exports (CSV/XLSX), statistics with charts, and the yearly evaluation report."""
from __future__ import annotations

import datetime as dt
import logging

from pathlib import Path
from urllib.parse import urlencode

from flask import (Response, abort, current_app, redirect, render_template, request, send_file,
                   stream_with_context, url_for)

from ... import auth
from ...context import current_guide
from ...export_jobs import ExportJobs
from ...forms.display import human_size
from ...forms.staff import RangeForm
from ...reports import evaluation, exports, stats
from ...storage import ExportFilter, QueueFilter, archive_no
from ...vocabulary import FOLLOWUP_PERIOD_DAYS, RATING_QUESTIONS
from .base import (actor, bp, followup_cutoff, guide_today, guide_zone, queue_filter, service_options, store,
                   utc_bounds)

log = logging.getLogger(__name__)

EXPORTS = {"applications": "申请", "ratings": "评价", "feedback": "页面反馈", "suggestions": "意见箱",
           "catalogue": "档案目录", "records": "服务记录"}
# An XLSX of more rows than this is built in the background (a few seconds of openpyxl);
# smaller ones, and every CSV (streamed as it is read), are sent by the request itself.
XLSX_IN_REQUEST_ROWS = 5000


def _export_source(what: str):
    """(rows counted, a function giving the export's columns and row iterator) for the query string."""
    storage, zone = store(), guide_zone()
    if what == "records":  # offline service records, all or one enterprise's (?uscc=): the import's columns
        uscc = (request.args.get("uscc") or "").upper()[:18] or None
        if uscc:
            storage.log_archive_view(actor=actor(), what="export", uscc=uscc)
        records = storage.all_records(uscc=uscc)
        return len(records), lambda: exports.records_table(records, dict(service_options()))
    if what == "applications":
        form = current_guide().extra_forms["queue"](formdata=request.args)
        form.validate()
        f = queue_filter(form)
        return storage.count_export_applications(f), lambda: exports.applications_table(storage.iter_applications(f), zone)
    form = current_guide().extra_forms["ratings"](formdata=request.args)  # service + date range
    form.validate()
    since, until = utc_bounds(form.value("date_from"), form.value("date_to"))
    f = ExportFilter(since=since, until=until, service_id=form.value("service"))
    if what == "catalogue":  # one year (?year=) or one enterprise (?uscc=), else everything archived
        year = request.args.get("year", type=int)
        year = year if year is not None and 1900 <= year <= 2200 else None
        uscc = (request.args.get("uscc") or "").upper()[:18] or None
        storage.log_archive_view(actor=actor(), what="export", uscc=uscc)
        return (storage.count_export("catalogue", f, year=year, uscc=uscc),
                lambda: exports.catalogue_table(storage.iter_catalogue(year=year, uscc=uscc,
                                                                       service_id=f.service_id), zone))
    table = {"ratings": (storage.iter_ratings, exports.ratings_table),
             "feedback": (storage.iter_page_feedback, exports.page_feedback_table),
             "suggestions": (storage.iter_suggestions, exports.suggestions_table)}[what]
    return storage.count_export(what, f), lambda: table[1](table[0](f), zone)


def _jobs() -> ExportJobs:
    return ExportJobs(Path(current_app.config["GUIDE_DATA_DIR"]) / "exports")


@bp.get("/exports")
def exports_page():
    form = current_guide().extra_forms["ratings"](formdata=request.args)
    form.validate()
    query = urlencode({k: v for k, v in request.args.items() if k in ("service", "date_from", "date_to") and v
                       and not form[k].errors})
    guide = current_guide()
    return render_template("staff/exports.html", exports=EXPORTS, years=store().archive_years(), form=form,
                           query=query, service_options=service_options(), xlsx_rows=XLSX_IN_REQUEST_ROWS,
                           services=[guide.project.services[sid] for sid in guide.forms], errors=form.error_list())


@bp.get("/exports/<any(applications, ratings, feedback, suggestions, catalogue, records):what>.<any(csv, xlsx):fmt>")
def export(what: str, fmt: str):
    count, table = _export_source(what)
    return send_export(f"{what}-{guide_today().isoformat()}.{fmt}", fmt, count, table, sheet=EXPORTS[what])


def send_export(name: str, fmt: str, count: int, table, *, sheet: str):
    """The export as a streamed CSV, an XLSX made in the request, or a background XLSX job."""
    user = auth.current_user().name
    log.info("export %s (%d rows) by %s", name, count, user)
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Content-Type": exports.CONTENT_TYPES[fmt]}
    columns, rows = table()
    if fmt == "csv":
        return Response(stream_with_context(exports.iter_csv(columns, rows)),
                        mimetype=exports.CONTENT_TYPES[fmt].split(";")[0], headers=headers)
    if count <= XLSX_IN_REQUEST_ROWS:
        data = exports.render(fmt, columns, rows, sheet=sheet)
        return Response(data, mimetype=exports.CONTENT_TYPES[fmt].split(";")[0], headers=headers)
    token = _jobs().start(owner=user, name=name,
                          write=lambda path: exports.write_xlsx(path, columns, rows, sheet=sheet))
    return redirect(url_for(".export_job", token=token), 303)


def _own_job(token: str):
    job = _jobs().get(token)
    user = auth.current_user()
    if job is None or (job.owner != user.name and not user.is_admin):
        abort(404)
    return job


@bp.get("/exports/jobs/<token>")
def export_job(token: str):
    return render_template("staff/export_job.html", job=_own_job(token), human_size=human_size)


@bp.get("/exports/jobs/<token>/file")
def export_file(token: str):
    job = _own_job(token)
    if job.state != "ready":
        abort(404)
    log.info("export %s downloaded by %s", job.name, auth.current_user().name)
    return send_file(_jobs().file(token), mimetype=exports.CONTENT_TYPES["xlsx"], as_attachment=True,
                     download_name=job.name)


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
    storage, zone = store(), guide_zone()
    return send_export(f"applications-{service_id}-{guide_today().isoformat()}.{fmt}", fmt,
                 storage.count_export_applications(f),
                 lambda: exports.service_applications_table(storage.iter_applications(f), fields,
                                                            storage.answer_fields(f), zone),
                 sheet=guide.project.services[service_id].name)


# ---------------------------------------------------------------- statistics and the yearly report

def _figures(first: dt.date, last: dt.date) -> dict:
    """The period's aggregates from the storage (SQL), in the guide's time zone and calendar."""
    storage, zone = store(), guide_zone()
    since, until = utc_bounds(first, last)
    shift = stats.day_shift(zone, first, last)
    if shift is None:
        storage.use_zone(zone)
    ordinals = stats.workday_ordinals(current_guide().calendar.get(), first, max(last, guide_today()))
    return {
        "by_month": storage.applications_by_service_month(since, until, shift),
        "status": storage.applications_by_status(since, until),
        "summary": storage.applications_summary(since, until, shift),
        "days": stats.completion_days(storage.completion_histogram(since, until, shift, ordinals)),
        "ratings": storage.ratings_by_service_score(since, until),
        "pages": storage.page_feedback_by_page(since, until),
        "since": since, "until": until, "shift": shift,
    }


@bp.get("/stats")
def statistics():
    form = RangeForm(formdata=request.args)
    form.validate()
    today = guide_today()
    first = form.value("date_from") or dt.date(today.year, 1, 1)
    last = form.value("date_to") or today
    if last < first:
        first, last = last, first
    storage = store()
    followup_overdue = storage.search_applications(QueueFilter(overdue="followup", followup_cutoff=followup_cutoff()),
                                                   limit=1)[1]
    f = _figures(first, last)
    charts = stats.charts_for(
        by_month=f["by_month"], status=f["status"], days=f["days"], ratings=f["ratings"], pages=f["pages"],
        overdue=storage.count_open_issues_overdue(today.isoformat()), followup_overdue=followup_overdue,
        followup_days=current_app.config["GUIDE_FOLLOWUP_DAYS"], first=first, last=last)
    summary = f["summary"]
    return render_template("staff/stats.html", form=form, charts=charts, first=first, last=last,
                           on_time=(summary["within"], summary["with_due"]), no_limit=summary["without_due"],
                           percent=stats.percent, errors=form.error_list())


@bp.get("/report")
def report_current():
    return redirect(url_for(".report", year=guide_today().year), 303)


@bp.get("/report/<int:year>")
def report(year: int):
    if not 2000 <= year <= 2100:
        abort(404)
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    storage, zone = store(), guide_zone()
    f = _figures(first, last)
    since, until, shift = f["since"], f["until"], f["shift"]
    summary = f["summary"]
    outcomes, outcomes_total = storage.closed_issue_outcomes(since, until)
    data = {
        "applications": summary["applications"],
        "enterprises": summary["enterprises"],
        "status": stats.status_mix(f["status"]),
        "per_service": sorted(((name, sum(counts)) for name, counts in
                               stats.per_service_month(f["by_month"], stats.months_between(first, last))),
                              key=lambda kv: -kv[1]),
        "median_days": stats.histogram_median(stats.merged(f["days"].values())),
        "on_time": (summary["within"], summary["with_due"]),
        "no_limit": summary["without_due"],
        "contacts": storage.stats_contacts(since, until),
        **stats.rating_totals(f["ratings"]),
        "distribution": stats.score_distribution(f["ratings"]),
        "score_per_service": stats.score_per_service(f["ratings"]),
        "questions": stats.question_yes_rates(storage.rating_answers(since, until,
                                                                     [q for q, _ in RATING_QUESTIONS])),
        "issues": storage.issues_summary(since, until, guide_today().isoformat(), shift),
        "outcomes": outcomes, "outcomes_total": outcomes_total,
        "pages": stats.page_no_rates(f["pages"], limit=10),
        "archive": storage.archive_span(year),
        "followup": storage.followup_scores(since, until),
    }
    return render_template("staff/report.html", year=year, data=data, percent=stats.percent,
                           ev=_evaluation(year), followup_days=FOLLOWUP_PERIOD_DAYS,
                           archive_no=archive_no, generated=dt.datetime.now(zone).strftime("%Y-%m-%d %H:%M"))


def _evaluation(year: int) -> dict:
    """The section 10 figures of ``year`` from the offline records (``reports.evaluation``)."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    since, until = utc_bounds(first, last)
    storage, zone = store(), guide_zone()
    records, contacts = storage.product_contacts(first.isoformat(), last.isoformat(), since, until)
    per_product: dict[int, list[dt.date]] = {}
    for product_id, day in records:
        per_product.setdefault(product_id, []).append(dt.date.fromisoformat(day))
    for product_id, moment in contacts:
        per_product.setdefault(product_id, []).append(dt.datetime.fromisoformat(moment).astimezone(zone).date())
    return evaluation.evaluate(storage.records_between(first.isoformat(), last.isoformat()),
                               storage.products_flagged_between(first.isoformat(), last.isoformat()),
                               per_product, storage.products_by_id(per_product), min(last, guide_today()))


@bp.get("/report/<int:year>/evaluation.<any(csv, xlsx):fmt>")
def evaluation_export(year: int, fmt: str):
    if not 2000 <= year <= 2100:
        abort(404)
    since, until = utc_bounds(dt.date(year, 1, 1), dt.date(year, 12, 31))
    summary = _figures(dt.date(year, 1, 1), dt.date(year, 12, 31))["summary"]
    online = {"applications": summary["applications"], "contacts": store().stats_contacts(since, until)}
    columns, rows = evaluation.evaluation_table(year, _evaluation(year), online)
    return send_export(f"evaluation-{year}.{fmt}", fmt, len(rows), lambda: (columns, rows), sheet=f"{year}年度评估")
