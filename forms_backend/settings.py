"""Settings: one table of GUIDE_* names, read from the environment, overridable by test_config.

Every setting has the same name as a Flask config key and as an environment variable, so
``guide serve``, gunicorn and the tests configure the app the same way. Paths that are not
given are derived from the project folder: ``<project>/site`` and ``<project>/var``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

# name -> (default, kind, what it does). The README documents each of these; a test checks it.
SETTINGS: dict[str, tuple[Any, str, str]] = {
    "GUIDE_PROJECT": (".", "path", "guide folder holding content/ and flows/"),
    "GUIDE_SITE_DIR": (None, "path", "built static site (default <project>/site)"),
    "GUIDE_DATA_DIR": (None, "path", "database, uploads/, outbox/ and secret_key (default <project>/var)"),
    "GUIDE_DB": (None, "path", "the SQLite file (default <data dir>/guide.db)"),
    "GUIDE_DB_BUSY_SECONDS": (10, "float", "how long a write waits for another one holding the database before the "
                                           "request gets a 503 请稍后重试 page"),
    "GUIDE_SERVE_SITE": (False, "bool", "also serve the static site from this process (guide serve sets it)"),
    "GUIDE_SMTP_HOST": ("", "str", "SMTP server; empty means write mail to <data dir>/outbox/"),
    "GUIDE_SMTP_PORT": (25, "int", "SMTP port"),
    "GUIDE_SMTP_USER": ("", "str", "SMTP user name (optional)"),
    "GUIDE_SMTP_PASSWORD": ("", "str", "SMTP password (optional)"),
    "GUIDE_SMTP_STARTTLS": (False, "bool", "upgrade the SMTP connection with STARTTLS"),
    "GUIDE_MAIL_FROM": ("noreply@localhost", "str", "sender address of notices and acknowledgements"),
    "GUIDE_SMS_URL": ("", "str", "HTTP gateway that sends SMS notices; empty means no SMS"),
    "GUIDE_SMS_TOKEN": ("", "str", "bearer token sent to the SMS gateway (optional)"),
    "GUIDE_SMS_SIGN": ("", "str", "signature put before every SMS text, e.g. 【某某局】 (optional)"),
    "GUIDE_SMS_TIMEOUT": (10, "float", "seconds to wait for the SMS gateway's answer"),
    "GUIDE_TRUSTED_PROXIES": (0, "int", "number of reverse proxies in front (trust their X-Forwarded-*)"),
    "GUIDE_COOKIE_SECURE": (False, "bool", "send cookies over HTTPS only (set it in production)"),
    "GUIDE_RATELIMIT_ENABLED": (True, "bool", "turn rate limits on or off"),
    "GUIDE_RATELIMIT_STORAGE_URI": ("memory://", "str", "flask-limiter storage; memory:// counts per process"),
    "GUIDE_MAX_REQUEST_MB": (30, "float", "largest request body accepted (413 above it)"),
    "GUIDE_REF_PREFIX": ("ZY", "str", "two letters that start every reference number"),
    "GUIDE_TIMEZONE": ("Asia/Shanghai", "str", "time zone of dates shown to people"),
    "GUIDE_MAIL_WORKER": (True, "bool", "send queued mail from a background thread in each process"),
    "GUIDE_FIRST_CONTACT_DAYS": (1, "int", "working days to first contact after a bad rating or a 意见箱 entry"),
    "GUIDE_RECTIFY_DAYS": (15, "int", "working days to rectify and close a follow-up item"),
    "GUIDE_FOLLOWUP_DAYS": (14, "int", "days without contact after which an open case is listed for follow-up"),
    "GUIDE_STAFF_IDLE_MINUTES": (30, "int", "a staff session ends after this many minutes without a request"),
    "GUIDE_HOLIDAYS_FILE": (None, "path", "holidays and make-up working days for working-day deadlines"),
    "GUIDE_TRACK_LINK_DAYS": (30, "int", "how long the signed tracking/rating link in emails stays valid"),
    "GUIDE_BASE_URL": ("", "str", "public address of the backend; every link in an email starts with it "
                                  "(required in production: GUIDE_ENV=production, GUIDE_COOKIE_SECURE or GUIDE_TRUSTED_PROXIES)"),
    "GUIDE_MAIL_PER_RECIPIENT_DAY": (10, "int", "mail and SMS to one recipient in 24 hours after which an "
                                                "acknowledgement is not sent (the application is kept)"),
    "GUIDE_UPLOAD_SESSION_MB": (60, "float", "unsubmitted uploads one browser session may hold"),
    "GUIDE_UPLOAD_ADDRESS_MB": (200, "float", "unsubmitted uploads one client address may hold"),
    "GUIDE_UPLOAD_TOTAL_MB": (2048, "float", "unsubmitted uploads of everyone together"),
    "GUIDE_UPLOAD_PENDING_HOURS": (3, "float", "an upload whose application is not submitted is deleted after this"),
    "GUIDE_MIN_FREE_MB": (1024, "float", "uploads are refused when the data disk has less free space than this"),
    "GUIDE_MAIL_KEEP_DAYS": (30, "int", "sent and failed mail (bodies hold personal data) and outbox files are "
                                        "deleted after this many days"),
    "GUIDE_FEEDBACK_KEEP_DAYS": (730, "int", "page feedback and replaced ratings are deleted after this many days"),
    "GUIDE_ENV": ("development", "str", "development or production; production refuses to start without a "
                  "valid staff address"),
    "GUIDE_STAFF_EMAIL": ("", "str", "duty mailbox of the staff: notices, alerts and the daily digest "
                          "(default: staff_email of site.yml)"),
    "GUIDE_DUTY_PHONE": ("", "str", "duty officer's mobile number: complaint and bad-rating alerts also go there by "
                         "SMS when GUIDE_SMS_URL is set"),
    "GUIDE_DIGEST_HOUR": (8, "int", "local hour after which the daily digest goes to the duty address (-1: never)"),
    "GUIDE_WARNINGS_HOUR": (7, "int", "local hour after which the background job runs the day's equipment warnings (-1: never)"),
    "GUIDE_DRAFT_DAYS": (30, "int", "days an unsubmitted draft is kept after its last change (and its resume link works)"),
}

# 意见箱 references start with these letters; application references may not.
SUGGESTION_PREFIX = "YJ"
MINIMUM = {"GUIDE_FIRST_CONTACT_DAYS": 0, "GUIDE_RECTIFY_DAYS": 1, "GUIDE_FOLLOWUP_DAYS": 1,
           "GUIDE_STAFF_IDLE_MINUTES": 1, "GUIDE_TRACK_LINK_DAYS": 1, "GUIDE_DRAFT_DAYS": 1, "GUIDE_MAIL_PER_RECIPIENT_DAY": 1,
           "GUIDE_UPLOAD_SESSION_MB": 0, "GUIDE_UPLOAD_ADDRESS_MB": 0, "GUIDE_UPLOAD_TOTAL_MB": 0,
           "GUIDE_UPLOAD_PENDING_HOURS": 0.25, "GUIDE_MIN_FREE_MB": 0, "GUIDE_MAIL_KEEP_DAYS": 1,
           "GUIDE_FEEDBACK_KEEP_DAYS": 1, "GUIDE_DB_BUSY_SECONDS": 0.1}
# Used for emailed links when GUIDE_BASE_URL is not set outside production (guide serve sets it).
DEV_BASE_URL = "http://localhost"

TRUE = {"1", "true", "yes", "on"}
ENVIRONMENTS = ("development", "production")


class SettingsError(ValueError):
    """A GUIDE_* setting has a value that cannot be used."""


def _convert(name: str, raw: Any, kind: str) -> Any:
    if raw is None or kind == "str":
        return raw
    if kind == "bool":
        return raw if isinstance(raw, bool) else str(raw).strip().lower() in TRUE
    if kind == "path":
        return Path(raw) if str(raw).strip() else None  # an empty variable means "not set"
    try:
        return {"int": int, "float": float}[kind](raw)
    except (TypeError, ValueError):
        raise SettingsError(f"{name}={raw!r} is not a valid {kind}") from None


def base_url(cfg: Mapping[str, Any]) -> str:
    """GUIDE_BASE_URL checked and without a trailing slash.

    Emailed links never come from the request's Host (an attacker chooses it), so production
    must say where the backend is: with GUIDE_ENV=production, GUIDE_COOKIE_SECURE or
    GUIDE_TRUSTED_PROXIES set the setting is required and must be https.
    """
    from urllib.parse import urlsplit

    raw = (cfg.get("GUIDE_BASE_URL") or "").strip()
    production = (cfg.get("GUIDE_ENV") == "production" or bool(cfg.get("GUIDE_COOKIE_SECURE"))
                  or int(cfg.get("GUIDE_TRUSTED_PROXIES") or 0) > 0)
    if not raw:
        if production:
            raise SettingsError("GUIDE_BASE_URL is required in production (GUIDE_ENV=production, "
                                "GUIDE_COOKIE_SECURE or GUIDE_TRUSTED_PROXIES): the public https address of the backend, "
                                "e.g. https://guide.example.org")
        return DEV_BASE_URL
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        parts = None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.username
            or parts.password or parts.query or parts.fragment or any(c.isspace() for c in raw)):
        raise SettingsError(f"GUIDE_BASE_URL={raw!r} must be an http(s) address without query or fragment, "
                            "e.g. https://guide.example.org")
    if production and parts.scheme != "https":
        raise SettingsError(f"GUIDE_BASE_URL={raw!r} must start with https:// in production "
                            "(GUIDE_ENV=production, GUIDE_COOKIE_SECURE or GUIDE_TRUSTED_PROXIES)")
    return raw.rstrip("/")


def resolve(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict:
    """Defaults, then the environment, then ``overrides``; derived paths filled in and absolute."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    cfg: dict[str, Any] = {}
    for name, (default, kind, _) in SETTINGS.items():
        raw = overrides.get(name, environ.get(name, default))
        cfg[name] = _convert(name, raw, kind)
    project = (cfg["GUIDE_PROJECT"] or Path(".")).resolve()
    cfg["GUIDE_PROJECT"] = project
    cfg["GUIDE_SITE_DIR"] = (cfg["GUIDE_SITE_DIR"] or project / "site").resolve()
    if cfg["GUIDE_DB"] is not None and cfg["GUIDE_DATA_DIR"] is None:
        # --db PATH: uploads, the outbox and the secret key live beside the database file.
        cfg["GUIDE_DATA_DIR"] = cfg["GUIDE_DB"].resolve().parent
    cfg["GUIDE_DATA_DIR"] = (cfg["GUIDE_DATA_DIR"] or project / "var").resolve()
    cfg["GUIDE_DB"] = (cfg["GUIDE_DB"] or cfg["GUIDE_DATA_DIR"] / "guide.db").resolve()
    prefix = cfg["GUIDE_REF_PREFIX"]
    if not (isinstance(prefix, str) and len(prefix) == 2 and prefix.isascii() and prefix.isalpha()):
        raise SettingsError(f"GUIDE_REF_PREFIX={prefix!r} must be two letters, e.g. ZY")
    cfg["GUIDE_REF_PREFIX"] = prefix.upper()
    if cfg["GUIDE_REF_PREFIX"] == SUGGESTION_PREFIX:
        raise SettingsError(f"GUIDE_REF_PREFIX={prefix!r} is taken by the 意见箱 references; choose other letters")
    for name, low in MINIMUM.items():
        if cfg[name] < low:
            raise SettingsError(f"{name}={cfg[name]!r} must be at least {low}")
    if cfg["GUIDE_ENV"] not in ENVIRONMENTS:
        raise SettingsError(f"GUIDE_ENV={cfg['GUIDE_ENV']!r} must be one of {', '.join(ENVIRONMENTS)}")
    for hour in ("GUIDE_DIGEST_HOUR", "GUIDE_WARNINGS_HOUR"):
        if not -1 <= cfg[hour] <= 23:
            raise SettingsError(f"{hour}={cfg[hour]!r} must be an hour 0-23, or -1 for never")
    cfg["GUIDE_BASE_URL"] = base_url(cfg)
    if cfg["GUIDE_HOLIDAYS_FILE"] is not None:
        cfg["GUIDE_HOLIDAYS_FILE"] = cfg["GUIDE_HOLIDAYS_FILE"].resolve()
    # Everything not a GUIDE_* setting (SECRET_KEY, TESTING, WTF_CSRF_ENABLED ...) passes through.
    cfg.update({k: v for k, v in overrides.items() if k not in SETTINGS})
    return cfg
