"""Staff login, logout and password change pages (``/staff/login`` ...); the session logic
they use is ``forms_backend.auth``."""
from __future__ import annotations

import logging
import secrets

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from ..auth import (SESSION_KEY, account_for_log, dummy_hash, current_user, hash_password, hasher, login_required,
                    no_store, safe_next, token_hash, verify_password)
from ..context import current_guide
from ..forms.messages import ERROR_SUMMARY_TITLE, LOGIN_ERROR_TITLE, message
from ..forms.staff import LoginForm, PasswordForm
from ..vocabulary import ROLE_LABELS

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__, url_prefix="/staff")

MAX_PASSWORD_FAILURES = 3  # wrong current passwords on the password page before the session ends


def _storage():
    return current_guide().storage


bp.after_request(no_store)


@bp.context_processor
def _context():
    return {"staff_user": current_user(), "ROLE_LABELS": ROLE_LABELS}


@bp.get("/login")
def login_form():
    if current_user() is not None:
        return redirect(url_for("staff.queue"), 303)
    form = LoginForm(data={"next": safe_next(request.args.get("next")) or ""})
    return render_template("staff/login.html", form=form, errors=[], summary_title=LOGIN_ERROR_TITLE)


@bp.post("/login")
def login():
    form = LoginForm()
    errors = []
    if form.validate():
        name = (form.name.data or "").lower()
        user = _storage().get_user(name)
        usable = user is not None and user.active
        ok = verify_password(user.password_hash if usable else dummy_hash(), form.password.data)
        if usable and ok:
            token = secrets.token_urlsafe(32)
            rehash = hash_password(form.password.data) if hasher.check_needs_rehash(user.password_hash) else None
            _storage().record_login(user.id, token_hash(token), password_hash=rehash)
            session.clear()  # a new session: nothing of the one before it survives
            session[SESSION_KEY] = token
            log.info("staff login: %s", user.name)
            return redirect(safe_next(form.next.data) or url_for("staff.queue"), 303)
        log.warning("staff login failed: %s", account_for_log(name, user is not None))
        errors = [("name", message("login_failed"))]
    else:
        errors = [(f.name, f.errors[0]) for f in (form.name, form.password) if f.errors]
    return render_template("staff/login.html", form=form, errors=errors, summary_title=LOGIN_ERROR_TITLE)


@bp.post("/logout")
def logout():
    token = session.get(SESSION_KEY)
    if isinstance(token, str) and token:
        user = current_user()
        _storage().end_staff_session(token_hash(token))
        if user:
            log.info("staff logout: %s", user.name)
    session.clear()
    flash("您已退出登录。", "info")
    return redirect(url_for("auth.login_form"), 303)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    user = current_user()
    form = PasswordForm(account_name=user.name)
    errors = []
    if request.method == "POST":
        if form.validate():
            if verify_password(user.password_hash, form.current.data):
                _storage().update_user(user.name, password_hash=hash_password(form.new.data))
                session.clear()
                log.info("staff password changed: %s", user.name)
                flash("密码已修改。请用新密码重新登录。", "info")
                return redirect(url_for("auth.login_form"), 303)
            g.password_failed = True  # counted by the per-account limit (security.py)
            failures = _storage().password_failure(token_hash(session.get(SESSION_KEY) or ""))
            log.warning("staff password change refused (wrong current password, %d in this session): %s",
                        failures, user.name)
            if failures >= MAX_PASSWORD_FAILURES:
                # Someone at an unlocked screen guessing: the session ends, a login needs the password.
                _storage().end_staff_session(token_hash(session.get(SESSION_KEY) or ""))
                session.clear()
                log.warning("staff session ended after %d wrong current passwords: %s", failures, user.name)
                flash(f"当前密码连续 {failures} 次输入错误，已退出登录。请重新登录。", "warning")
                return redirect(url_for("auth.login_form"), 303)
            form.current.errors = [message("password_wrong")]
        errors = [(f.name, f.errors[0]) for f in (form.current, form.new, form.confirm) if f.errors]
    return render_template("staff/password.html", form=form, errors=errors, summary_title=ERROR_SUMMARY_TITLE,
                           user=user)
