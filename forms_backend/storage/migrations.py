"""Numbered schema migrations (sqlite-utils Migrations), applied at start-up.

A migration is history: once shipped it must create exactly what it created then. So every
CHECK list here is a literal, written as it was when the migration shipped, never built from
``vocabulary``; a new status or kind is a new migration (SQLite cannot alter a CHECK, so that
one rebuilds the table). ``tests/backend/storage/test_migrations.py`` pins what each creates.
"""
from __future__ import annotations

import re

from typing import Sequence

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from .errors import StorageError

__all__ = ["migrations"]

migrations = Migrations("forms_backend")


@migrations(name="0001_applications")
def m0001_applications(db: Database) -> None:
    statuses = "'submitted', 'accepted', 'in_progress', 'completed', 'needs_info', 'rejected'"
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
        """CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('staff', 'admin')),
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
        """CREATE TABLE contacts (
            id INTEGER PRIMARY KEY,
            application_id INTEGER NOT NULL REFERENCES applications(id),
            at TEXT NOT NULL,
            channel TEXT NOT NULL CHECK (channel IN ('phone', 'visit', 'email', 'other')),
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
        """CREATE TABLE suggestions (
            id INTEGER PRIMARY KEY,
            ref TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL CHECK (kind IN ('complaint', 'suggestion')),
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
        """CREATE TABLE issues (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('rating', 'complaint', 'suggestion')),
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
            told_via TEXT CHECK (told_via IS NULL OR told_via IN ('email', 'phone', 'visit', 'letter', 'track'))
        )""",
        "CREATE INDEX issues_status ON issues(status, rectify_due)",
        "CREATE INDEX issues_application ON issues(application_id)",
        "CREATE INDEX issues_suggestion ON issues(suggestion_id)",
        """CREATE TABLE issue_notes (
            id INTEGER PRIMARY KEY,
            issue_id INTEGER NOT NULL REFERENCES issues(id),
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('opened', 'note', 'contact', 'owner', 'updated', 'closed')),
            channel TEXT CHECK (channel IS NULL OR channel IN ('phone', 'visit', 'email', 'other')),
            note TEXT
        )""",
        "CREATE INDEX issue_notes_issue ON issue_notes(issue_id, id)",
    ):
        db.execute(sql)


@migrations(name="0004_notify_channel")
def m0004_notify_channel(db: Database) -> None:
    # One queue, one retry schedule for every channel: 'email' (to_addr an address) or 'sms'
    # (to_addr a mobile number, subject empty).
    db.execute("ALTER TABLE mail_queue ADD COLUMN channel TEXT NOT NULL DEFAULT 'email' "
               "CHECK (channel IN ('email', 'sms'))")


def _rebuild(db: Database, table: str, create_sql: str, indexes: Sequence[str]) -> None:
    """Recreate ``table`` from ``create_sql`` (a CHECK list grew), keeping every row and id.

    SQLite cannot change a CHECK constraint in place; its documented way is a new table, a copy,
    a drop and a rename, inside the migration's transaction. Nothing references these tables.
    """
    columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})").fetchall()]
    db.execute(create_sql.replace(f"CREATE TABLE {table} ", f"CREATE TABLE {table}_new ", 1))
    names = ", ".join(columns)
    db.execute(f"INSERT INTO {table}_new ({names}) SELECT {names} FROM {table}")
    db.execute(f"DROP TABLE {table}")
    db.execute(f"ALTER TABLE {table}_new RENAME TO {table}")
    for sql in indexes:
        db.execute(sql)


@migrations(name="0005_staff_work")
def m0005_staff_work(db: Database) -> None:
    # Two CHECK lists grow (history kinds of a case, note kinds of a follow-up item): rebuilt.
    _rebuild(db, "application_events", """CREATE TABLE application_events (
            id INTEGER PRIMARY KEY,
            application_id INTEGER NOT NULL REFERENCES applications(id),
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('status', 'note', 'mail', 'assign', 'reopen', 'result')),
            from_status TEXT CHECK (from_status IS NULL OR from_status IN ('submitted', 'accepted', 'in_progress', 'completed', 'needs_info', 'rejected')),
            to_status TEXT CHECK (to_status IS NULL OR to_status IN ('submitted', 'accepted', 'in_progress', 'completed', 'needs_info', 'rejected')),
            note TEXT,
            public INTEGER NOT NULL DEFAULT 1
        )""", ["CREATE INDEX application_events_app ON application_events(application_id, id)"])
    _rebuild(db, "issue_notes", """CREATE TABLE issue_notes (
            id INTEGER PRIMARY KEY,
            issue_id INTEGER NOT NULL REFERENCES issues(id),
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('opened', 'note', 'contact', 'owner', 'updated', 'closed', 'reopened', 'linked', 'merged', 'followup')),
            channel TEXT CHECK (channel IS NULL OR channel IN ('phone', 'visit', 'email', 'other')),
            note TEXT
        )""", ["CREATE INDEX issue_notes_issue ON issue_notes(issue_id, id)"])
    for sql in (
        # The 承办人 (handler) of a case: an account name; the column exists since 0001.
        "CREATE INDEX applications_assignee ON applications(assignee, status)",
        # Where a staff member's alerts go (optional; without it alerts go to the duty address).
        "ALTER TABLE users ADD COLUMN email TEXT",
        # Result documents (检定证书, 检验报告, 告知书) attached by staff; kept with the archive.
        """CREATE TABLE result_documents (
            id INTEGER PRIMARY KEY,
            token TEXT NOT NULL UNIQUE,
            application_id INTEGER NOT NULL REFERENCES applications(id),
            title TEXT NOT NULL,
            original_name TEXT NOT NULL,
            stored_name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            actor TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX result_documents_application ON result_documents(application_id)",
        # Follow-up items about one case are linked in a group (group_id = the first item's id);
        # closing one closes the group with one outcome. 回访满意度 after closing: 3/2/1.
        "ALTER TABLE issues ADD COLUMN group_id INTEGER",
        "UPDATE issues SET group_id = id",
        "CREATE INDEX issues_group ON issues(group_id)",
        "ALTER TABLE issues ADD COLUMN followup_score INTEGER CHECK (followup_score IS NULL OR "
        "followup_score BETWEEN 1 AND 3)",
        "ALTER TABLE issues ADD COLUMN followup_at TEXT",
        "ALTER TABLE issues ADD COLUMN followup_comment TEXT",
        # Jobs that run once a day across all processes (the staff digest).
        "CREATE TABLE jobs (name TEXT PRIMARY KEY, last_run TEXT NOT NULL)",
    ):
        db.execute(sql)


