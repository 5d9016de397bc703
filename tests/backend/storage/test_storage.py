"""The storage package on real SQLite files: migrations, pragmas, submissions, history, backup, purge."""
from __future__ import annotations

import fcntl
import os
import threading

import pytest

from forms_backend.storage import (REF_ALPHABET, BadTransition, DraftNotFound, NewUpload, StaleSubmission,
                                   Storage, migrations)
from forms_backend.storage import core
from forms_backend.storage.sqlite import sqlite3


def record(n: int = 0) -> dict:
    return {"service_id": "metering", "service_name": "计量器具检定", "org_name": f"单位{n}",
            "uscc": "91350100M000100Y43", "contact_name": "张三", "phone": "13812345678",
            "phone_norm": "13812345678", "email": "a@example.com",
            "answers": [{"id": "f_x", "label": "器具", "type": "text", "value": "天平", "display": "天平"}]}


def no_mail(ref):
    return []


def make_draft(store: Storage, token: str = "draft-1"):
    return store.save_draft(token, "metering", answers={"org_name": "单位"})


def submit(store: Storage, token: str, **kw):
    draft = store.get_draft(token)
    return store.submit(token, draft.submit_token, record=record(), ref_prefix="ZY", yymm="2611",
                        compose_mail=kw.get("compose_mail", no_mail))


@pytest.fixture
def store(tmp_path):
    s = Storage(tmp_path / "guide.db")
    yield s
    s.close()


def test_new_database_is_migrated_in_wal_mode(store, tmp_path):
    assert store.journal_mode() == "wal"
    assert [m.name for m in migrations.applied(store.db)][:10] == [
        "0001_applications", "0002_staff_console", "0003_feedback", "0004_notify_channel", "0005_staff_work",
        "0006_console_indexes", "0007_console_covering_indexes", "0008_corrections", "0009_draft_resume",
        "0010_withdrawn"]
    assert [m.name for m in migrations.applied(store.db)] == [m.name for m in migrations._migrations]
    assert {"applications", "application_events", "drafts", "uploads", "mail_queue"} <= set(store.db.table_names())
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] == 10000
    assert store.quick_check() == []


def test_a_write_is_on_disk_before_it_returns_and_synced_after_the_lock_is_released(store, monkeypatch):
    """synchronous=NORMAL plus our own fsync of the WAL after the write lock (core._sync_wal):
    every committed write transaction is synced before the call returns, as FULL would, but
    no writer waits for the disk while holding the lock the others queue on."""
    synced = []
    real_fdatasync = os.fdatasync

    def watching_fdatasync(fd):
        with open(f"{store.path}.lock", "a+b") as other:   # a second open file: flock conflicts
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)   # raises if the write lock were held
            fcntl.flock(other, fcntl.LOCK_UN)
        st = os.fstat(fd)
        synced.append((st.st_dev, st.st_ino))
        real_fdatasync(fd)

    monkeypatch.setattr(core.os, "fdatasync", watching_fdatasync)
    assert store._one("PRAGMA synchronous")[0] == 1   # NORMAL: SQLite's own commit does not sync
    make_draft(store)
    wal = os.stat(f"{store.path}-wal")
    assert synced == [(wal.st_dev, wal.st_ino)]
    submit(store, "draft-1")
    assert len(synced) == 2
    # A transaction that fails is rolled back and not synced (nothing of it was written).
    with pytest.raises(DraftNotFound):
        store.submit("no-such-draft", "x", record=record(), ref_prefix="ZY", yymm="2611", compose_mail=no_mail)
    assert len(synced) == 2


def test_migrations_apply_once_across_reopen_and_concurrent_openers(tmp_path):
    path = tmp_path / "guide.db"
    errors = []

    def open_one():
        try:
            Storage(path).close()
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)
    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == len(migrations._migrations)


def test_submit_writes_application_event_uploads_and_mail_together(store):
    store.save_draft("d", "metering", answers={"a": 1}, new_files=[
        NewUpload("f_doc", "a.pdf", "x1.pdf", "pdf", "application/pdf", 10, "00")])
    mails = lambda ref: [{"kind": "applicant_ack", "to": "a@example.com", "subject": ref, "body": "b"}]
    result = submit(store, "d", compose_mail=mails)
    assert result.created and result.ref.startswith("ZY-2611-")
    app = store.get_application(result.ref)
    assert app.status == "submitted" and app.answers[0]["display"] == "天平"
    assert store.counts() == {"applications": 1, "application_events": 1, "drafts": 1, "uploads": 1,
                              "mail_queue": 1}
    assert store.uploads_of(app.id)[0]["original_name"] == "a.pdf"
    assert store.mail_rows()[0]["subject"] == result.ref


