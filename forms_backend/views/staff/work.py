"""Staff work that nobody has to remember: the navigation's counts, 承办人 (assign, reassign,
"mine"), reopening a case or a follow-up item closed by mistake, result documents, merging
follow-up items, 回访满意度 recorded by staff, unsent mail, and each account's alert address.

The routes join the staff blueprint (same login check, same no-store header); the case and
follow-up item pages get their extra parts from ``case_extras`` / ``issue_extras``.
"""
from __future__ import annotations

import logging

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from ... import auth, uploads
from ...addresses import staff_address_problems
from ...context import current_guide
from ...forms.staff_work import (FollowupForm,
                                 MergeForm, ReasonForm, ResultForm, UserEmailForm, assign_form)
from ...storage import ApplicationNotFound, IssueClosed, IssueNotFound, NotClosed, UserNotFound
from ...results import results_dir, send_result
from .base import actor, bp, guide_today, store, user_names
from .cases import _case_or_404, _render_case
from .extras import case_extras, discard_result, issue_extras, receive_result  # noqa: F401 - also used by cases/followup
from .followup import _issue_or_404, _render_issue

log = logging.getLogger(__name__)


@bp.app_context_processor
def _nav_counts():
    """The navigation's numbers, on every staff page (one query); nothing for anyone else."""
    if not request.blueprint or request.blueprint not in ("staff", "auth"):
        return {}
    user = auth.current_user()
    if user is None:
        return {}
    extra = {"user_emails": store().user_emails()} if request.endpoint == "staff.users" else {}
    return {"nav_counts": store().console_counts(guide_today().isoformat(), user.name), **extra}


# ---------------------------------------------------------------- 承办人

@bp.post("/applications/<ref>/assignee")
def assign(ref: str):
    case = _case_or_404(ref)
    form = assign_form(user_names())(prefix="a")
    if not form.validate():
        return _render_case(case, extras=case_extras(case, assign=form), status=400)
    name = form.assignee.data or None
    try:
        store().assign(ref, name, actor=actor())
    except UserNotFound:
        abort(400)
    log.info("application %s assigned to %s by %s", ref, name or "nobody", auth.current_user().name)
    flash(f"承办人已改为 {name}。" if name else "已取消承办人。", "info")
    return redirect(url_for(".case", ref=ref), 303)


@bp.get("/mine")
def mine():
    return redirect(url_for(".queue", handler=auth.current_user().name, status="open"), 303)


# ---------------------------------------------------------------- reopening a case

@bp.post("/applications/<ref>/reopen")
def reopen_case(ref: str):
    case = _case_or_404(ref)
    form = ReasonForm(prefix="r")
    if not form.validate():
        return _render_case(case, extras=case_extras(case, reopen=form), status=400)
    try:
        back = store().reopen_case(ref, actor=actor(), reason=form.reason.data)
    except NotClosed:
        flash("该申请尚未办结，不需要重新打开。", "warning")
        return redirect(url_for(".case", ref=ref), 303)
    log.info("application %s reopened by %s", ref, auth.current_user().name)
    flash("已重新打开，原因已记入办理记录；档案号保持不变。", "info")
    return redirect(url_for(".case", ref=ref) + "#history", 303)


# ---------------------------------------------------------------- result documents

@bp.post("/applications/<ref>/results")
def add_result(ref: str):
    case = _case_or_404(ref)
    form = ResultForm(prefix="d")
    valid = form.validate()
    doc, error = receive_result()
    if doc is None and error is None:
        error = "请选择要上传的结果文件"
    if not valid or error:
        if doc:
            uploads.discard(results_dir(), [doc["stored_name"]])
        return _render_case(case, extras=case_extras(case, result=form, file_error=error), status=400)
    doc["title"] = form.title.data
    try:
        store().add_result(ref, doc, actor=actor())
    except ApplicationNotFound:
        uploads.discard(results_dir(), [doc["stored_name"]])
        abort(404)
    log.info("result document added to %s by %s", ref, auth.current_user().name)
    flash(f"已上传{doc['title']}；申请人可在查询页下载。", "info")
    return redirect(url_for(".case", ref=ref) + "#results", 303)


