"""The daily warning run: one notice per record, level and cycle; level 3 opens a follow-up item;
overdue equipment listed apart; a rerun sends nothing; a run killed by SIGKILL and run again
sends exactly what was missing; --dry-run records nothing; the background job runs once a day."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from forms_backend import create_app
from forms_backend.storage.sqlite import sqlite3
from forms_backend.warning_run import run_daily, run_warnings

from ..conftest import VALID_USCC, config

TODAY = dt.date(2026, 12, 1)   # a Tuesday


@pytest.fixture
def app(tmp_path):
    app = create_app(config(tmp_path, GUIDE_SMS_URL="http://127.0.0.1:9/sms", GUIDE_STAFF_EMAIL="duty@example.org"))
    yield app
    app.extensions["guide"].storage.close()


def add(storage, code: str, due: dt.date, **fields) -> int:
    rec = {"uscc": VALID_USCC, "org_name": "连云港测试医药有限公司", "kind": "pressure_vessel", "device_code": code,
           "name": "灭菌柜", "cycle_months": 12, "due_date": due.isoformat(), "manager_name": "王安全",
           "manager_phone": "13812345678", "manager_email": "wang@example.com", "head_name": "赵总",
           "head_phone": "13912345678", "head_email": "zhao@example.com", "state": "in_use"}
    rec.update(fields)
    return storage.add_equipment(rec, actor="test")


def run(app, day=TODAY, **kw):
    with app.app_context():
        return run_warnings(app, day, **kw)


def warnings_of(storage) -> list[tuple]:
    return storage._all("SELECT equipment_id, cycle, level FROM equipment_warnings ORDER BY equipment_id, level")


def mails(storage, kind=None) -> list[dict]:
    return [m for m in storage.mail_rows() if kind is None or m["kind"] == kind]


def test_each_level_once_with_its_contacts_and_channels(app, storage):
    eid = add(storage, "RQ-1", TODAY + dt.timedelta(days=80))         # level 1 today (90 days)
    result = run(app)
    assert result.sent == {1: 1}
    level1 = mails(storage)
    # Level 1 tells the safety manager by email and SMS.
    assert sorted((m["channel"], m["to_addr"]) for m in level1) == [("email", "wang@example.com"), ("sms", "13812345678")]
    email = next(m for m in level1 if m["channel"] == "email")
    assert "【一级预警】" in email["subject"] and "RQ-1" in email["body"] and "/apply/metering?equipment=" in email["body"]
    # Again the same day, and the next days at level 1: nothing more.
    for day in (TODAY, TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=15)):
        assert run(app, day).sent == {}
    assert len(mails(storage)) == 2
    # Level 2 (60 days before) tells the manager and the head, by email only (fixture YAML).
    result = run(app, TODAY + dt.timedelta(days=21))
    assert result.sent == {2: 1}
    level2 = mails(storage)[2:]
    assert sorted((m["channel"], m["to_addr"]) for m in level2) == [("email", "wang@example.com"), ("email", "zhao@example.com")]
    assert warnings_of(storage) == [(eid, 1, 1), (eid, 1, 2)]


def test_level_three_escalates_to_a_follow_up_item_and_tells_staff(app, storage, accounts):
    eid = add(storage, "RQ-3", TODAY + dt.timedelta(days=20))
    result = run(app)
    assert result.sent == {3: 1} and result.escalated == 1
    issues, total = storage.list_issues(kind="equipment")
    assert total == 1 and issues[0].equipment_id == eid and issues[0].rectify_due == (TODAY + dt.timedelta(days=20)).isoformat()
    assert issues[0].who == "连云港测试医药有限公司" and issues[0].ref == "RQ-3"
    staff = mails(storage, "equipment_warning_staff")
    assert len(staff) == 1 and staff[0]["to_addr"] == "duty@example.org" and "RQ-3" in staff[0]["body"]
    # A record that enters at level 3 gets the level-3 notice only (not levels 1 and 2 as well).
    assert warnings_of(storage) == [(eid, 1, 3)]
    assert run(app).sent == {} and storage.list_issues(kind="equipment")[1] == 1


def test_the_issue_page_shows_the_equipment(app, storage, staff):
    eid = add(storage, "RQ-4", TODAY + dt.timedelta(days=5))
    run(app)
    issue = storage.list_issues(kind="equipment")[0][0]
    page = staff.get(f"/staff/issues/{issue.id}").get_data(as_text=True)
    assert "设备三级预警" in page and f'href="/staff/equipment/{eid}"' in page


def test_overdue_equipment_is_listed_apart_and_stopped_equipment_is_not_warned(app, storage):
    add(storage, "OLD-1", TODAY - dt.timedelta(days=3))
    add(storage, "STOP-1", TODAY + dt.timedelta(days=10), state="stopped")
    add(storage, "FAR-1", TODAY + dt.timedelta(days=300))
    result = run(app)
    assert result.overdue == 1 and [r["device_code"] for r in result.overdue_rows] == ["OLD-1"]
    assert result.sent == {3: 1}                                  # the overdue one still gets its level 3
    body = mails(storage, "equipment_warning")[0]["body"]
    assert "已超期" in body and "不得继续使用" in body


def test_a_record_without_reachable_contacts_is_recorded_without_mail(app, storage):
    add(storage, "NC-1", TODAY + dt.timedelta(days=80), manager_email=None, manager_phone="0518-85123456")
    result = run(app)
    assert result.sent == {1: 1} and mails(storage) == []           # a landline gets no SMS


def test_dry_run_records_and_sends_nothing(app, storage):
    add(storage, "RQ-1", TODAY + dt.timedelta(days=80))
    add(storage, "RQ-2", TODAY + dt.timedelta(days=20))
    result = run(app, dry_run=True)
    assert [(p.device_code, p.level, p.escalate) for p in result.planned] == [("RQ-2", 3, True), ("RQ-1", 1, False)]
    assert warnings_of(storage) == [] and mails(storage) == [] and storage.list_issues(kind="equipment")[1] == 0


def test_the_background_job_runs_once_a_day_after_its_hour(app, storage):
    add(storage, "RQ-1", TODAY + dt.timedelta(days=80))
    morning = dt.datetime(2026, 12, 1, 5, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    later = morning + dt.timedelta(hours=3)
    with app.app_context():
        assert run_daily(app, now=morning) is None                  # before GUIDE_WARNINGS_HOUR (7)
        assert run_daily(app, now=later).sent == {1: 1}
        assert run_daily(app, now=later + dt.timedelta(hours=1)) is None
    assert len(warnings_of(storage)) == 1


def test_the_command_runs_and_dry_runs(app, storage, tmp_path):
    from click.testing import CliRunner

    from site_builder.cli import main

    add(storage, "RQ-1", TODAY + dt.timedelta(days=80))
    add(storage, "OLD-1", TODAY - dt.timedelta(days=1))
    args = ["warnings", "run", "--project", str(app.config["GUIDE_PROJECT"]), "--db", str(storage.path),
            "--today", TODAY.isoformat()]
    out = CliRunner().invoke(main, args + ["--dry-run"])
    assert out.exit_code == 0, out.output
    assert "would send level 1 (一级预警) for RQ-1" in out.output and "2 warning(s) would be sent" in out.output
    assert "overdue (must stop until inspected): 1" in out.output and "OLD-1" in out.output
    assert warnings_of(storage) == []
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0 and "level 1: 1, level 3: 1" in out.output, out.output
    assert len(warnings_of(storage)) == 2
    assert "level 1" not in CliRunner().invoke(main, args).output.split("overdue")[0]   # a rerun sends nothing


KILL_SCRIPT = """
import datetime as dt, sys
from forms_backend import create_app
from forms_backend.warning_run import run_warnings
app = create_app({"GUIDE_PROJECT": sys.argv[1], "GUIDE_DATA_DIR": sys.argv[2], "GUIDE_MAIL_WORKER": False,
                  "GUIDE_SMS_URL": "http://127.0.0.1:9/sms", "GUIDE_STAFF_EMAIL": "duty@example.org"})
