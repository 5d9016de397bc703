"""The core every storage area builds on: one SQLite file per process, its connection, the
cross-process write lock, transactions, migrations and maintenance (backup, checks)."""
from __future__ import annotations

import errno
import os
import secrets
import threading
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - not Linux/macOS: SQLite's own locking only
    fcntl = None

from sqlite_utils import Database

from ..private_files import opener, private_dir, private_file
from . import filelock
from .errors import DatabaseCorrupt, StorageBusy, StorageError, StorageFull
from .migrations import migrations
from .sqlite import is_safe, sqlite3

__all__ = ["StoreBase", "check_copy", "restore_copy", "unavailable"]

# SQLite's primary result codes that mean "not now" rather than "wrong".
_BUSY_CODES = {5, 6}        # SQLITE_BUSY, SQLITE_LOCKED
_FULL_CODES = {13}          # SQLITE_FULL
_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def unavailable(exc: BaseException) -> StorageError | None:
    """The named storage error for a SQLite or OS error that means "try again later", else None."""
    if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
        return StorageFull(f"no space left for the data: {exc}")
    if isinstance(exc, sqlite3.Error):
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        text = str(exc).lower()
        if code in _FULL_CODES or "database or disk is full" in text:
            return StorageFull(f"SQLite: {exc}")
        if code in _BUSY_CODES or "database is locked" in text or "database is busy" in text:
            return StorageBusy(f"SQLite: {exc}")
    return None


class translated:
    """Turn "disk full" and "database locked" into StorageFull / StorageBusy (the edge makes them 503s).

    ``with translated(): ...``; a class rather than a generator function: it wraps every query.
    """
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, traceback) -> bool:
        if isinstance(exc, (sqlite3.Error, OSError)):
            named = unavailable(exc)
            if named is not None:
                raise named from exc
        return False


class _FileLock:
    """The cross-process write lock (see StoreBase._exclusive) as a context manager object."""
    __slots__ = ("store",)

    def __init__(self, store: "StoreBase"):
        self.store = store

    def __enter__(self) -> None:
        store = self.store
        if store._write_lock is None:
            return
        try:
            filelock.acquire(store._write_lock, store.timeout)
        except filelock.LockTimeout as exc:
            raise StorageBusy(f"{store.path}.lock: {exc}") from None

    def __exit__(self, *exc) -> bool:
        if self.store._write_lock is not None:
            filelock.release(self.store._write_lock)
        return False


# A process checkpoints the WAL (see StoreBase.checkpoint) after this many write transactions
# of its own: with two workers under a load of submissions, one checkpoint per ~50 of them, or
# ~1,000 WAL pages, SQLite's default. SQLite's own checkpoint, inside the committing
# transaction, stays as the safety net of what never calls checkpoint() (command-line bulk
# work), at ten times its default.
CHECKPOINT_COMMITS = 100
AUTOCHECKPOINT_FRAMES = 10_000

# Prepared statements kept per connection: more than the distinct SQL texts the backend runs
# (about 300 call sites, some with filter variants). The wheel's statement cache keeps the
# most *used* statements, not the most recent, and a newcomer evicts the last newcomer: with
# its default of 128, a process whose cache had filled (start-up, the console's queries)
# re-parsed eight of a submission's eleven statements on every request, 10 % of its
# instructions (callgrind). tests/backend/storage/test_statement_cache.py keeps it so.
STATEMENT_CACHE = 1024


