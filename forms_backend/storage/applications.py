"""Drafts, submissions, tracking, status changes, mail queue and purging."""
from __future__ import annotations

from .common import *  # noqa: F401,F403 - constants, errors, helpers
from .records import *  # noqa: F401,F403
from .records import _application  # noqa: F401
from .migrations import _in  # noqa: F401


class ApplicationsStore:
    """Methods of Storage for applications; needs the core's _immediate/_one/_all."""

    # ------------------------------------------------------------ drafts

    def get_draft(self, token: str) -> Draft | None:
        row = self._one(
            "SELECT d.token, d.service_id, d.answers, d.files, d.submit_token, d.application_id, a.ref "
            "FROM drafts d LEFT JOIN applications a ON a.id = d.application_id WHERE d.token = ?", (token,))
        if row is None:
            return None
        return Draft(row[0], row[1], json.loads(row[2]) if row[2] else None, json.loads(row[3]), row[4], row[5],
                     row[6])

    def save_draft(self, token: str, service_id: str, *, answers: dict | None,
                   new_files: list[NewUpload] = ()) -> Draft:
        """Create or update a draft; ``answers=None`` keeps the answers it had.

        New files replace the draft's earlier file for the same field; the replaced upload is
        marked discarded (its file is removed by ``purge``).
        """
        now = iso(utcnow())
        with self._immediate() as db:
            row = db.execute("SELECT answers, files, application_id, service_id FROM drafts WHERE token = ?",
                             (token,)).fetchone()
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
                    "content_type, size, sha256, status, created_at) VALUES (?,?,?,?,?,?,?,?,?, 'pending', ?)",
                    (up_token, token, up.field_id, up.original_name, up.stored_name, up.kind, up.content_type,
                     up.size, up.sha256, now))
                files[up.field_id] = {"token": up_token, "name": up.original_name, "size": up.size,
                                      "kind": up.kind}
            answers = answers if answers is not None else old_answers
            submit_token = secrets.token_urlsafe(16)
            db.execute(
                "INSERT INTO drafts (token, service_id, answers, files, submit_token, created_at, updated_at) "
                "VALUES (?,?,?,?,?,?,?) ON CONFLICT(token) DO UPDATE SET answers = excluded.answers, "
                "files = excluded.files, submit_token = excluded.submit_token, updated_at = excluded.updated_at",
                (token, service_id, json.dumps(answers, ensure_ascii=False) if answers is not None else None,
                 json.dumps(files, ensure_ascii=False), submit_token, now, now))
        return Draft(token, service_id, answers, files, submit_token, None)

    # ------------------------------------------------------------ submitting

    def submit(self, draft_token: str, submit_token: str, *, record: dict, ref_prefix: str, yymm: str,
               compose_mail: Callable[[str], list[dict]]) -> Submitted:
        """Turn a draft into an application, exactly once.

        In one ``BEGIN IMMEDIATE`` transaction: check the draft is unchanged since the
        check-answers page, allocate a unique reference number, insert the application, its
        first history event, attach its uploads and queue its mail. A replay of the same
        submission returns the first result with ``created=False``.
        """
        now = iso(utcnow())
        with self._immediate() as db:
            row = db.execute(
                "SELECT d.submit_token, d.application_id, a.ref, d.files FROM drafts d "
                "LEFT JOIN applications a ON a.id = d.application_id WHERE d.token = ?", (draft_token,)).fetchone()
            if row is None:
                raise DraftNotFound(draft_token[:6])
            if row[1] is not None:
                return Submitted(row[2], row[1], created=False)
            if row[0] != submit_token:
                raise StaleSubmission("the answers changed after they were checked")
            ref = self._new_ref(db, ref_prefix, yymm)
            cur = db.execute(
                "INSERT INTO applications (ref, service_id, service_name, status, org_name, uscc, contact_name, "
                "phone, phone_norm, email, answers, submitted_at, updated_at) "
                "VALUES (?,?,?, 'submitted', ?,?,?,?,?,?,?,?,?)",
                (ref, record["service_id"], record["service_name"], record["org_name"], record["uscc"],
                 record["contact_name"], record["phone"], record["phone_norm"], record["email"],
                 json.dumps(record["answers"], ensure_ascii=False), now, now))
            app_id = cur.lastrowid
            db.execute("INSERT INTO application_events (application_id, at, actor, kind, to_status) "
                       "VALUES (?, ?, 'applicant', 'status', 'submitted')", (app_id, now))
            kept = [f["token"] for f in json.loads(row[3]).values()]
            if kept:
                marks = ",".join("?" * len(kept))
                db.execute(f"UPDATE uploads SET application_id = ?, status = 'attached' "
                           f"WHERE draft_token = ? AND token IN ({marks})", (app_id, draft_token, *kept))
            # (Files replaced while editing were marked discarded when they were replaced.)
            db.execute("UPDATE drafts SET application_id = ?, answers = NULL, updated_at = ? WHERE token = ?",
                       (app_id, now, draft_token))
            self._queue_mail(db, app_id, compose_mail(ref), now)
        return Submitted(ref, app_id, created=True)

    @staticmethod
    def _new_ref(db: Database, prefix: str, yymm: str, table: str = "applications") -> str:
        for _ in range(50):
            tail = "".join(secrets.choice(REF_ALPHABET) for _ in range(REF_RANDOM_CHARS))
            ref = f"{prefix}-{yymm}-{tail}"
            if db.execute(f"SELECT 1 FROM {table} WHERE ref = ?", (ref,)).fetchone() is None:
                return ref
        raise StorageError("no free reference number after 50 tries")

    # ------------------------------------------------------------ applications

    def refs_of_drafts(self, tokens: list[str]) -> set[str]:
        """Reference numbers of the applications these drafts became."""
        tokens = [t for t in tokens if isinstance(t, str)][:50]
        if not tokens:
            return set()
        marks = ",".join("?" * len(tokens))
        rows = self._all(f"SELECT a.ref FROM drafts d JOIN applications a ON a.id = d.application_id "
                         f"WHERE d.token IN ({marks})", tokens)
        return {r[0] for r in rows}

    def get_application(self, ref: str) -> ApplicationRecord | None:
        row = self._one(f"SELECT {APP_COLUMNS} FROM applications WHERE ref = ?", (ref,))
        return _application(row) if row else None

    def find_for_tracking(self, ref: str, phone_norm: str) -> ApplicationRecord | None:
        """The application whose reference AND phone match, with its public history; else None."""
        with self._lock:
            row = self.db.execute(f"SELECT {APP_COLUMNS} FROM applications WHERE ref = ? AND phone_norm = ?",
                                  (ref, phone_norm)).fetchone()
            if row is None:
                return None
            record = _application(row)
            record.events = self._events(record.id, public_only=True)
        return record

    def public_record(self, ref: str) -> ApplicationRecord | None:
        """The application with its public history (for the signed link of the status emails)."""
        with self._lock:
            row = self.db.execute(f"SELECT {APP_COLUMNS} FROM applications WHERE ref = ?", (ref,)).fetchone()
            if row is None:
                return None
            record = _application(row)
            record.events = self._events(record.id, public_only=True)
        return record

    def _events(self, application_id: int, public_only: bool) -> list[Event]:
        sql = ("SELECT at, actor, kind, from_status, to_status, note FROM application_events "
               "WHERE application_id = ?" + (" AND public = 1" if public_only else "") + " ORDER BY id")
        return [Event(*r) for r in self._all(sql, (application_id,))]

    def set_status(self, ref: str, to_status: str, *, actor: str, note: str | None = None,
                   public: bool = True, expected: str | None = None, mails: Sequence[dict] = (),
                   due_on: str | None = None, archive_year: int | None = None,
                   private_note: str | None = None) -> ApplicationRecord:
        """Move an application to ``to_status`` and record who did it, when and why.

        In the same transaction: refuse a change the workflow does not allow (or, with
        ``expected``, one made from a status that is no longer current), set the due date on
        acceptance (``due_on``, a local date, kept if one is set), stamp a closing time and the
        next archive number of ``archive_year`` on completion or rejection, and queue ``mails``.
        ``private_note`` goes beside the (public) step as a note only staff see.
        """
        if to_status not in STATUSES:
            raise BadTransition(f"unknown status '{to_status}'")
        now = iso(utcnow())
        with self._immediate() as db:
            row = db.execute("SELECT id, status FROM applications WHERE ref = ?", (ref,)).fetchone()
            if row is None:
                raise ApplicationNotFound(ref)
            app_id, current = row
            if expected is not None and current != expected:
                raise StatusChanged(f"the status is now '{current}', not '{expected}'")
            if to_status not in TRANSITIONS[current]:
                raise BadTransition(f"cannot go from '{current}' to '{to_status}'")
            sets, params = ["status = ?", "updated_at = ?"], [to_status, now]
            if to_status == "accepted" and due_on:
                sets.append("due_at = coalesce(due_at, ?)")
                params.append(due_on)
            if to_status in FINAL_STATUSES:
                year = archive_year or utcnow().year
                seq = db.execute("SELECT coalesce(max(archive_seq), 0) + 1 FROM applications WHERE archive_year = ?",
                                 (year,)).fetchone()[0]
                sets += ["closed_at = ?", "archive_year = ?", "archive_seq = ?"]
                params += [now, year, seq]
            db.execute(f"UPDATE applications SET {', '.join(sets)} WHERE id = ?", (*params, app_id))
            db.execute("INSERT INTO application_events (application_id, at, actor, kind, from_status, to_status, "
                       "note, public) VALUES (?,?,?, 'status', ?,?,?,?)",
                       (app_id, now, actor, current, to_status, note, int(public)))
            if private_note:
                db.execute("INSERT INTO application_events (application_id, at, actor, kind, note, public) "
                           "VALUES (?,?,?, 'note', ?, 0)", (app_id, now, actor, private_note))
            self._queue_mail(db, app_id, mails, now)
        return self.get_application(ref)

    @staticmethod
    def _queue_mail(db: Database, application_id: int | None, mails: Sequence[dict], now: str) -> None:
        for mail in mails:  # email by default; notify.sms() rows say channel 'sms'
            db.execute("INSERT INTO mail_queue (application_id, kind, channel, to_addr, subject, body, "
                       "next_attempt_at, created_at) VALUES (?,?,?,?,?,?,?,?)",
                       (application_id, mail["kind"], mail.get("channel", "email"), mail["to"], mail["subject"],
                        mail["body"], now, now))

    def uploads_of(self, application_id: int) -> list[dict]:
        rows = self._all("SELECT token, field_id, original_name, stored_name, kind, content_type, size, sha256 "
                         "FROM uploads WHERE application_id = ? AND status = 'attached' ORDER BY id",
                         (application_id,))
        keys = ("token", "field_id", "original_name", "stored_name", "kind", "content_type", "size", "sha256")
        return [dict(zip(keys, r)) for r in rows]

    def upload_known(self, stored_name: str) -> bool:
        return self._one("SELECT 1 FROM uploads WHERE stored_name = ?", (stored_name,)) is not None

    def count_applications(self) -> int:
        return self._one("SELECT count(*) FROM applications")[0]

    def all_refs(self) -> list[str]:
        return [r[0] for r in self._all("SELECT ref FROM applications ORDER BY id")]

    # ------------------------------------------------------------ mail queue

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
        keys = ("id", "application_id", "kind", "to_addr", "subject", "status", "attempts", "last_error", "channel",
                "body", "next_attempt_at")
        return [dict(zip(keys, r)) for r in
                self._all("SELECT id, application_id, kind, to_addr, subject, status, attempts, last_error, channel, "
                          "body, next_attempt_at FROM mail_queue ORDER BY id")]

    def next_mail_due(self) -> dt.datetime | None:
        row = self._one("SELECT min(next_attempt_at) FROM mail_queue WHERE status = 'pending'")
        return dt.datetime.fromisoformat(row[0]) if row and row[0] else None

    # ------------------------------------------------------------ housekeeping

    def purge(self, *, draft_age: dt.timedelta = dt.timedelta(days=1),
              submitted_draft_age: dt.timedelta = dt.timedelta(days=7)) -> list[str]:
        """Forget old drafts and their unsubmitted uploads; return the stored file names to delete."""
        now = utcnow()
        with self._immediate() as db:
            old = iso(now - draft_age)
            db.execute("DELETE FROM drafts WHERE (application_id IS NULL AND updated_at < ?) OR "
                       "(application_id IS NOT NULL AND updated_at < ?)", (old, iso(now - submitted_draft_age)))
            # Pending uploads whose draft is gone (just purged, or never saved) are orphans.
            doomed = ("status = 'discarded' OR (status = 'pending' AND NOT EXISTS "
                      "(SELECT 1 FROM drafts d WHERE d.token = uploads.draft_token))")
            rows = db.execute(f"SELECT stored_name FROM uploads WHERE {doomed}").fetchall()
            db.execute(f"DELETE FROM uploads WHERE {doomed}")
        return [r[0] for r in rows]

