"""Applications: form → check your answers → submit → confirmation with a reference number.

Works without JavaScript. Answers live server-side in a draft (``drafts`` table) whose random
token sits in the session; uploaded files are saved as soon as they pass their checks, so a
form returned with errors does not ask for them again. The check-answers page carries the
draft's one-time submission token: a double click or a replayed POST finds the draft already
submitted and shows the same confirmation.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets
import shutil
from zoneinfo import ZoneInfo

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request, session,
                   url_for)
from itsdangerous import BadSignature, URLSafeTimedSerializer
from site_builder.content.contacts import known
from werkzeug.datastructures import MultiDict

from .. import uploads
from ..context import current_guide
from ..qr import qr_svg
from ..forms.applicant import ConfirmForm, DraftEmailForm, ResumeForm
from ..forms.messages import ERROR_SUMMARY_TITLE
from ..forms.values import clean_ref, phone_key
from ..addresses import duty_address
from ..links import external_url, read_equipment_apply_token
from ..security import client_key
from ..mail.compose import compose_application, compose_draft_link, per_recipient_limit, staff_address
from ..mail.sms import ack_sms
from ..storage import DraftNotFound, StaleSubmission
from ..vocabulary import EQUIPMENT_KIND_LABELS
from .static_site import service_page

log = logging.getLogger(__name__)

bp = Blueprint("apply", __name__, url_prefix="/apply")

MAX_REFS_IN_SESSION = 10
DRAFT_PREFIX = "CG"           # draft codes: CG-2611-7K3Q9 (草稿)
RESUME_SALT = "draft-resume"
MAX_TYPED_CHARS = 10000       # what a draft keeps of one typed value
RESUME_NOT_FOUND = "没有找到与该草稿编号和联系电话相符的草稿。草稿可能已提交或已超过保存期限，请核对后重试。"
RESUME_LINK_EXPIRED = "该链接已失效或不完整：草稿可能已提交或已超过保存期限。也可以输入草稿编号和联系电话查找。"


def _service_and_form(service_id: str):
    guide = current_guide()
    form_class = guide.forms.get(service_id)
    if form_class is None:
        renamed = guide.project.redirect_target("service", service_id)
        if renamed and renamed in guide.forms:
            # `guide rename` recorded it: the old address leads to the new form (308 keeps a POST).
            new_path = request.path.replace(f"/apply/{service_id}", f"/apply/{renamed}", 1)
            abort(redirect(new_path, 301 if request.method in ("GET", "HEAD") else 308))
        abort(404)
    return guide.project.services[service_id], form_class


def _draft_token(service_id: str) -> str | None:
    return (session.get("drafts") or {}).get(service_id)


def _remember_draft(service_id: str, token: str) -> None:
    drafts = dict(session.get("drafts") or {})
    previous = drafts.get(service_id)
    if previous and previous != token:
        # A new application replaces a submitted one: keep the way back to its confirmation.
        _remember_refs(current_guide().storage.refs_of_drafts([previous]))
    drafts[service_id] = token
    session["drafts"] = drafts
    session.permanent = True  # survives closing the browser, for GUIDE_DRAFT_DAYS


def _remember_refs(refs) -> None:
    if refs:
        kept = [r for r in session.get("refs", []) if r not in refs] + sorted(refs)
        session["refs"] = kept[-MAX_REFS_IN_SESSION:]


def _open_draft(service_id: str):
    """This session's unsubmitted draft for the service, or None."""
    token = _draft_token(service_id)
    if not token:
        return None
    draft = current_guide().storage.get_draft(token)
    if draft is None or draft.application_id is not None or draft.service_id != service_id:
        return None
    return draft


