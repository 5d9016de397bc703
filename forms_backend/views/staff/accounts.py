"""Staff accounts (administrators only): create, disable, enable, change role, reset password."""
from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request

from ... import auth
from ...forms.staff import NewUserForm, UserActionForm
from ...storage import LastAdmin, UserExists, UserNotFound
from .base import store, bp
from flask import url_for

log = logging.getLogger(__name__)

USER_ACTIONS = {"disable": "停用", "enable": "启用", "role_staff": "设为工作人员", "role_admin": "设为管理员",
                "reset": "重设密码"}

@bp.route("/users", methods=["GET", "POST"])
@auth.admin_required
def users():
    form = NewUserForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                store().create_user(form.name.data, form.role.data, auth.hash_password(form.password.data))
            except UserExists:
                form.name.errors = [f"账户 {form.name.data} 已存在"]
            else:
                log.info("staff account %s (%s) created by %s", form.name.data, form.role.data,
                         auth.current_user().name)
                flash(f"已创建账户 {form.name.data}。", "info")
                return redirect(url_for(".users"), 303)
        status = 400
    return render_template("staff/users.html", users=store().list_users(), form=form,
                           errors=[(f.name, f.errors[0]) for f in form if f.errors]), status


@bp.post("/users/<name>")
@auth.admin_required
def user_action(name: str):
    target = store().get_user(name)
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
        store().update_user(name, **changes)
    except LastAdmin:
        flash("至少要保留一个在用的管理员账户。", "warning")
        return redirect(url_for(".users"), 303)
    except UserNotFound:
        abort(404)
    log.info("staff account %s: %s by %s", name, action, auth.current_user().name)
    flash(f"账户 {name}：已{USER_ACTIONS[action]}。", "info")
    return redirect(url_for(".users"), 303)
