"""The queue of applications, one case, and its workflow (status, contacts, notes)."""
from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import urlencode

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from ... import auth
from ...context import current_guide
from ...duedates import add_months
from ...forms.staff import NOTE_REQUIRED, PAGE_SIZE, SORT_LABELS, ContactForm, NoteForm, TransitionForm
from ...mail.compose import compose_status
from ...mail.sms import status_sms
from ...storage import BadTransition, QueueFilter, StatusChanged, iso, utcnow
from ...links import external_url
from ...uploads import send_upload
from ...vocabulary import ACTION_LABELS, NO_ASSIGNEE, RATING_QUESTIONS, STATUS_HELP, STATUS_LABELS, TRANSITIONS
from .. import track
from ..apply import contact_line
from ...forms.staff_work import RESULT_TITLES
from .extras import case_extras, discard_result, receive_result
from .base import (actor, followup_cutoff, page_number, paging, queue_filter, service_options, status_options,
                   store, guide_today, user_names, wake_mail, guide_zone, bp)

log = logging.getLogger(__name__)

@bp.get("/")
def queue():
    form = current_guide().extra_forms["queue"](formdata=request.args)
    form.validate()
    page = form.value("page") or 1
    sort = form.value("sort") or "submitted"
    descending = (form.value("order") or "desc") == "desc"
    rows, total = store().search_applications(queue_filter(form), sort=sort, descending=descending,
                                                  limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template("staff/queue.html", form=form, rows=rows, pages=paging(total, page), sort=sort,
                           service_options=service_options(),
                           status_options=[("open", "在办（未办结）"), *status_options()],
                           handler_options=[(n, n) for n in user_names()] + [(NO_ASSIGNEE, "未指定承办人")],
                           overdue_options=[("time", "超过办理时限"), ("nolimit", "办事指南未规定办理天数"),
                                            ("correction", "补正逾期未提交"),
                                            ("followup", f"超过 {current_app.config['GUIDE_FOLLOWUP_DAYS']} 天未联系")],
                           descending=descending, sorts=SORT_LABELS, today=guide_today().isoformat(),
                           cutoff=followup_cutoff(), errors=form.error_list(),
                           export_query=urlencode({k: v for k, v in request.args.items() if k != "page" and v}))


@bp.get("/followup")
def followup():
    f = QueueFilter(overdue="followup", followup_cutoff=followup_cutoff())
    page = page_number()
    rows, total = store().search_applications(f, sort="contact", descending=False, limit=PAGE_SIZE,
                                              offset=(page - 1) * PAGE_SIZE)
    return render_template("staff/followup.html", rows=rows, total=total, pages=paging(total, page),
                           days=current_app.config["GUIDE_FOLLOWUP_DAYS"], next_steps=store().next_steps(),
                           today=guide_today().isoformat())


def _case_or_404(ref: str):
    case = store().get_case(ref)
    if case is None:
        abort(404)
    return case


def _render_case(case, *, transition=None, contact=None, note=None, extras: dict | None = None, status: int = 200):
    storage = store()
    issue = storage.rating_issue(case.id)
    extras = extras or case_extras(case)
    return render_template(
        "staff/case.html", case=case, uploads=storage.uploads_of(case.id), contacts=storage.contacts_of(case.id),
        corrections=storage.corrections_of(case.id), ratings=storage.ratings_of(case.id), rating_issue=issue,
        next_statuses=[(s, ACTION_LABELS[s]) for s in ACTION_LABELS if s in TRANSITIONS[case.status]],
        transition=transition or TransitionForm(prefix="t", data={"expected": case.status}),
        contact=contact or ContactForm(prefix="c"), note=note or NoteForm(prefix="n"), note_required=NOTE_REQUIRED,
        rating_questions=RATING_QUESTIONS, today=guide_today().isoformat(),
        followup_days=current_app.config["GUIDE_FOLLOWUP_DAYS"],
        errors=[(f.name, f.errors[0]) for form in (transition, contact, note) if form for f in form if f.errors]
        + extras.pop("errors"), **extras,
    ), status


@bp.get("/applications/<ref>")
def case(ref: str):
    return _render_case(_case_or_404(ref))


@bp.get("/applications/<ref>/files/<token>")
def download(ref: str, token: str):
    case = _case_or_404(ref)
    for up in store().uploads_of(case.id):
        if up["token"] == token:
            log.info("file of %s downloaded by %s", ref, auth.current_user().name)
            return send_upload(current_app.config["UPLOAD_DIR"], up["stored_name"], up["original_name"],
                               up["kind"])
    abort(404)


def _due_on(case) -> str | None:
    """The due date of an accepted case, from the service's time limit (None if it has no days)."""
    service = current_guide().project.services.get(case.service_id)
    limit = service.time_limit if service else None
    if limit is None or limit.days is None:
        return None
    today = guide_today()
    if limit.working_days:
        return current_guide().calendar.get().add_workdays(today, limit.days).isoformat()
    return (today + dt.timedelta(days=limit.days)).isoformat()


def _next_cycle(db, application_id: int, _from_status: str, now: str) -> None:
    """Completing a periodic-inspection application made from a warning's link moves its
    equipment to the next cycle: inspected today, due a cycle later; its warnings start again."""
    today = guide_today()
    store().complete_equipment_cycle(db, application_id, last_date=today.isoformat(),
                                     next_due=lambda months: add_months(today, months).isoformat(), actor=actor(),
                                     now=now)


@bp.post("/applications/<ref>/status")
def transition(ref: str):
    case = _case_or_404(ref)
    form = TransitionForm(prefix="t")
    form.today = guide_today()
    if not form.validate():
        return _render_case(case, transition=form, status=400)
    to = form.to_status.data
    note = (form.note.data or "").strip() or None
    doc = None
    if to == "completed":
        doc, error = receive_result()
        if error:
            return _render_case(case, transition=form, extras=case_extras(case, file_error=error), status=400)
        if doc:
            title = request.form.get("d-title")
            doc["title"] = title if title in RESULT_TITLES else RESULT_TITLES[-1]
    guide = current_guide()
    service = guide.project.services.get(case.service_id)
    link = external_url("track.link", token=track.link_token(ref))
    track_url = external_url("track.index")
    correction = None
    if to == "needs_info":  # 一次性告知: every item with its reason, and the deadline
        correction = {"items": form.parsed_items, "due_on": form.due_on.data.isoformat()}
    mails = compose_status(site_title=guide.project.site.title, application=case, status_label=STATUS_LABELS[to],
                           status_help=STATUS_HELP[to], note=note if form.public.data else None, link_url=link,
                           track_url=track_url, contact=contact_line(guide.project, service),
                           rate=to == "completed", correction=correction)
    extra = f"请于{_chinese_date(form.due_on.data)}前在线补正。" if correction else ""
    mails += status_sms(current_app.config, ref=ref, phone=case.phone, status_label=STATUS_LABELS[to],
                        track_url=track_url, extra=extra)
    public_note, private_note = (note, None) if form.public.data else (None, note)
    try:
        # The step itself is always public (the tracking page shows the status); a note may not be.
        if correction:
            store().request_correction(ref, actor=actor(), items=correction["items"], due_on=correction["due_on"],
                                       note=public_note, expected=form.expected.data or None, mails=mails)
        else:
            store().set_status(ref, to, actor=actor(), note=public_note, private_note=private_note,
                               expected=form.expected.data or None, mails=mails,
                               due_on=_due_on(case) if to == "accepted" else None, archive_year=guide_today().year,
                               result=doc, also=_next_cycle if to == "completed" else None)
    except StatusChanged:
        discard_result(doc)
        flash("该申请的状态刚被其他人更改，请查看最新状态后再操作。", "warning")
        return _render_case(_case_or_404(ref), status=409)
    except BadTransition:
        discard_result(doc)
        log.warning("status change refused: %s -> %s by %s", case.status, to, auth.current_user().name)
        flash(f"当前状态为“{STATUS_LABELS[case.status]}”，不能改为“{STATUS_LABELS[to]}”。", "warning")
        return _render_case(case, status=409)
    log.info("application %s: %s -> %s by %s", ref, case.status, to, auth.current_user().name)
    wake_mail()
    flash(f"已{ACTION_LABELS[to]}，已通知申请人。" + (f"{doc['title']}已上传，申请人可在查询页下载。" if doc else ""),
          "info")
    return redirect(url_for(".case", ref=ref), 303)


def _chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@bp.post("/applications/<ref>/contacts")
def add_contact(ref: str):
    case = _case_or_404(ref)
    form = ContactForm(prefix="c")
    form.zone = guide_zone()
    if not form.validate():
        return _render_case(case, contact=form, status=400)
    moment = form.moment(guide_zone()) or utcnow()
    store().add_contact(ref, actor=actor(), channel=form.channel.data, at=iso(moment), note=form.note.data)
    flash("已记录本次联系。", "info")
    return redirect(url_for(".case", ref=ref) + "#contacts", 303)


@bp.post("/applications/<ref>/notes")
def add_note(ref: str):
    case = _case_or_404(ref)
    form = NoteForm(prefix="n")
    if not form.validate():
        return _render_case(case, note=form, status=400)
    store().add_note(ref, actor=actor(), note=form.note.data, public=bool(form.public.data))
    flash("已添加备注。", "info")
    return redirect(url_for(".case", ref=ref) + "#history", 303)


