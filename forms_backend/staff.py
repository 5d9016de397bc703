"""The staff console (``/staff``): queue, case, workflow, follow-up, ratings and complaints,
enterprise archive, exports, statistics, the yearly evaluation report, and accounts.

Every route checks the server-side staff session first (``before_request``), exports and file
downloads included; account management needs an administrator. Responses are never cached.
Views coordinate: forms validate (``staff_forms``), storage writes (one transaction per
action, mail queued inside it), ``stats`` / ``charts`` / ``exports`` do the work.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for)

from . import auth, exports, mail, notify, stats, track
from .apply import contact_line
from .feedback_forms import KIND_LABELS, RATING_QUESTIONS, SCORE_LABELS
from .forms import ERROR_SUMMARY_TITLE
from .staff_forms import (ACTION_LABELS, CHANNEL_LABELS, NOTE_REQUIRED, PAGE_SIZE, ROLE_LABELS, SORT_LABELS,
                          TOLD_VIA_LABELS, ContactForm, IssueCloseForm, IssueNoteForm, NewUserForm, NoteForm,
                          RangeForm, TransitionForm, UserActionForm, issue_filter_form, issue_owner_form)
from .storage import (STATUSES, TRANSITIONS, BadTransition, IssueClosed, LastAdmin, QueueFilter, StatusChanged,
                      UserExists, UserNotFound, iso, utcnow)
from .templating import STATUS_HELP, STATUS_LABELS
from .uploads import send_upload
from .workdays import local_today

log = logging.getLogger(__name__)

bp = Blueprint("staff", __name__, url_prefix="/staff")

USER_ACTIONS = {"disable": "停用", "enable": "启用", "role_staff": "设为工作人员", "role_admin": "设为管理员",
                "reset": "重设密码"}
EXPORTS = {"applications": "申请", "ratings": "评价", "feedback": "页面反馈", "suggestions": "意见箱",
           "catalogue": "档案目录"}


@bp.before_request
def _login():
    return auth.require_login()


bp.after_request(auth.no_store)


@bp.context_processor
def _context():
    return {"staff_user": auth.current_user(), "ACTION_LABELS": ACTION_LABELS, "CHANNEL_LABELS": CHANNEL_LABELS,
            "KIND_LABELS": KIND_LABELS, "SCORE_LABELS": SCORE_LABELS, "TOLD_VIA_LABELS": TOLD_VIA_LABELS,
            "ROLE_LABELS": ROLE_LABELS, "summary_title": ERROR_SUMMARY_TITLE}


def _guide():
    return current_app.extensions["guide"]


def _storage():
    return _guide().storage


def _actor() -> str:
    return f"staff:{auth.current_user().name}"


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["GUIDE_TIMEZONE"])


def _today() -> dt.date:
    return local_today(current_app.config["GUIDE_TIMEZONE"])


def _utc_bounds(first: dt.date | None, last: dt.date | None) -> tuple[str | None, str | None]:
    """Local dates (both included) as UTC ISO bounds [since, until)."""
    zone = _zone()
    since = iso(dt.datetime.combine(first, dt.time(), zone)) if first else None
    until = iso(dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)) if last else None
    return since, until


def _followup_cutoff() -> str:
    return iso(utcnow() - dt.timedelta(days=current_app.config["GUIDE_FOLLOWUP_DAYS"]))


def _pages(total: int, page: int) -> dict:
    count = max(1, math.ceil(total / PAGE_SIZE))
    args = {k: v for k, v in request.args.items() if k != "page" and v}

    def link(n: int) -> str:
        return request.path + "?" + urlencode({**args, "page": n})
    return {"page": page, "count": count, "total": total, "prev": link(page - 1) if page > 1 else None,
            "next": link(page + 1) if page < count else None}


def _wake_mail() -> None:
    if current_app.config["GUIDE_MAIL_WORKER"]:
        _guide().background.wake()


# ---------------------------------------------------------------- queue

def _service_options() -> list[tuple[str, str]]:
    return [(s.id, s.name) for s in _guide().project.services.values()]


def _status_options() -> list[tuple[str, str]]:
    return [(s, STATUS_LABELS[s]) for s in STATUSES]


def _queue_filter(form) -> QueueFilter:
    since, until = _utc_bounds(form.value("date_from"), form.value("date_to"))
    return QueueFilter(service_id=form.value("service"), status=form.value("status"), submitted_from=since,
                       submitted_before=until, enterprise=form.value("enterprise"), overdue=form.value("overdue"),
                       today=_today().isoformat(), followup_cutoff=_followup_cutoff())


@bp.get("/")
def queue():
    form = _guide().extra_forms["queue"](formdata=request.args)
    form.validate()
    page = form.value("page") or 1
    sort = form.value("sort") or "submitted"
    descending = (form.value("order") or "desc") == "desc"
    rows, total = _storage().search_applications(_queue_filter(form), sort=sort, descending=descending,
                                                  limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template("staff/queue.html", form=form, rows=rows, pages=_pages(total, page), sort=sort,
                           service_options=_service_options(), status_options=_status_options(),
                           overdue_options=[("time", "超过办理时限"),
                                            ("followup", f"超过 {current_app.config['GUIDE_FOLLOWUP_DAYS']} 天未联系")],
                           descending=descending, sorts=SORT_LABELS, today=_today().isoformat(),
                           cutoff=_followup_cutoff(), errors=form.error_list(),
                           export_query=urlencode({k: v for k, v in request.args.items() if k != "page" and v}))


@bp.get("/followup")
def followup():
    f = QueueFilter(overdue="followup", followup_cutoff=_followup_cutoff())
    rows, total = _storage().search_applications(f, sort="contact", descending=False, limit=500)
    return render_template("staff/followup.html", rows=rows, total=total,
                           days=current_app.config["GUIDE_FOLLOWUP_DAYS"])


# ---------------------------------------------------------------- one case and its workflow

def _case_or_404(ref: str):
    case = _storage().get_case(ref)
    if case is None:
        abort(404)
    return case


def _render_case(case, *, transition=None, contact=None, note=None, status: int = 200):
    storage = _storage()
    issue = storage.rating_issue(case.id)
    return render_template(
        "staff/case.html", case=case, uploads=storage.uploads_of(case.id), contacts=storage.contacts_of(case.id),
        ratings=storage.ratings_of(case.id), rating_issue=issue,
        next_statuses=[(s, ACTION_LABELS[s]) for s in ACTION_LABELS if s in TRANSITIONS[case.status]],
        transition=transition or TransitionForm(prefix="t", data={"expected": case.status}),
        contact=contact or ContactForm(prefix="c"), note=note or NoteForm(prefix="n"), note_required=NOTE_REQUIRED,
        rating_questions=RATING_QUESTIONS, today=_today().isoformat(),
        followup_days=current_app.config["GUIDE_FOLLOWUP_DAYS"],
        errors=[(f.name, f.errors[0]) for form in (transition, contact, note) if form for f in form if f.errors],
    ), status


@bp.get("/applications/<ref>")
def case(ref: str):
    return _render_case(_case_or_404(ref))


@bp.get("/applications/<ref>/files/<token>")
def download(ref: str, token: str):
    case = _case_or_404(ref)
    for up in _storage().uploads_of(case.id):
        if up["token"] == token:
            log.info("file of %s downloaded by %s", ref, auth.current_user().name)
            return send_upload(current_app.config["UPLOAD_DIR"], up["stored_name"], up["original_name"])
    abort(404)


def _due_on(case) -> str | None:
    """The due date of an accepted case, from the service's time limit (None if it has no days)."""
    service = _guide().project.services.get(case.service_id)
    limit = service.time_limit if service else None
    if limit is None or limit.days is None:
        return None
    today = _today()
    if limit.working_days:
        return _guide().calendar.get().add_workdays(today, limit.days).isoformat()
    return (today + dt.timedelta(days=limit.days)).isoformat()