def upload_budget(key: str) -> uploads.Budget | None:
    """What unsubmitted uploads may still take in this request: the least of what is left of the
    caps per session, per client address and in total, and of the free disk space above the
    reserve (None when the request carries no file: nothing to count)."""
    if not any(f.filename for f in request.files.values()):
        return None
    cfg = current_app.config
    mb = 1024 * 1024
    mine, theirs, everyone = current_guide().storage.pending_upload_bytes(
        list((session.get("drafts") or {}).values()), key)
    folder = cfg["UPLOAD_DIR"] if cfg["UPLOAD_DIR"].is_dir() else cfg["GUIDE_DATA_DIR"]
    free = shutil.disk_usage(folder).free - int(cfg["GUIDE_MIN_FREE_MB"] * mb)
    if free <= 0:
        log.warning("uploads refused: less than GUIDE_MIN_FREE_MB=%s MB free in %s", cfg["GUIDE_MIN_FREE_MB"], folder)
    left = min(int(cfg["GUIDE_UPLOAD_SESSION_MB"] * mb) - mine, int(cfg["GUIDE_UPLOAD_ADDRESS_MB"] * mb) - theirs,
               int(cfg["GUIDE_UPLOAD_TOTAL_MB"] * mb) - everyone, free)
    return uploads.Budget(max(left, 0))


@bp.get("/")
def index():
    guide = current_guide()
    services = [guide.project.services[sid] for sid in guide.forms]
    return render_template("apply/index.html", services=services)


# ---------------------------------------------------------------- pre-filled from a warning's link

def prefill_answers(form_class, equipment: dict) -> dict[str, list[str]]:
    """What a periodic-inspection form can take from an equipment record, as if typed: the
    enterprise, its safety manager as the contact, and the service's own questions that name the
    equipment (category, quantity, due date, instrument name, model, serial number) when it has them."""
    e = equipment
    wanted = {"org_name": e["org_name"], "uscc": e["uscc"], "contact_name": e["manager_name"],
              "phone": e["manager_phone"], "email": e["manager_email"],
              "f_equipment_category": EQUIPMENT_KIND_LABELS[e["kind"]], "f_quantity": "1",
              "f_inspection_due_date": e["due_date"], "f_instrument_name": e["name"], "f_model_spec": e["model"],
              "f_serial_number": e["device_code"]}
    typed = {}
    for q in form_class.questions:
        value = wanted.get(q.name)
        if not value or q.type == "file":
            continue
        if q.options:
            labels = {label: key for key, label in q.options}
            value = labels.get(value) or ("其他" if "其他" in labels and q.name == "f_equipment_category" else None)
            if value is None:
                continue
        typed[q.name] = [value]
    return typed


def _prefill_from_warning(service_id: str, form_class, token: str):
    """A warning's link: start (or refill) this browser's draft with the equipment it is about."""
    storage = current_guide().storage
    found = read_equipment_apply_token(token)
    rec = storage.get_equipment(found[0]) if found else None
    if rec is None or rec["cycle"] != found[1] or rec["state"] != "in_use":
        flash("该预警链接已失效（设备可能已进入新的检验周期或已停用），请直接填写申请。", "warning")
        return redirect(url_for(".form", service_id=service_id), 303)
    typed = prefill_answers(form_class, rec)
    draft = _open_draft(service_id)
    draft_token = draft.token if draft else secrets.token_urlsafe(24)
    storage.save_draft(draft_token, service_id, answers=None, typed=typed,
                       phone_norm=phone_key((typed.get("phone") or [""])[0]), client_key=client_key())
    storage.attach_equipment(draft_token, rec["id"])
    _remember_draft(service_id, draft_token)
    flash(f"已预填贵单位和设备 {rec['device_code']} 的信息，请核对并补充其余内容后提交。", "info")
    return redirect(url_for(".form", service_id=service_id), 303)


