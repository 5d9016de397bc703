"""Background work of each process: send queued mail when woken (or every 30 s), tidy hourly
(stale drafts, orphaned uploads, ended staff sessions, day-old export files), queue the staff's
daily digest, and run the day's equipment warnings (``warning_run.run_daily``).

The digest is a once-a-day job (``Storage.daily_job``): whichever process runs first after
``GUIDE_DIGEST_HOUR`` (local time) queues it to the duty address, the others find it done."""
from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from zoneinfo import ZoneInfo
from pathlib import Path

from flask import Flask

from . import retention, uploads
from .addresses import duty_address
from .auth import MAX_SESSION_HOURS
from .mail.compose import compose_digest
from .export_jobs import ExportJobs
from .mail.delivery import deliver_due
from .storage import StorageUnavailable, iso, utcnow
from .warning_run import run_daily as run_daily_warnings

log = logging.getLogger(__name__)

POLL_SECONDS = 30.0
# After a wake-up, gather what else arrives for a second: one claim (and one "sent" write) per
# batch, not per message; each is a write transaction with its fsync in the writers' queue.
BATCH_SECONDS = 1.0
HOUSEKEEPING_SECONDS = 3600.0
DELIVERY_BATCH = 200  # messages claimed per round


def housekeeping(app: Flask) -> None:
    """Forget stale drafts, delete the files nobody will submit, drop ended staff sessions, and
    delete what is past its keeping time (retention.py); hourly."""
    guide = app.extensions["guide"]
    folder = app.config["UPLOAD_DIR"]
    pending = dt.timedelta(hours=float(app.config["GUIDE_UPLOAD_PENDING_HOURS"]))
    uploads.discard(folder, guide.storage.purge(draft_age=dt.timedelta(days=app.config["GUIDE_DRAFT_DAYS"]),
                                                upload_draft_age=pending))
    uploads.discard(folder, uploads.orphans(folder, guide.storage.upload_known))
    guide.storage.purge_staff_sessions(iso(utcnow() - dt.timedelta(hours=MAX_SESSION_HOURS)))
    ExportJobs(Path(app.config["GUIDE_DATA_DIR"]) / "exports").purge()
    retention.purge(guide.storage, app.config)


class Background:
    """One thread per process: sends queued mail when woken (or every 30 s), tidies hourly."""

    def __init__(self, app):
        self.app = app
        self._event = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = None
        self._stop = False
        self._lock = threading.Lock()

    def wake(self) -> None:
        with self._lock:
            # After a fork (gunicorn --preload) the parent's thread does not exist in the child.
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._event = threading.Event()
                self._thread = threading.Thread(target=self._run, name="guide-background", daemon=True)
                self._thread.start()
        self._event.set()

    def stop(self) -> None:
        self._stop = True
        self._event.set()

    def _run(self) -> None:
        last_tidy = 0.0
        clock = threading.Event()
        while not self._stop:
            if self._event.wait(POLL_SECONDS):
                clock.wait(BATCH_SECONDS)
            self._event.clear()
            if self._stop:
                break
            try:
                with self.app.app_context():
                    run_digest(self.app)  # queued first, so it goes out in this round
                    self._warnings()
                    deliver_due(self.app.extensions["guide"].storage, self.app.config, limit=DELIVERY_BATCH)
                    self.app.extensions["guide"].storage.checkpoint()
                    now = dt.datetime.now().timestamp()
                    if now - last_tidy > HOUSEKEEPING_SECONDS:
                        housekeeping(self.app)
                        last_tidy = now
            except StorageUnavailable as exc:  # a full disk, a long lock elsewhere: the next round retries
                log.warning("background mail/housekeeping run put off: %s", exc)
                clock.wait(5)
            except Exception:  # keep the thread alive; the queue keeps the work
                log.exception("background mail/housekeeping run failed")
                clock.wait(5)


    def _warnings(self) -> None:
        """The day's equipment warnings; a failure is logged and retried next round without holding
        up the mail (a run that died is stamped only when it finishes, and resends nothing)."""
        try:
            run_daily_warnings(self.app)
        except StorageUnavailable:
            raise
        except Exception:
            log.exception("equipment warning run failed; retried in the next round")


DIGEST_JOB = "staff_digest"


def run_digest(app, *, now: dt.datetime | None = None) -> bool:
    """Queue today's digest if it is time and no process did yet; True when this call queued it."""
    cfg = app.config
    hour = cfg["GUIDE_DIGEST_HOUR"]
    local = (now or utcnow()).astimezone(ZoneInfo(cfg["GUIDE_TIMEZONE"]))
    if hour < 0 or local.hour < hour:
        return False
    guide = app.extensions["guide"]
    to = duty_address(cfg, guide.project)
    if not to:
        return False
    today = local.date().isoformat()
    since = iso(local - dt.timedelta(days=1))
    base = (cfg.get("GUIDE_BASE_URL") or "").rstrip("/")

    def compose() -> list[dict]:
        return compose_digest(site_title=guide.project.site.title, today=today,
                              rows=guide.storage.digest_rows(today, since), to=to,
                              console_url=f"{base}/staff/" if base else None)

    queued = guide.storage.daily_job(DIGEST_JOB, today, compose)
    if queued:
        log.info("daily digest for %s queued", today)
    return queued