@migrations(name="0006_console_indexes")
def m0006_console_indexes(db: Database) -> None:
    # The console's date ranges and statistics read by these (100,000 applications:
    # benchmarks/console_scale.py) instead of scanning the tables; ratings had no index on
    # their application, which every queue row looks up.
    for sql in (
        "CREATE INDEX IF NOT EXISTS applications_submitted ON applications(submitted_at)",
        "CREATE INDEX IF NOT EXISTS ratings_created ON ratings(created_at)",
        "CREATE INDEX IF NOT EXISTS ratings_application ON ratings(application_id, current)",
        "CREATE INDEX IF NOT EXISTS issues_opened ON issues(opened_at)",
        "CREATE INDEX IF NOT EXISTS page_feedback_created ON page_feedback(created_at)",
        "CREATE INDEX IF NOT EXISTS suggestions_created ON suggestions(created_at)",
    ):
        db.execute(sql)


@migrations(name="0007_console_covering_indexes")
def m0007_console_covering_indexes(db: Database) -> None:
    # Measured at 100,000 applications (benchmarks/console_scale.py): the statistics read the
    # period's rows from one covering index instead of the table (whose rows carry the answers),
    # and the navigation's counts on every console page find open cases by due date and new
    # ones by status without a scan (33 ms -> 13 ms a page).
    for sql in (
        "DROP INDEX IF EXISTS applications_submitted",
        "CREATE INDEX applications_period ON applications(submitted_at, service_name, status, closed_at, due_at, "
        "uscc)",
        "CREATE INDEX applications_status ON applications(status)",
        "CREATE INDEX applications_open_due ON applications(due_at) WHERE status NOT IN ('completed', 'rejected')",
    ):
        db.execute(sql)


