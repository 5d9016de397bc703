"""Security plumbing: secret key, CSRF, rate limits, proxy headers, response headers, cookies."""
from __future__ import annotations

import datetime as dt

import hashlib
import hmac
import os
import secrets
import unicodedata
from pathlib import Path

from flask import Flask, abort, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from .private_files import private_dir

csrf = CSRFProtect()
HOST_PREFIX = "__Host-"

# endpoint -> limits for POSTs from one client address. Tracking is the one a guesser would
# hammer; the others only stop floods.
LIMITS = {
    "apply.form": "30 per minute; 300 per hour",
    "apply.confirm": "20 per minute; 200 per hour",
    "apply.saved": "5 per minute; 20 per hour",
    "apply.resume": "10 per minute; 60 per hour",
    "track.lookup": "10 per minute; 60 per hour",
    "track.mine": "10 per minute; 60 per hour",
    "auth.password": "10 per minute; 60 per hour",
    "feedback.page_vote": "20 per minute; 200 per hour",
    "feedback.page_comment": "10 per minute; 100 per hour",
    "feedback.rate": "10 per minute; 60 per hour",
    "feedback.suggest": "5 per minute; 30 per hour",
}



def _failed_login(response) -> bool:
    return response.status_code != 303  # a login that worked redirects


def _login_account() -> str:
    """The account a login names (what a guesser of one account's password cannot change)."""
    name = request.form.get("name", "")
    return "account:" + unicodedata.normalize("NFKC", name).strip().lower()[:64]


def _staff_account() -> str:
    from .auth import current_user

    user = current_user()
    return "staff:" + user.name if user is not None else "addr:" + get_remote_address()


def _carries_files() -> bool:
    return any(f.filename for f in request.files.values())


# Limits that count something else than every POST of one address:
# - a request that carries files (a form with errors can be sent again, its files are kept);
# - logins: failures only, per address (a shared NAT must not lock the staff out) and per account;
# - wrong current passwords on the password page, per account (each costs an argon2 hash).
# (endpoint, rule, options)
SPECIAL_LIMITS = [
    ("apply.form", "6 per minute; 30 per hour", {"scope": "apply-with-files", "exempt_when": lambda: not _carries_files()}),
    ("auth.login", "20 per minute; 100 per hour", {"scope": "login-address", "deduct_when": _failed_login}),
    ("auth.login", "5 per minute; 20 per hour", {"scope": "login-account", "key_func": _login_account,
                                                 "deduct_when": _failed_login}),
    ("auth.password", "5 per hour", {"scope": "password-account", "key_func": _staff_account,
                                     "deduct_when": lambda response: bool(g.get("password_failed"))}),
]

# Backend pages load nothing but our own CSS and (for the print button) one script file.
BACKEND_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "font-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
               "object-src 'none'")
# The static guide's pages carry Material's inline bootstrap scripts, so they only get the
# framing rule; their CSP belongs to the web server that serves site/ in production.
STATIC_CSP = "frame-ancestors 'none'"


def load_or_create_secret_key(data_dir: Path) -> str:
    """The key in <data dir>/secret_key, made once; every worker process reads the same one."""
    path = data_dir / "secret_key"
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    private_dir(data_dir)
    tmp = data_dir / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    try:
        # link() fails if another worker got there first: then both use that worker's key.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return _read_key(path)


def _read_key(path: Path) -> str:
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds a key that is too short; delete the file to make a new one")
    return key


