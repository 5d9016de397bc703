"""Tracking: reference number + the phone number given → status and dated history.

A wrong pair and a missing reference get the same answer, by the same path (one query on
both columns), so the page cannot be used to find out which reference numbers exist. POSTs
are rate-limited per client (see security.LIMITS).

Two more ways in: the signed link of the status emails (``/track/link/<token>``, itsdangerous with
the app's secret and its own salt, valid ``GUIDE_TRACK_LINK_DAYS``), and 意见箱 references
(``YJ-...``), followed with the query code shown when the entry was made or the phone number
left with it. Seeing an application this way puts its reference in the session, which is what
lets the same browser rate it (``feedback.rate``).
"""
from __future__ import annotations

import hashlib

import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from .. import uploads
from ..addresses import duty_address
from ..context import current_guide
from ..links import external_url
from ..forms.corrections import correction_answer_form
from ..forms.applicant import MineForm, TrackForm, WithdrawForm
from ..forms.messages import ERROR_SUMMARY_TITLE
from ..forms.values import clean_ref, normalise, phone_key
from ..results import send_result
from ..settings import SUGGESTION_PREFIX
from ..mail import compose
from ..storage import BadTransition, CorrectionNotOpen, correction_field

log = logging.getLogger(__name__)

bp = Blueprint("track", __name__, url_prefix="/track")

MINE_NOT_FOUND = ("没有找到与该统一社会信用代码和联系电话相符的申请。请核对营业执照上的统一社会信用代码和申请时填写的"
                  "联系电话后重试；不同联系电话提交的申请需分别查询。")
NOT_FOUND = "没有找到与该申请编号和联系电话相符的申请。请核对申请编号（见受理回执或确认邮件）和申请时填写的联系电话后重试。"
LINK_EXPIRED = "该链接已失效或不完整。请输入申请编号和申请时填写的联系电话查询。"
TRACKED_KEY = "tracked"
MAX_TRACKED = 10
LINK_SALT = "track-link"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def link_token(ref: str) -> str:
    """The token of the signed link that shows this application (sent in the status emails)."""
    return _serializer().dumps(ref)


def read_link_token(token: str) -> str | None:
    max_age = int(current_app.config["GUIDE_TRACK_LINK_DAYS"]) * 86400
    try:
        ref = _serializer().loads(token, max_age=max_age)
    except BadSignature:  # also SignatureExpired
        return None
    return ref if isinstance(ref, str) else None


def remember(ref: str) -> None:
    kept = [r for r in session.get(TRACKED_KEY, []) if r != ref] + [ref]
    session[TRACKED_KEY] = kept[-MAX_TRACKED:]


def may_see(ref: str) -> bool:
    """Has this browser shown it knows the application (reference + phone, or the signed link)?"""
    return ref in session.get(TRACKED_KEY, [])


def code_hash(code: str) -> str:
    return hashlib.sha256(normalise(code).upper().replace(" ", "").encode()).hexdigest()


def application_context(record, correction_form=None, withdraw_form=None) -> dict:
    """What the tracking page shows beside an application: an open 补正 request with its answer
    form, its rating and what came of it."""
    storage = current_guide().storage
    ratings = storage.ratings_of(record.id)
    current = ratings[0] if ratings and ratings[0].current else None
    issue = storage.rating_issue(record.id) if current else None
    correction = storage.open_correction(record.id)
    if correction is not None and correction_form is None:
        correction_form = correction_answer_form(correction.items)()
    return {"application": record, "rating": current, "results": storage.results_of(record.id),
            "correction": correction,
            "withdraw_form": withdraw_form or (WithdrawForm() if record.status == "submitted" else None),
            "correction_form": correction_form, "today": _today_iso(),
            "rating_outcome": issue.outcome if issue and issue.status == "closed" else None}


def _today_iso() -> str:
    from ..workdays import local_today
    return local_today(current_app.config["GUIDE_TIMEZONE"]).isoformat()


def _page(form, **extra):
    values = {"form": form, "errors": [], "summary_title": ERROR_SUMMARY_TITLE, "not_found": False,
              "application": None, "suggestion": None, "not_found_text": NOT_FOUND}
    values.update(extra)
    return render_template("track/index.html", **values)


@bp.get("")
def index():
    form = TrackForm(data={"ref": clean_ref(request.args.get("ref", ""))[:30]} if request.args.get("ref") else None)
    return _page(form)


@bp.post("")
def lookup():
    form = TrackForm()
    found: dict = {}
    not_found = False
    if form.validate():
        ref = clean_ref(form.ref.data)
        key = phone_key(form.phone.data)
        storage = current_guide().storage
        if ref.startswith(SUGGESTION_PREFIX + "-"):
            suggestion = storage.find_suggestion_for_tracking(ref, phone_norm=key, code_hash=code_hash(form.phone.data))
            if suggestion is not None:
                found = {"suggestion": suggestion}
        elif key is not None:
            application = storage.find_for_tracking(ref, key)
            if application is not None:
                remember(application.ref)
                found = application_context(application)
        not_found = not found
    errors = [(name, form[name].errors[0]) for name in ("ref", "phone") if form[name].errors]
    return _page(form, errors=errors, not_found=not_found, **found)


@bp.get("/link/<token>")
def link(token: str):
    ref = read_link_token(token)
    application = current_guide().storage.public_record(ref) if ref else None
    if application is None:
        return _page(TrackForm(), not_found=True, not_found_text=LINK_EXPIRED), 404
    remember(application.ref)
    return _page(TrackForm(data={"ref": application.ref}), **application_context(application))