# The statuses 0001 allowed (its CHECK clauses); 0010 adds 'withdrawn'.
_STATUSES_0001 = "'submitted', 'accepted', 'in_progress', 'completed', 'needs_info', 'rejected'"


@migrations(name="0008_corrections")
def m0008_corrections(db: Database) -> None:
    # 补正: one row per request (一次性告知: all items at once, each with its reason, and a
    # deadline); answered once, online, on the same application. Answer files are uploads rows
    # whose field_id is 'correction-<id>-<item>'.
    for sql in (
        """CREATE TABLE corrections (
            id INTEGER PRIMARY KEY,
            application_id INTEGER NOT NULL REFERENCES applications(id),
            items TEXT NOT NULL,
            due_on TEXT NOT NULL,
            requested_at TEXT NOT NULL,
            requested_by TEXT NOT NULL,
            from_status TEXT NOT NULL,
            answered_at TEXT,
            answers TEXT
        )""",
        "CREATE INDEX corrections_application ON corrections(application_id, id)",
        "CREATE INDEX corrections_open ON corrections(answered_at, due_on)",
    ):
        db.execute(sql)


@migrations(name="0009_draft_resume")
def m0009_draft_resume(db: Database) -> None:
    # Drafts keep what was typed on every POST, valid or not (typed: field -> list of values),
    # and can be resumed from another browser with a draft code and the phone number typed.
    for sql in (
        "ALTER TABLE drafts ADD COLUMN typed TEXT",
        "ALTER TABLE drafts ADD COLUMN resume_ref TEXT",
        "ALTER TABLE drafts ADD COLUMN phone_norm TEXT",
        "CREATE UNIQUE INDEX drafts_resume_ref ON drafts(resume_ref) WHERE resume_ref IS NOT NULL",
    ):
        db.execute(sql)


def _rebuild_check(db: Database, table: str, old: str, new: str) -> None:
    """Change a CHECK clause: SQLite's documented table rebuild (create new, copy, drop, rename,
    recreate indexes). Runs with foreign keys off (Storage.migrate), checked before commit."""
    sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()[0]
    if old not in sql:
        raise StorageError(f"{table}: the schema is not the one this migration expects")
    indexes = [r[0] for r in db.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                        "AND sql IS NOT NULL", (table,)).fetchall()]
    # After an earlier rebuild SQLite keeps the name quoted: CREATE TABLE "applications" (...
    head = re.match(rf'CREATE TABLE\s+"?{table}"?', sql)
    db.execute(f"CREATE TABLE {table}__new" + sql[head.end():].replace(old, new))
    db.execute(f"INSERT INTO {table}__new SELECT * FROM {table}")
    db.execute(f"DROP TABLE {table}")
    db.execute(f"ALTER TABLE {table}__new RENAME TO {table}")
    for index in indexes:
        db.execute(index)


@migrations(name="0010_withdrawn")
def m0010_withdrawn(db: Database) -> None:
    # 撤回: an applicant may withdraw an application before it is accepted (status 'withdrawn').
    with_withdrawn = _STATUSES_0001 + ", 'withdrawn'"
    for table in ("applications", "application_events"):
        _rebuild_check(db, table, _STATUSES_0001, with_withdrawn)


