"""The one SQLite of the project: every connection, error class and version check comes from here.

The ``pysqlite3`` wheel bundles a current SQLite (3.53.x with pysqlite3 0.6.1), which is past
3.51.3, the release that fixed the WAL-reset bug; Python's own ``sqlite3`` on Debian 12 links
3.40.1. sqlite-utils makes the same choice (it imports ``pysqlite3`` when it can), so the
connections we hand it and the errors it raises come from one library. Where the wheel is
missing (a platform it is not built for) this falls back to the standard library, and the
storage layer serialises writers behind a file lock and start-up warns (see ``core.py``).

Nothing else in the project imports ``sqlite3`` or ``pysqlite3``: an import-linter contract
and ``tests/test_architecture.py`` check it.
"""
from __future__ import annotations

try:
    import pysqlite3 as sqlite3
    from pysqlite3 import dbapi2 as _dbapi2  # noqa: F401 - what sqlite-utils imports too
    BUNDLED = True
except ImportError:  # no wheel for this platform: Python's own SQLite
    import sqlite3  # type: ignore[no-redef]
    BUNDLED = False

__all__ = ["sqlite3", "BUNDLED", "SAFE_SQLITE", "library", "version", "version_info", "is_safe"]

# SQLite releases before this one can corrupt a WAL database when two connections write or
# checkpoint at the same moment (the "WAL-reset" bug, fixed in 3.51.3).
SAFE_SQLITE = (3, 51, 3)


def version() -> str:
    """The version of the SQLite library actually linked, e.g. '3.53.4'."""
    return sqlite3.sqlite_version


def version_info() -> tuple[int, ...]:
    return tuple(int(p) for p in version().split("."))


def is_safe() -> bool:
    return version_info() >= SAFE_SQLITE


def library() -> str:
    """What to print at start-up and in `guide db check`: the version and where it comes from."""
    source = "bundled by the pysqlite3 wheel" if BUNDLED else "Python's standard library sqlite3"
    return f"SQLite {version()} ({source})"
