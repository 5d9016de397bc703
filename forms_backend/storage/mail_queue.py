"""The notice queue (``mail_queue``): messages written with the change they tell about, claimed and sent later."""
from __future__ import annotations

import datetime as dt
from typing import Sequence

from sqlite_utils import Database

from ..addresses import is_recipient, refusal
from .common import iso, utcnow
from .records import QueuedMail
from .core import StoreBase

__all__ = ["MailQueueStore", "RECIPIENT_LIMIT"]

# last_error of a message not sent because its recipient had enough from us that day.
RECIPIENT_LIMIT = "not sent: {limit} messages to this recipient in 24 hours (GUIDE_MAIL_PER_RECIPIENT_DAY)"


class MailQueueStore(StoreBase):
    """Storage methods for the ``mail_queue`` table."""

    def queue_notices(self, mails: Sequence[dict], application_id: int | None = None) -> None:
        """Queue notices that belong to no other write (e.g. a draft's resume link)."""
        with self._immediate() as db:
            self._queue_mail(db, application_id, mails, iso(utcnow()))

    @staticmethod
    def _queue_mail(db: Database, application_id: int | None, mails: Sequence[dict], now: str) -> None:
        """Queue ``mails`` (email by default; ``mail.sms`` rows say channel 'sms')."""
        MailQueueStore._insert_mail(db, application_id, MailQueueStore._addressed(mails), now)

    @staticmethod
    def _addressed(mails: Sequence[dict]) -> list[dict]:
        """Each message with its channel and whether that channel can deliver to its recipient.

        A message to something that is not a recipient of its channel (a placeholder instead of
        an address, a landline for an SMS) is kept as refused: never sent, never counted as sent.
        Pure work, no database: a caller may do it before taking the write lock.
        """
        out = []
        for mail in mails:
            channel = mail.get("channel", "email")
            ok = is_recipient(channel, mail["to"])
            out.append({**mail, "channel": channel, "error": None if ok else refusal(mail["to"])})
        return out

    @staticmethod
    def _insert_mail(db: Database, application_id: int | None, mails: Sequence[dict], now: str) -> None:
        """Insert messages checked by ``_addressed``; a recipient over its daily limit is refused here."""
        for mail in mails:
            error = mail["error"]
            limit = mail.get("per_recipient_day")
            if error is None and limit is not None and MailQueueStore._sent_to(db, str(mail["to"]), now) >= limit:
                error = RECIPIENT_LIMIT.format(limit=limit)
            db.execute("INSERT INTO mail_queue (application_id, kind, channel, to_addr, subject, body, "
                       "next_attempt_at, created_at, status, last_error) VALUES (?,?,?,?,?,?,?,?,?,?)",
                       (application_id, mail["kind"], mail["channel"], str(mail["to"] or ""), mail["subject"],
                        mail["body"], now, now, "pending" if error is None else "failed", error))

    @staticmethod
    def _sent_to(db: Database, to: str, now: str) -> int:
        """Messages queued to ``to`` (any kind, refused ones too) in the 24 hours before ``now``."""
        since = iso(dt.datetime.fromisoformat(now) - dt.timedelta(days=1))
        return db.execute("SELECT count(*) FROM mail_queue WHERE lower(to_addr) = lower(?) AND created_at > ?",
                          (to, since)).fetchone()[0]

    def purge_mail(self, before: str) -> int:
        """Delete sent and given-up messages queued before ``before`` (their bodies hold personal
        data); what is still pending or being sent stays."""
        with self._immediate() as db:
            return db.execute("DELETE FROM mail_queue WHERE status IN ('sent', 'failed') AND created_at < ?",
                              (before,)).rowcount

    def claim_due_mail(self, *, limit: int = 20, stale_after: dt.timedelta = dt.timedelta(minutes=10)
                       ) -> list[QueuedMail]:
        """Take up to ``limit`` messages that are due; a claim left by a dead process expires."""
        now = utcnow()
        with self._immediate() as db:
            db.execute("UPDATE mail_queue SET status = 'pending' WHERE status = 'sending' AND claimed_at < ?",
                       (iso(now - stale_after),))
            rows = db.execute("SELECT id, application_id, kind, to_addr, subject, body, attempts, channel "
                              "FROM mail_queue "
                              "WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
                              (iso(now), limit)).fetchall()
            if rows:
                marks = ",".join("?" * len(rows))
                db.execute(f"UPDATE mail_queue SET status = 'sending', claimed_at = ? WHERE id IN ({marks})",
                           (iso(now), *[r[0] for r in rows]))
        return [QueuedMail(*r) for r in rows]

    def mail_sent(self, ids: list[int]) -> None:
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        with self._immediate() as db:
            db.execute(f"UPDATE mail_queue SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
                       f"last_error = NULL WHERE id IN ({marks})", (iso(utcnow()), *ids))

    def mail_failed(self, mail_id: int, error: str, *, retry_at: dt.datetime | None) -> None:
        """Record a failed attempt; ``retry_at=None`` gives up (status 'failed', kept for staff)."""
        with self._immediate() as db:
            if retry_at is None:
                db.execute("UPDATE mail_queue SET status = 'failed', attempts = attempts + 1, last_error = ? "
                           "WHERE id = ?", (error[:500], mail_id))
            else:
                db.execute("UPDATE mail_queue SET status = 'pending', attempts = attempts + 1, last_error = ?, "
                           "next_attempt_at = ? WHERE id = ?", (error[:500], iso(retry_at), mail_id))

    def mail_rows(self) -> list[dict]:
        return self._dicts("SELECT id, application_id, kind, to_addr, subject, status, attempts, last_error, channel, "
                           "body, next_attempt_at FROM mail_queue ORDER BY id")

    def next_mail_due(self) -> dt.datetime | None:
        row = self._one("SELECT min(next_attempt_at) FROM mail_queue WHERE status = 'pending'")
        return dt.datetime.fromisoformat(row[0]) if row and row[0] else None

    def unsent_mail(self, limit: int = 50) -> list[dict]:
        """Messages that were refused (not an address) or given up on, newest first (no bodies)."""
        keys = ("id", "kind", "to_addr", "subject", "created_at", "attempts", "last_error", "ref")
        return [dict(zip(keys, r)) for r in self._all(
            "SELECT m.id, m.kind, m.to_addr, m.subject, m.created_at, m.attempts, m.last_error, a.ref "
            "FROM mail_queue m LEFT JOIN applications a ON a.id = m.application_id WHERE m.status = 'failed' "
            "ORDER BY m.id DESC LIMIT ?", (limit,))]
