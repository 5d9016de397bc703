"""The equipment register in the console: add, list with filters and levels, one record with its
history, edit; every check of the form at its field; staff pages behind login."""
from __future__ import annotations

import datetime as dt
import re

from forms_backend.workdays import local_today

from ..conftest import VALID_USCC

OTHER_USCC = "91320700MA1Y2X3A4K"


def today(app) -> dt.date:
    return local_today(app.config["GUIDE_TIMEZONE"])


def equipment_data(**fields) -> dict:
    data = {"uscc": VALID_USCC, "org_name": "连云港测试医药有限公司", "kind": "pressure_vessel",
            "device_code": "RQ-0001", "registration_no": "容3207苏G00001(26)", "name": "灭菌柜", "model": "XG1.D",
            "location": "一车间", "last_date": "2025-12-10", "cycle_months": "12", "due_date": "",
            "manager_name": "王安全", "manager_phone": "13812345678", "manager_email": "wang@example.com",
            "head_name": "赵总", "head_phone": "13912345678", "head_email": "", "state": "in_use"}
    data.update(fields)
    return data


def add(staff, **fields):
    staff.get("/staff/equipment/new")
    return staff.post("/staff/equipment/new", equipment_data(**fields))


def test_staff_pages_need_a_login(client, storage):
    for path in ("/staff/equipment", "/staff/equipment/new", "/staff/equipment/1", "/staff/equipment/1/edit"):
        r = client.get(path)
        assert r.status_code in (302, 303) and "/staff/login" in r.headers["Location"], path


def test_add_computes_the_due_date_and_shows_the_record(staff, storage):
    r = add(staff)
    assert r.status_code == 303, staff.page
    eid = int(r.headers["Location"].rsplit("/", 1)[1])
    rec = storage.get_equipment(eid)
    assert rec["due_date"] == "2026-12-10" and rec["device_code"] == "RQ-0001" and rec["cycle"] == 1
    assert rec["events"][0]["kind"] == "created" and rec["events"][0]["actor"] == "staff:li"
    page = staff.get(f"/staff/equipment/{eid}").get_data(as_text=True)
    assert "灭菌柜" in page and "压力容器" in page and "2026-12-10" in page and "本周期的预警时点" in page


def test_every_problem_is_shown_at_its_field_and_nothing_is_stored(staff, storage):
    r = add(staff, uscc="91350100M000100Y44", kind="rocket", due_date="2026-02-30", last_date="",
            manager_phone="", manager_email="", cycle_months="0")
    assert r.status_code == 400
    page = staff.page
    assert "校验位" in page                       # the USCC check character
    assert "请从给出的选项中选择设备类别" in page
    assert "请按“年-月-日”填写下次检验日期" in page  # 2026-02-30 does not exist
    assert "至少填写安全管理员的手机或邮箱之一" in page
    assert "检验周期（月）不能小于 1" in page
    assert 'value="RQ-0001"' in page               # what was typed stays
    assert storage.list_equipment()[1] == 0


def test_a_device_code_is_registered_once(staff, storage):
    assert add(staff).status_code == 303
    r = add(staff, device_code="rq-0001")           # the same code typed in lower case
    assert r.status_code == 400 and "已登记在另一条记录中" in staff.page
    assert storage.list_equipment()[1] == 1


def test_edit_keeps_the_history_of_changes(staff, storage):
    eid = int(add(staff).headers["Location"].rsplit("/", 1)[1])
    staff.get(f"/staff/equipment/{eid}/edit")
    assert 'value="灭菌柜"' in staff.page
    r = staff.post(f"/staff/equipment/{eid}/edit", equipment_data(location="二车间", state="stopped",
                                                                   due_date="2026-12-01"))
    assert r.status_code == 303
    rec = storage.get_equipment(eid)
    assert rec["location"] == "二车间" and rec["state"] == "stopped" and rec["due_date"] == "2026-12-01"
    changes = rec["events"][-1]["changes"]
    assert changes["location"] == ["一车间", "二车间"] and changes["state"] == ["in_use", "stopped"]
    page = staff.get(f"/staff/equipment/{eid}").get_data(as_text=True)
    assert "安装地点：一车间 → 二车间" in page and "停用" in page


def test_list_filters_by_enterprise_kind_level_and_overdue(app, staff, storage):
    day = today(app)
    rows = [("A-1", VALID_USCC, "boiler", day + dt.timedelta(days=200)),
            ("A-2", VALID_USCC, "elevator", day + dt.timedelta(days=80)),       # level 1
            ("B-1", OTHER_USCC, "elevator", day + dt.timedelta(days=45)),       # level 2
            ("B-2", OTHER_USCC, "measuring", day + dt.timedelta(days=10)),      # level 3
            ("B-3", OTHER_USCC, "lifting", day - dt.timedelta(days=3))]         # overdue
    for code, uscc, kind, due in rows:
        storage.add_equipment({**equipment_data(device_code=code, uscc=uscc, kind=kind, due_date=due.isoformat(),
                                                org_name="甲公司" if uscc == VALID_USCC else "乙公司"),
                               "cycle_months": 12}, actor="test")

    def codes(query: str) -> list[str]:
        page = staff.get("/staff/equipment" + query).get_data(as_text=True)
        return re.findall(r'<a href="/staff/equipment/\d+">([^<]+)</a>', page)

    assert codes("") == ["B-3", "B-2", "B-1", "A-2", "A-1"]
    assert codes("?q=乙公司") == ["B-3", "B-2", "B-1"]
    assert codes(f"?q={VALID_USCC}") == ["A-2", "A-1"]
    assert codes("?kind=elevator") == ["B-1", "A-2"]
    assert codes("?level=overdue") == ["B-3"]
    assert codes("?level=3") == ["B-2"]
    assert codes("?level=2") == ["B-1"]
    assert codes("?level=1") == ["A-2"]
    assert codes("?level=9&kind=nonsense&due_from=9999-99-99") == ["B-3", "B-2", "B-1", "A-2", "A-1"]
    page = staff.get("/staff/equipment").get_data(as_text=True)
    assert "超期未检" in page and "三级预警" in page


def test_an_unknown_record_is_404(staff):
    assert staff.get("/staff/equipment/999").status_code == 404
    assert staff.get("/staff/equipment/999/edit").status_code == 404
