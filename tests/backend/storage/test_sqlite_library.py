"""One SQLite for the whole project: the pysqlite3 wheel's, from forms_backend.storage.sqlite.

sqlite-utils, the app, `guide db`, migrations and the tests all get the same library; without
the wheel the standard library's is used, with the WAL-reset warning and the write lock.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from forms_backend.storage import Storage, sqlite

ROOT = Path(__file__).resolve().parents[3]
IMPORT_POINT = ROOT / "forms_backend" / "storage" / "sqlite.py"


def test_the_bundled_sqlite_is_in_use_and_past_the_wal_reset_fix():
    assert sqlite.BUNDLED and sqlite.sqlite3.__name__ == "pysqlite3"
    assert sqlite.version_info() >= (3, 53, 0) and sqlite.is_safe()
    assert sqlite.library().startswith(f"SQLite {sqlite.version()} (bundled")


def test_sqlite_utils_uses_the_same_library(tmp_path):
    import sqlite_utils.utils
    from sqlite_utils import Database

    assert sqlite_utils.utils.sqlite3 is sqlite.sqlite3
    storage = Storage(tmp_path / "guide.db")
    try:
        assert isinstance(storage.db.conn, sqlite.sqlite3.Connection)
        assert storage.db.execute("SELECT sqlite_version()").fetchone()[0] == sqlite.version()
        # A database sqlite-utils opens by itself (a file name, not our connection) too.
        assert Database(tmp_path / "other.db").execute("SELECT sqlite_version()").fetchone()[0] == sqlite.version()
    finally:
        storage.close()


def test_every_write_transaction_takes_the_file_lock(tmp_path):
    """With the bundled SQLite too: the lock is the writers' queue across processes (README)."""
    import fcntl

    storage = Storage(tmp_path / "guide.db")
    other = open(tmp_path / "guide.db.lock", "a+b")
    try:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free between transactions
        fcntl.flock(other, fcntl.LOCK_UN)
        with storage._immediate():
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        other.close()
        storage.close()


def _direct_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module" and node.args \
                and isinstance(node.args[0], ast.Constant):
            names = [node.args[0].value]
        found += [f"{path.relative_to(ROOT)}:{node.lineno}: {n}" for n in names
                  if str(n).split(".")[0] in ("sqlite3", "pysqlite3")]
    return found


def test_nothing_else_imports_sqlite3_directly():
    """The import-linter contract covers the packages; this covers tests/ and benchmarks/ too."""
    files = [p for folder in ("forms_backend", "site_builder", "tests", "benchmarks")
             for p in (ROOT / folder).rglob("*.py") if p != IMPORT_POINT]
    offenders = [hit for p in files for hit in _direct_imports(p)]
    assert offenders == [], "import sqlite3 from forms_backend.storage.sqlite instead:\n" + "\n".join(offenders)
    assert _direct_imports(IMPORT_POINT)  # the scan does see an import where there is one


# What a process without the wheel does: ``sys.modules["pysqlite3"] = None`` makes every
# ``import pysqlite3`` (ours and sqlite-utils') raise ImportError, as on a platform without it.
FALLBACK = r"""
import json, logging, sys
sys.modules["pysqlite3"] = None
sys.modules["pysqlite3.dbapi2"] = None
logging.basicConfig(level=logging.INFO, stream=sys.stderr)
from forms_backend import create_app
from forms_backend.storage import sqlite
from forms_backend.storage.core import StoreBase
import sqlite_utils.utils
data = sys.argv[1]
app = create_app({"GUIDE_PROJECT": sys.argv[2], "GUIDE_DATA_DIR": data, "GUIDE_SITE_DIR": data + "/site",
                  "GUIDE_MAIL_WORKER": False, "GUIDE_SMTP_HOST": "", "TESTING": True,
                  "WTF_CSRF_ENABLED": False})
storage = app.extensions["guide"].storage
with storage._immediate() as db:   # a write takes the file lock: another process cannot have it now
    import fcntl
    other = open(str(storage.path) + ".lock", "a+b")
    try:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held = False
    except BlockingIOError:
        held = True
from click.testing import CliRunner
from site_builder.cli import main
check = CliRunner().invoke(main, ["db", "check", "--db", str(storage.path), "--project", sys.argv[2]])
print(json.dumps({"check": check.output, "check_exit": check.exit_code, "module": sqlite.sqlite3.__name__, "bundled": sqlite.BUNDLED, "version": sqlite.version(),
                  "utils": sqlite_utils.utils.sqlite3.__name__, "lock_writes": StoreBase.LOCK_WRITES,
                  "lock_held_while_writing": held, "tracking": app.test_client().get("/track").status_code}))
"""


@pytest.mark.slow
def test_without_the_wheel_the_standard_library_is_used_with_the_warning_and_the_lock(tmp_path):
    from ..conftest import FIXTURE

    proc = subprocess.run([sys.executable, "-c", FALLBACK, str(tmp_path / "data"), str(FIXTURE)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    stdlib = subprocess.run([sys.executable, "-I", "-c", "import sqlite3; print(sqlite3.sqlite_version)"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert got["module"] == "sqlite3" and got["utils"] == "sqlite3" and not got["bundled"]
    assert got["version"] == stdlib
    assert got["tracking"] == 200
    assert got["lock_writes"] and got["lock_held_while_writing"]
    if tuple(map(int, stdlib.split("."))) < sqlite.SAFE_SQLITE:  # Debian 12's Python: 3.40.1
        assert "older than 3.51.3" in proc.stderr and "WAL-reset" in proc.stderr
        assert "Python's standard library sqlite3" in proc.stderr
    # `guide db check` says which library it ran on, and warns when it predates the fix.
    assert got["check_exit"] == 0 and "database ok" in got["check"]
    assert f"SQLite {stdlib} (Python's standard library sqlite3)" in got["check"]
    if tuple(map(int, stdlib.split("."))) < sqlite.SAFE_SQLITE:
        assert "WAL-reset" in got["check"] and "pysqlite3" in got["check"]
