"""In Chromium: read a service page, press 在线申请, get errors and fix them, upload a file, check
answers, change one, submit, and track — against the real app on a loopback port."""
from __future__ import annotations

import re

import pytest

from ..conftest import ARTIFACTS, PDF, VALID_USCC

pytestmark = pytest.mark.browser

def test_apply_with_upload_fix_errors_check_submit_and_track(server, page, tmp_path):
    base, app = server
    spec = tmp_path / "说明书.pdf"
    spec.write_bytes(PDF)

    # A service page of the guide links to the form.
    page.goto(base + "/services/drug-testing/")
    page.locator("a.guide-apply").first.click()
    page.wait_for_url(base + "/apply/drug-testing")
    assert page.locator("h1").inner_text().endswith("药品检验检测")

    # First attempt: a wrong check character and a missing product name, with the file chosen.
    page.get_by_label("单位名称").fill("连云港测试医药有限公司")
    page.get_by_label("统一社会信用代码", exact=True).fill(VALID_USCC[:-1] + "4")
    page.get_by_label("联系人").fill("张三")
    page.get_by_label("联系电话", exact=True).fill("0518-85123456")
    page.get_by_label("电子邮箱", exact=True).fill("zhang@example.com")
    page.get_by_label("样品数量").fill("3")
    page.get_by_label("预计送样日期").fill("2026-12-01")
    page.get_by_label("检验类别").select_option("entrust")
    page.get_by_label("普通").check()
    page.get_by_label("电子报告").check()
    page.get_by_label("产品说明书").set_input_files(str(spec))
    page.get_by_label("同意按规定抽取留样").check()
    page.get_by_role("button", name="继续，核对信息").click()

    # The form comes back: summary at the top, focused, linking to each field; everything kept.
    summary = page.locator(".error-summary")
    summary.wait_for()
    assert page.title().startswith("错误：")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    links = summary.locator("a")
    assert links.all_inner_texts() == ["统一社会信用代码的校验位（最后一位）与前 17 位不符，请对照营业执照逐位核对",
                                      "请填写产品名称"]
    assert page.get_by_label("单位名称").input_value() == "连云港测试医药有限公司"
    assert page.get_by_label("普通").is_checked() and page.get_by_label("电子报告").is_checked()
    assert "已上传：说明书.pdf" in page.locator("#group-f_spec_sheet").inner_text()
    links.first.click()
    assert page.url.endswith("#field-uscc")
    page.get_by_label("统一社会信用代码", exact=True).fill(VALID_USCC)
    page.get_by_label("产品名称").fill("阿莫西林胶囊")
    page.get_by_role("button", name="继续，核对信息").click()

    # Check answers, change one through its change link.
    page.wait_for_url(base + "/apply/drug-testing/check")
    body = page.locator("article").inner_text()
    for shown in ("连云港测试医药有限公司", VALID_USCC, "阿莫西林胶囊", "2026年12月1日", "委托检验", "电子报告",
                  "说明书.pdf", "真实、有效"):
        assert shown in body
    page.get_by_role("link", name="更改 样品数量").click()
    page.wait_for_load_state()
    page.wait_for_function("document.activeElement.id === 'field-f_sample_count'", timeout=5000)
    page.keyboard.press("Control+A")
    page.keyboard.type("5")
    page.get_by_role("button", name="继续，核对信息").click()
    page.wait_for_url(base + "/apply/drug-testing/check")
    assert "5" in page.locator(".summary-list__row", has_text="样品数量").inner_text()

    # Submit (twice, quickly): one application, a confirmation with the reference number.
    button = page.get_by_role("button", name="确认提交")
    button.dblclick()
    page.wait_for_url(re.compile(r".*/apply/done/.*"))
    ref = page.locator("#reference").inner_text()
    assert re.fullmatch(r"ZY-\d{4}-[2-9A-HJKMNP-Z]{5}", ref)
    assert "申请编号" in page.locator(".panel--confirmation").inner_text()
    assert "工作人员将在 2 个工作日内审核申请" in page.locator("article").inner_text()
    assert page.get_by_role("button", name="打印回执").is_visible()  # shown by forms.js
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "confirmation.png"), full_page=True)
    assert app.extensions["guide"].storage.count_applications() == 1

    # Track it with the reference and the phone number.
    page.locator("article").get_by_role("link", name="查询办理进度").click()
    page.get_by_label("联系电话").fill("051885123456")
    assert page.get_by_label("申请编号").input_value() == ref  # filled from the link
    page.get_by_role("button", name="查询").click()
    result = page.locator(".track-result")
    result.wait_for()
    assert "已提交" in result.inner_text() and ref in result.inner_text()
    page.screenshot(path=str(ARTIFACTS / "tracking.png"), full_page=True)
    assert page.console_errors == []  # no CSP violations, no script errors


def test_form_can_be_completed_with_the_keyboard_alone(server, page):
    base, app = server
    page.goto(base + "/apply/metering")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "跳转至正文"
    page.keyboard.press("Enter")
    values = ["连云港测试医药有限公司", VALID_USCC, "李四", "13812345678", "li@example.com", "电子天平 2 台"]
    for value in values:
        page.keyboard.press("Tab")
        while page.evaluate("document.activeElement.tagName") not in ("INPUT", "TEXTAREA"):
            page.keyboard.press("Tab")
        page.keyboard.type(value)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "继续，核对信息"  # honeypot skipped
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/apply/metering/check")
    page.get_by_role("button", name="确认提交").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/apply/done/.*"))
    assert app.extensions["guide"].storage.count_applications() == 1
    assert page.console_errors == []


def test_pages_work_without_javascript(browser, server):
    base, app = server
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base + "/apply/metering")
    page.get_by_label("单位名称").fill("无脚本公司")
    page.get_by_role("button", name="继续，核对信息").click()
    assert page.locator(".error-summary").is_visible()
    assert page.get_by_label("单位名称").input_value() == "无脚本公司"
    context.close()
