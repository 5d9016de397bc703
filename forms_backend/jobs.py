"""Background work of each process: send queued mail when woken (or every 30 s) and tidy hourly
(stale drafts, orphaned uploads, ended staff sessions)."""
from __future__ import annotations

import datetime as dt
import logging
import os
import threading

from flask import Flask

from . import uploads
from .auth import MAX_SESSION_HOURS
from .mail.transport import deliver_due
from .storage import iso, utcnow

log = logging.getLogger(__name__)

POLL_SECONDS = 30.0
BATCH_SECONDS = 0.5  # after a wake-up, gather what else arrives: one claim per batch, not per message
HOUSEKEEPING_SECONDS = 3600.0


def housekeeping(app: Flask) -> None:
    """Forget stale drafts, delete the files nobody will submit, drop ended staff sessions (hourly)."""
    guide = app.extensions["guide"]
    folder = app.config["UPLOAD_DIR"]
    uploads.discard(folder, guide.storage.purge())
    uploads.discard(folder, uploads.orphans(folder, guide.storage.upload_known))
    guide.storage.purge_staff_sessions(iso(utcnow() - dt.timedelta(hours=MAX_SESSION_HOURS)))


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
                    deliver_due(self.app.extensions["guide"].storage, self.app.config)
                    now = dt.datetime.now().timestamp()
                    if now - last_tidy > HOUSEKEEPING_SECONDS:
                        housekeeping(self.app)
                        last_tidy = now
            except Exception:  # keep the thread alive; the queue keeps the work
                log.exception("background mail/housekeeping run failed")
                clock.wait(5)
