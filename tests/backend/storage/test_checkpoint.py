"""WAL checkpoints out of the writers' way: the bulk copied with no lock held, completed under
the lock so the WAL starts over, made after a response has been sent; SQLite's own one kept
with an old SQLite."""
from __future__ import annotations

import fcntl
import threading
import time

from forms_backend import create_app
from forms_backend.storage import Storage, StorageBusy, core

from ..conftest import METERING, Applicant, config, make_application


def _wal_frames(storage) -> int:
    """Pages in the WAL now (a PASSIVE checkpoint reports them; it also copies them, harmless)."""
    return storage.db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]


def test_due_after_enough_writes_and_the_wal_starts_over(tmp_path):
    storage = Storage(tmp_path / "guide.db")
    try:
        assert storage.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == core.AUTOCHECKPOINT_FRAMES
        storage._commits = 0  # (the migrations wrote too)
        for n in range(core.CHECKPOINT_COMMITS // 2 - 1):
            make_application(storage, n)  # two write transactions each
        assert not storage.checkpoint_due
        make_application(storage, 999)
        assert storage.checkpoint_due
        storage.checkpoint()
        assert not storage.checkpoint_due
        make_application(storage, 1000)
        assert _wal_frames(storage) < 40  # written from the start again, not after ~2,000 pages
    finally:
        storage.close()


def test_the_bulk_is_copied_while_another_process_holds_the_write_lock(tmp_path):
    storage = Storage(tmp_path / "guide.db")
    try:
        for n in range(core.CHECKPOINT_COMMITS // 2):
            make_application(storage, n)
        assert storage.checkpoint_due
        size_before = (tmp_path / "guide.db").stat().st_size
        with open(tmp_path / "guide.db.lock", "a+b") as other:  # another process's write lock
            fcntl.flock(other, fcntl.LOCK_EX)
            done = threading.Event()
            worker = threading.Thread(target=lambda: (storage.checkpoint(), done.set()))
            worker.start()
            deadline = time.monotonic() + 5
            while (tmp_path / "guide.db").stat().st_size == size_before and time.monotonic() < deadline:
                time.sleep(0.01)
            assert (tmp_path / "guide.db").stat().st_size > size_before  # copied, lock still held
            assert not done.is_set()  # the last step waits for the lock
            fcntl.flock(other, fcntl.LOCK_UN)
        worker.join(10)
        assert done.is_set()
        make_application(storage, 1000)
        assert _wal_frames(storage) < 40
    finally:
        storage.close()


def test_the_web_app_checkpoints_after_answering(app, storage):
    for n in range(30):
        make_application(storage, n)
    storage._commits = core.CHECKPOINT_COMMITS - 1
    r = Applicant(app.test_client(), "metering").fill(METERING)  # its write makes one due
    assert r.status_code == 303 and storage.checkpoint_due  # not while the answer is being sent
    r.close()  # what the server does once the answer is sent
    assert not storage.checkpoint_due
    make_application(storage, 99)
    assert _wal_frames(storage) < 40


def test_with_an_old_sqlite_sqlites_own_checkpoint_stays(tmp_path, monkeypatch):
    monkeypatch.setattr(core, "is_safe", lambda: False)
    storage = Storage(tmp_path / "guide.db")
    try:
        assert storage.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
        for n in range(core.CHECKPOINT_COMMITS // 2 + 1):
            make_application(storage, n)
        assert not storage.checkpoint_due
    finally:
        storage.close()


def test_the_mail_thread_checkpoints_after_its_round(tmp_path):
    app = create_app(config(tmp_path, GUIDE_MAIL_WORKER=True, GUIDE_DIGEST_HOUR=-1))
    storage = app.extensions["guide"].storage
    try:
        storage._commits = core.CHECKPOINT_COMMITS  # due; the thread's round will find it so
        app.extensions["guide"].background.wake()
        deadline = time.monotonic() + 5
        while storage.checkpoint_due and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not storage.checkpoint_due
    finally:
        app.extensions["guide"].background.stop()


def test_a_checkpoint_put_off_after_a_response_is_only_logged(app, storage, monkeypatch, caplog):
    def busy():
        raise StorageBusy("guide.db.lock: still held by another process after the timeout")

    monkeypatch.setattr(storage, "checkpoint", busy)
    storage._commits = core.CHECKPOINT_COMMITS
    r = app.test_client().get("/apply/metering")
    assert r.status_code == 200
    r.close()  # the server closes the response: the checkpoint is tried, refused, logged
    assert "WAL checkpoint put off" in caplog.text
