"""Closing the loop: a warning's link opens the periodic-inspection application pre-filled with the
enterprise and the equipment; staff complete it; the record moves to its next cycle and its
warnings start again. A link of an earlier cycle or a forged one pre-fills nothing."""
from __future__ import annotations

import datetime as dt
import re

from forms_backend.duedates import add_months
from forms_backend.warning_run import run_warnings
from forms_backend.workdays import local_today

from ..conftest import VALID_USCC, Applicant, errors_in

TODAY = dt.date(2026, 12, 1)


def add(storage, due: dt.date) -> int:
    return storage.add_equipment({
        "uscc": VALID_USCC, "org_name": "连云港测试医药有限公司", "kind": "measuring", "device_code": "JL-0001",
        "name": "电子天平", "cycle_months": 12, "due_date": due.isoformat(), "manager_name": "王安全",
        "manager_phone": "13812345678", "manager_email": "wang@example.com", "state": "in_use"}, actor="test")


def link_in_notice(storage) -> str:
    body = next(m["body"] for m in storage.mail_rows() if m["kind"] == "equipment_warning")
    return re.search(r"http://localhost(/apply/\S+)", body).group(1)


def test_notice_link_prefills_the_application_and_completion_starts_the_next_cycle(app, client, storage, staff):
    eid = add(storage, TODAY + dt.timedelta(days=80))
    with app.app_context():
        run_warnings(app, TODAY)
    path = link_in_notice(storage)
    assert path.startswith("/apply/metering?equipment=")
    r = client.get(path)
    assert r.status_code == 303 and r.headers["Location"] == "/apply/metering"   # the token leaves the address
    page = client.get("/apply/metering").get_data(as_text=True)
    assert "已预填贵单位和设备 JL-0001 的信息" in page
    assert 'value="连云港测试医药有限公司"' in page and f'value="{VALID_USCC}"' in page and 'value="王安全"' in page
    assert 'value="13812345678"' in page and 'value="wang@example.com"' in page
    # The enterprise adds what the register does not know, checks and submits.
    applicant = Applicant(client, "metering")
    applicant.page = page
    r = applicant.fill({"org_name": "连云港测试医药有限公司", "uscc": VALID_USCC, "contact_name": "王安全",
                        "phone": "13812345678", "email": "wang@example.com", "f_instruments": "电子天平 1 台"})
    assert r.status_code == 303, errors_in(r.get_data(as_text=True))
    applicant.check()
    ref = applicant.submit().headers["Location"].rsplit("/", 1)[1]
    assert storage.equipment_of_application(ref) == (eid, 1)
    # Staff complete it: the record moves to cycle 2, inspected today, due a cycle later.
    assert staff.set_status(ref, "accepted").status_code == 303
    assert staff.set_status(ref, "completed").status_code == 303
    rec = storage.get_equipment(eid)
    today = local_today(app.config["GUIDE_TIMEZONE"])
    assert rec["cycle"] == 2 and rec["last_date"] == today.isoformat()
    assert rec["due_date"] == add_months(today, 12).isoformat()
    assert rec["events"][-1]["kind"] == "inspected" and ref in rec["events"][-1]["note"]
    page = staff.get(f"/staff/equipment/{eid}").get_data(as_text=True)
    assert ref in page and "完成检验，进入下一周期" in page
    # Its warnings start again: level 1 of the new cycle is sent when that cycle reaches it.
    new_due = dt.date.fromisoformat(rec["due_date"])
    with app.app_context():
        assert run_warnings(app, new_due - dt.timedelta(days=200)).sent == {}
        assert run_warnings(app, new_due - dt.timedelta(days=85)).sent == {1: 1}
    assert storage._all("SELECT cycle, level FROM equipment_warnings WHERE equipment_id = ? ORDER BY cycle", (eid,)) == \
        [(1, 1), (2, 1)]
    # The old cycle's link pre-fills nothing now.
    fresh = app.test_client()
    r = fresh.get(path)
    assert r.status_code == 303
    page = fresh.get("/apply/metering").get_data(as_text=True)
    assert "该预警链接已失效" in page and "王安全" not in page


def test_a_forged_link_prefills_nothing(client, storage):
    add(storage, TODAY + dt.timedelta(days=80))
    r = client.get("/apply/metering?equipment=WzEsMV0.forged")
    assert r.status_code == 303
    page = client.get("/apply/metering").get_data(as_text=True)
    assert "该预警链接已失效" in page and "连云港测试医药有限公司" not in page