@bp.get("/results/<ref>/<token>")
def result(ref: str, token: str):
    """A result document of an application this browser has tracked (reference + phone, or the
    signed link); downloaded under "<ref>-<title>.<detected type>", never shown inline."""
    if not may_see(ref):
        abort(404)
    return send_result(ref, token)


@bp.get("/case/<ref>")
def case(ref: str):
    """An application this browser has already tracked (reference + phone, or the signed link)."""
    ref = clean_ref(ref)[:30]
    application = current_guide().storage.public_record(ref) if may_see(ref) else None
    if application is None:
        return _page(TrackForm(), not_found=True), 404
    return _page(TrackForm(data={"ref": application.ref}), **application_context(application))


@bp.post("/case/<ref>/correction/<int:correction_id>")
def correction(ref: str, correction_id: int):
    """The applicant's 补正: a file and/or a note per listed item, on the same reference number."""
    guide = current_guide()
    ref = clean_ref(ref)[:30]
    application = guide.storage.public_record(ref) if may_see(ref) else None
    if application is None:
        abort(404)
    open_one = guide.storage.open_correction(application.id)
    if open_one is None or open_one.id != correction_id:
        flash("该补正已经提交，或申请状态已经变化，请查看最新的办理进度。", "warning")
        return redirect(url_for(".case", ref=ref), 303)
    form = correction_answer_form(open_one.items)()
    valid = form.validate()
    received = form.received_files()
    folder = current_app.config["UPLOAD_DIR"]
    if not valid:
        uploads.discard(folder, [r.stored_name for r in received])
        context = application_context(application, correction_form=form)
        return _page(TrackForm(data={"ref": ref}), errors=form.error_list(), **context), 400
    for i in range(len(open_one.items)):  # the uploads' field ids say which request and item they answer
        got = getattr(form.file_field(i), "received", None)
        if got is not None:
            got.field_id = correction_field(open_one.id, i)
    service = guide.project.services.get(application.service_id)
    duty = duty_address(current_app.config, guide.project)
    staff_to = compose.staff_address(guide.project, service, duty) if service else duty
    case_url = external_url("staff.case", ref=ref)
    mails = compose.compose_correction_answered(application=application, items=open_one.items, answers=form.answers(),
                                             files=received, staff_to=staff_to, case_url=case_url)
    try:
        guide.storage.answer_correction(ref, open_one.id, answers=form.answers(), new_files=received, mails=mails)
    except CorrectionNotOpen:
        uploads.discard(folder, [r.stored_name for r in received])
        flash("该补正已经提交，或申请状态已经变化，请查看最新的办理进度。", "warning")
        return redirect(url_for(".case", ref=ref), 303)
    log.info("application %s: 补正 %s answered online", ref, open_one.id)
    if current_app.config["GUIDE_MAIL_WORKER"]:
        guide.background.wake()
    flash("补正材料已提交，申请已回到工作人员的办理队列。办理进度会通过邮件和本页告知您。", "info")
    return redirect(url_for(".case", ref=ref), 303)


@bp.route("/mine", methods=["GET", "POST"])
def mine():
    """我的办件: the enterprise's applications, by 统一社会信用代码 + the phone number given with them.

    A wrong pair and an unknown code get the same answer, as on the tracking page.
    """
    form = MineForm()
    applications, not_found = [], False
    if request.method == "POST" and form.validate():
        key = phone_key(form.phone.data)
        applications = current_guide().storage.applications_of(form.uscc.data, key) if key else []
        for record in applications[:MAX_TRACKED]:
            remember(record.ref)  # their pages open from the list
        not_found = not applications
    errors = [(name, form[name].errors[0]) for name in ("uscc", "phone") if form[name].errors]
    return render_template("track/mine.html", form=form, errors=errors, applications=applications,
                           not_found=not_found, not_found_text=MINE_NOT_FOUND, summary_title=ERROR_SUMMARY_TITLE,
                           openable=set(session.get(TRACKED_KEY, []))), 400 if errors else 200


@bp.post("/case/<ref>/withdraw")
def withdraw(ref: str):
    """撤回 before acceptance, with a reason; staff are told, the case closes."""
    guide = current_guide()
    ref = clean_ref(ref)[:30]
    application = guide.storage.public_record(ref) if may_see(ref) else None
    if application is None:
        abort(404)
    form = WithdrawForm()
    if not form.validate():
        context = application_context(application, withdraw_form=form)
        errors = [("reason", form.reason.errors[0])]
        return _page(TrackForm(data={"ref": ref}), errors=errors, **context), 400
    service = guide.project.services.get(application.service_id)
    duty = duty_address(current_app.config, guide.project)
    staff_to = compose.staff_address(guide.project, service, duty) if service else duty
    mails = compose.compose_withdrawn(site_title=guide.project.site.title, application=application,
                                      reason=form.reason.data, staff_to=staff_to)
    try:
        guide.storage.withdraw(ref, reason=form.reason.data, mails=mails)
    except BadTransition:
        flash("该申请已被受理或状态已经变化，不能在线撤回。如需撤回，请联系工作人员。", "warning")
        return redirect(url_for(".case", ref=ref), 303)
    log.info("application %s withdrawn by the applicant", ref)
    if current_app.config["GUIDE_MAIL_WORKER"]:
        guide.background.wake()
    flash("申请已撤回，本申请不再办理。", "info")
    return redirect(url_for(".case", ref=ref), 303)