@bp.route("/<service_id>", methods=["GET", "POST"])
def form(service_id: str):
    service, form_class = _service_and_form(service_id)
    if request.method == "GET" and request.args.get("equipment"):
        return _prefill_from_warning(service_id, form_class, request.args["equipment"][:500])
    storage = current_guide().storage
    draft = _open_draft(service_id)
    existing = draft.files if draft else {}
    if request.method == "POST":
        key = client_key()
        form = form_class(existing_files=existing, upload_budget=upload_budget(key))
        valid = form.validate()
        received = form.received_files()
        if form.tripped_honeypot():
            uploads.discard(current_app.config["UPLOAD_DIR"], [r.stored_name for r in received])
            log.info("honeypot field filled on %s; request refused", request.path)
            abort(400)
        token = draft.token if draft else secrets.token_urlsafe(24)
        # Every POST is saved, valid or not: what was typed comes back after any navigation.
        typed = _typed(form_class)
        phone = phone_key((typed.get("phone") or [""])[0])
        answers = form.answers() if valid else None
        try:
            draft = storage.save_draft(token, service_id, answers=answers, new_files=received, typed=typed,
                                       phone_norm=phone, client_key=key)
        except DraftNotFound:
            # Submitted in another tab meanwhile: start a new draft for this new answer set.
            token = secrets.token_urlsafe(24)
            draft = storage.save_draft(token, service_id, answers=answers, new_files=received, typed=typed,
                                       phone_norm=phone, client_key=key)
        _remember_draft(service_id, token)
        form.existing_files = draft.files
        if request.form.get("action") == "save":
            return redirect(url_for(".saved", service_id=service_id), 303)
        if valid:
            return redirect(url_for(".check", service_id=service_id), 303)
        return render_template("apply/form.html", service=service, form=form, errors=form.error_list(),
                               summary_title=ERROR_SUMMARY_TITLE, focus=None, back=_back(service_id))
    if draft and draft.typed:
        form = form_class(formdata=MultiDict([(k, v) for k, values in draft.typed.items() for v in values]),
                          existing_files=existing)
    elif draft and draft.answers:
        form = form_class(data=form_class.initial_data(draft.answers), existing_files=existing)
    else:
        form = form_class(existing_files=existing)
    focus = request.args.get("change")
    if focus not in {q.name for q in form_class.questions}:
        focus = None
    return render_template("apply/form.html", service=service, form=form, errors=[], focus=focus,
                           summary_title=ERROR_SUMMARY_TITLE, back=_back(service_id))


def _typed(form_class) -> dict[str, list[str]]:
    """What the applicant typed into each question (files apart), as the browser sent it."""
    out = {}
    for q in form_class.questions:
        if q.type != "file" and q.name in request.form:
            out[q.name] = [v[:MAX_TYPED_CHARS] for v in request.form.getlist(q.name)[:50]]
    return out


def _resume_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESUME_SALT)


def _draft_days() -> int:
    return int(current_app.config["GUIDE_DRAFT_DAYS"])


@bp.route("/<service_id>/saved", methods=["GET", "POST"])
def saved(service_id: str):
    """After 保存草稿: how to come back (a link, by email; or the draft code + phone)."""
    service, _ = _service_and_form(service_id)
    draft = _open_draft(service_id)
    if draft is None:
        return redirect(url_for(".form", service_id=service_id), 303)
    guide = current_guide()
    zone = ZoneInfo(current_app.config["GUIDE_TIMEZONE"])
    now = dt.datetime.now(zone)
    code = guide.storage.draft_resume_ref(draft.token, DRAFT_PREFIX, now.strftime("%y%m"))
    link = external_url("apply.resume_link", token=_resume_serializer().dumps(draft.token))
    typed = draft.typed or {}
    has_phone = phone_key((typed.get("phone") or [""])[0]) is not None
    until = (now + dt.timedelta(days=_draft_days())).date()
    form = DraftEmailForm(data={"email": (typed.get("email") or [""])[0]} if request.method == "GET" else None)
    status = 200
    if request.method == "POST":
        if form.validate():
            guide.storage.queue_notices(per_recipient_limit(compose_draft_link(
                site_title=guide.project.site.title, service=service, to=form.email.data, link=link, code=code,
                until=f"{until.year}年{until.month}月{until.day}日", has_phone=has_phone),
                current_app.config["GUIDE_MAIL_PER_RECIPIENT_DAY"], ("draft_link",)))
            if current_app.config["GUIDE_MAIL_WORKER"]:
                guide.background.wake()
            flash(f"继续填写的链接已发往 {form.email.data}。", "info")
            return redirect(url_for(".saved", service_id=service_id), 303)
        status = 400
    return render_template("apply/saved.html", service=service, code=code, link=link, has_phone=has_phone,
                           until=until, days=_draft_days(), form=form, summary_title=ERROR_SUMMARY_TITLE,
                           errors=[(f.name, f.errors[0]) for f in form if f.errors]), status


