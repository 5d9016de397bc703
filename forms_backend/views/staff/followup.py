"""Follow-up items (a bad rating or an 意见箱 entry): list, owner, notes, closing with the outcome."""
from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for

from site_builder.content.model import PLACEHOLDER

from ... import auth
from ...context import current_guide
from ...forms.staff import PAGE_SIZE, IssueCloseForm, IssueNoteForm, issue_filter_form, issue_owner_form
from ...mail.compose import compose_outcome
from ...storage import IssueClosed
from ...vocabulary import RATING_QUESTIONS
from ..apply import contact_line
from .extras import issue_extras
from .base import actor, paging, store, guide_today, user_names, wake_mail, bp

log = logging.getLogger(__name__)

@bp.get("/issues")
def issues():
    names = user_names()
    form = issue_filter_form(names)(formdata=request.args)
    form.validate()
    page = form.value("page") or 1
    status = form.value("status") or "open"
    rows, total = store().list_issues(status=None if status == "all" else status, kind=form.value("kind"),
                                         owner=form.value("owner"),
                                         overdue_on=guide_today().isoformat() if form.overdue.data else None,
                                         limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template("staff/issues.html", form=form, rows=rows, pages=paging(total, page),
                           owner_options=[(n, n) for n in names],
                           today=guide_today().isoformat(), errors=form.error_list())


def _issue_or_404(issue_id: int):
    issue = store().get_issue(issue_id)
    if issue is None:
        abort(404)
    return issue


def _render_issue(issue, *, owner=None, note=None, close=None, extras: dict | None = None, status: int = 200):
    storage = store()
    suggestion = storage.get_suggestion(issue.suggestion_id) if issue.suggestion_id else None
    case = storage.get_case(issue.ref) if issue.application_id else None
    ratings = storage.ratings_of(issue.application_id) if issue.application_id else []
    names = user_names()
    extras = extras or issue_extras(issue)
    return render_template(
        "staff/issue.html", issue=issue, owner_options=[(n, n) for n in names], suggestion=suggestion, case=case,
        ratings=ratings,
        owner_form=owner or issue_owner_form(names)(prefix="o", data={"owner": issue.owner}),
        note_form=note or IssueNoteForm(prefix="n"),
        close_form=close or IssueCloseForm(prefix="x"), today=guide_today().isoformat(), rating_questions=RATING_QUESTIONS,
        email=_issue_email(issue, suggestion, case),
        errors=[(f.name, f.errors[0]) for form in (owner, note, close) if form for f in form if f.errors]
        + extras.pop("errors"), **extras,
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
    form = issue_owner_form(user_names())(prefix="o")
    if not form.validate():
        return _render_issue(issue, owner=form, status=400)
    try:
        store().set_issue_owner(issue_id, form.owner.data or None, actor=actor())
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
        store().add_issue_note(issue_id, actor=actor(), note=form.note.data, channel=form.channel.data or None)
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
    mails = []
    if form.told_via.data == "email":
        mails = outcome_mails(issue, form.outcome.data)
        if not mails:
            form.told_via.errors = ["对方没有留下电子邮箱，请选择其他告知方式"]
            return _render_issue(issue, close=form, status=400)
    try:
        closed = store().close_issue(issue_id, actor=actor(), outcome=form.outcome.data,
                                     told_via=form.told_via.data, mails=mails)
    except IssueClosed:
        flash("该事项已办结。", "warning")
        return redirect(url_for(".issue", issue_id=issue_id), 303)
    wake_mail()
    log.info("follow-up item %s closed by %s (with %s)", issue_id, auth.current_user().name,
             ", ".join(map(str, closed[1:])) or "no linked item")
    others = "、".join(f"第 {n} 号" for n in closed[1:])
    flash("已办结，处理结果已记录" + (f"；关联的{others}事项一并办结" if others else "") +
          ("，并发送邮件。" if mails else "。"), "info")
    return redirect(url_for(".issue", issue_id=issue_id), 303)


ISSUE_WHAT = {"rating": "服务评价意见", "complaint": "投诉", "suggestion": "意见建议"}


def supervision_line(project) -> str:
    """The bureau's supervision channels with a phone or email that is known (no placeholders)."""
    parts = []
    for c in (project.site.supervision if project.site else []):
        reach = "，".join(x for x in (c.phone, c.email) if x and PLACEHOLDER not in x)
        if reach:
            parts.append(f"{c.name} {reach}")
    return "；".join(parts)


def _sender_email(issue) -> str | None:
    storage = store()
    if issue.suggestion_id:
        suggestion = storage.get_suggestion(issue.suggestion_id)
        return suggestion.email if suggestion else None
    case = storage.get_application(issue.ref) if issue.application_id else None
    return case.email if case else None


def outcome_mails(issue, outcome: str) -> list[dict]:
    """One outcome email per distinct address among the open items closed together.

    A rating and a complaint about one case are one matter: the enterprise hears the outcome
    once. A complaint's email names the bureau's supervision line, not the institution
    complained about; every email asks how satisfied the sender is (回访满意度).
    """
    from ..survey import followup_link

    guide = current_guide()
    members = [issue] + [i for i in store().issue_group(issue.id) if i.id != issue.id and i.status == "open"]
    by_address: dict[str, list] = {}
    for member in members:
        address = _sender_email(member)
        if address:
            by_address.setdefault(address.casefold(), []).append(member)
    mails = []
    for items in by_address.values():
        first = items[0]
        kinds = {i.kind for i in items}
        what = "、".join(ISSUE_WHAT[k] for k in ("complaint", "rating", "suggestion") if k in kinds)
        if "complaint" in kinds:
            contact = supervision_line(guide.project)
        else:
            service = guide.project.services.get(first.service_id) if first.service_id else None
            contact = contact_line(guide.project, service)
        refs = "、".join(dict.fromkeys(i.ref for i in items if i.ref))
        mails += compose_outcome(site_title=guide.project.site.title, to=_sender_email(first), ref=refs or None,
                                 what=what, outcome=outcome, contact=contact, followup_url=followup_link(first.id))
    return mails


