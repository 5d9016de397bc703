"""Locked database: another process holds a write transaction for longer than the busy timeout.
Submissions wait (the busy timeout), then get a 503 page saying to try again later; none is lost
(retried once the lock is gone, each draft becomes exactly one application); reads go on; no 500."""
from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from .harness import Browser, Gunicorn, acknowledged_ref, half_stored, integrity, stored_refs, tracked
from ..conftest import METERING

pytestmark = pytest.mark.slow

BUSY = 1.0   # GUIDE_DB_BUSY_SECONDS
HOLD = 4.0   # how long the other process keeps its write transaction open

HOLDER = r"""
import sys, time
from forms_backend.storage.sqlite import sqlite3
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")           # SQLite's write lock, as a long maintenance script would hold it
conn.execute("UPDATE applications SET updated_at = updated_at")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
print("released", flush=True)
"""


def test_a_long_write_elsewhere_gives_try_again_pages_and_loses_nothing(tmp_path):
    data = tmp_path / "data"
    server = Gunicorn(data, workers=3, GUIDE_DB_BUSY_SECONDS=BUSY).start()
    try:
        first = Browser(server.url)
        first.fill({**METERING, "org_name": "锁前单位"})
        earlier = acknowledged_ref(first.submit(first.check_page()))
        assert earlier

        # Three applicants (one per worker) with their answers checked, ready to submit.
        applicants = []
        for i in range(3):
            b = Browser(server.url)
            assert b.fill({**METERING, "org_name": f"等待单位{i}"}).status_code == 303
            applicants.append((b, b.check_page()))

        holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(data / "guide.db"), str(HOLD)],
                                  stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "locked"
        released_at = time.monotonic() + HOLD
        results: list[tuple[int, float, float, str]] = []   # status, seconds taken, when, page
        acked: list[str] = []
        lock = threading.Lock()

        def keep_trying(browser, check_page):
            while True:   # what a person does with a "try again later" page: try again
                t0 = time.monotonic()
                r = browser.submit(check_page)
                took = time.monotonic() - t0
                with lock:
                    results.append((r.status_code, took, t0, r.text))
                if r.status_code != 503:
                    ref = acknowledged_ref(r)
                    if ref:
                        with lock:
                            acked.append(ref)
                    return
                time.sleep(0.2)

        threads = [threading.Thread(target=keep_trying, args=a) for a in applicants]
        for t in threads:
            t.start()
        # Reading goes on meanwhile (WAL): tracking an earlier application works under the lock.
        time.sleep(0.5)
        assert tracked(server.url, earlier)
        assert time.monotonic() < released_at   # answered while the write transaction is still open
        for t in threads:
            t.join(timeout=60)
        assert holder.wait(timeout=30) == 0

        statuses = [r[0] for r in results]
        assert set(statuses) == {503, 303}, statuses          # waits, refusals and successes; no 500
        refused = [r for r in results if r[0] == 503]
        assert len(refused) >= 3
        for status, took, _, page in refused:
            assert took >= BUSY * 0.9, f"a 503 after {took:.2f} s: it did not wait for the busy timeout"
            assert took < BUSY * 3, f"a 503 after {took:.2f} s: requests queued behind each other"
            assert "请稍后重试" in page and "没有保存" in page
        assert all(when + took <= released_at + 0.5 for _, took, when, _ in refused)
        assert len(acked) == 3 and len(set(acked)) == 3          # each applicant: exactly one application

        # Each draft became one application, nothing else was stored.
        assert stored_refs(data / "guide.db") == {earlier, *acked}
        assert all(tracked(server.url, ref) for ref in acked)
    finally:
        server.stop()
    assert "storage busy, POST /apply/metering/submit refused" in server.output()
    assert integrity(data / "guide.db") == ["ok"]
    assert {k: v for k, v in half_stored(data / "guide.db").items() if v} == {}
