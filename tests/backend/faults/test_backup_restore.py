"""Backup under load, and the restore drill: `guide db backup` while applications keep coming in
gives a copy that passes integrity_check and holds every application acknowledged before the
backup began; `guide db restore` puts it into a fresh data folder, which gunicorn then serves."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .harness import (Browser, Gunicorn, Load, acknowledged_ref, half_stored, integrity, stored_refs, tracked)
from ..conftest import FIXTURE, METERING

pytestmark = pytest.mark.slow

GUIDE = Path(sys.executable).with_name("guide")


def guide(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(GUIDE), *args, "--project", str(FIXTURE)], capture_output=True, text=True, timeout=120)


def test_backup_under_load_then_restore_into_a_fresh_folder_and_serve_it(tmp_path):
    data = tmp_path / "data"
    server = Gunicorn(data, workers=3).start()
    load = Load(server.url, threads=4).start()
    copies = []
    try:
        for i in range(2):   # two backups, each while submissions go on
            load.wait_for(10 * (i + 1))
            before = set(load.acked)   # acknowledged, hence committed, before this backup begins
            copy = tmp_path / "backups" / f"guide-{i}.db"
            result = guide("db", "backup", str(copy), "--db", str(data / "guide.db"))
            assert result.returncode == 0, result.stderr
            assert "backed up to" in result.stderr
            copies.append((copy, before, len(load.acked)))
        load.wait_for(len(load.acked) + 5)   # and the load went on after the backups
    finally:
        load.stop()
        server.stop()
    assert not [s for s in load.statuses if not s.endswith(" 303")], load.statuses
    for copy, before, _ in copies:
        assert integrity(copy) == ["ok"]
        assert before <= stored_refs(copy), "an application acknowledged before the backup is missing"
        assert {k: v for k, v in half_stored(copy).items() if v} == {}
    assert len(stored_refs(copies[1][0])) > len(copies[0][1])

    # The restore drill, as the README tells it: a fresh data folder, `guide db restore`, start.
    copy, before, _ = copies[1]
    fresh = tmp_path / "restored"
    result = guide("db", "restore", str(copy), "--db", str(fresh / "guide.db"))
    assert result.returncode == 0, result.stderr
    assert f"restored {copy}" in result.stderr
    check = guide("db", "check", "--db", str(fresh / "guide.db"))
    assert check.returncode == 0 and "database ok" in check.stderr, check.stderr
    in_copy = stored_refs(fresh / "guide.db")
    assert in_copy == stored_refs(copy)

    restored = Gunicorn(fresh, workers=3).start()
    try:
        assert all(tracked(restored.url, ref) for ref in in_copy)
        browser = Browser(restored.url)
        assert browser.fill({**METERING, "org_name": "恢复后单位"}).status_code == 303
        new = acknowledged_ref(browser.submit(browser.check_page()))
        assert new and new not in in_copy and tracked(restored.url, new)
    finally:
        restored.stop()
    assert integrity(fresh / "guide.db") == ["ok"]
