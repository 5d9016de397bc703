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
from typing import Callable, Iterator, Sequence

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


class StatusChanged(BadTransition):
    """Someone else changed the application's status since the page was shown."""


class UserExists(StorageError):
    """A staff account with this name already exists."""


class UserNotFound(StorageError):
    """No staff account with this name."""


class LastAdmin(StorageError):
    """The change would leave no active administrator."""


class IssueNotFound(StorageError):
    """No follow-up item with this number."""


class IssueClosed(StorageError):
    """The follow-up item is already closed."""


class VoteNotFound(StorageError):
    """No page-feedback vote with this number (or not this visitor's)."""


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


ROLES = ("staff", "admin")
CONTACT_CHANNELS = ("phone", "visit", "email", "other")
ISSUE_KINDS = ("rating", "complaint", "suggestion")
SUGGESTION_KINDS = ("complaint", "suggestion")
TOLD_VIA = ("email", "phone", "visit", "letter", "track")
NOTE_KINDS = ("opened", "note", "contact", "owner", "updated", "closed")


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


@migrations(name="0002_staff_console")
def m0002_staff_console(db: Database) -> None:
    for sql in (
        # closed_at: when it became completed or rejected (time to completion, the archive date).
        "ALTER TABLE applications ADD COLUMN closed_at TEXT",
        # Archive numbers (seed 001, 9.4): a sequence per year, given when a case is closed.
        "ALTER TABLE applications ADD COLUMN archive_year INTEGER",
        "ALTER TABLE applications ADD COLUMN archive_seq INTEGER",
        "CREATE UNIQUE INDEX applications_archive ON applications(archive_year, archive_seq) "
        "WHERE archive_year IS NOT NULL",
        f"""CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ({_in(ROLES)})),
            password_hash TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            password_changed_at TEXT NOT NULL,
            last_login_at TEXT
        )""",
        # Server-side staff sessions: logout, disabling an account and a new password end them
        # at once, which a signed cookie alone cannot do. The cookie holds the token, the table
        # its SHA-256.
        """CREATE TABLE staff_sessions (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL
        )""",
        "CREATE INDEX staff_sessions_user ON staff_sessions(user_id)",
        # Follow-up contacts with the enterprise while a case is open (seed 001, 8.2.3).
        f"""CREATE TABLE contacts (
            id INTEGER PRIMARY KEY,
            application_id INTEGER NOT NULL REFERENCES applications(id),
            at TEXT NOT NULL,
            channel TEXT NOT NULL CHECK (channel IN ({_in(CONTACT_CHANNELS)})),
            note TEXT NOT NULL,
            actor TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX contacts_application ON contacts(application_id, at)",
    ):
        db.execute(sql)


@migrations(name="0003_feedback")
def m0003_feedback(db: Database) -> None:
    for sql in (
        """CREATE TABLE page_feedback (
            id INTEGER PRIMARY KEY,
            page TEXT NOT NULL,
            helpful INTEGER NOT NULL CHECK (helpful IN (0, 1)),
            comment TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        "CREATE INDEX page_feedback_page ON page_feedback(page)",
        # 五级好差评: 5 非常满意 ... 1 非常不满意. A later rating replaces the current one; the
        # earlier rows stay, with current = 0.
        """CREATE TABLE ratings (
            id INTEGER PRIMARY KEY,
            application_id INTEGER NOT NULL REFERENCES applications(id),
            score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
            q_guide INTEGER CHECK (q_guide IN (0, 1)),
            q_process INTEGER CHECK (q_process IN (0, 1)),
            q_materials INTEGER CHECK (q_materials IN (0, 1)),
            q_interface INTEGER CHECK (q_interface IN (0, 1)),
            comment TEXT,
            created_at TEXT NOT NULL,
            current INTEGER NOT NULL DEFAULT 1
        )""",
        "CREATE UNIQUE INDEX ratings_current ON ratings(application_id) WHERE current = 1",
        # 意见箱. code_hash: SHA-256 of the query code shown once, for following it anonymously.
        f"""CREATE TABLE suggestions (
            id INTEGER PRIMARY KEY,
            ref TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL CHECK (kind IN ({_in(SUGGESTION_KINDS)})),
            service_id TEXT,
            service_name TEXT,
            related_ref TEXT,
            body TEXT NOT NULL,
            name TEXT,
            org_name TEXT,
            phone TEXT,
            phone_norm TEXT,
            email TEXT,
            code_hash TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        # Follow-up items: every bad rating and every 意见箱 entry, with its two deadlines
        # (local dates), an owner, notes, and a closure whose outcome is told to the enterprise.
        f"""CREATE TABLE issues (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ({_in(ISSUE_KINDS)})),
            application_id INTEGER REFERENCES applications(id),
            rating_id INTEGER REFERENCES ratings(id),
            suggestion_id INTEGER REFERENCES suggestions(id),
            service_id TEXT,
            service_name TEXT,
            opened_at TEXT NOT NULL,
            first_contact_due TEXT,
            rectify_due TEXT NOT NULL,
            first_contact_at TEXT,
            owner TEXT,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
            closed_at TEXT,
            outcome TEXT,
            told_via TEXT CHECK (told_via IS NULL OR told_via IN ({_in(TOLD_VIA)}))
        )""",
        "CREATE INDEX issues_status ON issues(status, rectify_due)",
        "CREATE INDEX issues_application ON issues(application_id)",
        "CREATE INDEX issues_suggestion ON issues(suggestion_id)",
        f"""CREATE TABLE issue_notes (
            id INTEGER PRIMARY KEY,
            issue_id INTEGER NOT NULL REFERENCES issues(id),
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ({_in(NOTE_KINDS)})),
            channel TEXT CHECK (channel IS NULL OR channel IN ({_in(CONTACT_CHANNELS)})),
            note TEXT
        )""",
        "CREATE INDEX issue_notes_issue ON issue_notes(issue_id, id)",
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
    due_at: str | None = None
    closed_at: str | None = None
    archive_no: str | None = None


@dataclass
class QueuedMail:
    id: int
    application_id: int | None
    kind: str
    to_addr: str
    subject: str
    body: str
    attempts: int


@dataclass
class StaffUser:
    id: int
    name: str
    role: str
    active: bool
    created_at: str
    password_changed_at: str
    last_login_at: str | None
    password_hash: str = field(default="", repr=False)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass
class StaffSession:
    user: StaffUser
    created_at: str
    last_seen_at: str


@dataclass
class Contact:
    id: int
    at: str
    channel: str
    note: str
    actor: str


@dataclass
class QueueFilter:
    """What the staff queue asks for; every value is already validated (see staff_forms)."""
    service_id: str | None = None
    status: str | None = None
    submitted_from: str | None = None    # UTC ISO, inclusive
    submitted_before: str | None = None  # UTC ISO, exclusive
    enterprise: str | None = None        # part of the name, or the whole 统一社会信用代码
    overdue: str | None = None           # 'time' (past the service time limit) or 'followup'
    today: str | None = None             # local date, for 'time'
    followup_cutoff: str | None = None   # UTC ISO, for 'followup': last contact before this
    uscc: str | None = None              # exactly this enterprise


@dataclass
class QueueRow:
    ref: str
    service_id: str
    service_name: str
    status: str
    org_name: str
    uscc: str
    submitted_at: str
    updated_at: str
    due_at: str | None
    closed_at: str | None
    archive_no: str | None
    last_contact_at: str | None
    score: int | None


@dataclass
class Rating:
    id: int
    application_id: int
    score: int
    q_guide: int | None
    q_process: int | None
    q_materials: int | None
    q_interface: int | None
    comment: str | None
    created_at: str
    current: bool


@dataclass
class IssueNote:
    at: str
    actor: str
    kind: str
    channel: str | None
    note: str | None


@dataclass
class Issue:
    id: int
    kind: str
    application_id: int | None
    rating_id: int | None
    suggestion_id: int | None
    service_id: str | None
    service_name: str | None
    opened_at: str
    first_contact_due: str | None
    rectify_due: str
    first_contact_at: str | None
    owner: str | None
    status: str
    closed_at: str | None
    outcome: str | None
    told_via: str | None
    ref: str | None = None          # the application's or the suggestion's reference
    who: str | None = None          # enterprise name, or the name left in the 意见箱
    notes: list[IssueNote] = field(default_factory=list)


@dataclass
class Suggestion:
    id: int
    ref: str
    kind: str
    service_id: str | None
    service_name: str | None
    related_ref: str | None
    body: str
    name: str | None
    org_name: str | None
    phone: str | None
    email: str | None
    created_at: str


@dataclass
class SuggestionStatus:
    """What the tracking page shows of a 意见箱 entry."""
    ref: str
    kind: str
    service_name: str | None
    created_at: str
    status: str                 # 'received', 'in_progress' or 'closed'
    closed_at: str | None
    outcome: str | None


def archive_no(year: int | None, seq: int | None) -> str | None:
    return f"{year}-{seq:04d}" if year and seq else None


def like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with its own % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


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
        for mail in mails:
            db.execute("INSERT INTO mail_queue (application_id, kind, to_addr, subject, body, next_attempt_at, "
                       "created_at) VALUES (?,?,?,?,?,?,?)",
                       (application_id, mail["kind"], mail["to"], mail["subject"], mail["body"], now, now))

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

    # ------------------------------------------------------------ staff accounts and sessions

    _USER_COLUMNS = "id, name, role, active, created_at, password_changed_at, last_login_at, password_hash"

    @staticmethod
    def _user(row: tuple) -> StaffUser:
        return StaffUser(row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6], row[7])

    def create_user(self, name: str, role: str, password_hash: str) -> StaffUser:
        if role not in ROLES:
            raise StorageError(f"unknown role '{role}'")
        now = iso(utcnow())
        with self._immediate() as db:
            if db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise UserExists(name)
            db.execute("INSERT INTO users (name, role, password_hash, created_at, password_changed_at) "
                       "VALUES (?,?,?,?,?)", (name, role, password_hash, now, now))
        return self.get_user(name)

    def get_user(self, name: str) -> StaffUser | None:
        row = self._one(f"SELECT {self._USER_COLUMNS} FROM users WHERE name = ?", (name,))
        return self._user(row) if row else None

    def list_users(self) -> list[StaffUser]:
        return [self._user(r) for r in self._all(f"SELECT {self._USER_COLUMNS} FROM users ORDER BY name")]

    def update_user(self, name: str, *, role: str | None = None, active: bool | None = None,
                    password_hash: str | None = None) -> StaffUser:
        """Change an account; a new password or disabling ends its sessions. Never leaves no admin."""
        now = iso(utcnow())
        with self._immediate() as db:
            row = db.execute("SELECT id, role, active FROM users WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise UserNotFound(name)
            user_id, old_role, old_active = row
            loses_admin = old_role == "admin" and old_active and (
                (role is not None and role != "admin") or active is False)
            if loses_admin:
                others = db.execute("SELECT count(*) FROM users WHERE role = 'admin' AND active = 1 AND id != ?",
                                    (user_id,)).fetchone()[0]
                if not others:
                    raise LastAdmin(name)
            if role is not None:
                if role not in ROLES:
                    raise StorageError(f"unknown role '{role}'")
                db.execute("UPDATE users SET role = ? WHERE id = ?", (role, user_id))
            if active is not None:
                db.execute("UPDATE users SET active = ? WHERE id = ?", (int(active), user_id))
            if password_hash is not None:
                db.execute("UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?",
                           (password_hash, now, user_id))
            if password_hash is not None or active is False or (role is not None and role != old_role):
                db.execute("DELETE FROM staff_sessions WHERE user_id = ?", (user_id,))
        return self.get_user(name)

    def record_login(self, user_id: int, token_hash: str, *, password_hash: str | None = None) -> None:
        """A successful login: its new session, the login time, and a rehashed password if due."""
        now = iso(utcnow())
        with self._immediate() as db:
            db.execute("INSERT INTO staff_sessions (token_hash, user_id, created_at, last_seen_at) VALUES (?,?,?,?)",
                       (token_hash, user_id, now, now))
            db.execute("UPDATE users SET last_login_at = ? WHERE id = ?", (now, user_id))
            if password_hash:
                db.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))

    def staff_session(self, token_hash: str) -> StaffSession | None:
        """The session and its (active) account, or None."""
        cols = ", ".join(f"u.{c.strip()}" for c in self._USER_COLUMNS.split(","))
        row = self._one(f"SELECT {cols}, s.created_at, s.last_seen_at FROM staff_sessions s "
                        f"JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND u.active = 1", (token_hash,))
        if row is None:
            return None
        return StaffSession(self._user(row[:8]), row[8], row[9])

    def touch_staff_session(self, token_hash: str) -> None:
        with self._immediate() as db:
            db.execute("UPDATE staff_sessions SET last_seen_at = ? WHERE token_hash = ?", (iso(utcnow()), token_hash))

    def end_staff_session(self, token_hash: str) -> None:
        with self._immediate() as db:
            db.execute("DELETE FROM staff_sessions WHERE token_hash = ?", (token_hash,))

    def purge_staff_sessions(self, idle_before: str) -> int:
        with self._immediate() as db:
            return db.execute("DELETE FROM staff_sessions WHERE last_seen_at < ?", (idle_before,)).rowcount

    # ------------------------------------------------------------ the staff queue

    _LAST_CONTACT = "(SELECT max(c.at) FROM contacts c WHERE c.application_id = a.id)"
    _SCORE = "(SELECT r.score FROM ratings r WHERE r.application_id = a.id AND r.current = 1)"
    _OPEN = f"a.status NOT IN ({_in(FINAL_STATUSES)})"
    SORTS = {  # name -> ORDER BY terms (each gets the direction)
        "submitted": ("a.id",), "updated": ("a.updated_at",), "due": ("a.due_at IS NULL", "a.due_at"),
        "org": ("a.org_name",), "service": ("a.service_name",), "status": ("a.status",),
        "contact": (f"coalesce({_LAST_CONTACT}, a.submitted_at)",),
    }

    def _queue_where(self, f: QueueFilter) -> tuple[str, list]:
        where, params = [], []
        if f.service_id:
            where.append("a.service_id = ?")
            params.append(f.service_id)
        if f.status:
            where.append("a.status = ?")
            params.append(f.status)
        if f.submitted_from:
            where.append("a.submitted_at >= ?")
            params.append(f.submitted_from)
        if f.submitted_before:
            where.append("a.submitted_at < ?")
            params.append(f.submitted_before)
        if f.enterprise:
            where.append("(a.uscc = ? OR a.org_name LIKE ? ESCAPE '\\')")
            params += [f.enterprise.upper(), like(f.enterprise)]
        if f.uscc:
            where.append("a.uscc = ?")
            params.append(f.uscc)
        if f.overdue == "time":
            where.append(f"{self._OPEN} AND a.due_at IS NOT NULL AND a.due_at < ?")
            params.append(f.today)
        elif f.overdue == "followup":
            where.append(f"{self._OPEN} AND coalesce({self._LAST_CONTACT}, a.submitted_at) < ?")
            params.append(f.followup_cutoff)
        return (" WHERE " + " AND ".join(where)) if where else "", params

    def search_applications(self, f: QueueFilter, *, sort: str = "submitted", descending: bool = True,
                            limit: int = 25, offset: int = 0) -> tuple[list[QueueRow], int]:
        """One page of the queue and the number of applications that match."""
        where, params = self._queue_where(f)
        order = ", ".join(f"{part} {'DESC' if descending else 'ASC'}" for part in self.SORTS[sort])
        with self._lock:
            total = self.db.execute(f"SELECT count(*) FROM applications a{where}", params).fetchone()[0]
            rows = self.db.execute(
                f"SELECT a.ref, a.service_id, a.service_name, a.status, a.org_name, a.uscc, a.submitted_at, "
                f"a.updated_at, a.due_at, a.closed_at, a.archive_year, a.archive_seq, {self._LAST_CONTACT}, "
                f"{self._SCORE} FROM applications a{where} ORDER BY {order}, a.id DESC LIMIT ? OFFSET ?",
                (*params, limit, offset)).fetchall()
        return [QueueRow(*r[:10], archive_no(r[10], r[11]), r[12], r[13]) for r in rows], total

    def export_applications(self, f: QueueFilter) -> list[dict]:
        where, params = self._queue_where(f)
        keys = ("ref", "service_name", "status", "org_name", "uscc", "contact_name", "phone", "email",
                "submitted_at", "updated_at", "due_at", "closed_at", "archive_year", "archive_seq", "answers",
                "last_contact_at", "score")
        rows = self._all(
            f"SELECT a.ref, a.service_name, a.status, a.org_name, a.uscc, a.contact_name, a.phone, a.email, "
            f"a.submitted_at, a.updated_at, a.due_at, a.closed_at, a.archive_year, a.archive_seq, a.answers, "
            f"{self._LAST_CONTACT}, {self._SCORE} FROM applications a{where} ORDER BY a.id", params)
        out = []
        for r in rows:
            d = dict(zip(keys, r))
            d["answers"] = json.loads(d["answers"])
            d["archive_no"] = archive_no(d.pop("archive_year"), d.pop("archive_seq"))
            out.append(d)
        return out

    def get_case(self, ref: str) -> ApplicationRecord | None:
        """The application with its whole history (private notes too), for staff."""
        with self._lock:
            row = self.db.execute(f"SELECT {APP_COLUMNS}, due_at, closed_at, archive_year, archive_seq "
                                  f"FROM applications WHERE ref = ?", (ref,)).fetchone()
            if row is None:
                return None
            record = _application(row[:13])
            record.due_at, record.closed_at = row[13], row[14]
            record.archive_no = archive_no(row[15], row[16])
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

    # ------------------------------------------------------------ enterprise archive

    def enterprises(self, query: str, *, limit: int = 50) -> list[dict]:
        """Enterprises whose code is ``query`` or whose name contains it, with their case counts."""
        rows = self._all(
            "SELECT uscc, (SELECT org_name FROM applications b WHERE b.uscc = a.uscc ORDER BY b.id DESC LIMIT 1), "
            "count(*), max(submitted_at), sum(archive_year IS NOT NULL) FROM applications a "
            "WHERE uscc = ? OR org_name LIKE ? ESCAPE '\\' GROUP BY uscc ORDER BY max(id) DESC LIMIT ?",
            (query.upper(), like(query), limit))
        keys = ("uscc", "org_name", "cases", "last_submitted_at", "archived")
        return [dict(zip(keys, r)) for r in rows]

    def catalogue(self, *, year: int | None = None, uscc: str | None = None) -> list[dict]:
        """Archived cases in archive-number order: the 归档文件目录 (seed 001, 9.4)."""
        where, params = ["archive_year IS NOT NULL"], []
        if year is not None:
            where.append("archive_year = ?")
            params.append(year)
        if uscc:
            where.append("uscc = ?")
            params.append(uscc)
        rows = self._all("SELECT archive_year, archive_seq, ref, service_name, org_name, uscc, submitted_at, "
                         "closed_at, status FROM applications WHERE " + " AND ".join(where) +
                         " ORDER BY archive_year, archive_seq", params)
        keys = ("year", "seq", "ref", "service_name", "org_name", "uscc", "submitted_at", "closed_at", "status")
        out = []
        for r in rows:
            d = dict(zip(keys, r))
            d["archive_no"] = archive_no(d["year"], d["seq"])
            out.append(d)
        return out

    def archive_years(self) -> list[tuple[int, int]]:
        return [tuple(r) for r in self._all("SELECT archive_year, count(*) FROM applications "
                                            "WHERE archive_year IS NOT NULL GROUP BY archive_year "
                                            "ORDER BY archive_year DESC")]

    # ------------------------------------------------------------ ratings (五级好差评)

    _RATING_COLUMNS = ("id, application_id, score, q_guide, q_process, q_materials, q_interface, comment, "
                       "created_at, current")

    def save_rating(self, ref: str, *, score: int, answers: dict[str, int | None], comment: str | None,
                    open_issue: dict | None, summary: str) -> tuple[int, int | None]:
        """Store a rating of a completed application; it replaces the current one (kept as history).

        ``open_issue`` ({first_contact_due, rectify_due}) opens a follow-up item, unless one is
        already open for this application: then, as for any new rating while one is open, the
        item gets a note (``summary`` says what the rating is). Returns (rating id, item id).
        """
        now = iso(utcnow())
        with self._immediate() as db:
            row = db.execute("SELECT id, status, service_id, service_name FROM applications WHERE ref = ?",
                             (ref,)).fetchone()
            if row is None:
                raise ApplicationNotFound(ref)
            app_id, status, service_id, service_name = row
            if status != "completed":
                raise BadTransition("only a completed application can be rated")
            db.execute("UPDATE ratings SET current = 0 WHERE application_id = ? AND current = 1", (app_id,))
            rating_id = db.execute(
                "INSERT INTO ratings (application_id, score, q_guide, q_process, q_materials, q_interface, comment, "
                "created_at) VALUES (?,?,?,?,?,?,?,?)",
                (app_id, score, answers.get("q_guide"), answers.get("q_process"), answers.get("q_materials"),
                 answers.get("q_interface"), comment, now)).lastrowid
            issue = db.execute("SELECT id FROM issues WHERE application_id = ? AND kind = 'rating' AND status = 'open'",
                               (app_id,)).fetchone()
            if issue:
                issue_id = issue[0]
                db.execute("UPDATE issues SET rating_id = ? WHERE id = ?", (rating_id, issue_id))
                db.execute("INSERT INTO issue_notes (issue_id, at, actor, kind, note) VALUES (?,?, 'applicant', "
                           "'updated', ?)", (issue_id, now, summary))
            elif open_issue:
                issue_id = db.execute(
                    "INSERT INTO issues (kind, application_id, rating_id, service_id, service_name, opened_at, "
                    "first_contact_due, rectify_due) VALUES ('rating', ?,?,?,?,?,?,?)",
                    (app_id, rating_id, service_id, service_name, now, open_issue.get("first_contact_due"),
                     open_issue["rectify_due"])).lastrowid
                db.execute("INSERT INTO issue_notes (issue_id, at, actor, kind, note) VALUES (?,?, 'system', "
                           "'opened', ?)", (issue_id, now, summary))
            else:
                issue_id = None
        return rating_id, issue_id

    def ratings_of(self, application_id: int) -> list[Rating]:
        """Every rating of the application, the current one first."""
        return [Rating(*r[:9], bool(r[9])) for r in
                self._all(f"SELECT {self._RATING_COLUMNS} FROM ratings WHERE application_id = ? "
                          f"ORDER BY current DESC, id DESC", (application_id,))]

    def rating_issue(self, application_id: int) -> Issue | None:
        """The latest follow-up item opened by a rating of this application."""
        row = self._one("SELECT id FROM issues WHERE application_id = ? AND kind = 'rating' ORDER BY id DESC LIMIT 1",
                        (application_id,))
        return self.get_issue(row[0]) if row else None

    def list_ratings(self, *, service_id: str | None = None, score: int | None = None, limit: int = 50,
                     offset: int = 0) -> tuple[list[dict], int]:
        where, params = ["r.current = 1"], []
        if service_id:
            where.append("a.service_id = ?")
            params.append(service_id)
        if score:
            where.append("r.score = ?")
            params.append(score)
        sql_where = " WHERE " + " AND ".join(where)
        keys = ("ref", "service_name", "org_name", "score", "q_guide", "q_process", "q_materials", "q_interface",
                "comment", "created_at", "issue_id")
        with self._lock:
            total = self.db.execute(f"SELECT count(*) FROM ratings r JOIN applications a ON a.id = r.application_id"
                                    f"{sql_where}", params).fetchone()[0]
            rows = self.db.execute(
                f"SELECT a.ref, a.service_name, a.org_name, r.score, r.q_guide, r.q_process, r.q_materials, "
                f"r.q_interface, r.comment, r.created_at, (SELECT max(i.id) FROM issues i WHERE i.rating_id = r.id) "
                f"FROM ratings r JOIN applications a ON a.id = r.application_id{sql_where} "
                f"ORDER BY r.id DESC LIMIT ? OFFSET ?", (*params, limit, offset)).fetchall()
        return [dict(zip(keys, r)) for r in rows], total

    def export_ratings(self) -> list[dict]:
        keys = ("ref", "service_name", "org_name", "uscc", "score", "q_guide", "q_process", "q_materials",
                "q_interface", "comment", "created_at", "current")
        return [dict(zip(keys, r)) for r in self._all(
            "SELECT a.ref, a.service_name, a.org_name, a.uscc, r.score, r.q_guide, r.q_process, r.q_materials, "
            "r.q_interface, r.comment, r.created_at, r.current FROM ratings r "
            "JOIN applications a ON a.id = r.application_id ORDER BY r.id")]

    # ------------------------------------------------------------ page feedback

    def add_page_vote(self, page: str, helpful: bool, comment: str | None = None) -> int:
        now = iso(utcnow())
        with self._immediate() as db:
            return db.execute("INSERT INTO page_feedback (page, helpful, comment, created_at, updated_at) "
                              "VALUES (?,?,?,?,?)", (page, int(helpful), comment or None, now, now)).lastrowid

    def update_page_vote(self, vote_id: int, *, helpful: bool | None = None, comment: str | None = None) -> None:
        """Change the answer of a vote, or add its comment (a comment is never blanked)."""
        with self._immediate() as db:
            if db.execute("SELECT 1 FROM page_feedback WHERE id = ?", (vote_id,)).fetchone() is None:
                raise VoteNotFound(str(vote_id))
            db.execute("UPDATE page_feedback SET helpful = coalesce(?, helpful), comment = coalesce(?, comment), "
                       "updated_at = ? WHERE id = ?",
                       (None if helpful is None else int(helpful), comment or None, iso(utcnow()), vote_id))

    def page_vote(self, vote_id: int) -> dict | None:
        row = self._one("SELECT id, page, helpful, comment FROM page_feedback WHERE id = ?", (vote_id,))
        return dict(zip(("id", "page", "helpful", "comment"), row)) if row else None

    def page_feedback_by_page(self, since: str | None = None, until: str | None = None) -> list[dict]:
        where, params = self._between("created_at", since, until)
        rows = self._all(f"SELECT page, sum(helpful), sum(1 - helpful), sum(comment IS NOT NULL) FROM page_feedback"
                         f"{where} GROUP BY page", params)
        return [{"page": r[0], "yes": r[1], "no": r[2], "comments": r[3]} for r in rows]

    def page_feedback_comments(self, *, page: str | None = None, limit: int = 50, offset: int = 0
                               ) -> tuple[list[dict], int]:
        where, params = "WHERE comment IS NOT NULL", []
        if page:
            where += " AND page = ?"
            params.append(page)
        with self._lock:
            total = self.db.execute(f"SELECT count(*) FROM page_feedback {where}", params).fetchone()[0]
            rows = self.db.execute(f"SELECT page, helpful, comment, created_at FROM page_feedback {where} "
                                   f"ORDER BY id DESC LIMIT ? OFFSET ?", (*params, limit, offset)).fetchall()
        return [dict(zip(("page", "helpful", "comment", "created_at"), r)) for r in rows], total

    def export_page_feedback(self) -> list[dict]:
        return [dict(zip(("page", "helpful", "comment", "created_at"), r)) for r in
                self._all("SELECT page, helpful, comment, created_at FROM page_feedback ORDER BY id")]

    @staticmethod
    def _between(column: str, since: str | None, until: str | None) -> tuple[str, list]:
        where, params = [], []
        if since:
            where.append(f"{column} >= ?")
            params.append(since)
        if until:
            where.append(f"{column} < ?")
            params.append(until)
        return ((" WHERE " + " AND ".join(where)) if where else ""), params

    # ------------------------------------------------------------ 意见箱 (suggestions and complaints)

    def add_suggestion(self, record: dict, *, ref_prefix: str, yymm: str, code_hash: str, issue: dict) -> str:
        """Store an entry and open its follow-up item, in one transaction; return its reference."""
        if record["kind"] not in SUGGESTION_KINDS:
            raise StorageError(f"unknown kind '{record['kind']}'")
        now = iso(utcnow())
        with self._immediate() as db:
            ref = self._new_ref(db, ref_prefix, yymm, table="suggestions")
            sid = db.execute(
                "INSERT INTO suggestions (ref, kind, service_id, service_name, related_ref, body, name, org_name, "
                "phone, phone_norm, email, code_hash, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (ref, record["kind"], record.get("service_id"), record.get("service_name"), record.get("related_ref"),
                 record["body"], record.get("name"), record.get("org_name"), record.get("phone"),
                 record.get("phone_norm"), record.get("email"), code_hash, now)).lastrowid
            issue_id = db.execute(
                "INSERT INTO issues (kind, suggestion_id, service_id, service_name, opened_at, first_contact_due, "
                "rectify_due) VALUES (?,?,?,?,?,?,?)",
                (record["kind"], sid, record.get("service_id"), record.get("service_name"), now,
                 issue.get("first_contact_due"), issue["rectify_due"])).lastrowid
            db.execute("INSERT INTO issue_notes (issue_id, at, actor, kind) VALUES (?,?, 'system', 'opened')",
                       (issue_id, now))
        return ref

    _SUGGESTION_COLUMNS = ("id, ref, kind, service_id, service_name, related_ref, body, name, org_name, phone, "
                           "email, created_at")

    def get_suggestion(self, suggestion_id: int) -> Suggestion | None:
        row = self._one(f"SELECT {self._SUGGESTION_COLUMNS} FROM suggestions WHERE id = ?", (suggestion_id,))
        return Suggestion(*row) if row else None

    def find_suggestion_for_tracking(self, ref: str, *, phone_norm: str | None, code_hash: str
                                     ) -> SuggestionStatus | None:
        """The entry whose reference matches and whose query code or phone number does; else None."""
        row = self._one(
            "SELECT s.ref, s.kind, s.service_name, s.created_at, i.status, i.first_contact_at, i.closed_at, "
            "i.outcome, (SELECT count(*) FROM issue_notes n WHERE n.issue_id = i.id AND n.kind != 'opened') "
            "FROM suggestions s JOIN issues i ON i.suggestion_id = s.id "
            "WHERE s.ref = ? AND (s.code_hash = ? OR (s.phone_norm IS NOT NULL AND s.phone_norm = ?))",
            (ref, code_hash, phone_norm or "-"))
        if row is None:
            return None
        status = "closed" if row[4] == "closed" else ("in_progress" if row[5] or row[8] else "received")
        return SuggestionStatus(row[0], row[1], row[2], row[3], status, row[6], row[7] if row[4] == "closed" else None)

    def export_suggestions(self) -> list[dict]:
        keys = ("ref", "kind", "service_name", "related_ref", "body", "name", "org_name", "phone", "email",
                "created_at", "status", "owner", "first_contact_due", "first_contact_at", "rectify_due", "closed_at",
                "outcome", "told_via")
        return [dict(zip(keys, r)) for r in self._all(
            "SELECT s.ref, s.kind, s.service_name, s.related_ref, s.body, s.name, s.org_name, s.phone, s.email, "
            "s.created_at, i.status, i.owner, i.first_contact_due, i.first_contact_at, i.rectify_due, i.closed_at, "
            "i.outcome, i.told_via FROM suggestions s LEFT JOIN issues i ON i.suggestion_id = s.id ORDER BY s.id")]

    # ------------------------------------------------------------ follow-up items

    _ISSUE_SELECT = (
        "SELECT i.id, i.kind, i.application_id, i.rating_id, i.suggestion_id, i.service_id, i.service_name, "
        "i.opened_at, i.first_contact_due, i.rectify_due, i.first_contact_at, i.owner, i.status, i.closed_at, "
        "i.outcome, i.told_via, coalesce(a.ref, s.ref), coalesce(a.org_name, s.org_name, s.name) "
        "FROM issues i LEFT JOIN applications a ON a.id = i.application_id "
        "LEFT JOIN suggestions s ON s.id = i.suggestion_id")

    @staticmethod
    def _issue(row: tuple) -> Issue:
        return Issue(*row)

    def list_issues(self, *, status: str | None = "open", kind: str | None = None, owner: str | None = None,
                    overdue_on: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[Issue], int]:
        """Follow-up items; ``overdue_on`` (a local date) keeps the open ones past a deadline."""
        where, params = [], []
        if status:
            where.append("i.status = ?")
            params.append(status)
        if kind:
            where.append("i.kind = ?")
            params.append(kind)
        if owner:
            where.append("i.owner = ?")
            params.append(owner)
        if overdue_on:
            where.append("i.status = 'open' AND (i.rectify_due < ? OR (i.first_contact_at IS NULL AND "
                         "i.first_contact_due IS NOT NULL AND i.first_contact_due < ?))")
            params += [overdue_on, overdue_on]
        sql_where = (" WHERE " + " AND ".join(where)) if where else ""
        with self._lock:
            total = self.db.execute(f"SELECT count(*) FROM issues i{sql_where}", params).fetchone()[0]
            rows = self.db.execute(f"{self._ISSUE_SELECT}{sql_where} ORDER BY i.status = 'closed', i.rectify_due, "
                                   f"i.id LIMIT ? OFFSET ?", (*params, limit, offset)).fetchall()
        return [self._issue(r) for r in rows], total

    def get_issue(self, issue_id: int) -> Issue | None:
        with self._lock:
            row = self.db.execute(f"{self._ISSUE_SELECT} WHERE i.id = ?", (issue_id,)).fetchone()
            if row is None:
                return None
            issue = self._issue(row)
            issue.notes = [IssueNote(*r) for r in self.db.execute(
                "SELECT at, actor, kind, channel, note FROM issue_notes WHERE issue_id = ? ORDER BY id",
                (issue_id,)).fetchall()]
        return issue

    def _open_issue(self, db: Database, issue_id: int) -> tuple:
        row = db.execute("SELECT id, status FROM issues WHERE id = ?", (issue_id,)).fetchone()
        if row is None:
            raise IssueNotFound(str(issue_id))
        if row[1] != "open":
            raise IssueClosed(str(issue_id))
        return row

    def set_issue_owner(self, issue_id: int, owner: str | None, *, actor: str) -> None:
        now = iso(utcnow())
        with self._immediate() as db:
            self._open_issue(db, issue_id)
            db.execute("UPDATE issues SET owner = ? WHERE id = ?", (owner, issue_id))
            db.execute("INSERT INTO issue_notes (issue_id, at, actor, kind, note) VALUES (?,?,?, 'owner', ?)",
                       (issue_id, now, actor, owner))

    def add_issue_note(self, issue_id: int, *, actor: str, note: str, channel: str | None = None,
                       at: str | None = None) -> None:
        """A note; with a ``channel`` it is a contact with the enterprise (the first one is dated)."""
        now = iso(utcnow())
        with self._immediate() as db:
            self._open_issue(db, issue_id)
            kind = "contact" if channel else "note"
            db.execute("INSERT INTO issue_notes (issue_id, at, actor, kind, channel, note) VALUES (?,?,?,?,?,?)",
                       (issue_id, at or now, actor, kind, channel, note))
            if channel:
                db.execute("UPDATE issues SET first_contact_at = coalesce(first_contact_at, ?) WHERE id = ?",
                           (at or now, issue_id))

    def close_issue(self, issue_id: int, *, actor: str, outcome: str, told_via: str,
                    mails: Sequence[dict] = ()) -> None:
        """Close with the outcome told to the enterprise; ``mails`` carry it when told by email."""
        if told_via not in TOLD_VIA:
            raise StorageError(f"unknown way of telling '{told_via}'")
        now = iso(utcnow())
        with self._immediate() as db:
            self._open_issue(db, issue_id)
            app_id = db.execute("SELECT application_id FROM issues WHERE id = ?", (issue_id,)).fetchone()[0]
            db.execute("UPDATE issues SET status = 'closed', closed_at = ?, outcome = ?, told_via = ? WHERE id = ?",
                       (now, outcome, told_via, issue_id))
            db.execute("INSERT INTO issue_notes (issue_id, at, actor, kind, note) VALUES (?,?,?, 'closed', ?)",
                       (issue_id, now, actor, outcome))
            self._queue_mail(db, app_id, mails, now)

    # ------------------------------------------------------------ statistics

    def stats_applications(self, since: str | None, until: str | None) -> list[dict]:
        where, params = self._between("submitted_at", since, until)
        keys = ("service_id", "service_name", "status", "submitted_at", "closed_at", "due_at", "uscc")
        return [dict(zip(keys, r)) for r in self._all(
            f"SELECT service_id, service_name, status, submitted_at, closed_at, due_at, uscc FROM applications{where}",
            params)]

    def stats_ratings(self, since: str | None, until: str | None) -> list[dict]:
        where, params = self._between("r.created_at", since, until)
        where = (where + " AND" if where else " WHERE") + " r.current = 1"
        keys = ("service_id", "service_name", "score", "q_guide", "q_process", "q_materials", "q_interface")
        return [dict(zip(keys, r)) for r in self._all(
            f"SELECT a.service_id, a.service_name, r.score, r.q_guide, r.q_process, r.q_materials, r.q_interface "
            f"FROM ratings r JOIN applications a ON a.id = r.application_id{where}", params)]

    def stats_issues(self, since: str | None, until: str | None) -> list[dict]:
        where, params = self._between("opened_at", since, until)
        keys = ("kind", "status", "opened_at", "first_contact_due", "first_contact_at", "rectify_due", "closed_at",
                "service_name", "outcome")
        return [dict(zip(keys, r)) for r in self._all(
            f"SELECT kind, status, opened_at, first_contact_due, first_contact_at, rectify_due, closed_at, "
            f"service_name, outcome FROM issues{where} ORDER BY id", params)]

    def stats_contacts(self, since: str | None, until: str | None) -> dict[str, int]:
        where, params = self._between("at", since, until)
        return dict(self._all(f"SELECT channel, count(*) FROM contacts{where} GROUP BY channel", params))

    def count_open_issues_overdue(self, today: str) -> dict[str, int]:
        row = self._one(
            "SELECT sum(first_contact_at IS NULL AND first_contact_due IS NOT NULL AND first_contact_due < ?), "
            "sum(rectify_due < ?) FROM issues WHERE status = 'open'", (today, today))
        return {"first_contact": row[0] or 0, "rectify": row[1] or 0}