class StoreBase:
    """One SQLite database file, opened once per process; the area mixins add the queries."""

    # Every write transaction takes the OS file lock beside the database first. With a SQLite
    # older than 3.51.3 that keeps one connection writing or checkpointing at a time (the
    # WAL-reset bug needs two): a mitigation. With the bundled SQLite it is a queue: a writer
    # waiting in SQLite's busy handler sleeps in growing steps (1, 2, 5, 10 ... 100 ms) and
    # wakes late, while one waiting here is woken the moment the lock is released (filelock.py).
    # benchmarks/write_lock.py measured 5 writer processes on SQLite 3.53.4: 1.7x the
    # applications per second and a third of the p99 with the lock (see the README).
    # The benchmark switches it off to compare; nothing else should.
    LOCK_WRITES = True

    def __init__(self, path: Path | str, *, timeout: float = 10.0, migrate: bool = True):
        self.path = Path(path)
        self._wal_path = f"{self.path}-wal"
        self.timeout = timeout
        private_file(self.path)  # before SQLite makes it (and its WAL and SHM files) world-readable
        with translated():
            conn = sqlite3.connect(str(self.path), timeout=timeout, check_same_thread=False,
                                   cached_statements=STATEMENT_CACHE)
        self.db = Database(conn, execute_plugins=False)
        self._lock = threading.RLock()
        # The OS file lock beside the database: every write transaction takes it (LOCK_WRITES),
        # and processes starting together take turns switching a new file to WAL (SQLite does
        # not always wait for that switch: it needs the file to itself) and migrating it.
        self._write_lock = open(f"{self.path}.lock", "a+b", opener=opener) if fcntl else None
        self._depth = 0
        with self._lock, self._exclusive(), translated():
            self.db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self.db.enable_wal()
            # Durability: every write transaction is on disk before its request is answered
            # (what FULL gives), but the fsync is made after the write lock is released (see
            # _immediate and _sync_wal): NORMAL writes the commit to the WAL without syncing it,
            # and syncs the WAL before each checkpoint and the database file after it.
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            # Checkpoints: see checkpoint(). SQLite's own (after a commit, inside the write
            # lock) stays as the safety net of whatever never calls checkpoint().
            self._own_checkpoints = is_safe()
            if self._own_checkpoints:
                self.db.execute(f"PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_FRAMES}")
        self._commits = 0  # write transactions since this process's last checkpoint
        if migrate:
            self.migrate()

    def close(self) -> None:
        """Close the connection (the last one to close checkpoints: a write, so under the lock)."""
        with self._lock:
            if self._write_lock is not None and self._write_lock.closed:
                return  # closed already
            try:
                with self._exclusive():
                    self.db.close()
            except StorageBusy:  # the lock stayed taken: close all the same, SQLite copes
                self.db.close()
            if self._write_lock:
                self._write_lock.close()

    def _exclusive(self) -> _FileLock:
        """The cross-process file lock (a no-op where there is no fcntl); StorageBusy after the
        busy timeout, like SQLite's own lock, so a stuck writer never queues requests for ever."""
        return _FileLock(self)

    def _writer(self):
        return _FileLock(self) if self.LOCK_WRITES else nullcontext()

    @contextmanager
    def _immediate(self) -> Iterator[Database]:
        """A write transaction that takes the write lock up front (read-then-write safe).

        Raises StorageBusy when another connection keeps the database locked past the busy
        timeout and StorageFull when the disk is full; either way nothing of it is stored.
        """
        with self._lock:
            if self._depth:
                raise StorageError("write transactions do not nest")
            self._depth += 1
            try:
                with translated(), self._writer():
                    self.db.conn.execute("BEGIN IMMEDIATE")
                    try:
                        yield self.db
                        self.db.conn.execute("COMMIT")
                        self._commits += 1
                    except BaseException:
                        # Also when COMMIT itself failed (disk full): the transaction must not
                        # stay open on the shared connection.
                        self._rollback()
                        raise
            finally:
                self._depth -= 1
        with translated():
            self._sync_wal()

    def _sync_wal(self) -> None:
        """Put the committed transaction on disk before the caller goes on (answers a request).

        SQLite's synchronous=FULL would fsync the WAL inside COMMIT, that is while this
        transaction still holds the write lock every process queues on: each writer would wait
        for the disk for itself and for everyone before it. Synced here instead, after the lock
        is released, the wait is the same for this request but not for the others, and the
        fsyncs of writers that committed meanwhile are served by one flush of the disk.
        Everything written to the WAL before (this commit included) is on disk when fdatasync
        returns (as SQLite itself syncs where the platform has it: the file's contents and size,
        without the journal commit a changed modification time alone would cost); a WAL file
        that is gone was checkpointed (synced) and deleted. A sync that fails raises (OSError:
        the edge answers 503), so the request is not acknowledged; the commit itself stands, and
        the same submission sent again finds it (idempotency).
        """
        try:
            fd = os.open(self._wal_path, os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            os.fdatasync(fd)
        finally:
            os.close(fd)

    @property
    def checkpoint_due(self) -> bool:
        return self._own_checkpoints and self._commits >= CHECKPOINT_COMMITS

    def checkpoint(self) -> None:
        """Copy the WAL's transactions into the database file, then let the WAL start over.

        Due (``checkpoint_due``) after CHECKPOINT_COMMITS write transactions of this process; the
        web app calls this once a response has been sent, the mail thread after its round. SQLite's own
        checkpoint runs inside the committing transaction, that is while it holds the write lock
        every process queues on: every writer waited for each checkpoint's copying and its two
        fsyncs (about one in fifty submissions). Here the bulk is copied with no lock held, as
        SQLite allows since the WAL-reset fix (3.51.3; with an older library SQLite's own
        checkpoint under the lock is kept); then, under the lock, the few transactions committed
        meanwhile are copied too, so the checkpoint is complete and the next writer starts the
        WAL file from its beginning (bounded, instead of growing while writes keep coming).
        """
        if not self.checkpoint_due:
            return
        self._commits = 0
        with self._lock, translated():
            if self.db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[0]:
                return  # another connection is checkpointing
            with self._exclusive():
                self.db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _rollback(self) -> None:
        if self.db.conn.in_transaction:
            try:
                self.db.conn.execute("ROLLBACK")
            except sqlite3.Error:  # SQLite has rolled back already (an I/O error); nothing is kept
                pass

    def _one(self, sql: str, params=()) -> tuple | None:
        with self._lock, translated():
            return self.db.execute(sql, params).fetchone()

    def _all(self, sql: str, params=()) -> list[tuple]:
        with self._lock, translated():
            return self.db.execute(sql, params).fetchall()

    def _dicts(self, sql: str, params=()) -> list[dict]:
        """Rows as dicts keyed by column name (sqlite-utils' ``query``)."""
        with self._lock, translated():
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
        try:
            with translated():
                target = sqlite3.connect(str(tmp))
                try:
                    with self._lock:
                        self.db.conn.backup(target)  # one step: one consistent snapshot
                    target.execute("PRAGMA journal_mode = DELETE")
                finally:
                    target.close()
                os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)  # no half-written copy left behind (a full disk)
            raise
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


