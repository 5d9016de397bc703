"""The core every storage area builds on: one SQLite file per process, its connection, the
cross-process write lock, transactions, migrations and maintenance (backup, checks)."""
from __future__ import annotations

import os
import secrets
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - not Linux/macOS: SQLite's own locking only
    fcntl = None

from sqlite_utils import Database

from ..private_files import opener, private_dir, private_file
from .errors import StorageError
from .migrations import migrations

__all__ = ["StoreBase", "check_copy"]


class StoreBase:
    """One SQLite database file, opened once per process; the area mixins add the queries."""

    def __init__(self, path: Path | str, *, timeout: float = 10.0, migrate: bool = True):
        self.path = Path(path)
        private_file(self.path)  # before SQLite makes it (and its WAL and SHM files) world-readable
        conn = sqlite3.connect(str(self.path), timeout=timeout, check_same_thread=False)
        self.db = Database(conn, execute_plugins=False)
        self._lock = threading.RLock()
        # Writers of all processes queue on an OS file lock beside the database, so at most one
        # connection writes or checkpoints at a time (the WAL-reset hazard needs two), and a
        # waiting writer is woken as soon as the lock is free instead of sleeping in SQLite's
        # busy-handler back-off, which under load costs tens of milliseconds per wait.
        self._write_lock = open(f"{self.path}.lock", "a+b", opener=opener) if fcntl else None
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

    def _dicts(self, sql: str, params=()) -> list[dict]:
        """Rows as dicts keyed by column name (sqlite-utils' ``query``)."""
        with self._lock:
            return list(self.db.query(sql, params))

    # ------------------------------------------------------------ maintenance

    def migrate(self) -> list[str]:
        """Apply pending migrations; several processes starting at once apply each one once."""
        with self._lock:
            # Foreign keys off (only possible outside a transaction) so a migration may rebuild a
            # table (SQLite's documented procedure); every reference is checked before the commit.
            self.db.execute("PRAGMA foreign_keys = OFF")
            try:
                with self._immediate() as db:
                    pending = [m.name for m in migrations.pending(db)]
                    migrations.apply(db)
                    broken = db.execute("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StorageError(f"a migration left broken references: {broken[:3]}")
            finally:
                self.db.execute("PRAGMA foreign_keys = ON")
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
        private_dir(dest.parent)
        tmp = private_file(dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.tmp"))
        target = sqlite3.connect(str(tmp))
        try:
            with self._lock:
                self.db.conn.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
        os.replace(tmp, dest)
        return dest

    # Tables that name a service by its id (guide rename re-points them).
    SERVICE_TABLES = ("applications", "drafts", "suggestions", "issues")

    def rename_service(self, old: str, new: str) -> dict[str, int]:
        """Re-point every stored row of service ``old`` to ``new`` in one transaction."""
        changed = {}
        with self._immediate() as db:
            for table in self.SERVICE_TABLES:
                cur = db.execute(f"UPDATE {table} SET service_id = ? WHERE service_id = ?", (new, old))
                changed[table] = cur.rowcount
        return changed

    def applications_per_service(self) -> dict[str, int]:
        return dict(self._all("SELECT service_id, COUNT(*) FROM applications GROUP BY service_id"))

    def counts(self) -> dict[str, int]:
        tables = ("applications", "application_events", "drafts", "uploads", "mail_queue")
        return {t: self._one(f"SELECT count(*) FROM {t}")[0] for t in tables}


def check_copy(path: Path | str) -> tuple[list[str], int]:
    """Open a copy (a backup) read-only: the problems PRAGMA quick_check reports, and its applications."""
    copy = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    try:
        problems = [r[0] for r in copy.execute("PRAGMA quick_check")]
        applications = copy.execute("SELECT count(*) FROM applications").fetchone()[0]
    finally:
        copy.close()
    return ([] if problems == ["ok"] else problems), applications
