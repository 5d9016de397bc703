"""Follow-up items (a bad rating or an 意见箱 entry): list, owner, notes, closing with the outcome."""
from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for

from ... import auth
from ...context import current_guide
from ...forms.staff import PAGE_SIZE, IssueCloseForm, IssueNoteForm, issue_filter_form, issue_owner_form
from ...mail.compose import compose_outcome
from ...storage import IssueClosed
from ...vocabulary import RATING_QUESTIONS
from ..apply import contact_line
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


def _render_issue(issue, *, owner=None, note=None, close=None, status: int = 200):
    storage = store()
    suggestion = storage.get_suggestion(issue.suggestion_id) if issue.suggestion_id else None
    case = storage.get_case(issue.ref) if issue.application_id else None
    ratings = storage.ratings_of(issue.application_id) if issue.application_id else []
    names = user_names()
    return render_template(
        "staff/issue.html", issue=issue, owner_options=[(n, n) for n in names], suggestion=suggestion, case=case,
        ratings=ratings,
        owner_form=owner or issue_owner_form(names)(prefix="o", data={"owner": issue.owner}),
        note_form=note or IssueNoteForm(prefix="n"),
        close_form=close or IssueCloseForm(prefix="x"), today=guide_today().isoformat(), rating_questions=RATING_QUESTIONS,
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
    storage = store()
    suggestion = storage.get_suggestion(issue.suggestion_id) if issue.suggestion_id else None
    case = storage.get_case(issue.ref) if issue.application_id else None
    to = _issue_email(issue, suggestion, case)
    mails = []
    if form.told_via.data == "email":
        if not to:
            form.told_via.errors = ["对方没有留下电子邮箱，请选择其他告知方式"]
            return _render_issue(issue, close=form, status=400)
        guide = current_guide()
        service = guide.project.services.get(issue.service_id) if issue.service_id else None
        what = {"rating": "服务评价意见", "complaint": "投诉", "suggestion": "意见建议"}[issue.kind]
        mails = compose_outcome(site_title=guide.project.site.title, to=to, ref=issue.ref, what=what,
                                     outcome=form.outcome.data, contact=contact_line(guide.project, service))
    try:
        storage.close_issue(issue_id, actor=actor(), outcome=form.outcome.data, told_via=form.told_via.data,
                            mails=mails)
    except IssueClosed:
        flash("该事项已办结。", "warning")
        return redirect(url_for(".issue", issue_id=issue_id), 303)
    wake_mail()
    log.info("follow-up item %s closed by %s", issue_id, auth.current_user().name)
    flash("已办结，处理结果已记录" + ("并发送邮件。" if mails else "。"), "info")
    return redirect(url_for(".issue", issue_id=issue_id), 303)