@migrations(name="0011_service_records")
def m0011_service_records(db: Database) -> None:
    for sql in (
        # An enterprise's products (seed 001, 8.2.2: the archive per product or per enterprise).
        # flag: 创新产品 / 优先审批产品 identified by the workstation (seed 001, 10), flagged_on its local date.
        """CREATE TABLE products (
            id INTEGER PRIMARY KEY,
            uscc TEXT NOT NULL,
            name TEXT NOT NULL,
            product_class TEXT,
            stage TEXT,
            flag TEXT NOT NULL DEFAULT 'none' CHECK (flag IN ('none', 'innovation', 'priority')),
            flagged_on TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (uscc, name)
        )""",
        # An online application can be filed under one of its enterprise's products.
        "ALTER TABLE applications ADD COLUMN product_id INTEGER REFERENCES products(id)",
        # Offline services recorded by staff (seed 001, 9.2): date is a local date, duration in
        # minutes, service_ids a JSON list of the guide's service ids. A training session has
        # topic, speakers, attendees (enterprises, free text) and headcount; next_date is the
        # promised next contact, shown in the follow-up list until next_done_at is set.
        """CREATE TABLE service_records (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('consultation', 'visit', 'training', 'mock_inspection', 'pre_review', 'staff_training', 'other')),
            kind_label TEXT,
            channel TEXT CHECK (channel IS NULL OR channel IN ('phone', 'walk_in', 'online')),
            date TEXT NOT NULL,
            uscc TEXT,
            org_name TEXT,
            product_id INTEGER REFERENCES products(id),
            service_ids TEXT NOT NULL DEFAULT '[]',
            staff TEXT NOT NULL,
            duration_minutes INTEGER CHECK (duration_minutes IS NULL OR duration_minutes >= 0),
            summary TEXT NOT NULL,
            outcome TEXT,
            next_step TEXT,
            next_date TEXT,
            next_done_at TEXT,
            topic TEXT,
            speakers TEXT,
            attendees TEXT,
            headcount INTEGER CHECK (headcount IS NULL OR headcount >= 0),
            source TEXT NOT NULL DEFAULT 'console' CHECK (source IN ('console', 'import')),
            actor TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX service_records_uscc ON service_records(uscc, date)",
        "CREATE INDEX service_records_product ON service_records(product_id, date)",
        "CREATE INDEX service_records_date ON service_records(date)",
        "CREATE INDEX service_records_next ON service_records(next_date) WHERE next_date IS NOT NULL "
        "AND next_done_at IS NULL",
        # Every view of an enterprise's or a product's archive (seed 001, 9.3: confidential).
        """CREATE TABLE archive_views (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            uscc TEXT,
            product_id INTEGER,
            what TEXT NOT NULL CHECK (what IN ('enterprise', 'product', 'catalogue', 'export'))
        )""",
        "CREATE INDEX archive_views_uscc ON archive_views(uscc, id)",
    ):
        db.execute(sql)


@migrations(name="0012_security_limits")
def m0012_security_limits(db: Database) -> None:
    for sql in (
        # Unsubmitted uploads are capped per client address: a keyed hash of it, never the address.
        "ALTER TABLE uploads ADD COLUMN client_key TEXT",
        "CREATE INDEX uploads_pending ON uploads(status, client_key)",
        # Mail per recipient is limited (anonymous requests must not make us mail anyone at will).
        "CREATE INDEX mail_queue_recipient ON mail_queue(lower(to_addr), created_at)",
        # Wrong current passwords on the password page, per session: enough of them end it.
        "ALTER TABLE staff_sessions ADD COLUMN password_failures INTEGER NOT NULL DEFAULT 0",
    ):
        db.execute(sql)



@migrations(name="0013_record_work")
def m0013_record_work(db: Database) -> None:
    for sql in (
        # A kind from site.yml `record_kinds` (its id; no CHECK: the content defines them). The
        # record's kind is then the fixed kind it counts as, kind_label its name when entered.
        "ALTER TABLE service_records ADD COLUMN kind_key TEXT",
        "ALTER TABLE service_records ADD COLUMN updated_at TEXT",
        # Files of a record: attachments, and a session's training materials (培训材料). Stored
        # like result documents (checked by content, generated names, 0600), kept with the archive.
        """CREATE TABLE record_files (
            id INTEGER PRIMARY KEY,
            token TEXT NOT NULL UNIQUE,
            record_id INTEGER NOT NULL REFERENCES service_records(id),
            role TEXT NOT NULL CHECK (role IN ('attachment', 'material')),
            original_name TEXT NOT NULL,
            stored_name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            actor TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX record_files_record ON record_files(record_id, id)",
        # Every change of a saved record: who, when, and each field's value before and after (JSON).
        """CREATE TABLE record_changes (
            id INTEGER PRIMARY KEY,
            record_id INTEGER NOT NULL REFERENCES service_records(id),
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            changes TEXT NOT NULL
        )""",
        "CREATE INDEX record_changes_record ON record_changes(record_id, id)",
    ):
        db.execute(sql)


@migrations(name="0014_equipment_register")
def m0014_equipment_register(db: Database) -> None:
    # The equipment register behind 特种设备定检“3级”预警 (issue 11). kind: the special-equipment
    # categories of 特种设备安全法 and 强制检定计量器具 ('measuring'). cycle counts the inspection
    # cycles of a record: completing its periodic-inspection application moves it to the next one.
    kinds = ("'boiler', 'pressure_vessel', 'pressure_piping', 'elevator', 'lifting', 'ropeway', 'amusement', "
             "'vehicle', 'measuring'")
    for sql in (
        f"""CREATE TABLE equipment (
            id INTEGER PRIMARY KEY,
            uscc TEXT NOT NULL,
            org_name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ({kinds})),
            device_code TEXT NOT NULL UNIQUE,
            registration_no TEXT,
            name TEXT NOT NULL,
            model TEXT,
            location TEXT,
            last_date TEXT,
            cycle_months INTEGER NOT NULL CHECK (cycle_months BETWEEN 1 AND 120),
            due_date TEXT NOT NULL,
            manager_name TEXT NOT NULL,
            manager_phone TEXT,
            manager_email TEXT,
            head_name TEXT,
            head_phone TEXT,
            head_email TEXT,
            state TEXT NOT NULL DEFAULT 'in_use' CHECK (state IN ('in_use', 'stopped', 'scrapped')),
            cycle INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        "CREATE INDEX equipment_uscc ON equipment(uscc, due_date)",
        "CREATE INDEX equipment_due ON equipment(state, due_date)",
        # History of a record: created, edited (changes as JSON), state, inspected (next cycle), warned.
        """CREATE TABLE equipment_events (
            id INTEGER PRIMARY KEY,
            equipment_id INTEGER NOT NULL REFERENCES equipment(id),
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('created', 'updated', 'imported', 'inspected', 'warned', 'escalated')),
            note TEXT,
            changes TEXT
        )""",
        "CREATE INDEX equipment_events_equipment ON equipment_events(equipment_id, id)",
        # One row per record, cycle and level: the proof of having warned, written in the same
        # transaction as the notices it queued (so a rerun never warns twice).
        """CREATE TABLE equipment_warnings (
            id INTEGER PRIMARY KEY,
            equipment_id INTEGER NOT NULL REFERENCES equipment(id),
            cycle INTEGER NOT NULL,
            level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 9),
            due_date TEXT NOT NULL,
            run_date TEXT NOT NULL,
            at TEXT NOT NULL,
            issue_id INTEGER REFERENCES issues(id),
            UNIQUE (equipment_id, cycle, level)
        )""",
        # An enterprise's link to its own equipment list (revocable: the signed id must be a live row).
        """CREATE TABLE enterprise_links (
            id INTEGER PRIMARY KEY,
            uscc TEXT NOT NULL,
            created_at TEXT NOT NULL,
            actor TEXT NOT NULL,
            revoked_at TEXT
        )""",
        "CREATE INDEX enterprise_links_uscc ON enterprise_links(uscc)",
        # The periodic-inspection application a notice's link pre-fills names its equipment.
        "ALTER TABLE drafts ADD COLUMN equipment_id INTEGER REFERENCES equipment(id)",
        "ALTER TABLE applications ADD COLUMN equipment_id INTEGER REFERENCES equipment(id)",
        "ALTER TABLE applications ADD COLUMN equipment_cycle INTEGER",
    ):
        db.execute(sql)
    # Level 3 escalates into a follow-up item of kind 'equipment' (the CHECK list grows: rebuilt).
    _rebuild_check(db, "issues", "kind IN ('rating', 'complaint', 'suggestion')",
                   "kind IN ('rating', 'complaint', 'suggestion', 'equipment')")
    db.execute("ALTER TABLE issues ADD COLUMN equipment_id INTEGER REFERENCES equipment(id)")
    db.execute("CREATE INDEX issues_equipment ON issues(equipment_id)")
