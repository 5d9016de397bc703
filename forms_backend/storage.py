"""Storage: every SQL statement of the backend lives in this module.

SQLite through sqlite-utils. One connection per process, shared by its threads behind a lock
(the single writer that keeps us clear of the WAL-reset bug of SQLite < 3.51.3 as far as one
process can); WAL, a busy timeout, and ``BEGIN IMMEDIATE`` wherever a read decides a write:
reference numbers, submissions, status changes, claiming mail. Migrations are numbered and
recorded by sqlite-utils' ``Migrations``; a later migration adds the staff console's tables.

This module is the seam for moving to another database: views never see SQL or rows, only
the dataclasses and dicts returned here.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import sqlite3
import threading
from contextlib import contextmanager

try:
    import fcntl
except ImportError:  # pragma: no cover - not Linux/macOS: SQLite's own locking only
    fcntl = None
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

log = logging.getLogger(__name__)

# SQLite releases before this one can corrupt a WAL database when two connections write or
# checkpoint at the same moment (the "WAL-reset" bug, fixed in 3.51.3).
SAFE_SQLITE = (3, 51, 3)

STATUSES = ("submitted", "accepted", "in_progress", "completed", "needs_info", "rejected")
FINAL_STATUSES = ("completed", "rejected")
TRANSITIONS: dict[str, frozenset[str]] = {
    "submitted": frozenset({"accepted", "needs_info", "rejected"}),
    "accepted": frozenset({"in_progress", "completed", "needs_info", "rejected"}),
    "in_progress": frozenset({"completed", "needs_info", "rejected"}),
    "needs_info": frozenset({"accepted", "in_progress", "rejected"}),
    "completed": frozenset(),
    "rejected": frozenset(),
}

# Reference numbers avoid characters people confuse when reading or typing them: 0/O, 1/I/L.
REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REF_RANDOM_CHARS = 5


class StorageError(Exception):
    """Base class of the storage errors."""


class DatabaseCorrupt(StorageError):
    """PRAGMA quick_check found problems in the database file."""


class DraftNotFound(StorageError):
    """No draft with this token (expired, purged or never made)."""


class StaleSubmission(StorageError):
    """The answers changed after the check-answers page was shown."""


class ApplicationNotFound(StorageError):
    """No application with this reference number."""


class BadTransition(StorageError):
    """This status change is not allowed from the application's current status."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds")


def sqlite_version() -> tuple[int, ...]:
    return tuple(int(p) for p in sqlite3.sqlite_version.split("."))


def sqlite_is_safe() -> bool:
    return sqlite_version() >= SAFE_SQLITE


# ---------------------------------------------------------------- migrations

migrations = Migrations("forms_backend")


@migrations(name="0001_applications")
def m0001_applications(db: Database) -> None:
    statuses = ", ".join(f"'{s}'" for s in STATUSES)
    for sql in (
        f"""CREATE TABLE applications (
            id INTEGER PRIMARY KEY,
            ref TEXT NOT NULL UNIQUE,
            service_id TEXT NOT NULL,
            service_name TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'submitted' CHECK (status IN ({statuses})),
            org_name TEXT NOT NULL,
            uscc TEXT NOT NULL,
            contact_name TEXT NOT NULL,
            phone TEXT NOT NULL,
            phone_norm TEXT NOT NULL,
            email TEXT NOT NULL,
            answers TEXT NOT NULL,
            submitted_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            due_at TEXT,
            assignee TEXT
        )""",
        "CREATE INDEX applications_service_status ON applications(service_id, status)",
        "CREATE INDEX applications_uscc ON applications(uscc)",
        # No index on submitted_at: ids grow in submission order, so ORDER BY id serves.
        f"""CREATE TABLE application_events (
            id INTEGER PRIMARY KEY,
            application_id INTEGER NOT NULL REFERENCES applications(id),
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('status', 'note', 'mail')),
            from_status TEXT CHECK (from_status IS NULL OR from_status IN ({statuses})),
            to_status TEXT CHECK (to_status IS NULL OR to_status IN ({statuses})),
            note TEXT,
            public INTEGER NOT NULL DEFAULT 1
        )""",
        "CREATE INDEX application_events_app ON application_events(application_id, id)",
        """CREATE TABLE drafts (
            token TEXT PRIMARY KEY,
            service_id TEXT NOT NULL,
            answers TEXT,
            files TEXT NOT NULL DEFAULT '{}',
            submit_token TEXT NOT NULL,
            application_id INTEGER REFERENCES applications(id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        # drafts has no index on updated_at: only the hourly purge scans it, and every index
        # is one more page written by each form POST.
        """CREATE TABLE uploads (
            id INTEGER PRIMARY KEY,
            token TEXT NOT NULL UNIQUE,
            draft_token TEXT,
            application_id INTEGER REFERENCES applications(id),
            field_id TEXT NOT NULL,
            original_name TEXT NOT NULL,
            stored_name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            content_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'attached', 'discarded')),
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX uploads_draft ON uploads(draft_token)",
        "CREATE INDEX uploads_application ON uploads(application_id)",
        """CREATE TABLE mail_queue (
            id INTEGER PRIMARY KEY,
            application_id INTEGER REFERENCES applications(id),
            kind TEXT NOT NULL,
            to_addr TEXT NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            claimed_at TEXT,
            last_error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT
        )""",
        "CREATE INDEX mail_queue_due ON mail_queue(status, next_attempt_at)",
    ):
        db.execute(sql)