@bp.get("/applications/<ref>/results/<token>")
def result_file(ref: str, token: str):
    log.info("result document of %s downloaded by %s", ref, auth.current_user().name)
    return send_result(ref, token)


# ---------------------------------------------------------------- follow-up items: merge, reopen, 回访满意度

@bp.post("/issues/<int:issue_id>/merge")
def issue_merge(issue_id: int):
    issue = _issue_or_404(issue_id)
    form = MergeForm(prefix="m")
    if form.validate() and form.into.data == issue_id:
        form.into.errors = ["不能与自身合并，请填写另一个事项的编号"]
    if form.errors or not form.validate():
        return _render_issue(issue, extras=issue_extras(issue, merge=form), status=400)
    try:
        store().merge_issues(issue_id, form.into.data, actor=actor())
    except IssueNotFound:
        form.into.errors = [f"没有第 {form.into.data} 号跟进事项"]
        return _render_issue(issue, extras=issue_extras(issue, merge=form), status=400)
    except IssueClosed:
        flash("两个事项都已办结，不能合并。", "warning")
        return redirect(url_for(".issue", issue_id=issue_id), 303)
    flash(f"已与第 {form.into.data} 号事项合并处理；办结其中一个即一并办结，只告知企业一次。", "info")
    return redirect(url_for(".issue", issue_id=issue_id), 303)


@bp.post("/issues/<int:issue_id>/reopen")
def issue_reopen(issue_id: int):
    issue = _issue_or_404(issue_id)
    form = ReasonForm(prefix="r")
    if not form.validate():
        return _render_issue(issue, extras=issue_extras(issue, reopen=form), status=400)
    try:
        store().reopen_issue(issue_id, actor=actor(), reason=form.reason.data)
    except NotClosed:
        flash("该事项尚未办结。", "warning")
        return redirect(url_for(".issue", issue_id=issue_id), 303)
    log.info("follow-up item %s reopened by %s", issue_id, auth.current_user().name)
    flash("已重新打开，原因已记入处理记录。", "info")
    return redirect(url_for(".issue", issue_id=issue_id), 303)


@bp.post("/issues/<int:issue_id>/followup")
def issue_followup(issue_id: int):
    issue = _issue_or_404(issue_id)
    form = FollowupForm(prefix="f")
    if not form.validate():
        return _render_issue(issue, extras=issue_extras(issue, followup=form), status=400)
    try:
        store().record_followup(issue_id, score=int(form.score.data), comment=form.comment.data or None,
                                   actor=actor())
    except NotClosed:
        flash("办结后才能记录回访满意度。", "warning")
        return redirect(url_for(".issue", issue_id=issue_id), 303)
    flash("已记录回访满意度。", "info")
    return redirect(url_for(".issue", issue_id=issue_id), 303)


# ---------------------------------------------------------------- mail that was never sent

@bp.get("/mail")
def unsent_mail():
    return render_template("staff/mail.html", rows=store().unsent_mail(),
                           problems=staff_address_problems(current_app.config, current_guide().project))


# ---------------------------------------------------------------- an account's alert address

@bp.post("/users/<name>/email")
@auth.admin_required
def user_email(name: str):
    form = UserEmailForm(prefix="e")
    if not form.validate():
        flash(f"{name}：{form.email.errors[0]}", "warning")
        return redirect(url_for(".users"), 303)
    try:
        store().set_user_email(name, form.email.data or None)
    except UserNotFound:
        abort(404)
    flash(f"账户 {name}：提醒邮箱已{'更新' if form.email.data else '清除'}。", "info")
    return redirect(url_for(".users"), 303)
