"""Offline service records (issue 19): the entry form's checks, next steps in the follow-up list,
products and the per-product archive, access control and the archive view log."""
from __future__ import annotations

import datetime as dt
import re

from forms_backend.workdays import local_today

from ..conftest import VALID_USCC, Staff, errors_in, make_application

OTHER_USCC = "91320700MA1Y2X3A4K"  # a second valid code


def today(app) -> dt.date:
    return local_today(app.config["GUIDE_TIMEZONE"])


def record(staff, **fields):
    staff.get("/staff/records/new")
    data = {"kind": "visit", "date": "2026-11-02", "uscc": VALID_USCC, "org_name": "连云港测试医药有限公司",
            "staff": "li", "summary": "走访企业，了解第二类医疗器械注册进展"}
    data.update(fields)
    return staff.post("/staff/records/new", {k: v for k, v in data.items() if v is not None})


def test_a_record_is_stored_and_shown(staff, storage):
    r = record(staff, product_name="一次性使用血糖试纸", services=["metering"], duration_minutes="45",
               outcome="企业拟下月提交注册检验")
    assert r.status_code == 303
    rid = int(r.headers["Location"].rsplit("/", 1)[1])
    rec = storage.get_record(rid)
    assert rec["kind"] == "visit" and rec["uscc"] == VALID_USCC and rec["product_name"] == "一次性使用血糖试纸"
    assert rec["service_ids"] == ["metering"] and rec["duration_minutes"] == 45 and rec["actor"] == "staff:li"
    page = staff.get(f"/staff/records/{rid}").get_data(as_text=True)
    assert "走访调研" in page and "计量器具检定" in page and "45 分钟" in page
    listing = staff.get("/staff/records").get_data(as_text=True)
    assert f'href="/staff/records/{rid}"' in listing and "一次性使用血糖试纸" in listing


def test_bad_input_comes_back_with_each_error_by_its_field_and_the_text_kept(staff, storage, app):
    future = (today(app) + dt.timedelta(days=3)).isoformat()
    r = record(staff, kind="consultation", date=future, uscc="91350100M000100Y44", summary="",
               next_step="两周后电话回访", org_name="<script>alert(1)</script>")
    assert r.status_code == 400
    errors = dict(errors_in(staff.page))
    assert errors == {"channel": "咨询接待需要填写咨询渠道", "date": "服务日期不能晚于今天",
                      "uscc": "统一社会信用代码的校验位（最后一位）与前 17 位不符，请对照营业执照逐位核对",
                      "summary": "请填写服务内容摘要", "next_step": "填写了下一步安排时，请同时填写下次跟进日期"}
    assert 'value="两周后电话回访"' in staff.page and "<script>alert(1)" not in staff.page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in staff.page
    assert storage.list_records()[1] == 0


def test_kind_specific_requirements(staff, storage):
    r = record(staff, kind="training", uscc="", org_name="")
    assert r.status_code == 400
    assert dict(errors_in(staff.page)) == {"topic": "法规宣贯/培训需要填写主题",
                                           "headcount": "法规宣贯/培训需要填写参加人数"}
    r = record(staff, kind="other", uscc="", org_name="")
    assert dict(errors_in(staff.page)) == {"kind_label": "其他需要填写其他类型的名称",
                                           "uscc": "其他需要填写统一社会信用代码"}
    r = record(staff, kind="training", uscc="", org_name="", topic="医疗器械注册人制度宣贯", speakers="王工",
               attendees="甲公司\n乙公司", headcount="0")
    assert r.status_code == 303
    r = record(staff, kind="nonsense")
    assert dict(errors_in(staff.page))["kind"] == "请从给出的选项中选择服务类型"
    assert storage.list_records()[1] == 1


def test_a_known_enterprise_needs_no_name_and_a_new_one_does(staff, storage):
    r = record(staff, org_name="")
    assert dict(errors_in(staff.page)) == {"org_name": "这家企业尚未登记，请填写企业名称"}
    make_application(storage, org_name="已登记的单位")
    r = record(staff, org_name="")
    assert r.status_code == 303
    assert storage.list_records()[0][0]["org_name"] == "已登记的单位"


