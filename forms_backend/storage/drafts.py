"""Drafts (answers not yet submitted) and their uploaded files; purging what nobody submits."""
from __future__ import annotations

import datetime as dt
import json
import secrets

from .common import iso, new_ref, utcnow
from .errors import DraftNotFound
from .records import Draft, NewUpload
from .core import StoreBase

__all__ = ["DraftsStore"]


class DraftsStore(StoreBase):
    """Storage methods for the ``drafts`` and ``uploads`` tables."""

    _DRAFT = ("SELECT d.token, d.service_id, d.answers, d.files, d.submit_token, d.application_id, a.ref, d.typed, "
              "d.resume_ref, d.updated_at FROM drafts d LEFT JOIN applications a ON a.id = d.application_id ")

    @staticmethod
    def _draft(row) -> Draft:
        return Draft(row[0], row[1], json.loads(row[2]) if row[2] else None, json.loads(row[3]), row[4], row[5],
                     row[6], json.loads(row[7]) if row[7] else None, row[8], row[9])

    def get_draft(self, token: str) -> Draft | None:
        row = self._one(self._DRAFT + "WHERE d.token = ?", (token,))
        return self._draft(row) if row else None

    def save_draft(self, token: str, service_id: str, *, answers: dict | None,
                   new_files: list[NewUpload] = (), typed: dict | None = None,
                   phone_norm: str | None = None, client_key: str | None = None) -> Draft:
        """Create or update a draft; ``answers=None`` keeps the answers it had.

        ``typed`` (what the form held, valid or not) replaces the earlier one when given, and so
        does ``phone_norm`` (for resuming with the draft code). New files replace the draft's
        earlier file for the same field; the replaced upload is marked discarded (its file is
        removed by ``purge``).
        """
        now = iso(utcnow())
        with self._immediate() as db:
            row = db.execute("SELECT answers, files, application_id, service_id, typed, resume_ref, phone_norm "
                             "FROM drafts WHERE token = ?", (token,)).fetchone()
            if row is not None and (row[2] is not None or row[3] != service_id):
                raise DraftNotFound("this draft was already submitted or belongs to another service")
            old_answers = json.loads(row[0]) if row and row[0] else None
            files = json.loads(row[1]) if row else {}
            for up in new_files:
                previous = files.get(up.field_id)
                if previous:
                    db.execute("UPDATE uploads SET status = 'discarded' WHERE token = ? AND status = 'pending'",
                               (previous["token"],))
                up_token = secrets.token_urlsafe(12)
                db.execute(
                    "INSERT INTO uploads (token, draft_token, field_id, original_name, stored_name, kind, "
                    "content_type, size, sha256, status, created_at, client_key) "
                    "VALUES (?,?,?,?,?,?,?,?,?, 'pending', ?, ?)",
                    (up_token, token, up.field_id, up.original_name, up.stored_name, up.kind, up.content_type,
                     up.size, up.sha256, now, client_key))
                files[up.field_id] = {"token": up_token, "name": up.original_name, "size": up.size,
                                      "kind": up.kind}
            answers = answers if answers is not None else old_answers
            typed_json = json.dumps(typed, ensure_ascii=False) if typed is not None else (row[4] if row else None)
            phone = phone_norm if typed is not None else (row[6] if row else None)
            submit_token = secrets.token_urlsafe(16)
            db.execute(
                "INSERT INTO drafts (token, service_id, answers, files, submit_token, created_at, updated_at, typed, "
                "phone_norm) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(token) DO UPDATE SET answers = excluded.answers, "
                "files = excluded.files, submit_token = excluded.submit_token, updated_at = excluded.updated_at, "
                "typed = excluded.typed, phone_norm = excluded.phone_norm",
                (token, service_id, json.dumps(answers, ensure_ascii=False) if answers is not None else None,
                 json.dumps(files, ensure_ascii=False), submit_token, now, now, typed_json, phone))
        return Draft(token, service_id, answers, files, submit_token, None,
                     typed=json.loads(typed_json) if typed_json else None, resume_ref=row[5] if row else None,
                     updated_at=now)

    def draft_resume_ref(self, token: str, prefix: str, yymm: str) -> str:
        """The draft's code for resuming it elsewhere (made on first use), e.g. CG-2611-7K3Q9."""
        with self._immediate() as db:
            row = db.execute("SELECT resume_ref FROM drafts WHERE token = ? AND application_id IS NULL",
                             (token,)).fetchone()
            if row is None:
                raise DraftNotFound(token[:6])
            if row[0]:
                return row[0]
            ref = new_ref(db, prefix, yymm, table="drafts", column="resume_ref")
            db.execute("UPDATE drafts SET resume_ref = ? WHERE token = ?", (ref, token))
            return ref

    def find_draft_to_resume(self, resume_ref: str, phone_norm: str) -> Draft | None:
        """The unsubmitted draft whose code AND phone number match; else None (one query for both)."""
        row = self._one(self._DRAFT + "WHERE d.resume_ref = ? AND d.phone_norm = ? AND d.application_id IS NULL",
                        (resume_ref, phone_norm))
        return self._draft(row) if row else None

    def refs_of_drafts(self, tokens: list[str]) -> set[str]:
        """Reference numbers of the applications these drafts became."""
        tokens = [t for t in tokens if isinstance(t, str)][:50]
        if not tokens:
            return set()
        marks = ",".join("?" * len(tokens))
        rows = self._all(f"SELECT a.ref FROM drafts d JOIN applications a ON a.id = d.application_id "
                         f"WHERE d.token IN ({marks})", tokens)
        return {r[0] for r in rows}

    def uploads_of(self, application_id: int) -> list[dict]:
        return self._dicts("SELECT token, field_id, original_name, stored_name, kind, content_type, size, sha256 "
                           "FROM uploads WHERE application_id = ? AND status = 'attached' ORDER BY id",
                           (application_id,))

    def upload_known(self, stored_name: str) -> bool:
        """Whether a row names this stored file: an applicant's upload, a result document or a
        service record's file (their names are random; a name is in one table at most)."""
        return self._one("SELECT 1 FROM uploads WHERE stored_name = ? UNION ALL "
                         "SELECT 1 FROM result_documents WHERE stored_name = ? UNION ALL "
                         "SELECT 1 FROM record_files WHERE stored_name = ?", (stored_name,) * 3) is not None

    def pending_upload_bytes(self, draft_tokens: list[str], client_key: str | None) -> tuple[int, int, int]:
        """Bytes of unsubmitted uploads: of these drafts (a session), of this client, of everyone."""
        tokens = [t for t in draft_tokens if isinstance(t, str)][:50]
        marks = ",".join("?" * len(tokens)) or "NULL"
        row = self._one(
            f"SELECT coalesce(sum(CASE WHEN draft_token IN ({marks}) THEN size END), 0), "
            "coalesce(sum(CASE WHEN client_key = ? THEN size END), 0), coalesce(sum(size), 0) "
            "FROM uploads WHERE status = 'pending'", (*tokens, client_key))
        return int(row[0]), int(row[1]), int(row[2])

    def purge(self, *, draft_age: dt.timedelta = dt.timedelta(days=30),
              submitted_draft_age: dt.timedelta = dt.timedelta(days=7),
              upload_draft_age: dt.timedelta | None = None) -> list[str]:
        """Forget old drafts and their unsubmitted uploads; return the stored file names to delete.

        An unsubmitted draft holding uploads goes sooner, after ``upload_draft_age`` without a
        change: files nobody submits must not fill the disk until the daily purge.
        """
        now = utcnow()
        with self._immediate() as db:
            old = iso(now - draft_age)
            db.execute("DELETE FROM drafts WHERE (application_id IS NULL AND updated_at < ?) OR "
                       "(application_id IS NOT NULL AND updated_at < ?)", (old, iso(now - submitted_draft_age)))
            if upload_draft_age is not None:
                # Only drafts whose answers never passed the checks and that nobody saved for later
                # (保存草稿): a flood of files with junk answers, not someone's application.
                db.execute("DELETE FROM drafts WHERE application_id IS NULL AND answers IS NULL AND "
                           "resume_ref IS NULL AND updated_at < ? AND EXISTS "
                           "(SELECT 1 FROM uploads u WHERE u.draft_token = drafts.token AND u.status = 'pending')",
                           (iso(now - upload_draft_age),))
            # Pending uploads whose draft is gone (just purged, or never saved) are orphans.
            doomed = ("status = 'discarded' OR (status = 'pending' AND NOT EXISTS "
                      "(SELECT 1 FROM drafts d WHERE d.token = uploads.draft_token))")
            rows = db.execute(f"SELECT stored_name FROM uploads WHERE {doomed}").fetchall()
            db.execute(f"DELETE FROM uploads WHERE {doomed}")
        return [r[0] for r in rows]