# ---------------------------------------------------------------- records

@dataclass
class Draft:
    token: str
    service_id: str
    answers: dict | None
    files: dict[str, dict]
    submit_token: str
    application_id: int | None
    ref: str | None = None


@dataclass
class Submitted:
    ref: str
    application_id: int
    created: bool


@dataclass
class NewUpload:
    """A received file, already written to disk under ``stored_name``."""
    field_id: str
    original_name: str
    stored_name: str
    kind: str
    content_type: str
    size: int
    sha256: str


@dataclass
class Event:
    at: str
    actor: str
    kind: str
    from_status: str | None
    to_status: str | None
    note: str | None


@dataclass
class ApplicationRecord:
    id: int
    ref: str
    service_id: str
    service_name: str
    status: str
    org_name: str
    uscc: str
    contact_name: str
    phone: str
    email: str
    answers: list[dict]
    submitted_at: str
    updated_at: str
    events: list[Event] = field(default_factory=list)


@dataclass
class QueuedMail:
    id: int
    application_id: int | None
    kind: str
    to_addr: str
    subject: str
    body: str
    attempts: int


APP_COLUMNS = ("id, ref, service_id, service_name, status, org_name, uscc, contact_name, phone, email, "
               "answers, submitted_at, updated_at")


def _application(row: tuple) -> ApplicationRecord:
    values = list(row)
    values[10] = json.loads(values[10])
    return ApplicationRecord(*values)


# ---------------------------------------------------------------- the store

