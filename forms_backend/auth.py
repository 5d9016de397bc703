"""Staff authentication: argon2 hashes, server-side sessions, idle timeout, decorators.

The login, logout and password pages are ``views/auth.py``.

The session cookie (Flask's, signed, HttpOnly, SameSite=Lax) carries only a random token; the
database keeps its SHA-256 with the account and the time of the last request. So logging out,
disabling an account or changing its password ends its sessions at once, and a session left
idle for ``GUIDE_STAFF_IDLE_MINUTES`` (or older than ``MAX_SESSION_HOURS``) is over. Logging in
clears the whole session and starts a new one (no fixation). Failed logins and refused pages are
logged with the account name (or, for a name that is no account, a hash of it) and the
endpoint — never a password, never applicant data.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import secrets
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import abort, current_app, flash, g, redirect, request, session, url_for

from .context import current_guide
from .storage import StaffUser, utcnow

log = logging.getLogger(__name__)

SESSION_KEY = "staff"
MAX_SESSION_HOURS = 12
TOUCH_SECONDS = 60  # write last_seen_at at most once a minute per session
hasher = PasswordHasher()
_dummy_hash: str | None = None


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def dummy_hash() -> str:
    # Unknown and disabled accounts still cost one verification, so timing tells nothing.
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hasher.hash(secrets.token_hex(16))
    return _dummy_hash


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def account_for_log(name: str, known: bool) -> str:
    """The account name when it is one; otherwise a hash (people type passwords into name fields)."""
    if known:
        return name
    return "unknown#" + hashlib.sha256(name.encode("utf-8", "replace")).hexdigest()[:12]


def _storage():
    return current_guide().storage


def current_user() -> StaffUser | None:
    """The logged-in staff member of this request, or None (ending an idle or old session)."""
    if "staff_user" in g:
        return g.staff_user
    g.staff_user = None
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        return None
    digest = token_hash(token)
    found = _storage().staff_session(digest)
    if found is None:
        session.pop(SESSION_KEY, None)
        return None
    now = utcnow()
    idle = dt.timedelta(minutes=current_app.config["GUIDE_STAFF_IDLE_MINUTES"])
    last_seen = dt.datetime.fromisoformat(found.last_seen_at)
    if now - last_seen > idle or now - dt.datetime.fromisoformat(found.created_at) > dt.timedelta(
            hours=MAX_SESSION_HOURS):
        _storage().end_staff_session(digest)
        session.pop(SESSION_KEY, None)
        g.staff_expired = True
        return None
    if (now - last_seen).total_seconds() > TOUCH_SECONDS:
        _storage().touch_staff_session(digest)
    g.staff_user = found.user
    return found.user


def require_login():
    """None when a staff member is logged in; otherwise the response that sends them to log in."""
    if current_user() is not None:
        return None
    log.warning("staff page refused (not logged in): %s %s", request.method, request.endpoint)
    if g.get("staff_expired"):
        flash(f"超过 {current_app.config['GUIDE_STAFF_IDLE_MINUTES']} 分钟没有操作，已自动退出。请重新登录。", "warning")
    if request.method == "GET":
        target = request.full_path.rstrip("?")
    else:
        # A form sent after the session ended is not saved: say so plainly, and after logging in
        # go back to the page it was sent from (not the queue), where it can be filled in again.
        # (forms.js kept what was typed in this browser tab and puts it back on that page.)
        flash("刚才提交的内容没有保存。请重新登录，回到原页面后检查并重新提交。", "warning")
        target = _same_site_path(request.referrer)
        return redirect(url_for("auth.login_form", next=safe_next(target), unsaved=1), 303)
    return redirect(url_for("auth.login_form", next=safe_next(target)), 303)


def _same_site_path(url: str | None) -> str | None:
    """The path (and query) of a URL of this site, e.g. the Referer of a form; None for another host."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        refused = require_login()
        return refused if refused is not None else view(*args, **kwargs)
    return wrapped


def admin_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        refused = require_login()
        if refused is not None:
            return refused
        user = current_user()
        if not user.is_admin:
            log.warning("staff page refused (admin only): %s %s by %s", request.method, request.endpoint, user.name)
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def safe_next(target: str | None) -> str | None:
    """Only a path of the staff console: never another host, never a scheme."""
    if not target or not isinstance(target, str):
        return None
    if not (target == "/staff" or target.startswith("/staff/")) or "//" in target or "\\" in target:
        return None
    if any(ord(c) < 32 for c in target):
        return None
    return target


def no_store(response):
    """Staff pages are never cached and never indexed (also used by the staff blueprint)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