def test_a_reference_drawn_before_the_lock_but_taken_is_drawn_again_with_its_mail(store, monkeypatch):
    from forms_backend.storage import applications
    make_draft(store, "d1")
    make_draft(store, "d2")
    mails = lambda ref: [{"kind": "applicant_ack", "to": "a@example.com", "subject": ref, "body": f"编号 {ref}"}]
    taken = submit(store, "d1", compose_mail=mails).ref
    drawn = []
    monkeypatch.setattr(applications, "random_ref", lambda prefix, yymm: drawn.append(taken) or taken)
    second = submit(store, "d2", compose_mail=mails)
    assert drawn == [taken] and second.created and second.ref != taken and second.ref.startswith("ZY-2611-")
    assert [(m["subject"], m["body"]) for m in store.mail_rows()] == [(taken, f"编号 {taken}"),
                                                                     (second.ref, f"编号 {second.ref}")]


def test_a_failure_inside_submit_leaves_nothing_behind(store):
    make_draft(store, "d")

    def broken_mail(ref):
        raise RuntimeError("template error")
    with pytest.raises(RuntimeError):
        submit(store, "d", compose_mail=broken_mail)
    assert store.counts()["applications"] == 0 and store.counts()["application_events"] == 0
    assert submit(store, "d").created  # and the draft can still be submitted


def test_replayed_submission_returns_the_first_result(store):
    make_draft(store, "d")
    token = store.get_draft("d").submit_token
    first = store.submit("d", token, record=record(), ref_prefix="ZY", yymm="2611", compose_mail=no_mail)
    second = store.submit("d", token, record=record(), ref_prefix="ZY", yymm="2611", compose_mail=no_mail)
    assert (second.ref, second.created) == (first.ref, False)
    assert store.count_applications() == 1


def test_stale_token_and_missing_draft_are_refused(store):
    make_draft(store, "d")
    with pytest.raises(StaleSubmission):
        store.submit("d", "old", record=record(), ref_prefix="ZY", yymm="2611", compose_mail=no_mail)
    with pytest.raises(DraftNotFound):
        store.submit("nope", "x", record=record(), ref_prefix="ZY", yymm="2611", compose_mail=no_mail)


def test_saving_a_draft_again_changes_its_submission_token(store):
    first = make_draft(store, "d").submit_token
    assert store.save_draft("d", "metering", answers={"b": 2}).submit_token != first


def test_a_new_file_replaces_the_previous_one_of_the_same_field(store):
    store.save_draft("d", "metering", answers=None,
                     new_files=[NewUpload("f_doc", "old.pdf", "old.pdf", "pdf", "application/pdf", 1, "0")])
    store.save_draft("d", "metering", answers={"a": 1},
                     new_files=[NewUpload("f_doc", "new.pdf", "new.pdf", "pdf", "application/pdf", 1, "0")])
    assert store.get_draft("d").files["f_doc"]["name"] == "new.pdf"
    assert store.purge() == ["old.pdf"]


def test_reference_numbers_use_the_unambiguous_alphabet(store):
    refs = set()
    for i in range(50):
        make_draft(store, f"d{i}")
        refs.add(submit(store, f"d{i}").ref)
    assert len(refs) == 50
    for ref in refs:
        prefix, yymm, tail = ref.split("-")
        assert (prefix, yymm) == ("ZY", "2611") and len(tail) == 5 and set(tail) <= set(REF_ALPHABET)
    assert not set(REF_ALPHABET) & set("01OIL")


