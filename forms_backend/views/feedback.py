"""Feedback from enterprises: page usefulness, the 五级好差评 rating, and the 意见箱.

Page feedback works without JavaScript: the guide's 是/否 links open ``/feedback/page``, a small
form that records the vote (and the optional text) when sent. ``feedback.js`` on the guide's
pages does the same in place: it fetches a CSRF token from ``/feedback/csrf``, POSTs the vote
as JSON (same origin, with the session cookie), then the optional text to
``/feedback/page/<id>``. A browser's vote for a page is remembered in its session, so clicking
again changes that vote instead of adding one; only that browser may add its text.

A rating is tied to a completed application the browser has shown it knows (tracking page or
the signed link in the email); a new rating replaces the current one, which is kept. A rating
of 不满意 or 非常不满意, and every 意见箱 entry, opens a follow-up item with its deadlines in
working days (``GUIDE_FIRST_CONTACT_DAYS``, ``GUIDE_RECTIFY_DAYS``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from zoneinfo import ZoneInfo

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session,
                   url_for)
from flask_wtf.csrf import generate_csrf
from site_builder.content.contacts import supervision_channels

from ..addresses import duty_address, is_address
from ..context import current_guide
from ..forms.feedback import (PERSONAL_DATA_WARNING, BadPagePath, CommentForm, PageFeedbackForm, RatingForm,
                              clean_page_path)
from ..forms.messages import ERROR_SUMMARY_TITLE
from ..forms.values import clean_ref
from ..links import external_url
from ..mail.compose import KIND_WORDS, compose_alert
from ..mail.sms import sms
from ..settings import SUGGESTION_PREFIX
from ..storage import BadTransition, random_code
from ..vocabulary import BAD_SCORE, SCORE_LABELS
from ..workdays import local_today
from . import track

log = logging.getLogger(__name__)

bp = Blueprint("feedback", __name__, url_prefix="/feedback")

VOTES_KEY = "fb_votes"   # short hash of the page -> vote id, for this browser's recent votes
MAX_VOTES = 20
DONE_KEY = "suggestion_done"
CODE_CHARS = 6


def deadlines(contactable: bool) -> dict:
    """Due dates (local) of a new follow-up item: first contact (if we can contact) and rectification."""
    cfg = current_app.config
    calendar = current_guide().calendar.get()
    today = local_today(cfg["GUIDE_TIMEZONE"])
    return {
        "first_contact_due": calendar.add_workdays(today, cfg["GUIDE_FIRST_CONTACT_DAYS"]).isoformat()
        if contactable else None,
        "rectify_due": calendar.add_workdays(today, cfg["GUIDE_RECTIFY_DAYS"]).isoformat(),
    }


def alert_composer(*, kind: str, case_ref: str | None, service_name: str | None, text: str, deadlines: dict):
    """The ``alert`` callback that storage calls inside its transaction, once the item exists.

    A 投诉 or a bad rating alerts staff at once: the owner of the item (or the 承办人 of its
    case) when that account has an address, else the duty address; and, with SMS configured
    and ``GUIDE_DUTY_PHONE`` set, one short SMS to the duty mobile.
    """
    guide = current_guide()
    config = current_app.config
    duty = duty_address(config, guide.project)

    def compose(issue_id: int, ref: str | None, owner: str | None, owner_email: str | None) -> list[dict]:
        first = deadlines.get("first_contact_due")
        return compose_alert(site_title=guide.project.site.title, kind=kind, issue_id=issue_id, ref=ref,
                             case_ref=case_ref, service_name=service_name, text=text, deadlines=deadlines,
                             owner=owner, to=owner_email if is_address(owner_email) else duty,
                             url=external_url("staff.issue", issue_id=issue_id)) + \
            sms(config, kind="staff_alert_sms", phone=config.get("GUIDE_DUTY_PHONE"),
                text=f"新{KIND_WORDS[kind]}：第{issue_id}号跟进事项" + (f"，{first}前须首次联系" if first else "") +
                "，请登录工作台处理")
    return compose


# ---------------------------------------------------------------- page feedback

def _page_key(page: str) -> str:
    return hashlib.sha256(page.encode()).hexdigest()[:10]


def _json_error(status: int, errors: dict | None = None):
    return jsonify(ok=False, errors=errors or {}), status


@bp.get("/csrf")
def csrf():
    response = jsonify(token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/page")
def page_form():
    try:
        page = clean_page_path(request.args.get("page"))
    except BadPagePath:
        abort(400)
    helpful = request.args.get("helpful")
    form = PageFeedbackForm(data={"page": page, "helpful": helpful if helpful in ("yes", "no") else None})
    return render_template("feedback/page.html", form=form, page=page, errors=[], summary_title=ERROR_SUMMARY_TITLE,
                           warning=PERSONAL_DATA_WARNING)


@bp.post("/page")
def page_vote():
    form = PageFeedbackForm()
    as_json = request.is_json
    try:
        page = form.page_path()
    except BadPagePath:
        log.info("page feedback refused: the page is not a path of the guide")
        return _json_error(400, {"page": "invalid"}) if as_json else abort(400)
    if form.tripped_honeypot():
        log.info("honeypot field filled on %s; request refused", request.path)
        abort(400)
    if not form.validate():
        if as_json:
            return _json_error(400, {name: text for name, text in form.error_list()})
        return render_template("feedback/page.html", form=form, page=page, errors=form.error_list(),
                               summary_title=ERROR_SUMMARY_TITLE, warning=PERSONAL_DATA_WARNING)
    storage = current_guide().storage
    helpful = form.helpful.data == "yes"
    comment = form.comment.data or None
    votes = dict(session.get(VOTES_KEY) or {})
    key = _page_key(page)
    vote_id = votes.get(key)
    if vote_id and storage.page_vote(vote_id) is not None:
        storage.update_page_vote(vote_id, helpful=helpful, comment=comment)  # a second click changes the vote
    else:
        vote_id = storage.add_page_vote(page, helpful, comment)
    votes.pop(key, None)
    votes[key] = vote_id
    session[VOTES_KEY] = dict(list(votes.items())[-MAX_VOTES:])
    if as_json:
        return jsonify(ok=True, vote=vote_id)
    return render_template("feedback/page_thanks.html", page=page, helpful=helpful)


@bp.post("/page/<int:vote_id>")
def page_comment(vote_id: int):
    if vote_id not in (session.get(VOTES_KEY) or {}).values():
        return _json_error(404)
    form = CommentForm()
    if not form.validate():
        return _json_error(400, {"comment": form.comment.errors[0]})
    current_guide().storage.update_page_vote(vote_id, comment=form.comment.data)
    return jsonify(ok=True)


# ---------------------------------------------------------------- 五级好差评

def _rateable(ref: str):
    """The application behind a rating page, or the response that says why it cannot be rated."""
    if not track.may_see(ref):
        flash("请先输入申请编号和申请时填写的联系电话，查询到申请后即可评价。", "warning")
        return None, redirect(url_for("track.index", ref=ref), 303)
    application = current_guide().storage.get_application(ref)
    if application is None:
        abort(404)
    if application.status != "completed":
        return None, (render_template("feedback/rate_unavailable.html", application=application), 409)
    return application, None


@bp.route("/rate/<ref>", methods=["GET", "POST"])
def rate(ref: str):
    ref = clean_ref(ref)
    application, refused = _rateable(ref)
    if refused is not None:
        return refused
    storage = current_guide().storage
    ratings = storage.ratings_of(application.id)
    current = ratings[0] if ratings and ratings[0].current else None
    if request.method == "POST":
        form = RatingForm()
        if form.validate():
            values = form.values()
            bad = values["score"] <= BAD_SCORE
            summary = f"评价：{SCORE_LABELS[values['score']]}" + (f"。意见：{values['comment']}" if values["comment"] else "")
            due = deadlines(contactable=True) if bad else None
            alert = alert_composer(kind="rating", case_ref=ref, service_name=application.service_name, text=summary,
                                    deadlines=due) if bad else None
            try:
                storage.save_rating(ref, score=values["score"], answers=values["answers"], comment=values["comment"],
                                    open_issue=due, summary=summary, alert=alert)
            except BadTransition:
                abort(409)
            log.info("rating stored for an application of %s (score %s)", application.service_id, values["score"])
            return redirect(url_for(".rated", ref=ref), 303)
    else:
        form = RatingForm(data=RatingForm.initial(current)) if current else RatingForm()
    return render_template("feedback/rate.html", form=form, application=application, current=current,
                           errors=form.error_list(), summary_title=ERROR_SUMMARY_TITLE,
                           bad_score=BAD_SCORE)


@bp.get("/rate/<ref>/thanks")
def rated(ref: str):
    ref = clean_ref(ref)
    if not track.may_see(ref):
        abort(404)
    application = current_guide().storage.get_application(ref)
    if application is None:
        abort(404)
    ratings = current_guide().storage.ratings_of(application.id)
    if not ratings:
        return redirect(url_for(".rate", ref=ref), 303)
    return render_template("feedback/rated.html", application=application, rating=ratings[0],
                           bad=ratings[0].score <= BAD_SCORE, labels=SCORE_LABELS)


# ---------------------------------------------------------------- 意见箱

@bp.route("/suggest", methods=["GET", "POST"])
def suggest():
    guide = current_guide()
    form_class = guide.extra_forms["suggestion"]
    form = form_class()
    if request.method == "POST":
        valid = form.validate()
        if form.tripped_honeypot():
            log.info("honeypot field filled on %s; request refused", request.path)
            abort(400)
        if valid:
            record = form.record(guide.project.services)
            code = random_code(CODE_CHARS)
            now = dt.datetime.now(ZoneInfo(current_app.config["GUIDE_TIMEZONE"]))
            due = deadlines(contactable=bool(record["phone"] or record["email"]))
            alert = alert_composer(kind="complaint", case_ref=record["related_ref"], service_name=record["service_name"],
                                    text=record["body"], deadlines=due) if record["kind"] == "complaint" else None
            ref = guide.storage.add_suggestion(
                record, ref_prefix=SUGGESTION_PREFIX, yymm=now.strftime("%y%m"), code_hash=track.code_hash(code),
                issue=due, alert=alert)
            log.info("意见箱 entry %s stored (%s)", ref, record["kind"])
            session[DONE_KEY] = {"ref": ref, "code": code, "kind": record["kind"],
                                 "contactable": bool(record["phone"] or record["email"])}
            return redirect(url_for(".suggested"), 303)
    services = list(guide.project.services.values())
    return render_template("feedback/suggest.html", form=form, errors=form.error_list(),
                           summary_title=ERROR_SUMMARY_TITLE, services=services,
                           supervision=supervision_channels(guide.project.site))


@bp.get("/suggest/done")
def suggested():
    done = session.get(DONE_KEY)
    if not isinstance(done, dict) or "ref" not in done:
        return redirect(url_for(".suggest"), 303)
    return render_template("feedback/suggested.html", done=done)
