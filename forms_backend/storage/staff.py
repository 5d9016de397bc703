"""Staff accounts and sessions, the queue, cases, contacts and the archive."""
from __future__ import annotations

from .common import *  # noqa: F401,F403 - constants, errors, helpers
from .records import *  # noqa: F401,F403
from .records import _application  # noqa: F401
from .migrations import _in  # noqa: F401


class StaffStore:
    """Methods of Storage for the staff console."""

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

