"""Applications: submitting a draft exactly once, tracking, status changes, a case's notes and contacts."""
from __future__ import annotations

import json
from typing import Callable, Sequence

from sqlite_utils import Database

from ..vocabulary import CONTACT_CHANNELS, FINAL_STATUSES, STATUSES, TRANSITIONS
from .common import archive_no, iso, new_ref, random_ref, ref_is_free, utcnow
from .errors import (ApplicationNotFound, BadTransition, DraftNotFound, NotClosed, StaleSubmission, StatusChanged,
                     StorageError, UserNotFound)
from .records import APP_COLUMNS, ApplicationRecord, Contact, Event, Submitted, application_record
from .core import StoreBase
from .equipment import EquipmentStore

__all__ = ["ApplicationsStore"]


class ApplicationsStore(StoreBase):
    """Storage methods for ``applications``, ``application_events`` and ``contacts``."""

    def submit(self, draft_token: str, submit_token: str, *, record: dict, ref_prefix: str, yymm: str,
               compose_mail: Callable[[str], list[dict]]) -> Submitted:
        """Turn a draft into an application, exactly once.

        In one ``BEGIN IMMEDIATE`` transaction: check the draft is unchanged since the
        check-answers page, allocate a unique reference number, insert the application, its
        first history event, attach its uploads, tie it to the register's equipment when the
        draft was opened from a warning's link, and queue its mail. A replay of the same
        submission returns the first result with ``created=False``.

        The transaction holds the write lock every process queues on, so what needs no database
        is done before it: the reference number is drawn and the mail composed and addressed
        first; only if that number turns out to be taken (n in 28 million with n applications of
        the month stored) are both redone inside.
        """
        now = iso(utcnow())
        ref = random_ref(ref_prefix, yymm)
        mails = self._addressed(compose_mail(ref))
        answers = json.dumps(record["answers"], ensure_ascii=False)
        with self._immediate() as db:
            row = db.execute(
                "SELECT d.submit_token, d.application_id, a.ref, d.files, d.equipment_id FROM drafts d "
                "LEFT JOIN applications a ON a.id = d.application_id WHERE d.token = ?", (draft_token,)).fetchone()
            if row is None:
                raise DraftNotFound(draft_token[:6])
            if row[1] is not None:
                return Submitted(row[2], row[1], created=False)
            if row[0] != submit_token:
                raise StaleSubmission("the answers changed after they were checked")
            if not ref_is_free(db, ref):
                ref = new_ref(db, ref_prefix, yymm)
                mails = self._addressed(compose_mail(ref))
            cur = db.execute(
                "INSERT INTO applications (ref, service_id, service_name, status, org_name, uscc, contact_name, "
                "phone, phone_norm, email, answers, submitted_at, updated_at) "
                "VALUES (?,?,?, 'submitted', ?,?,?,?,?,?,?,?,?)",
                (ref, record["service_id"], record["service_name"], record["org_name"], record["uscc"],
                 record["contact_name"], record["phone"], record["phone_norm"], record["email"],
                 answers, now, now))
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
            if row[4] is not None:  # opened from a warning's link (equipment register)
                EquipmentStore.link_application_equipment(db, app_id, row[4])
            self._insert_mail(db, app_id, mails, now)
        return Submitted(ref, app_id, created=True)

    def get_application(self, ref: str) -> ApplicationRecord | None:
        row = self._one(f"SELECT {APP_COLUMNS} FROM applications WHERE ref = ?", (ref,))
        return application_record(row) if row else None

    def find_for_tracking(self, ref: str, phone_norm: str) -> ApplicationRecord | None:
        """The application whose reference AND phone match, with its public history; else None."""
        with self._lock:
            row = self.db.execute(f"SELECT {APP_COLUMNS} FROM applications WHERE ref = ? AND phone_norm = ?",
                                  (ref, phone_norm)).fetchone()
            if row is None:
                return None
            record = application_record(row)
            record.events = self._events(record.id, public_only=True)
        return record

    def withdraw(self, ref: str, *, reason: str, mails: Sequence[dict] = ()) -> None:
        """撤回: the applicant withdraws an application nobody has accepted yet, with a reason."""
        now = iso(utcnow())
        with self._immediate() as db:
            row = db.execute("SELECT id, status FROM applications WHERE ref = ?", (ref,)).fetchone()
            if row is None:
                raise ApplicationNotFound(ref)
            if row[1] != "submitted":
                raise BadTransition(f"cannot withdraw from '{row[1]}'")
            db.execute("UPDATE applications SET status = 'withdrawn', updated_at = ?, closed_at = ? WHERE id = ?",
                       (now, now, row[0]))
            db.execute("INSERT INTO application_events (application_id, at, actor, kind, from_status, to_status, "
                       "note, public) VALUES (?,?, 'applicant', 'status', 'submitted', 'withdrawn', ?, 1)",
                       (row[0], now, f"撤回原因：{reason}"))
            self._queue_mail(db, row[0], mails, now)

    def applications_of(self, uscc: str, phone_norm: str, *, limit: int = 200) -> list[ApplicationRecord]:
        """我的办件: the applications whose code AND phone match (newest first); none otherwise."""
        rows = self._all(f"SELECT {APP_COLUMNS} FROM applications WHERE uscc = ? AND phone_norm = ? "
                         f"ORDER BY id DESC LIMIT ?", (uscc, phone_norm, limit))
        return [application_record(r) for r in rows]

    def public_record(self, ref: str) -> ApplicationRecord | None:
        """The application with its public history (for the signed link of the status emails)."""
        with self._lock:
            row = self.db.execute(f"SELECT {APP_COLUMNS} FROM applications WHERE ref = ?", (ref,)).fetchone()
            if row is None:
                return None
            record = application_record(row)
            record.events = self._events(record.id, public_only=True)
        return record

    def _events(self, application_id: int, public_only: bool) -> list[Event]:
        sql = ("SELECT at, actor, kind, from_status, to_status, note FROM application_events "
               "WHERE application_id = ?" + (" AND public = 1" if public_only else "") + " ORDER BY id")
        return [Event(*r) for r in self._all(sql, (application_id,))]

    def set_status(self, ref: str, to_status: str, *, actor: str, note: str | None = None,
                   public: bool = True, expected: str | None = None, mails: Sequence[dict] = (),
                   due_on: str | None = None, archive_year: int | None = None,
                   private_note: str | None = None, result: dict | None = None,
                   also: Callable | None = None) -> ApplicationRecord:
        """Move an application to ``to_status`` and record who did it, when and why.

        In the same transaction: refuse a change the workflow does not allow (or, with
        ``expected``, one made from a status that is no longer current), set the due date on
        acceptance (``due_on``, a local date, kept if one is set), stamp a closing time and the
        next archive number of ``archive_year`` on completion or rejection, and queue ``mails``.
        ``private_note`` goes beside the (public) step as a note only staff see; ``result`` (a
        stored result document, see ``results.add_result``) is attached in the same transaction.
        ``also(db, application_id, from_status, now)`` writes more in the same transaction (a 补正 list).
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
                sets.append("closed_at = ?")
                params.append(now)
                # A case reopened by mistake and closed again keeps the archive number it had.
                if db.execute("SELECT archive_year FROM applications WHERE id = ?", (app_id,)).fetchone()[0] is None:
                    year = archive_year or utcnow().year
                    seq = db.execute("SELECT coalesce(max(archive_seq), 0) + 1 FROM applications "
                                     "WHERE archive_year = ?", (year,)).fetchone()[0]
                    sets += ["archive_year = ?", "archive_seq = ?"]
                    params += [year, seq]
            db.execute(f"UPDATE applications SET {', '.join(sets)} WHERE id = ?", (*params, app_id))
            db.execute("INSERT INTO application_events (application_id, at, actor, kind, from_status, to_status, "
                       "note, public) VALUES (?,?,?, 'status', ?,?,?,?)",
                       (app_id, now, actor, current, to_status, note, int(public)))
            if private_note:
                db.execute("INSERT INTO application_events (application_id, at, actor, kind, note, public) "
                           "VALUES (?,?,?, 'note', ?, 0)", (app_id, now, actor, private_note))
            if result:
                self._insert_result(db, app_id, result, actor, now)
            if also is not None:
                also(db, app_id, current, now)
            self._queue_mail(db, app_id, mails, now)
        return self.get_application(ref)

    def assign(self, ref: str, assignee: str | None, *, actor: str) -> str | None:
        """Make ``assignee`` (an account name, or None) the case's 承办人; the history says who and when.

        Returns the previous 承办人. Assigning the one it already has changes nothing.
        """
        now = iso(utcnow())
        with self._immediate() as db:
            row = db.execute("SELECT id, assignee FROM applications WHERE ref = ?", (ref,)).fetchone()
            if row is None:
                raise ApplicationNotFound(ref)
            app_id, previous = row
            if previous == assignee:
                return previous
            if assignee is not None and db.execute("SELECT 1 FROM users WHERE name = ? AND active = 1",
                                                    (assignee,)).fetchone() is None:
                raise UserNotFound(assignee)
            db.execute("UPDATE applications SET assignee = ?, updated_at = ? WHERE id = ?", (assignee, now, app_id))
            note = (f"承办人：{assignee}" if assignee else "取消承办人") + (f"（原承办人：{previous}）" if previous else "")
            db.execute("INSERT INTO application_events (application_id, at, actor, kind, note, public) "
                       "VALUES (?,?,?, 'assign', ?, 0)", (app_id, now, actor, note))
        return previous

    def reopen_case(self, ref: str, *, actor: str, reason: str) -> str:
        """Reopen a case closed by mistake: back to the status it was closed from, with the reason.

        The archive number stays with the case (closing it again keeps it); the closing time is
        cleared. Returns the status it is back in.
        """
        now = iso(utcnow())
        with self._immediate() as db:
            row = db.execute("SELECT id, status FROM applications WHERE ref = ?", (ref,)).fetchone()
            if row is None:
                raise ApplicationNotFound(ref)
            app_id, current = row
            if current not in FINAL_STATUSES:
                raise NotClosed(ref)
            back = db.execute("SELECT from_status FROM application_events WHERE application_id = ? AND kind = "
                              "'status' AND to_status = ? ORDER BY id DESC LIMIT 1", (app_id, current)).fetchone()
            target = back[0] if back and back[0] and back[0] not in FINAL_STATUSES else "in_progress"
            db.execute("UPDATE applications SET status = ?, closed_at = NULL, updated_at = ? WHERE id = ?",
                       (target, now, app_id))
            db.execute("INSERT INTO application_events (application_id, at, actor, kind, from_status, to_status, "
                       "note, public) VALUES (?,?,?, 'reopen', ?,?,?, 1)", (app_id, now, actor, current, target, reason))
        return target

    def count_applications(self) -> int:
        return self._one("SELECT count(*) FROM applications")[0]

    def all_refs(self) -> list[str]:
        return [r[0] for r in self._all("SELECT ref FROM applications ORDER BY id")]

    def get_case(self, ref: str) -> ApplicationRecord | None:
        """The application with its whole history (private notes too), for staff."""
        with self._lock:
            row = self.db.execute(f"SELECT {APP_COLUMNS}, due_at, closed_at, archive_year, archive_seq, assignee "
                                  f"FROM applications WHERE ref = ?", (ref,)).fetchone()
            if row is None:
                return None
            record = application_record(row[:13])
            record.due_at, record.closed_at = row[13], row[14]
            record.archive_no = archive_no(row[15], row[16])
            record.assignee = row[17]
            record.events = self._events(record.id, public_only=False)
        return record

    def add_note(self, ref: str, *, actor: str, note: str, public: bool = False) -> None:
        now = iso(utcnow())
        with self._immediate() as db:
            row = db.execute("SELECT id FROM applications WHERE ref = ?", (ref,)).fetchone()
            if row is None:
                raise ApplicationNotFound(ref)
            db.execute("INSERT INTO application_events (application_id, at, actor, kind, note, public) "
                       "VALUES (?,?,?, 'note', ?,?)", (row[0], now, actor, note, int(public)))

    def add_contact(self, ref: str, *, actor: str, channel: str, at: str, note: str) -> int:
        """Record a follow-up contact with the enterprise (seed 001, 8.2.3)."""
        if channel not in CONTACT_CHANNELS:
            raise StorageError(f"unknown channel '{channel}'")
        with self._immediate() as db:
            row = db.execute("SELECT id FROM applications WHERE ref = ?", (ref,)).fetchone()
            if row is None:
                raise ApplicationNotFound(ref)
            return db.execute("INSERT INTO contacts (application_id, at, channel, note, actor, created_at) "
                              "VALUES (?,?,?,?,?,?)", (row[0], at, channel, note, actor, iso(utcnow()))).lastrowid

    def contacts_of(self, application_id: int) -> list[Contact]:
        return [Contact(*r) for r in self._all("SELECT id, at, channel, note, actor FROM contacts "
                                                "WHERE application_id = ? ORDER BY at DESC, id DESC",
                                                (application_id,))]