def test_the_next_step_appears_in_the_follow_up_list_until_done(staff, storage, app):
    due = today(app) - dt.timedelta(days=1)
    r = record(staff, date=(due - dt.timedelta(days=14)).isoformat(), next_step="电话了解检验进度",
               next_date=due.isoformat())
    rid = int(r.headers["Location"].rsplit("/", 1)[1])
    page = staff.get("/staff/followup").get_data(as_text=True)
    section = page.split('id="next-steps"', 1)[1]
    assert "电话了解检验进度" in section and due.isoformat() in section and "已到期" in section
    assert f"/staff/records/{rid}" in section
    r = staff.post(f"/staff/records/{rid}/next-done", {"back": "followup"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/staff/followup")
    assert storage.get_record(rid)["next_done_at"]
    assert "电话了解检验进度" not in staff.get("/staff/followup").get_data(as_text=True)
    # the next date cannot be before the record's own date
    r = record(staff, date="2026-11-02", next_step="回访", next_date="2026-11-01")
    assert dict(errors_in(staff.page)) == {"next_date": "下次跟进日期不能早于服务日期"}


def test_per_product_archive_keeps_products_apart(staff, storage):
    ref_a = make_application(storage, org_name="连云港测试医药有限公司")
    ref_b = make_application(storage, n=1, org_name="连云港测试医药有限公司")
    record(staff, product_name="血糖仪", summary="血糖仪注册咨询")
    record(staff, product_name="体温计", summary="体温计现场模拟检查", kind="mock_inspection")
    record(staff, summary="企业整体质量体系走访")
    products = {p["name"]: p["id"] for p in storage.products_of(VALID_USCC)}
    assert set(products) == {"血糖仪", "体温计"}
    # file one application under 血糖仪
    staff.get(f"/staff/archive/enterprise/{VALID_USCC}")
    r = staff.post(f"/staff/archive/enterprise/{VALID_USCC}/file/{ref_a}", {"product_id": str(products["血糖仪"])})
    assert r.status_code == 303
    page = staff.get(f"/staff/archive/enterprise/{VALID_USCC}/products/{products['血糖仪']}").get_data(as_text=True)
    timeline = page.split('id="timeline"', 1)[1].split('id="applications"', 1)[0]
    assert "血糖仪注册咨询" in timeline and ref_a in timeline
    assert "体温计现场模拟检查" not in timeline and "企业整体质量体系走访" not in timeline and ref_b not in timeline
    whole = staff.get(f"/staff/archive/enterprise/{VALID_USCC}").get_data(as_text=True)
    timeline = whole.split('id="timeline"', 1)[1].split('id="applications"', 1)[0]
    for text in ("血糖仪注册咨询", "体温计现场模拟检查", "企业整体质量体系走访", ref_a, ref_b):
        assert text in timeline
    # time order: the records (dated 2026-11-02) before the applications submitted now
    assert timeline.index("血糖仪注册咨询") < timeline.index(ref_b)
    # a product of another enterprise is not reachable under this one
    staff.get(f"/staff/archive/enterprise/{VALID_USCC}")
    assert staff.post(f"/staff/archive/enterprise/{VALID_USCC}/file/{ref_a}", {"product_id": "999"}).status_code == 404
    assert staff.get(f"/staff/archive/enterprise/{OTHER_USCC}/products/{products['血糖仪']}").status_code == 404


def test_products_are_flagged_with_a_date(staff, storage):
    record(staff, summary="首次接触")
    staff.get(f"/staff/archive/enterprise/{VALID_USCC}")
    r = staff.post(f"/staff/archive/enterprise/{VALID_USCC}/products",
                   {"p-name": "人工心脏瓣膜", "p-product_class": "第三类医疗器械", "p-flag": "innovation"})
    assert r.status_code == 400
    assert re.findall(r'<li><a href="#field-([a-z_-]+)">([^<]+)</a></li>', staff.page) == [("p-flagged_on", "请填写认定日期")]
    assert 'value="人工心脏瓣膜"' in staff.page
    r = staff.post(f"/staff/archive/enterprise/{VALID_USCC}/products",
                   {"p-name": "人工心脏瓣膜", "p-product_class": "第三类医疗器械", "p-flag": "innovation",
                    "p-flagged_on": "2026-03-01"})
    assert r.status_code == 303
    p = storage.products_of(VALID_USCC)[0]
    assert (p["name"], p["product_class"], p["flag"], p["flagged_on"]) == ("人工心脏瓣膜", "第三类医疗器械",
                                                                           "innovation", "2026-03-01")


def test_archive_is_staff_only_and_every_view_is_logged(app, staff, storage, admin):
    record(staff, product_name="血糖仪")
    pid = storage.products_of(VALID_USCC)[0]["id"]
    anonymous = app.test_client()
    for path in (f"/staff/archive/enterprise/{VALID_USCC}", f"/staff/archive/enterprise/{VALID_USCC}/products/{pid}",
                 "/staff/records", "/staff/records/1", "/staff/records/new"):
        r = anonymous.get(path)
        assert r.status_code == 303 and "/staff/login" in r.headers["Location"], path
    # state changes without a CSRF token are refused
    r = staff.client.post("/staff/records/new", data={"kind": "visit", "summary": "x"})
    assert r.status_code == 400
    assert storage.list_records()[1] == 1
    before = len(storage.archive_views())
    staff.get(f"/staff/archive/enterprise/{VALID_USCC}")
    staff.get(f"/staff/archive/enterprise/{VALID_USCC}/products/{pid}")
    admin.get(f"/staff/archive/enterprise/{VALID_USCC}")
    views = storage.archive_views()
    assert len(views) == before + 3
    assert [(v["actor"], v["what"], v["product_id"]) for v in views[:3]] == [
        ("staff:boss", "enterprise", None), ("staff:li", "product", pid), ("staff:li", "enterprise", None)]
    page = admin.page
    assert "查阅记录" in page and page.count("· li ·") >= 2
    # an unknown enterprise is a 404 and is not logged
    assert staff.get(f"/staff/archive/enterprise/{OTHER_USCC}").status_code == 404
    assert len(storage.archive_views()) == before + 3


def test_the_record_list_filters_by_kind(staff):
    record(staff, summary="走访记录甲")
    record(staff, kind="consultation", channel="phone", summary="电话咨询乙")
    page = staff.get("/staff/records?kind=consultation").get_data(as_text=True)
    assert "电话咨询乙" in page and "走访记录甲" not in page and "咨询接待（电话）" in page
    assert staff.get("/staff/records?kind=bogus&page=abc").status_code == 200