def test_concurrent_submissions_from_threads_and_processes_get_distinct_references(tmp_path):
    # Several connections (as several gunicorn workers would have) and several threads each.
    path = tmp_path / "guide.db"
    stores = [Storage(path) for _ in range(4)]
    per_thread, threads_per_store = 15, 3
    for s_i, s in enumerate(stores):
        for t in range(threads_per_store):
            for n in range(per_thread):
                s.save_draft(f"{s_i}-{t}-{n}", "metering", answers={"n": n})
    results, errors = [], []

    def work(store, s_i, t):
        try:
            for n in range(per_thread):
                token = f"{s_i}-{t}-{n}"
                results.append(submit(store, token).ref)
        except Exception as exc:  # pragma: no cover
            errors.append(exc)
    threads = [threading.Thread(target=work, args=(s, s_i, t))
               for s_i, s in enumerate(stores) for t in range(threads_per_store)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = len(stores) * threads_per_store * per_thread
    assert errors == []
    assert len(results) == len(set(results)) == expected
    assert stores[0].count_applications() == expected
    assert set(stores[0].all_refs()) == set(results)
    for s in stores:
        s.close()


def test_status_changes_follow_the_allowed_transitions_and_are_recorded(store):
    make_draft(store, "d")
    ref = submit(store, "d").ref
    store.set_status(ref, "accepted", actor="staff:li", note="已受理")
    store.set_status(ref, "needs_info", actor="staff:li", note="请补正")
    store.set_status(ref, "in_progress", actor="staff:li")
    store.set_status(ref, "completed", actor="staff:li")
    app = store.find_for_tracking(ref, "13812345678")
    assert [(e.from_status, e.to_status, e.actor) for e in app.events] == [
        (None, "submitted", "applicant"), ("submitted", "accepted", "staff:li"),
        ("accepted", "needs_info", "staff:li"), ("needs_info", "in_progress", "staff:li"),
        ("in_progress", "completed", "staff:li")]
    with pytest.raises(BadTransition):
        store.set_status(ref, "accepted", actor="staff:li")  # completed is final


def test_tracking_needs_both_reference_and_phone(store):
    make_draft(store, "d")
    ref = submit(store, "d").ref
    assert store.find_for_tracking(ref, "13812345678") is not None
    assert store.find_for_tracking(ref, "13900000000") is None
    assert store.find_for_tracking("ZY-2611-AAAAA", "13812345678") is None


def test_online_backup_while_writing(store, tmp_path):
    for i in range(20):
        make_draft(store, f"d{i}")
        submit(store, f"d{i}")
    stop = threading.Event()

    def keep_writing():
        i = 100
        while not stop.is_set():
            make_draft(store, f"d{i}")
            submit(store, f"d{i}")
            i += 1
    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        dest = store.backup(tmp_path / "backup" / "copy.db")
    finally:
        stop.set()
        writer.join()
    copy = sqlite3.connect(dest)
    assert copy.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert copy.execute("SELECT count(*) FROM applications").fetchone()[0] >= 20


def test_quick_check_reports_a_damaged_file(tmp_path):
    path = tmp_path / "guide.db"
    s = Storage(path)
    for i in range(200):
        make_draft(s, f"d{i}")
        submit(s, f"d{i}")
    s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    s.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page * 2, min(len(data), page * 6)):
        data[offset] = 0xFF
    path.write_bytes(bytes(data))
    try:
        damaged = Storage(path, migrate=False)
    except sqlite3.DatabaseError:
        return  # refusing to open at all is also a clear failure
    assert damaged.quick_check() != []


def test_purge_forgets_old_drafts_and_returns_their_files(store):
    import datetime as dt
    store.save_draft("old", "metering", answers=None,
                     new_files=[NewUpload("f", "a.pdf", "stale.pdf", "pdf", "application/pdf", 1, "0")])
    store.db.execute("UPDATE drafts SET updated_at = '2000-01-01T00:00:00.000+00:00'")
    store.save_draft("fresh", "metering", answers=None,
                     new_files=[NewUpload("f", "b.pdf", "fresh.pdf", "pdf", "application/pdf", 1, "0")])
    assert store.purge(draft_age=dt.timedelta(days=1)) == ["stale.pdf"]
    assert store.get_draft("old") is None and store.get_draft("fresh") is not None


def test_a_write_blocked_past_the_busy_timeout_is_storage_busy_and_leaves_no_transaction(tmp_path):
    from forms_backend.storage import StorageBusy

    store = Storage(tmp_path / "guide.db", timeout=0.2)
    other = sqlite3.connect(tmp_path / "guide.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program's long write transaction (not our file lock)
    try:
        with pytest.raises(StorageBusy):
            store.add_page_vote("/svc/", True)
        assert store.count_applications() == 0  # reads go on under the other writer (WAL)
    finally:
        other.execute("COMMIT")
        other.close()
    assert not store.db.conn.in_transaction
    store.add_page_vote("/svc/", True)  # the same connection writes again once the lock is gone
    assert store._one("SELECT count(*) FROM page_feedback")[0] == 1
    store.close()


def test_random_codes_use_every_allowed_character_evenly_in_every_position():
    from collections import Counter

    from forms_backend.storage import REF_ALPHABET, random_code

    codes = [random_code(5) for _ in range(6200)]
    assert all(len(c) == 5 and set(c) <= set(REF_ALPHABET) for c in codes)
    for position in range(5):
        counts = Counter(c[position] for c in codes)
        assert set(counts) == set(REF_ALPHABET)  # 200 expected each
        assert 120 < min(counts.values()) and max(counts.values()) < 290
    assert len(set(codes)) > 6100
