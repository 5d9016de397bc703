"""forms_backend: the Flask app that takes applications into SQLite, and tracks them.

``create_app(test_config=None)`` is the factory for ``guide serve``, gunicorn
(``gunicorn 'forms_backend:create_app()'``) and the tests. Configuration comes from the GUIDE_*
settings (see ``settings.py``); content comes from the guide project through
``site_builder.loader`` — the backend never reads YAML itself.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask

from . import settings as settings_mod
from .storage import SAFE_SQLITE, DatabaseCorrupt, Storage, sqlite_is_safe

log = logging.getLogger(__name__)


@dataclass
class Guide:
    """What the app keeps for its lifetime: content, forms, storage, theme, the mail thread."""
    project: object
    storage: Storage
    forms: dict = field(default_factory=dict)
    theme: object = None
    background: object = None
    limiter: object = None
    calendar: object = None                 # workdays.CalendarSource
    extra_forms: dict = field(default_factory=dict)  # 意见箱 and staff filter forms, built once


def create_app(test_config: dict | None = None) -> Flask:
    from site_builder.loader import load_valid_project

    from . import apply, auth, errors, feedback, mail, security, staff, static_site, templating, track
    from .feedback_forms import suggestion_form
    from .forms import application_form
    from .staff_forms import queue_filter_form, ratings_filter_form
    from .uploads import unknown_accepts
    from .workdays import CalendarSource

    cfg = settings_mod.resolve(test_config)
    data_dir: Path = cfg["GUIDE_DATA_DIR"]
    data_dir.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(data_dir), static_folder="static",
                static_url_path="/backend-static")
    app.config.update(security.flask_config(cfg))
    app.config.update(cfg)  # explicit Flask keys in test_config win over the derived ones
    app.config["UPLOAD_DIR"] = data_dir / "uploads"
    app.config["OUTBOX_DIR"] = data_dir / "outbox"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = security.load_or_create_secret_key(data_dir)
    _configure_logging(app)

    project = load_valid_project(cfg["GUIDE_PROJECT"])
    calendar = CalendarSource(cfg["GUIDE_HOLIDAYS_FILE"])  # a broken holidays file stops the start
    storage = open_storage(cfg["GUIDE_DB"])
    guide = Guide(project=project, storage=storage, theme=static_site.ThemeCache(cfg["GUIDE_SITE_DIR"]),
                  calendar=calendar)
    services = list(project.services.values())
    guide.extra_forms = {"suggestion": suggestion_form(services),
                         "queue": queue_filter_form(services, cfg["GUIDE_FOLLOWUP_DAYS"]),
                         "ratings": ratings_filter_form(services)}
    for service in project.services.values():
        if service.takes_applications:
            guide.forms[service.id] = application_form(service)
            for spec in service.application.fields:
                bad = unknown_accepts(spec.accept) if spec.type == "file" else []
                if bad:
                    log.warning("service %s field %s: accept %s cannot be checked by content and is refused",
                                service.id, spec.id, ", ".join(bad))
    guide.background = mail.Background(app)
    app.extensions["guide"] = guide

    # Held here: the limits on views only keep a weak reference to their limiter.
    guide.limiter = limiter = security.init_app(app)
    templating.init_app(app)
    app.register_blueprint(apply.bp)
    app.register_blueprint(track.bp)
    app.register_blueprint(feedback.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(staff.bp)
    if cfg["GUIDE_SERVE_SITE"]:
        static_site.init_app(app)
    errors.init_app(app)
    security.apply_limits(app, limiter)
    app.context_processor(lambda: {"site": project.site, "theme": guide.theme.get()})

    if cfg["GUIDE_MAIL_WORKER"]:
        guide.background.wake()  # also sends what an earlier run left in the queue
    return app


def open_storage(path: Path) -> Storage:
    """Open (creating and migrating) the database; check it and say which SQLite runs it."""
    import sqlite3

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        storage = Storage(path)
    except sqlite3.DatabaseError as exc:
        raise DatabaseCorrupt(f"{path}: cannot open the database: {exc}") from exc
    problems = storage.quick_check()
    if problems:
        storage.close()
        raise DatabaseCorrupt(f"{path}: PRAGMA quick_check reported: {'; '.join(problems[:5])}")

    safe = ".".join(map(str, SAFE_SQLITE))
    if sqlite_is_safe():
        log.info("database %s: SQLite %s, journal %s", path, sqlite3.sqlite_version, storage.journal_mode())
    else:
        log.warning("database %s: SQLite %s is older than %s, which fixes the WAL-reset bug that can corrupt a "
                    "database when two connections write or checkpoint at once; run one process per database "
                    "(e.g. gunicorn --workers 1 --threads N) or upgrade SQLite", path, sqlite3.sqlite_version, safe)
    return storage


def housekeeping(app: Flask) -> None:
    """Forget stale drafts, delete the files nobody will submit, drop ended staff sessions (hourly)."""
    from . import uploads

    from .auth import MAX_SESSION_HOURS
    from .storage import iso, utcnow

    guide = app.extensions["guide"]
    folder = app.config["UPLOAD_DIR"]
    uploads.discard(folder, guide.storage.purge())
    uploads.discard(folder, uploads.orphans(folder, guide.storage.upload_known))
    guide.storage.purge_staff_sessions(iso(utcnow() - dt.timedelta(hours=MAX_SESSION_HOURS)))


def _configure_logging(app: Flask) -> None:
    root = logging.getLogger("forms_backend")
    if not root.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    if root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
