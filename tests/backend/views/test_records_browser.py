"""In Chromium, keyboard only: a staff member records a phone consultation with a next step in
well under a minute, sees it in the follow-up list and in the enterprise archive (screenshots)."""
from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from forms_backend.workdays import local_today

from ..conftest import ARTIFACTS, STAFF_PASSWORD, VALID_USCC, make_application

pytestmark = pytest.mark.browser


def tab_to(page, field_id: str, most: int = 8) -> None:
    """Press Tab until the field has the focus (as a person does), failing after ``most`` presses."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == field_id:
            return
    raise AssertionError(f"Tab never reached {field_id}")


def test_record_entry_with_the_keyboard_only(server, page, password_hash):
    base, app = server
    storage = app.extensions["guide"].storage
    storage.create_user("li", "staff", password_hash)
    make_application(storage, org_name="连云港键盘测试医疗器械有限公司")
    today = local_today(app.config["GUIDE_TIMEZONE"])
    next_date = (today + dt.timedelta(days=14)).isoformat()
    ARTIFACTS.mkdir(exist_ok=True)

    page.goto(base + "/staff/login?next=/staff/records/new")
    page.get_by_label("账户名").focus()
    page.keyboard.type("li")
    page.keyboard.press("Tab")
    page.keyboard.type(STAFF_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/staff/records/new")

    started = time.monotonic()
    page.get_by_label("服务类型 *").focus()           # the first field of the form
    page.keyboard.press("ArrowDown")                  # 咨询接待 (a select moves with the arrow keys)
    tab_to(page, "field-channel")
    page.keyboard.press("ArrowDown")                  # 电话
    # 服务日期 is today already (dates are typed as text: one Tab stop, no per-part fields)
    tab_to(page, "field-uscc")
    page.keyboard.type(VALID_USCC)
    tab_to(page, "field-org_name")                    # a known enterprise: its name is left empty
    tab_to(page, "field-product_name")
    page.keyboard.type("血糖仪")
    tab_to(page, "field-duration_minutes")            # 服务事项 skipped, 服务人员 is the account already
    page.keyboard.type("15")
    tab_to(page, "field-summary")
    page.keyboard.type("企业来电咨询血糖仪注册检验的送检要求")
    tab_to(page, "field-outcome")
    page.keyboard.type("已告知送检材料清单")
    tab_to(page, "field-next_step")
    page.keyboard.type("两周后电话了解送检情况")
    tab_to(page, "field-next_date")
    page.keyboard.type(next_date)
    page.keyboard.press("Enter")                      # Enter in a text field submits the form
    page.wait_for_url(re.compile(r".*/staff/records/\d+$"))
    elapsed = time.monotonic() - started
    assert elapsed < 60

    rec = storage.list_records()[0][0]
    assert (rec["kind"], rec["channel"], rec["uscc"], rec["product_name"], rec["duration_minutes"]) == \
        ("consultation", "phone", VALID_USCC, "血糖仪", 15)
    assert rec["org_name"] == "连云港键盘测试医疗器械有限公司" and rec["date"] == today.isoformat()
    assert rec["next_date"] == next_date and rec["staff"] == "li"
    assert "已保存服务记录" in page.locator(".notice").first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "staff-record.png"), full_page=True)

    page.goto(base + "/staff/followup")
    row = page.locator("#next-steps + p + .table-wrap tbody tr", has_text="两周后电话了解送检情况")
    assert next_date in row.inner_text() and "血糖仪" in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "staff-followup-next-steps.png"), full_page=True)

    page.goto(base + f"/staff/archive/enterprise/{VALID_USCC}")
    timeline = page.locator(".archive-timeline")
    assert "咨询接待（电话）" in timeline.inner_text() and "在线申请" in timeline.inner_text()
    page.screenshot(path=str(ARTIFACTS / "staff-enterprise-archive.png"), full_page=True)
    assert page.console_errors == []

    # an error comes back by its field, focus can reach it from the summary
    page.goto(base + "/staff/records/new")
    page.get_by_role("button", name="保存", exact=True).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "请选择服务类型" in page.locator(".error-summary, [role=alert]").first.inner_text()


def test_a_record_is_edited_and_given_training_materials_in_the_browser(server, page, password_hash, tmp_path):
    """Issue 19: a person corrects a saved session record, adds its materials, downloads one back."""
    base, app = server
    storage = app.extensions["guide"].storage
    storage.create_user("li", "staff", password_hash)
    rid = storage.add_record({"kind": "training", "date": "2026-11-02", "staff": "li", "summary": "注册人制度宣贯",
                              "topic": "医疗器械注册人制度", "headcount": 35}, actor="staff:li")
    slides = tmp_path / "课件.pdf"
    slides.write_bytes(b"%PDF-1.4\n% slides\n%%EOF\n")
    ARTIFACTS.mkdir(exist_ok=True)

    page.goto(base + f"/staff/login?next=/staff/records/{rid}")
    page.get_by_label("账户名").fill("li")
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + f"/staff/records/{rid}")

    page.get_by_role("link", name="修改这条记录").click()
    page.get_by_label("参加人数").fill("38")
    page.get_by_label("主讲人").fill("王工")
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url(base + f"/staff/records/{rid}")
    history = page.locator(".record-history").inner_text()
    assert "参加人数：35 → 38" in history and "主讲人：（空） → 王工" in history

    page.get_by_label("上传培训材料").set_input_files(str(slides))
    page.get_by_role("button", name="上传", exact=True).click()
    page.wait_for_url(re.compile(rf".*/staff/records/{rid}#files$"))
    assert "课件.pdf" in page.locator(".file-list").inner_text()
    assert "上传培训材料：课件.pdf" in page.locator(".record-history").inner_text()
    page.screenshot(path=str(ARTIFACTS / "staff-record-edited-with-materials.png"), full_page=True)
    with page.expect_download() as got:
        page.get_by_role("link", name="课件.pdf").click()
    assert got.value.suggested_filename == "课件.pdf"
    assert open(got.value.path(), "rb").read() == slides.read_bytes()
    assert storage.get_record(rid)["headcount"] == 38 and page.console_errors == []