def flask_config(cfg: dict) -> dict:
    """Flask and extension settings derived from the GUIDE_* ones (explicit keys may override)."""
    secure = bool(cfg.get("GUIDE_COOKIE_SECURE"))
    return {
        # __Host-: the browser only keeps it from HTTPS, for this host alone, path / (no subdomain
        # or plain-HTTP page can set or shadow it).
        "SESSION_COOKIE_NAME": f"{HOST_PREFIX}guide_session" if secure else "guide_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        # An applicant's session (which holds the draft tokens) outlives the browser for as long
        # as drafts are kept; staff sessions are ended on the server (auth.py) long before.
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(days=int(cfg.get("GUIDE_DRAFT_DAYS") or 30)),
        "MAX_CONTENT_LENGTH": int(float(cfg.get("GUIDE_MAX_REQUEST_MB", 30)) * 1024 * 1024),
        # A long form can take a while to fill in.
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "WTF_CSRF_SSL_STRICT": True,
        "RATELIMIT_ENABLED": bool(cfg.get("GUIDE_RATELIMIT_ENABLED", True)),
        "RATELIMIT_STORAGE_URI": cfg.get("GUIDE_RATELIMIT_STORAGE_URI") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": False,
    }


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session with two savings on every request of an applicant:

    - the signing serializer is made once per key, not twice per request;
    - a permanent session's cookie is re-sent (to push its expiry on) only when it was signed
      more than ``REFRESH_AFTER`` ago or has changed, not on every response: the expiry
      (GUIDE_DRAFT_DAYS) moves on by the hour instead of by the click.

    Together about a tenth of a submission's CPU (benchmarks/submit_load.py).
    """

    REFRESH_AFTER = dt.timedelta(hours=1)

    def __init__(self):
        self._serializers: dict = {}

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if keys not in self._serializers:
            self._serializers = {keys: super().get_signing_serializer(app)}  # a new key replaces the old
        return self._serializers[keys]

    def open_session(self, app: Flask, request):
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        try:
            data, signed_at = serializer.loads(value, max_age=int(app.permanent_session_lifetime.total_seconds()),
                                               return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at
        return session

    def should_set_cookie(self, app: Flask, session) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        return signed_at is None or dt.datetime.now(dt.timezone.utc) - signed_at > self.REFRESH_AFTER


SQLITE_INT_MAX = 2**63 - 1


class StoredIntConverter(IntegerConverter):
    """``<int:...>`` in every route: a number SQLite cannot hold (over 2**63 - 1) matches no page.

    Werkzeug's converter takes any number of digits; such an id reached the database as a
    Python int and sqlite3 raised OverflowError, a 500 for ``/staff/records/99999999999999999999``.
    """

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits, min, SQLITE_INT_MAX if max is None else max, signed)


def init_app(app: Flask) -> Limiter:
    app.session_interface = SessionInterface()
    app.url_map.converters["int"] = StoredIntConverter  # before any blueprint adds its routes
    n = int(app.config.get("GUIDE_TRUSTED_PROXIES") or 0)
    if n:
        # The client address and the scheme only: a forwarded Host or Prefix is never trusted
        # (links in emails come from GUIDE_BASE_URL; a forged prefix would redirect elsewhere).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=0, x_prefix=0)
    app.before_request(refuse_odd_json)  # before CSRFProtect's hook reads the body as form data
    csrf.init_app(app)
    limiter = Limiter(get_remote_address, app=app)
    app.after_request(_headers)
    return limiter


def refuse_odd_json():
    """A JSON body must be an object of strings: what a form would have sent.

    Flask-WTF reads a JSON body as form data; a number, list, object or null where a field
    expects text (``{"org_name": 123}``) would fail deep inside a field with a 500. Refused
    here with a 400 instead, for every endpoint at once.
    """
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.is_json:
        return None
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in body.items()):
        abort(400)
    return None


def client_key() -> str:
    """This request's client address as a keyed hash: what caps per address are counted by,
    without storing the address itself (see uploads' budget)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, (get_remote_address() or "").encode(), hashlib.sha256).hexdigest()[:32]


def apply_limits(app: Flask, limiter: Limiter) -> None:
    """Wrap the views named in LIMITS (call after the blueprints are registered)."""
    if not app.config.get("RATELIMIT_ENABLED", True):
        return  # switched off (e.g. for a load test from one address): no per-request cost
    for endpoint, rule in LIMITS.items():
        view = app.view_functions.get(endpoint)
        if view is not None:
            app.view_functions[endpoint] = limiter.limit(rule, methods=["POST"])(view)
    for endpoint, rule, options in SPECIAL_LIMITS:
        view = app.view_functions.get(endpoint)
        if view is not None:
            app.view_functions[endpoint] = limiter.limit(rule, methods=["POST"], **options)(view)


# The headers every response carries unless its view set its own (the first value wins).
_COMMON_HEADERS = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"),
                   ("X-Frame-Options", "DENY"), ("Cross-Origin-Opener-Policy", "same-origin"),
                   ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
_SITE_HEADERS = tuple((k.lower(), k, v) for k, v in
                      _COMMON_HEADERS + (("Content-Security-Policy", STATIC_CSP),))
_BACKEND_HEADERS = tuple((k.lower(), k, v) for k, v in
                         _COMMON_HEADERS + (("Content-Security-Policy", BACKEND_CSP),))
# Pages with answers or a reference number must not linger in shared caches.
_BACKEND_PAGE_HEADERS = _BACKEND_HEADERS + (("cache-control", "Cache-Control", "no-store"),)


def _headers(response):
    """Add the security headers a response lacks (werkzeug's ``setdefault`` scans every header
    twice per call: one pass over the names here instead, a fixed cost of every request)."""
    h = response.headers
    present = {k.lower() for k in h.keys()}
    if request.blueprint == "site":
        wanted = _SITE_HEADERS
    else:
        wanted = _BACKEND_PAGE_HEADERS if response.mimetype == "text/html" else _BACKEND_HEADERS
    for low, name, value in wanted:
        if low not in present:
            h.add(name, value)
    return response