with app.app_context():
    run_warnings(app, dt.date.fromisoformat(sys.argv[3]), batch=int(sys.argv[4]))
print("done")
"""


@pytest.mark.slow
def test_a_run_killed_halfway_and_run_again_sends_each_notice_exactly_once(app, storage, tmp_path):
    n = 3000
    with storage._immediate() as db:    # fast fill: one transaction
        for i in range(n):
            storage._insert_equipment(db, {
                "uscc": VALID_USCC, "org_name": "甲公司", "kind": "elevator", "device_code": f"DT-{i:05d}", "name": "电梯",
                "cycle_months": 12, "due_date": (TODAY + dt.timedelta(days=10 + i % 70)).isoformat(),
                "manager_name": "王", "manager_phone": "13812345678", "manager_email": f"m{i}@example.com",
                "head_name": "赵", "head_phone": None, "head_email": f"h{i}@example.com", "state": "in_use"},
                actor="test", now="2026-11-01T00:00:00.000+00:00")
    db_path = str(storage.path)
    args = [sys.executable, "-c", KILL_SCRIPT, str(app.config["GUIDE_PROJECT"]), str(tmp_path / "data"),
            TODAY.isoformat(), "25"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    watch = sqlite3.connect(db_path, timeout=30)
    deadline = time.time() + 120
    killed_at = 0
    while time.time() < deadline:
        killed_at = watch.execute("SELECT count(*) FROM equipment_warnings").fetchone()[0]
        if killed_at >= 100:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.01)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    half = watch.execute("SELECT count(*) FROM equipment_warnings").fetchone()[0]
    assert 0 < half < n, half
    # Every committed warning has all its notices, and no notice exists without its warning.
    per_warning = watch.execute("SELECT count(*) FROM mail_queue WHERE kind LIKE 'equipment_warning%' AND kind != "
                                "'equipment_warning_staff'").fetchone()[0]
    assert per_warning % half == 0 and per_warning > 0
    per_record = per_warning // half
    out = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and "done" in out.stdout, out.stderr
    rows = watch.execute("SELECT equipment_id, cycle, level FROM equipment_warnings").fetchall()
    assert len(rows) == n and len(set(rows)) == n
    sent_to = Counter(r[0] for r in watch.execute("SELECT to_addr FROM mail_queue WHERE kind = 'equipment_warning'"))
    assert all(c == 1 for c in sent_to.values()), "an address was warned twice"
    assert watch.execute("SELECT count(*) FROM mail_queue WHERE kind LIKE 'equipment_warning%' AND kind != "
                         "'equipment_warning_staff'").fetchone()[0] == n * per_record
    # Level 3 opened one follow-up item per record at level 3, no more.
    level3 = watch.execute("SELECT count(*) FROM equipment_warnings WHERE level = 3").fetchone()[0]
    assert watch.execute("SELECT count(*) FROM issues WHERE kind = 'equipment'").fetchone()[0] == level3 > 0
    watch.close()
