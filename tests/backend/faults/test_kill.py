"""Kill: gunicorn with 3 workers under concurrent submissions; SIGKILL a worker, then the master
and every worker at once, mid-load; restart. Every acknowledged reference is found by /track,
nothing is half-stored, and the database passes integrity_check."""
from __future__ import annotations

import os
import signal
import time

import pytest

from .harness import Browser, Gunicorn, Load, acknowledged_ref, half_stored, integrity, stored_refs, tracked
from ..conftest import METERING

pytestmark = pytest.mark.slow


def test_sigkill_mid_load_loses_no_acknowledged_application(tmp_path):
    data = tmp_path / "data"
    server = Gunicorn(data, workers=3).start()
    load = Load(server.url, threads=6).start()
    try:
        load.wait_for(15)
        # One worker dies mid-request; the master replaces it and the load goes on.
        victim = server.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        before = len(load.acked)
        load.wait_for(before + 15)
        assert victim not in server.worker_pids()
        # Then the whole service at once, while submissions are in flight.
        server.kill_all()
    finally:
        load.stop()
        server.stop()
    acked = list(load.acked)
    assert len(acked) == len(set(acked)) >= 30, load.statuses
    assert load.failures, "the kill should have cut requests in flight"
    assert not [s for s in load.statuses if s.endswith(" 500")], load.statuses

    # What was left on disk, before anything opens it again (WAL, -shm and lock file included).
    db = data / "guide.db"
    assert integrity(db) == ["ok"]
    assert not set(acked) - stored_refs(db)
    assert {k: v for k, v in half_stored(db).items() if v} == {}

    restarted = Gunicorn(data, workers=3).start()
    try:
        missing = [ref for ref in acked if not tracked(restarted.url, ref)]
        assert missing == [], f"{len(missing)} of {len(acked)} acknowledged applications not found by /track"
        # And the service takes new applications again.
        browser = Browser(restarted.url)
        assert browser.fill({**METERING, "org_name": "重启后单位"}).status_code == 303
        assert acknowledged_ref(browser.submit(browser.check_page()))
    finally:
        restarted.stop()
    time.sleep(0.2)
    assert integrity(db) == ["ok"]
    assert {k: v for k, v in half_stored(db).items() if v} == {}