@bp.get("/resume/<token>")
def resume_link(token: str):
    """The link of 保存草稿: opens the draft in this browser."""
    try:
        draft_token = _resume_serializer().loads(token, max_age=_draft_days() * 86400)
    except BadSignature:
        draft_token = None
    draft = current_guide().storage.get_draft(draft_token) if isinstance(draft_token, str) else None
    if draft is None or draft.application_id is not None or draft.service_id not in current_guide().forms:
        form = ResumeForm()
        return render_template("apply/resume.html", form=form, errors=[], not_found=True,
                               not_found_text=RESUME_LINK_EXPIRED, summary_title=ERROR_SUMMARY_TITLE), 404
    _remember_draft(draft.service_id, draft.token)
    flash("已打开您保存的草稿，请继续填写。", "info")
    return redirect(url_for(".form", service_id=draft.service_id), 303)


@bp.route("/resume", methods=["GET", "POST"])
def resume():
    """Draft code + the phone number typed in the draft → the draft, in this browser."""
    form = ResumeForm()
    not_found = False
    if request.method == "POST" and form.validate():
        key = phone_key(form.phone.data)
        draft = current_guide().storage.find_draft_to_resume(clean_ref(form.code.data), key) if key else None
        if draft is not None and draft.service_id in current_guide().forms:
            _remember_draft(draft.service_id, draft.token)
            flash("已打开您保存的草稿，请继续填写。", "info")
            return redirect(url_for(".form", service_id=draft.service_id), 303)
        not_found = True
    errors = [(f.name, f.errors[0]) for f in form if f.errors]
    return render_template("apply/resume.html", form=form, errors=errors, not_found=not_found,
                           not_found_text=RESUME_NOT_FOUND, summary_title=ERROR_SUMMARY_TITLE), \
        400 if errors or not_found else 200


def _back(service_id: str) -> str | None:
    return service_page(current_app.config["GUIDE_SITE_DIR"], service_id)


@bp.get("/<service_id>/check")
def check(service_id: str):
    service, form_class = _service_and_form(service_id)
    draft = _open_draft(service_id)
    if draft is None or draft.answers is None:
        token = _draft_token(service_id)
        submitted = current_guide().storage.get_draft(token) if token else None
        if submitted is not None and submitted.ref:
            return redirect(url_for(".done", ref=submitted.ref), 303)
        return redirect(url_for(".form", service_id=service_id), 303)
    rows = form_class.summary(draft.answers, draft.files)
    confirm = ConfirmForm(data={"submission": draft.submit_token})
    return render_template("apply/check.html", service=service, rows=rows, form=confirm)


