"""What is kept how long (the purge job: ``jobs.housekeeping`` hourly, ``guide db purge`` on demand).

- Case records — applications, their history, contacts, uploaded files, current ratings,
  follow-up items, 意见箱 entries, result documents — are the 企业质量档案 of seed 001 §9 (9.1,
  9.2, 9.4: recorded completely, numbered and archived). They are never deleted by the system;
  the unit removes them by its archive's 保管期限 (the catalogue's blank to fill in).
- Mail: the queue's bodies repeat the application in full and exist only to be sent; sent and
  given-up messages and the outbox files go after ``GUIDE_MAIL_KEEP_DAYS`` (30).
- Page feedback and ratings replaced by a later one go after ``GUIDE_FEEDBACK_KEEP_DAYS``
  (730: the yearly report of seed 001 §10 covers a calendar year, compared with the year before).
- Unsubmitted drafts: ``GUIDE_DRAFT_DAYS`` (30); one holding uploads whose answers never passed
  the checks and that nobody saved (保存草稿): ``GUIDE_UPLOAD_PENDING_HOURS`` (3) idle.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

from .storage import iso, utcnow

log = logging.getLogger(__name__)

MBOX_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})\.mbox")


def purge(storage, config, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete what is past its keeping time; return how many of each kind went."""
    now = now or utcnow()
    mail_before = now - dt.timedelta(days=int(config["GUIDE_MAIL_KEEP_DAYS"]))
    feedback_before = iso(now - dt.timedelta(days=int(config["GUIDE_FEEDBACK_KEEP_DAYS"])))
    counts = {
        "mail": storage.purge_mail(iso(mail_before)),
        "outbox_files": purge_outbox(Path(config["OUTBOX_DIR"]), mail_before.date()),
        "page_feedback": storage.purge_page_feedback(feedback_before),
        "replaced_ratings": storage.purge_replaced_ratings(feedback_before),
    }
    if any(counts.values()):
        log.info("retention: deleted %s", ", ".join(f"{n} {what}" for what, n in counts.items() if n))
    return counts


def purge_outbox(folder: Path, before: dt.date) -> int:
    """Delete the outbox's day files (``YYYY-MM-DD.mbox``) of days before ``before``."""
    if not folder.is_dir():
        return 0
    gone = 0
    for path in folder.iterdir():
        m = MBOX_NAME.fullmatch(path.name)
        if m and path.is_file() and dt.date.fromisoformat(m.group(1)) < before:
            path.unlink(missing_ok=True)
            gone += 1
    return gone
