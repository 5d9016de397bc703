"""The app factory: ``create_app(test_config=None)`` is the factory for ``guide serve``, gunicorn
(``gunicorn 'forms_backend:create_app()'``) and the tests. Configuration comes from the GUIDE_*
settings (see ``settings.py``); content comes from the guide project through
``site_builder.content`` — the backend never reads YAML itself. The runtime context every
request reads is ``context.Guide``; the pages are ``views/``.
"""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from . import settings as settings_mod
from .context import current_guide
from .private_files import private_dir
from .storage import DatabaseCorrupt, Storage, StorageUnavailable, sqlite

log = logging.getLogger(__name__)


def create_app(test_config: dict | None = None) -> Flask:
    from site_builder.content import load_valid_project
    from site_builder.content.contacts import footer_contacts

    from . import content_reload, errors, security, templating
    from .addresses import staff_address_problems
    from .context import EXTENSION_KEY, Guide
    from .jobs import Background
    from .views import apply, auth, enterprise, feedback, staff, static_site, survey, track  # noqa: F401 - survey adds routes
    from .workdays import CalendarSource

    cfg = settings_mod.resolve(test_config)
    data_dir: Path = cfg["GUIDE_DATA_DIR"]
    private_dir(data_dir, tighten=True)
    app = Flask(__name__, instance_path=str(data_dir), static_folder="static",
                static_url_path="/backend-static")
    app.config.update(security.flask_config(cfg))
    app.config.update(cfg)  # explicit Flask keys in test_config win over the derived ones
    app.config["UPLOAD_DIR"] = data_dir / "uploads"
    app.config["RESULT_DIR"] = data_dir / "results"   # result documents: kept with the archive, never purged
    app.config["RECORD_FILE_DIR"] = data_dir / "record_files"   # files of service records: kept like results
    app.config["OUTBOX_DIR"] = data_dir / "outbox"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = security.load_or_create_secret_key(data_dir)
    _configure_logging(app)

    project = load_valid_project(cfg["GUIDE_PROJECT"])
    problems = staff_address_problems(cfg, project)
    if problems and cfg["GUIDE_ENV"] == "production":
        raise settings_mod.SettingsError("production needs a staff address that works: " + "; ".join(problems))
    for problem in problems:
        log.warning("%s", problem)
    calendar = CalendarSource(cfg["GUIDE_HOLIDAYS_FILE"])  # a broken holidays file stops the start
    storage = open_storage(cfg["GUIDE_DB"], timeout=cfg["GUIDE_DB_BUSY_SECONDS"])
    guide = Guide(project=project, storage=storage, theme=static_site.ThemeCache(cfg["GUIDE_SITE_DIR"]),
                  calendar=calendar, mail_problems=problems)
    content_reload.install(guide, project, cfg["GUIDE_FOLLOWUP_DAYS"])
    content_reload.warn_orphans(storage, project)
    guide.background = Background(app)
    app.extensions[EXTENSION_KEY] = guide
    app.after_request(_checkpoint_once_answered)

    # Held here: the limits on views only keep a weak reference to their limiter.
    guide.limiter = limiter = security.init_app(app)
    templating.init_app(app)
    app.register_blueprint(apply.bp)
    app.register_blueprint(track.bp)
    app.register_blueprint(enterprise.bp)
    app.register_blueprint(feedback.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(staff.bp)
    if cfg["GUIDE_SERVE_SITE"]:
        static_site.init_app(app)
    errors.init_app(app)
    security.apply_limits(app, limiter)
    # The 征求意见稿 line of a draft guide, shown on the backend's pages as on the static ones;
    # worked out once per loaded content (the content may be reloaded, see below).
    shown: list = [None, None]  # [the project it was worked out for, its edition line]

    def edition() -> str | None:
        if shown[0] is not guide.project:
            shown[:] = [guide.project, guide.project.edition_line()]
        return shown[1]

    app.context_processor(lambda: {"site": guide.project.site, "theme": guide.theme.get(), "edition": edition(),
                                   "guide_footer": lambda: footer_contacts(guide.project.site)})
    # Content edited while the app runs (a new service, `guide rename`) is picked up without a restart.
    app.before_request(content_reload.ContentReloader(guide, cfg["GUIDE_PROJECT"], cfg["GUIDE_FOLLOWUP_DAYS"]).before_request)

    if cfg["GUIDE_MAIL_WORKER"]:
        guide.background.wake()  # also sends what an earlier run left in the queue
    return app


def _checkpoint_once_answered(response):
    """When the WAL is due for a checkpoint, make it after this response has been sent (the
    worker does it before taking the next request; see Storage.checkpoint)."""
    storage = current_guide().storage
    if storage.checkpoint_due:
        response.call_on_close(lambda: _checkpoint(storage))
    return response


def _checkpoint(storage: Storage) -> None:
    try:
        storage.checkpoint()
    except StorageUnavailable as exc:  # the next one catches up; SQLite's own is the safety net
        log.warning("WAL checkpoint put off: %s", exc)


def open_storage(path: Path, timeout: float = 10.0) -> Storage:
    """Open (creating and migrating) the database; check it and say which SQLite runs it."""
    private_dir(path.parent)
    try:
        storage = Storage(path, timeout=timeout)
    except sqlite.sqlite3.DatabaseError as exc:
        raise DatabaseCorrupt(f"{path}: cannot open the database: {exc}") from exc
    problems = storage.quick_check()
    if problems:
        storage.close()
        raise DatabaseCorrupt(f"{path}: PRAGMA quick_check reported: {'; '.join(problems[:5])}")

    if sqlite.is_safe():
        log.info("database %s: %s, journal %s", path, sqlite.library(), storage.journal_mode())
    else:
        log.warning("database %s: %s is older than %s, which fixes the WAL-reset bug that can corrupt a database "
                    "when two connections write or checkpoint at once; the file lock %s.lock every write takes "
                    "is a mitigation, not a fix. Install the pysqlite3 wheel (pip install pysqlite3) for a current "
                    "SQLite", path, sqlite.library(), ".".join(map(str, sqlite.SAFE_SQLITE)), path.name)
    return storage


def _configure_logging(app: Flask) -> None:
    from .logredact import install_werkzeug_filter

    install_werkzeug_filter()  # guide serve's request log: no link tokens, no query strings
    root = logging.getLogger("forms_backend")
    if not root.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    if root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