def restore_copy(backup: Path | str, dest: Path | str, *, replace: bool = False) -> Path | None:
    """Put a checked backup in place as the database ``dest`` (the service must be stopped).

    The copy is made with SQLite's backup API into a temporary file beside ``dest`` and renamed
    into place, so ``dest`` is never half-written. A database already there (and its ``-wal``
    and ``-shm``, which belong to it and would be replayed onto the restored file) is refused
    unless ``replace``; then it is kept beside, renamed ``<name>.replaced-<time>``, which is returned.
    """
    backup, dest = Path(backup), Path(dest)
    try:
        problems, _ = check_copy(backup)
    except sqlite3.DatabaseError as exc:  # not a database at all, or no applications table
        problems = [str(exc)]
    if problems:
        raise DatabaseCorrupt(f"{backup}: PRAGMA quick_check reported: {'; '.join(problems[:3])}")
    if dest.exists() and not replace:
        raise StorageError(f"{dest} exists; stop the service and pass --force to replace it")
    private_dir(dest.parent)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kept = None
    for suffix in ("", "-wal", "-shm"):
        old = Path(f"{dest}{suffix}")
        if old.exists():
            kept = Path(f"{dest}.replaced-{stamp}")
            os.replace(old, f"{kept}{suffix}")
    tmp = private_file(dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.tmp"))
    try:
        with translated():
            source = sqlite3.connect(f"file:{backup.resolve()}?mode=ro", uri=True)
            target = sqlite3.connect(str(tmp))
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return kept
