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

from flask import Blueprint, abort, current_app, render_template, request, session
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..context import current_guide
from ..forms.applicant import TrackForm
from ..forms.messages import ERROR_SUMMARY_TITLE
from ..forms.values import clean_ref, normalise, phone_key
from ..results import send_result
from ..settings import SUGGESTION_PREFIX

bp = Blueprint("track", __name__, url_prefix="/track")

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


def application_context(record) -> dict:
    """What the tracking page shows beside an application: its rating and what came of it."""
    storage = current_guide().storage
    ratings = storage.ratings_of(record.id)
    current = ratings[0] if ratings and ratings[0].current else None
    issue = storage.rating_issue(record.id) if current else None
    return {"application": record, "rating": current, "results": storage.results_of(record.id),
            "rating_outcome": issue.outcome if issue and issue.status == "closed" else None}


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
