"""Staff accounts and their server-side sessions."""
from __future__ import annotations

from ..vocabulary import ROLES
from .common import iso, utcnow
from .errors import LastAdmin, StorageError, UserExists, UserNotFound
from .records import StaffSession, StaffUser
from .core import StoreBase

__all__ = ["AccountsStore"]


class AccountsStore(StoreBase):
    """Storage methods for ``users`` and ``staff_sessions``."""

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

    def password_failure(self, token_hash: str) -> int:
        """Count one wrong current password in this session; return how many it has had."""
        with self._immediate() as db:
            db.execute("UPDATE staff_sessions SET password_failures = password_failures + 1 WHERE token_hash = ?",
                       (token_hash,))
            row = db.execute("SELECT password_failures FROM staff_sessions WHERE token_hash = ?",
                             (token_hash,)).fetchone()
        return row[0] if row else 0

    def end_staff_session(self, token_hash: str) -> None:
        with self._immediate() as db:
            db.execute("DELETE FROM staff_sessions WHERE token_hash = ?", (token_hash,))

    def purge_staff_sessions(self, idle_before: str) -> int:
        with self._immediate() as db:
            return db.execute("DELETE FROM staff_sessions WHERE last_seen_at < ?", (idle_before,)).rowcount

    def set_user_email(self, name: str, email: str | None) -> None:
        with self._immediate() as db:
            if db.execute("UPDATE users SET email = ? WHERE name = ?", (email, name)).rowcount == 0:
                raise UserNotFound(name)

    def user_emails(self) -> dict[str, str | None]:
        return dict(self._all("SELECT name, email FROM users ORDER BY name"))