@bp.post("/applications/<ref>/status")
def transition(ref: str):
    case = _case_or_404(ref)
    form = TransitionForm(prefix="t")
    if not form.validate():
        return _render_case(case, transition=form, status=400)
    to = form.to_status.data
    note = (form.note.data or "").strip() or None
    guide = _guide()
    service = guide.project.services.get(case.service_id)
    link = url_for("track.link", token=track.link_token(ref), _external=True)
    mails = mail.compose_status(site_title=guide.project.site.title, application=case, status_label=STATUS_LABELS[to],
                                status_help=STATUS_HELP[to], note=note if form.public.data else None, link_url=link,
                                track_url=url_for("track.index", _external=True),
                                contact=contact_line(guide.project, service), rate=to == "completed")
    mails += notify.status_sms(current_app.config, ref=ref, phone=case.phone, status_label=STATUS_LABELS[to],
                               track_url=url_for("track.index", _external=True))
    try:
        # The step itself is always public (the tracking page shows the status); a note may not be.
        _storage().set_status(ref, to, actor=_actor(), note=note if form.public.data else None,
                              private_note=None if form.public.data else note,
                              expected=form.expected.data or None, mails=mails,
                              due_on=_due_on(case) if to == "accepted" else None, archive_year=_today().year)
    except StatusChanged:
        flash("该申请的状态刚被其他人更改，请查看最新状态后再操作。", "warning")
        return _render_case(_case_or_404(ref), status=409)
    except BadTransition:
        log.warning("status change refused: %s -> %s by %s", case.status, to, auth.current_user().name)
        flash(f"当前状态为“{STATUS_LABELS[case.status]}”，不能改为“{STATUS_LABELS[to]}”。", "warning")
        return _render_case(case, status=409)
    log.info("application %s: %s -> %s by %s", ref, case.status, to, auth.current_user().name)
    _wake_mail()
    flash(f"已{ACTION_LABELS[to]}，已通知申请人。", "info")
    return redirect(url_for(".case", ref=ref), 303)