class Storage:
    """One SQLite database file, opened once per process."""

    def __init__(self, path: Path | str, *, timeout: float = 10.0, migrate: bool = True):
        self.path = Path(path)
        conn = sqlite3.connect(str(self.path), timeout=timeout, check_same_thread=False)
        self.db = Database(conn, execute_plugins=False)
        self._lock = threading.RLock()
        # Writers of all processes queue on an OS file lock beside the database, so at most one
        # connection writes or checkpoints at a time (the WAL-reset hazard needs two), and a
        # waiting writer is woken as soon as the lock is free instead of sleeping in SQLite's
        # busy-handler back-off, which under load costs tens of milliseconds per wait.
        self._write_lock = open(f"{self.path}.lock", "a+b") if fcntl else None
        self._depth = 0
        with self._lock, self._exclusive():
            # Switching a new file to WAL needs it to itself; SQLite does not always wait for
            # that, so processes starting together take turns here.
            self.db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self.db.enable_wal()
            # NORMAL is durable against a crash of the process; FULL adds an fsync per commit,
            # which protects the last commits against power loss too. Acknowledged applications
            # are what we promise to keep, so FULL.
            self.db.execute("PRAGMA synchronous = FULL")
            self.db.execute("PRAGMA foreign_keys = ON")
        if migrate:
            self.migrate()

    def close(self) -> None:
        with self._lock:
            self.db.close()
            if self._write_lock:
                self._write_lock.close()

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """The cross-process write lock (a no-op where there is no fcntl)."""
        if self._write_lock is None:
            yield
            return
        fcntl.flock(self._write_lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._write_lock, fcntl.LOCK_UN)

    @contextmanager
    def _immediate(self) -> Iterator[Database]:
        """A write transaction that takes the write lock up front (read-then-write safe)."""
        with self._lock:
            if self._depth:
                raise StorageError("write transactions do not nest")
            self._depth += 1
            try:
                with self._exclusive():
                    self.db.conn.execute("BEGIN IMMEDIATE")
                    try:
                        yield self.db
                    except BaseException:
                        self.db.rollback()
                        raise
                    else:
                        self.db.conn.execute("COMMIT")
            finally:
                self._depth -= 1

    def _one(self, sql: str, params=()) -> tuple | None:
        with self._lock:
            return self.db.execute(sql, params).fetchone()

    def _all(self, sql: str, params=()) -> list[tuple]:
        with self._lock:
            return self.db.execute(sql, params).fetchall()

    # ------------------------------------------------------------ maintenance

    def migrate(self) -> list[str]:
        """Apply pending migrations; several processes starting at once apply each one once."""
        with self._immediate() as db:
            pending = [m.name for m in migrations.pending(db)]
            migrations.apply(db)
        return pending

    def quick_check(self) -> list[str]:
        """Problems reported by PRAGMA quick_check (empty when the file is sound)."""
        try:
            rows = self._all("PRAGMA quick_check")
        except sqlite3.DatabaseError as exc:  # too damaged to even check
            return [str(exc)]
        problems = [r[0] for r in rows]
        return [] if problems == ["ok"] else problems

    def journal_mode(self) -> str:
        return self._one("PRAGMA journal_mode")[0]

    def backup(self, dest: Path | str) -> Path:
        """An online, consistent copy of the database (SQLite's backup API), written atomically."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.tmp")
        target = sqlite3.connect(str(tmp))
        try:
            with self._lock:
                self.db.conn.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
        os.replace(tmp, dest)
        return dest

    def counts(self) -> dict[str, int]:
        tables = ("applications", "application_events", "drafts", "uploads", "mail_queue")
        return {t: self._one(f"SELECT count(*) FROM {t}")[0] for t in tables}

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
            for mail in compose_mail(ref):
                db.execute("INSERT INTO mail_queue (application_id, kind, to_addr, subject, body, next_attempt_at, "
                           "created_at) VALUES (?,?,?,?,?,?,?)",
                           (app_id, mail["kind"], mail["to"], mail["subject"], mail["body"], now, now))
        return Submitted(ref, app_id, created=True)

    @staticmethod
    def _new_ref(db: Database, prefix: str, yymm: str) -> str:
        for _ in range(50):
            tail = "".join(secrets.choice(REF_ALPHABET) for _ in range(REF_RANDOM_CHARS))
            ref = f"{prefix}-{yymm}-{tail}"
            if db.execute("SELECT 1 FROM applications WHERE ref = ?", (ref,)).fetchone() is None:
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

    def _events(self, application_id: int, public_only: bool) -> list[Event]:
        sql = ("SELECT at, actor, kind, from_status, to_status, note FROM application_events "
               "WHERE application_id = ?" + (" AND public = 1" if public_only else "") + " ORDER BY id")
        return [Event(*r) for r in self._all(sql, (application_id,))]

    def set_status(self, ref: str, to_status: str, *, actor: str, note: str | None = None,
                   public: bool = True) -> ApplicationRecord:
        """Move an application to ``to_status`` and record who did it, when and why."""
        if to_status not in STATUSES:
            raise BadTransition(f"unknown status '{to_status}'")
        now = iso(utcnow())
        with self._immediate() as db:
            row = db.execute("SELECT id, status FROM applications WHERE ref = ?", (ref,)).fetchone()
            if row is None:
                raise ApplicationNotFound(ref)
            app_id, current = row
            if to_status not in TRANSITIONS[current]:
                raise BadTransition(f"cannot go from '{current}' to '{to_status}'")
            db.execute("UPDATE applications SET status = ?, updated_at = ? WHERE id = ?", (to_status, now, app_id))
            db.execute("INSERT INTO application_events (application_id, at, actor, kind, from_status, to_status, "
                       "note, public) VALUES (?,?,?, 'status', ?,?,?,?)",
                       (app_id, now, actor, current, to_status, note, int(public)))
        return self.get_application(ref)

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
            rows = db.execute("SELECT id, application_id, kind, to_addr, subject, body, attempts FROM mail_queue "
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
        keys = ("id", "application_id", "kind", "to_addr", "subject", "status", "attempts", "last_error")
        return [dict(zip(keys, r)) for r in
                self._all("SELECT id, application_id, kind, to_addr, subject, status, attempts, last_error "
                          "FROM mail_queue ORDER BY id")]

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