@bp.post("/<service_id>/submit")
def confirm(service_id: str):
    service, form_class = _service_and_form(service_id)
    guide = current_guide()
    submission = request.form.get("submission", "")  # the check page's ConfirmForm; no rule to apply
    token = _draft_token(service_id)
    if not token or not submission:
        flash("申请已过期，请重新填写。", "warning")
        return redirect(url_for(".form", service_id=service_id), 303)
    draft = guide.storage.get_draft(token)
    if draft is None:
        flash("申请已过期，请重新填写。", "warning")
        return redirect(url_for(".form", service_id=service_id), 303)
    if draft.ref:
        return _done_redirect(draft.ref)
    if draft.answers is None:
        return redirect(url_for(".form", service_id=service_id), 303)
    summary = form_class.summary(draft.answers, draft.files)
    record = build_record(service, draft, summary)
    zone = ZoneInfo(current_app.config["GUIDE_TIMEZONE"])
    now = dt.datetime.now(zone)
    track_url = external_url("track.index")
    project = guide.project
    staff_to = staff_address(project, service, duty_address(current_app.config, project))

    def compose(ref: str) -> list[dict]:
        messages = compose_application(site_title=project.site.title, service=service, ref=ref,
                                       submitted=now.strftime("%Y-%m-%d %H:%M"), record=record, summary=summary,
                                       staff_to=staff_to, track_url=track_url,
                                       contact=contact_line(project, service)) + \
            ack_sms(current_app.config, ref=ref, phone=record["phone"], track_url=track_url)
        return per_recipient_limit(messages, current_app.config["GUIDE_MAIL_PER_RECIPIENT_DAY"],
                                   ("applicant_ack", "applicant_ack_sms"))

    try:
        result = guide.storage.submit(token, submission, record=record,
                                      ref_prefix=current_app.config["GUIDE_REF_PREFIX"],
                                      yymm=now.strftime("%y%m"), compose_mail=compose)
    except StaleSubmission:
        flash("您的回答在核对后有过修改，请再次核对后提交。", "warning")
        return redirect(url_for(".check", service_id=service_id), 303)
    except DraftNotFound:
        flash("申请已过期，请重新填写。", "warning")
        return redirect(url_for(".form", service_id=service_id), 303)
    if result.created:
        log.info("application %s submitted for %s", result.ref, service_id)
        if current_app.config["GUIDE_MAIL_WORKER"]:
            guide.background.wake()
    return _done_redirect(result.ref)


def _done_redirect(ref: str):
    # The session is not written here: the draft token it already holds proves the right to
    # see this confirmation (see done()), which keeps the submit request cheap.
    return redirect(url_for(".done", ref=ref), 303)


@bp.get("/done/<ref>")
def done(ref: str):
    guide = current_guide()
    if ref not in session.get("refs", []) and \
            ref not in guide.storage.refs_of_drafts(list((session.get("drafts") or {}).values())):
        abort(404)
    application = guide.storage.get_application(ref)
    if application is None:
        abort(404)
    service = guide.project.services.get(application.service_id)
    track_url = external_url("track.index", ref=application.ref)
    return render_template("apply/done.html", application=application, service=service, track_url=track_url,
                           qr=qr_svg(track_url, title=f"查询申请 {application.ref} 办理进度的二维码"),
                           contact=contact_line(guide.project, service) if service else "")


def build_record(service, draft, rows: list[dict]) -> dict:
    """The application row: applicant columns plus a snapshot of every service answer."""
    a = draft.answers
    return {
        "service_id": service.id, "service_name": service.name,
        "org_name": a["org_name"], "uscc": a["uscc"], "contact_name": a["contact_name"],
        "phone": a["phone"], "phone_norm": phone_key(a["phone"]) or a["phone"], "email": a["email"],
        "answers": [{"id": r["name"], "label": r["label"], "type": r["type"], "value": r["value"],
                     "display": r["display"]} for r in rows if r["section"] == "service"],
    }


def contact_line(project, service) -> str:
    """Where an applicant can ask: the service's own contact, else its first provider's with a
    phone or email that is known: a value still 【待补充】 is left out, as in the footer (the
    receipt said "请联系：某中心 【待补充】，【待补充】")."""
    if service is None:
        return ""

    def usable(*values) -> str:
        return "，".join(v for v in values if known(v))

    if service.contact and usable(service.contact.phone, service.contact.email):
        return usable(service.contact.phone, service.contact.email)
    for pid in service.providers:
        p = project.providers.get(pid)
        if p and usable(p.phone, p.email):
            return f"{p.name} " + usable(p.phone, p.email)
    return ""
