"""commands.py: guide serve, guide db backup, guide db check."""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from forms_backend import create_app
from forms_backend.storage.sqlite import sqlite3
from site_builder.cli import main

from .conftest import FIXTURE, METERING, Applicant, config

GUIDE = Path(sys.executable).with_name("guide")


@pytest.fixture
def filled(tmp_path):
    """A database holding two applications."""
    app = create_app(config(tmp_path))
    for _ in range(2):
        Applicant(app.test_client(), "metering").apply(METERING)
    app.extensions["guide"].storage.close()
    return tmp_path / "data" / "guide.db"


def test_guide_has_serve_and_db_commands():
    result = CliRunner().invoke(main, ["--help"])
    assert "serve" in result.output and "db" in result.output
    result = CliRunner().invoke(main, ["db", "--help"])
    assert "backup" in result.output and "check" in result.output


def test_db_backup_makes_a_checked_copy(filled, tmp_path):
    dest = tmp_path / "backups" / "guide-2026-11-25.db"
    result = CliRunner().invoke(main, ["db", "backup", str(dest), "--project", str(FIXTURE), "--db", str(filled)])
    assert result.exit_code == 0, result.output
    assert "2 applications" in result.output
    conn = sqlite3.connect(dest)
    assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM applications").fetchone()[0] == 2


def test_db_backup_does_not_overwrite_without_force(filled, tmp_path):
    dest = tmp_path / "copy.db"
    dest.write_text("keep me")
    args = ["db", "backup", str(dest), "--db", str(filled)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "--force" in result.output and dest.read_text() == "keep me"
    assert CliRunner().invoke(main, args + ["--force"]).exit_code == 0


def test_db_backup_without_a_database_says_so(tmp_path):
    result = CliRunner().invoke(main, ["db", "backup", str(tmp_path / "x.db"), "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "no database at" in result.output
    assert not (tmp_path / "none.db").exists()


def test_db_restore_refuses_a_broken_backup_and_an_existing_database_without_force(filled, tmp_path):
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"not a database at all" * 100)
    target = tmp_path / "fresh" / "guide.db"
    result = CliRunner().invoke(main, ["db", "restore", str(broken), "--db", str(target)])
    assert result.exit_code == 1 and "broken.db" in result.output and not target.exists()

    backup = tmp_path / "copy.db"
    assert CliRunner().invoke(main, ["db", "backup", str(backup), "--db", str(filled)]).exit_code == 0
    before = filled.read_bytes()
    result = CliRunner().invoke(main, ["db", "restore", str(backup), "--db", str(filled)])
    assert result.exit_code == 1 and "--force" in result.output and filled.read_bytes() == before


def test_db_restore_with_force_keeps_the_replaced_database_and_its_wal_beside(filled, tmp_path):
    backup = tmp_path / "copy.db"
    assert CliRunner().invoke(main, ["db", "backup", str(backup), "--db", str(filled)]).exit_code == 0
    app = create_app(config(tmp_path))   # one more application, after the backup
    Applicant(app.test_client(), "metering").apply(METERING)
    app.extensions["guide"].storage.close()
    result = CliRunner().invoke(main, ["db", "restore", str(backup), "--db", str(filled), "--force"])
    assert result.exit_code == 0, result.output
    assert "(2 applications)" in result.output and "kept as" in result.output
    kept = [p for p in filled.parent.iterdir() if ".replaced-" in p.name and not p.name.endswith(("-wal", "-shm"))]
    assert len(kept) == 1
    conn = sqlite3.connect(kept[0])
    assert conn.execute("SELECT count(*) FROM applications").fetchone()[0] == 3   # nothing thrown away
    conn.close()
    assert not filled.with_name("guide.db-wal").exists() or filled.with_name("guide.db-wal").stat().st_size == 0


def test_db_check_reports_version_and_health(filled):
    result = CliRunner().invoke(main, ["db", "check", "--db", str(filled)])
    assert result.exit_code == 0, result.output
    assert f"SQLite {sqlite3.sqlite_version} (bundled by the pysqlite3 wheel)" in result.output
    assert "database ok" in result.output and "warning" not in result.output


def test_serve_refuses_content_with_errors(tmp_path):
    project = tmp_path / "guide"
    shutil.copytree(FIXTURE, project)
    svc = project / "content" / "services" / "metering.yml"
    svc.write_text(svc.read_text(encoding="utf-8").replace("category: metrology", "category: nowhere"),
                   encoding="utf-8")
    result = CliRunner().invoke(main, ["serve", "--project", str(project), "--port", "1"])
    assert result.exit_code == 1
    assert "unknown category 'nowhere'" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


@pytest.mark.slow
def test_serve_builds_the_site_and_serves_it_with_the_forms(tmp_path):
    project = tmp_path / "guide"
    shutil.copytree(FIXTURE, project)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUIDE_")}
    proc = subprocess.Popen([str(GUIDE), "serve", "--project", str(project), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while True:
            try:
                status, home = _get(base + "/")
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode()
                assert time.time() < deadline, "guide serve did not start"
                time.sleep(0.2)
        assert status == 200 and "测试服务指南" in home
        assert 'href="/apply/drug-testing"' in _get(base + "/services/drug-testing/")[1]
        status, form = _get(base + "/apply/drug-testing")
        # the form links the theme's main stylesheet the guide's home page links (path differs per engine)
        main_css = re.search(r'href="\.?/?(assets/stylesheets/(?:[a-z]+/)?main\.[^"]+\.css)"', home).group(1)
        assert status == 200 and f'href="/{main_css}"' in form
        assert _get(base + "/no-such-page/")[0] == 404
        # the data folder is created on first run, inside the project, beside site/
        assert (project / "var" / "guide.db").is_file() and (project / "var" / "secret_key").is_file()
        assert (project / "site" / "index.html").is_file()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out = proc.communicate(timeout=10)[0].decode()
        except subprocess.TimeoutExpired:
            proc.kill()
            out = proc.communicate()[0].decode()
    assert f"http://127.0.0.1:{port}/" in out
    assert "SQLite" in out  # the version is logged at start-up