@bp.post("/applications/<ref>/contacts")
def add_contact(ref: str):
    case = _case_or_404(ref)
    form = ContactForm(prefix="c")
    form.zone = _zone()
    if not form.validate():
        return _render_case(case, contact=form, status=400)
    moment = form.moment(_zone()) or utcnow()
    _storage().add_contact(ref, actor=_actor(), channel=form.channel.data, at=iso(moment), note=form.note.data)
    flash("已记录本次联系。", "info")
    return redirect(url_for(".case", ref=ref) + "#contacts", 303)


@bp.post("/applications/<ref>/notes")
def add_note(ref: str):
    case = _case_or_404(ref)
    form = NoteForm(prefix="n")
    if not form.validate():
        return _render_case(case, note=form, status=400)
    _storage().add_note(ref, actor=_actor(), note=form.note.data, public=bool(form.public.data))
    flash("已添加备注。", "info")
    return redirect(url_for(".case", ref=ref) + "#history", 303)


# ---------------------------------------------------------------- follow-up items (bad ratings, 意见箱)

def _user_names() -> list[str]:
    return [u.name for u in _storage().list_users() if u.active]


@bp.get("/issues")
def issues():
    names = _user_names()
    form = issue_filter_form(names)(formdata=request.args)
    form.validate()
    page = form.value("page") or 1
    status = form.value("status") or "open"
    rows, total = _storage().list_issues(status=None if status == "all" else status, kind=form.value("kind"),
                                         owner=form.value("owner"),
                                         overdue_on=_today().isoformat() if form.overdue.data else None,
                                         limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template("staff/issues.html", form=form, rows=rows, pages=_pages(total, page),
                           owner_options=[(n, n) for n in names],
                           today=_today().isoformat(), errors=form.error_list())


def _issue_or_404(issue_id: int):
    issue = _storage().get_issue(issue_id)
    if issue is None:
        abort(404)
    return issue


def _render_issue(issue, *, owner=None, note=None, close=None, status: int = 200):
    storage = _storage()
    suggestion = storage.get_suggestion(issue.suggestion_id) if issue.suggestion_id else None
    case = storage.get_case(issue.ref) if issue.application_id else None
    ratings = storage.ratings_of(issue.application_id) if issue.application_id else []
    names = _user_names()
    return render_template(
        "staff/issue.html", issue=issue, owner_options=[(n, n) for n in names], suggestion=suggestion, case=case,
        ratings=ratings,
        owner_form=owner or issue_owner_form(names)(prefix="o", data={"owner": issue.owner}),
        note_form=note or IssueNoteForm(prefix="n"),
        close_form=close or IssueCloseForm(prefix="x"), today=_today().isoformat(), rating_questions=RATING_QUESTIONS,
        email=_issue_email(issue, suggestion, case),
        errors=[(f.name, f.errors[0]) for form in (owner, note, close) if form for f in form if f.errors],
    ), status


def _issue_email(issue, suggestion, case) -> str | None:
    if suggestion is not None:
        return suggestion.email
    return case.email if case is not None else None


@bp.get("/issues/<int:issue_id>")
def issue(issue_id: int):
    return _render_issue(_issue_or_404(issue_id))


@bp.post("/issues/<int:issue_id>/owner")
def issue_owner(issue_id: int):
    issue = _issue_or_404(issue_id)
    form = issue_owner_form(_user_names())(prefix="o")
    if not form.validate():
        return _render_issue(issue, owner=form, status=400)
    try:
        _storage().set_issue_owner(issue_id, form.owner.data or None, actor=_actor())
    except IssueClosed:
        flash("该事项已办结。", "warning")
        return redirect(url_for(".issue", issue_id=issue_id), 303)
    flash("已指定负责人。" if form.owner.data else "已取消负责人。", "info")
    return redirect(url_for(".issue", issue_id=issue_id), 303)


@bp.post("/issues/<int:issue_id>/notes")
def issue_note(issue_id: int):
    issue = _issue_or_404(issue_id)
    form = IssueNoteForm(prefix="n")
    if not form.validate():
        return _render_issue(issue, note=form, status=400)
    try:
        _storage().add_issue_note(issue_id, actor=_actor(), note=form.note.data, channel=form.channel.data or None)
    except IssueClosed:
        flash("该事项已办结。", "warning")
        return redirect(url_for(".issue", issue_id=issue_id), 303)
    flash("已记录联系情况。" if form.channel.data else "已添加记录。", "info")
    return redirect(url_for(".issue", issue_id=issue_id), 303)


@bp.post("/issues/<int:issue_id>/close")
def issue_close(issue_id: int):
    issue = _issue_or_404(issue_id)
    form = IssueCloseForm(prefix="x")
    if not form.validate():
        return _render_issue(issue, close=form, status=400)
    storage = _storage()
    suggestion = storage.get_suggestion(issue.suggestion_id) if issue.suggestion_id else None
    case = storage.get_case(issue.ref) if issue.application_id else None
    to = _issue_email(issue, suggestion, case)
    mails = []
    if form.told_via.data == "email":
        if not to:
            form.told_via.errors = ["对方没有留下电子邮箱，请选择其他告知方式"]
            return _render_issue(issue, close=form, status=400)
        guide = _guide()
        service = guide.project.services.get(issue.service_id) if issue.service_id else None
        what = {"rating": "服务评价意见", "complaint": "投诉", "suggestion": "意见建议"}[issue.kind]
        mails = mail.compose_outcome(site_title=guide.project.site.title, to=to, ref=issue.ref, what=what,
                                     outcome=form.outcome.data, contact=contact_line(guide.project, service))
    try:
        storage.close_issue(issue_id, actor=_actor(), outcome=form.outcome.data, told_via=form.told_via.data,
                            mails=mails)
    except IssueClosed:
        flash("该事项已办结。", "warning")
        return redirect(url_for(".issue", issue_id=issue_id), 303)
    _wake_mail()
    log.info("follow-up item %s closed by %s", issue_id, auth.current_user().name)
    flash("已办结，处理结果已记录" + ("并发送邮件。" if mails else "。"), "info")
    return redirect(url_for(".issue", issue_id=issue_id), 303)


# ---------------------------------------------------------------- ratings and page feedback

@bp.get("/ratings")
def ratings():
    form = _guide().extra_forms["ratings"](formdata=request.args)
    form.validate()
    page = form.value("page") or 1
    score = form.value("score")
    rows, total = _storage().list_ratings(service_id=form.value("service"), score=int(score) if score else None,
                                          limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template("staff/ratings.html", form=form, rows=rows, pages=_pages(total, page),
                           service_options=_service_options(),
                           score_options=[(str(v), label) for v, label in SCORE_LABELS.items()],
                           questions=RATING_QUESTIONS, errors=form.error_list())


@bp.get("/page-feedback")
def page_feedback():
    form = RangeForm(formdata=request.args)
    form.validate()
    page = form.value("page") or 1
    since, until = _utc_bounds(form.value("date_from"), form.value("date_to"))
    summary = stats.page_no_rates(_storage().page_feedback_by_page(since, until), limit=100)
    comments, total = _storage().page_feedback_comments(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template("staff/page_feedback.html", form=form, summary=summary, comments=comments,
                           pages=_pages(total, page), errors=form.error_list())


# ---------------------------------------------------------------- enterprise archive

@bp.get("/archive")
def archive():
    query = (request.args.get("q") or "").strip()[:100]
    found = _storage().enterprises(query) if query else []
    return render_template("staff/archive.html", query=query, found=found, years=_storage().archive_years())


@bp.get("/archive/enterprise/<uscc>")
def enterprise(uscc: str):
    rows, total = _storage().search_applications(QueueFilter(uscc=uscc.upper()), sort="submitted", descending=False,
                                                  limit=1000)
    if not rows:
        abort(404)
    return render_template("staff/enterprise.html", uscc=uscc.upper(), rows=rows, total=total,
                           org_name=rows[-1].org_name, today=_today().isoformat(), cutoff=_followup_cutoff())


@bp.get("/archive/catalogue/<int:year>")
def catalogue(year: int):
    rows = _storage().catalogue(year=year)
    return render_template("staff/catalogue.html", year=year, rows=rows)


# ---------------------------------------------------------------- exports

def _export_rows(what: str) -> tuple[list[str], list[list]]:
    storage = _storage()
    zone = _zone()

    def t(value):
        return dt.datetime.fromisoformat(value).astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""

    if what == "applications":
        form = _guide().extra_forms["queue"](formdata=request.args)
        form.validate()
        columns = ["申请编号", "服务事项", "状态", "单位名称", "统一社会信用代码", "联系人", "联系电话", "电子邮箱",
                   "提交时间", "最近更新", "办理期限", "办结时间", "档案号", "最近联系", "评价", "申请内容"]
        rows = [[a["ref"], a["service_name"], STATUS_LABELS[a["status"]], a["org_name"], a["uscc"], a["contact_name"],
                 a["phone"], a["email"], t(a["submitted_at"]), t(a["updated_at"]), a["due_at"], t(a["closed_at"]),
                 a["archive_no"], t(a["last_contact_at"]), SCORE_LABELS.get(a["score"], ""),
                 "；".join(f"{x['label']}：{x['display']}" for x in a["answers"])]
                for a in storage.export_applications(_queue_filter(form))]
        return columns, rows
    if what == "ratings":
        columns = ["申请编号", "服务事项", "单位名称", "统一社会信用代码", "评价", "分值",
                   *(label for _, label in RATING_QUESTIONS), "意见或建议", "评价时间", "是否当前评价"]

        def yn(v):
            return "" if v is None else ("是" if v else "否")
        rows = [[r["ref"], r["service_name"], r["org_name"], r["uscc"], SCORE_LABELS[r["score"]], r["score"],
                 *(yn(r[name]) for name, _ in RATING_QUESTIONS), r["comment"], t(r["created_at"]),
                 "是" if r["current"] else "否（已被新评价替换）"] for r in storage.export_ratings()]
        return columns, rows
    if what == "feedback":
        columns = ["页面", "是否有帮助", "意见", "时间"]
        rows = [[r["page"], "是" if r["helpful"] else "否", r["comment"], t(r["created_at"])]
                for r in storage.export_page_feedback()]
        return columns, rows
    if what == "suggestions":
        columns = ["编号", "类型", "服务事项", "相关申请编号", "内容", "称呼", "单位名称", "联系电话", "电子邮箱",
                   "提交时间", "处理状态", "负责人", "首次联系期限", "首次联系时间", "整改期限", "办结时间", "处理结果",
                   "告知方式"]
        rows = [[r["ref"], KIND_LABELS[r["kind"]], r["service_name"], r["related_ref"], r["body"], r["name"],
                 r["org_name"], r["phone"], r["email"], t(r["created_at"]),
                 "已办结" if r["status"] == "closed" else "处理中", r["owner"], r["first_contact_due"],
                 t(r["first_contact_at"]), r["rectify_due"], t(r["closed_at"]), r["outcome"],
                 TOLD_VIA_LABELS.get(r["told_via"] or "", "")] for r in storage.export_suggestions()]
        return columns, rows
    # catalogue: one year (?year=) or one enterprise (?uscc=), else everything archived
    year = request.args.get("year", type=int)
    uscc = (request.args.get("uscc") or "").upper()[:18] or None
    columns = ["序号", "档号", "年度", "申请编号", "题名", "单位名称", "统一社会信用代码", "提交日期", "办结日期",
               "办理结果"]
    rows = [[i, r["archive_no"], r["year"], r["ref"], f"{r['org_name']}{r['service_name']}服务档案", r["org_name"],
             r["uscc"], t(r["submitted_at"])[:10], t(r["closed_at"])[:10], STATUS_LABELS[r["status"]]]
            for i, r in enumerate(storage.catalogue(year=year, uscc=uscc), start=1)]
    return columns, rows


@bp.get("/exports")
def exports_page():
    return render_template("staff/exports.html", exports=EXPORTS, years=_storage().archive_years())


@bp.get("/exports/<any(applications, ratings, feedback, suggestions, catalogue):what>.<any(csv, xlsx):fmt>")
def export(what: str, fmt: str):
    columns, rows = _export_rows(what)
    data = exports.render(fmt, columns, rows, sheet=EXPORTS[what])
    name = f"{what}-{_today().isoformat()}.{fmt}"
    log.info("export %s (%d rows) by %s", name, len(rows), auth.current_user().name)
    return Response(data, mimetype=exports.CONTENT_TYPES[fmt].split(";")[0],
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Content-Type": exports.CONTENT_TYPES[fmt]})


# ---------------------------------------------------------------- statistics and the yearly report

@bp.get("/stats")
def statistics():
    form = RangeForm(formdata=request.args)
    form.validate()
    today = _today()
    first = form.value("date_from") or dt.date(today.year, 1, 1)
    last = form.value("date_to") or today
    if last < first:
        first, last = last, first
    since, until = _utc_bounds(first, last)
    storage = _storage()
    followup_overdue = storage.search_applications(QueueFilter(overdue="followup", followup_cutoff=_followup_cutoff()),
                                                   limit=1)[1]
    charts = stats.charts_for(
        apps=storage.stats_applications(since, until), ratings=storage.stats_ratings(since, until),
        pages=storage.page_feedback_by_page(since, until), overdue=storage.count_open_issues_overdue(today.isoformat()),
        followup_overdue=followup_overdue, followup_days=current_app.config["GUIDE_FOLLOWUP_DAYS"],
        calendar=_guide().calendar.get(), zone=_zone(), first=first, last=last)
    return render_template("staff/stats.html", form=form, charts=charts, first=first, last=last,
                           errors=form.error_list())


@bp.get("/report")
def report_current():
    return redirect(url_for(".report", year=_today().year), 303)


@bp.get("/report/<int:year>")
def report(year: int):
    if not 2000 <= year <= 2100:
        abort(404)
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    since, until = _utc_bounds(first, last)
    storage, zone, calendar = _storage(), _zone(), _guide().calendar.get()
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
        "contacts": storage.stats_contacts(since, until),
        "ratings": len(ratings),
        "distribution": stats.score_distribution(ratings),
        "good_rate": stats.good_rate(scores),
        "average": sum(scores) / len(scores) if scores else None,
        "score_per_service": stats.score_per_service(ratings),
        "questions": stats.question_yes_rates(ratings),
        "issues": stats.issues_summary(issues_rows, _today().isoformat(), zone),
        "outcomes": [i for i in issues_rows if i["status"] == "closed" and i["outcome"]],
        "pages": stats.page_no_rates(storage.page_feedback_by_page(since, until), limit=10),
        "archived": [n for y, n in storage.archive_years() if y == year],
        "catalogue": storage.catalogue(year=year),
    }
    return render_template("staff/report.html", year=year, data=data, percent=stats.percent,
                           generated=dt.datetime.now(zone).strftime("%Y-%m-%d %H:%M"))


# ---------------------------------------------------------------- accounts (administrators)

@bp.route("/users", methods=["GET", "POST"])
@auth.admin_required
def users():
    form = NewUserForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                _storage().create_user(form.name.data, form.role.data, auth.hash_password(form.password.data))
            except UserExists:
                form.name.errors = [f"账户 {form.name.data} 已存在"]
            else:
                log.info("staff account %s (%s) created by %s", form.name.data, form.role.data,
                         auth.current_user().name)
                flash(f"已创建账户 {form.name.data}。", "info")
                return redirect(url_for(".users"), 303)
        status = 400
    return render_template("staff/users.html", users=_storage().list_users(), form=form,
                           errors=[(f.name, f.errors[0]) for f in form if f.errors]), status


@bp.post("/users/<name>")
@auth.admin_required
def user_action(name: str):
    target = _storage().get_user(name)
    if target is None:
        abort(404)
    form = UserActionForm(prefix="u", account_name=name)
    if not form.validate():
        for f in form:
            if f.errors:
                flash(f"{name}：{f.errors[0]}", "warning")
                break
        return redirect(url_for(".users"), 303)
    action = form.action.data
    changes = {"disable": {"active": False}, "enable": {"active": True}, "role_staff": {"role": "staff"},
               "role_admin": {"role": "admin"}}.get(action, {})
    if action == "reset":
        changes = {"password_hash": auth.hash_password(form.password.data)}
    try:
        _storage().update_user(name, **changes)
    except LastAdmin:
        flash("至少要保留一个在用的管理员账户。", "warning")
        return redirect(url_for(".users"), 303)
    except UserNotFound:
        abort(404)
    log.info("staff account %s: %s by %s", name, action, auth.current_user().name)
    flash(f"账户 {name}：已{USER_ACTIONS[action]}。", "info")
    return redirect(url_for(".users"), 303)
