"""The staff dashboard (counts per level and kind, due this month, overdue, open items, chart,
formula-safe export) and the enterprises' signed, revocable links to their own list and .ics feed."""
from __future__ import annotations

import datetime as dt
import io
import re

from icalendar import Calendar
from openpyxl import load_workbook

from forms_backend.workdays import local_today

from ..conftest import VALID_USCC, page_token

OTHER_USCC = "91320700MA1Y2X3A4K"


def add(storage, code: str, due: dt.date, uscc: str = VALID_USCC, **fields) -> int:
    rec = {"uscc": uscc, "org_name": "甲公司" if uscc == VALID_USCC else "乙公司", "kind": "elevator",
           "device_code": code, "name": "货梯", "cycle_months": 12, "due_date": due.isoformat(), "manager_name": "王",
           "manager_phone": "13812345678", "manager_email": "w@example.com", "state": "in_use"}
    rec.update(fields)
    return storage.add_equipment(rec, actor="test")


def fill(app, storage) -> dt.date:
    today = local_today(app.config["GUIDE_TIMEZONE"])
    add(storage, "A-1", today + dt.timedelta(days=80))                              # level 1
    add(storage, "A-2", today + dt.timedelta(days=45), kind="boiler")               # level 2
    add(storage, "A-3", today + dt.timedelta(days=5), name="=HYPERLINK(\"x\")")     # level 3, a formula-like name
    add(storage, "A-4", today - dt.timedelta(days=2))                               # overdue
    add(storage, "B-1", today + dt.timedelta(days=400), uscc=OTHER_USCC, kind="measuring")
    add(storage, "B-2", today + dt.timedelta(days=3), uscc=OTHER_USCC, state="scrapped")
    return today


def test_dashboard_counts_chart_and_filters(app, staff, storage):
    today = fill(app, storage)
    page = staff.get("/staff/equipment/dashboard").get_data(as_text=True)
    assert "<strong>5</strong> 台在用（台账共 6 台）" in page
    assert "<strong>1</strong> 台超期未检" in page
    levels = dict(re.findall(r'level=(\d)[^"]*">[^<]+</a></th><td class="num">(\d+)</td>', page))
    assert levels == {"1": "1", "2": "1", "3": "1"}
    kinds = dict(re.findall(r'kind=(\w+)[^"]*">[^<]+</a></th><td class="num">(\d+)</td>', page))
    assert kinds["elevator"] == "3" and kinds["boiler"] == "1" and kinds["measuring"] == "1"
    assert '<svg' in page and "今后 12 个月每月到期的在用设备" in page
    this_month = sum(1 for d in (5, 45, 80, 400) if (today + dt.timedelta(days=d)).strftime("%Y-%m") == today.strftime("%Y-%m"))
    assert f"<strong>{this_month}</strong> 台本月到期" in page
    page = staff.get("/staff/equipment/dashboard?q=乙公司").get_data(as_text=True)
    assert "<strong>1</strong> 台在用（台账共 2 台）" in page


def test_export_is_formula_safe_and_follows_the_filter(app, staff, storage):
    fill(app, storage)
    r = staff.get("/staff/equipment/export.xlsx?q=甲公司")
    ws = load_workbook(io.BytesIO(r.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("统一社会信用代码", "企业名称", "设备类别", "设备代码") and rows[0][-1] == "今日预警级别"
    assert sorted(r[3] for r in rows[1:]) == ["A-1", "A-2", "A-3", "A-4"]
    name = next(r[5] for r in rows[1:] if r[3] == "A-3")
    assert name == "'=HYPERLINK(\"x\")"                       # never a formula
    csv_text = staff.get("/staff/equipment/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in csv_text and "超期未检" in csv_text


def test_an_export_can_be_imported_again_unchanged(app, staff, storage):
    fill(app, storage)
    data = staff.get("/staff/equipment/export.xlsx?q=乙公司").data
    staff.get("/staff/equipment/import")
    r = staff.client.post("/staff/equipment/import", data={"csrf_token": page_token(staff.page),
                                                            "file": (io.BytesIO(data), "export.xlsx")},
                          content_type="multipart/form-data")
    assert r.status_code == 200 and "无变化 <strong>2</strong> 台" in r.get_data(as_text=True)


def make_link(staff, uscc: str = VALID_USCC) -> tuple[str, str]:
    staff.get(f"/staff/equipment/links/{uscc}")
    r = staff.post("/staff/equipment/links", {"uscc": uscc})
    assert r.status_code == 303
    page = staff.get(f"/staff/equipment/links/{uscc}").get_data(as_text=True)
    urls = re.findall(r'value="http://localhost(/track/equipment/[^"]+)"', page)
    return urls[0], urls[1]


def test_an_enterprise_sees_only_its_own_list_and_calendar(app, client, staff, storage):
    today = fill(app, storage)
    page_url, ics_url = make_link(staff)
    page = client.get(page_url)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    for code in ("A-1", "A-2", "A-3", "A-4"):
        assert f">{code}<" in html
    assert "B-1" not in html and "乙公司" not in html
    assert "超期未检" in html and "三级预警" in html
    assert "=HYPERLINK(&#34;x&#34;)" in html                   # escaped, as typed
    cal = Calendar.from_ical(client.get(ics_url).data)
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 4 and {str(e["dtstart"].dt) for e in events} >= {str(today - dt.timedelta(days=2))}
    assert all("B-" not in str(e["summary"]) for e in events)
    assert any(e.walk("VALARM") for e in events)


def test_wrong_revoked_and_missing_links_get_the_same_answer(app, client, staff, storage):
    fill(app, storage)
    page_url, ics_url = make_link(staff)
    missing = client.get("/track/equipment/nothing-here")
    forged = client.get(page_url[:-3] + "abc")
    other = make_link(staff, OTHER_USCC)[0]
    # Revoke the first link.
    page = staff.get(f"/staff/equipment/links/{VALID_USCC}").get_data(as_text=True)
    link_id = re.search(rf"/staff/equipment/links/{VALID_USCC}/(\d+)/revoke", page).group(1)
    assert staff.post(f"/staff/equipment/links/{VALID_USCC}/{link_id}/revoke", {}).status_code == 303
    revoked = client.get(page_url)
    revoked_ics = client.get(ics_url)
    for r in (missing, forged, revoked, revoked_ics):
        assert r.status_code == 404
    assert revoked.get_data() == missing.get_data() == forged.get_data()
    assert client.get(other).status_code == 200                 # another enterprise's link still works


def test_links_and_exports_are_staff_only(client, storage):
    for path in ("/staff/equipment/dashboard", "/staff/equipment/export.csv", f"/staff/equipment/links/{VALID_USCC}"):
        r = client.get(path)
        assert r.status_code in (302, 303) and "/staff/login" in r.headers["Location"], path
    r = client.post("/staff/equipment/links", data={"uscc": VALID_USCC})
    assert r.status_code in (302, 303, 400)


def test_access_logs_drop_the_token_of_an_enterprise_link():
    from forms_backend.logredact import redact
    assert redact("GET /track/equipment/WzEsIjkxMzUwMTAwTTAwMDEwMFk0MyJd.abc/calendar.ics HTTP/1.1") == \
        "GET /track/equipment/[redacted]/calendar.ics HTTP/1.1"
    assert redact("/apply/metering?equipment=WzEsMV0.sig") == "/apply/metering?[redacted]"
