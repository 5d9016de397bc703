"""补正 (corrections): staff list every missing item at once with a deadline (一次性告知); the
applicant answers online on the same reference number and the case goes back to the queue."""
from __future__ import annotations

import json
import secrets
from typing import Sequence

from .common import iso, utcnow
from .core import StoreBase
from .errors import StorageError
from .records import Correction, NewUpload

__all__ = ["CorrectionsStore", "CorrectionNotOpen", "correction_field"]


class CorrectionNotOpen(StorageError):
    """No open 补正 request on this application (answered already, or the status moved on)."""


def correction_field(correction_id: int, index: int) -> str:
    """The uploads.field_id of the file answering item ``index`` of a 补正 request."""
    return f"correction-{correction_id}-{index}"


class CorrectionsStore(StoreBase):
    """Storage methods for the ``corrections`` table (补正); uses ``set_status`` of the applications area."""

    _CORRECTION_COLUMNS = "id, application_id, items, due_on, requested_at, requested_by, from_status, " \
                          "answered_at, answers"

    @staticmethod
    def _correction(row) -> Correction:
        values = list(row)
        values[2] = json.loads(values[2])
        values[8] = json.loads(values[8]) if values[8] else None
        return Correction(*values)

    def request_correction(self, ref: str, *, actor: str, items: list[dict], due_on: str, note: str | None = None,
                           expected: str | None = None, mails: Sequence[dict] = ()):
        """Set 需补正材料 with its list of items (each {name, reason}) and deadline, in one transaction."""
        if not items:
            raise StorageError("a 补正 request lists at least one item")

        def record(db, app_id: int, current: str, now: str) -> None:
            db.execute("INSERT INTO corrections (application_id, items, due_on, requested_at, requested_by, "
                       "from_status) VALUES (?,?,?,?,?,?)",
                       (app_id, json.dumps(items, ensure_ascii=False), due_on, now, actor, current))

        return self.set_status(ref, "needs_info", actor=actor, note=note, expected=expected, mails=mails,
                               also=record)

    def open_correction(self, application_id: int) -> Correction | None:
        """The unanswered 补正 request of an application that is waiting for it, if any."""
        row = self._one(f"SELECT {', '.join('c.' + c.strip() for c in self._CORRECTION_COLUMNS.split(','))} "
                        f"FROM corrections c JOIN applications a ON a.id = c.application_id "
                        f"WHERE c.application_id = ? AND c.answered_at IS NULL AND a.status = 'needs_info' "
                        f"ORDER BY c.id DESC LIMIT 1", (application_id,))
        return self._correction(row) if row else None

    def corrections_of(self, application_id: int) -> list[Correction]:
        return [self._correction(r) for r in self._all(
            f"SELECT {self._CORRECTION_COLUMNS} FROM corrections WHERE application_id = ? ORDER BY id",
            (application_id,))]

    def answer_correction(self, ref: str, correction_id: int, *, answers: list[dict],
                          new_files: Sequence[NewUpload] = (), mails: Sequence[dict] = ()) -> str:
        """The applicant's answer: files attached, the case back where it was, staff told.

        ``answers`` has one {text} per item; each file's ``field_id`` is ``correction_field``.
        Returns the status the case went back to.
        """
        now = iso(utcnow())
        with self._immediate() as db:
            row = db.execute("SELECT a.id, a.status, c.from_status, c.answered_at FROM applications a "
                             "JOIN corrections c ON c.application_id = a.id WHERE a.ref = ? AND c.id = ?",
                             (ref, correction_id)).fetchone()
            if row is None or row[1] != "needs_info" or row[3] is not None:
                raise CorrectionNotOpen(ref)
            app_id, _, back_to, _ = row
            by_field = {}
            for up in new_files:
                token = secrets.token_urlsafe(12)
                db.execute(
                    "INSERT INTO uploads (token, application_id, field_id, original_name, stored_name, kind, "
                    "content_type, size, sha256, status, created_at) VALUES (?,?,?,?,?,?,?,?,?, 'attached', ?)",
                    (token, app_id, up.field_id, up.original_name, up.stored_name, up.kind, up.content_type,
                     up.size, up.sha256, now))
                by_field[up.field_id] = {"token": token, "name": up.original_name, "size": up.size}
            kept = [{"text": a.get("text") or "", "file": by_field.get(correction_field(correction_id, i))}
                    for i, a in enumerate(answers)]
            db.execute("UPDATE corrections SET answered_at = ?, answers = ? WHERE id = ?",
                       (now, json.dumps(kept, ensure_ascii=False), correction_id))
            db.execute("UPDATE applications SET status = ?, updated_at = ? WHERE id = ?", (back_to, now, app_id))
            db.execute("INSERT INTO application_events (application_id, at, actor, kind, from_status, to_status, "
                       "note, public) VALUES (?,?, 'applicant', 'status', 'needs_info', ?, ?, 1)",
                       (app_id, now, back_to, "已在线提交补正材料"))
            self._queue_mail(db, app_id, mails, now)
        return back_to
