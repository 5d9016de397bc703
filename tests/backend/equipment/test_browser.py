"""In Chromium: a staff member imports a 台账 (a located error first, then the fixed file with its
preview), sees the register, makes an enterprise's link; the enterprise opens its own list.
Screenshots in test-artifacts/."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from forms_backend.forms.equipment_import import IMPORT_COLUMNS
from forms_backend.workdays import local_today

from ..conftest import ARTIFACTS, STAFF_PASSWORD, VALID_USCC

pytestmark = pytest.mark.browser
HEADERS = [h for h, _, _ in IMPORT_COLUMNS]
OTHER_USCC = "91320700MA1Y2X3A4K"


def ledger(path, today: dt.date, *, bad: bool) -> None:
    book = Workbook()
    ws = book.active
    ws.title = "设备台账"
    ws.append(HEADERS)

    def row(uscc, org, kind, code, name, due):
        values = {"统一社会信用代码": uscc, "企业名称": org, "设备类别": kind, "设备代码": code, "设备名称": name,
                  "检验周期（月）": 12, "下次检验日期": due.isoformat(), "安全管理员": "王安全",
                  "安全管理员手机": "13812345678", "安全管理员邮箱": "wang@example.com", "设备状态": "在用"}
        ws.append([values.get(h, "") for h in HEADERS])
    row(VALID_USCC, "连云港测试医药有限公司", "压力容器", "RQ-0001", "灭菌柜", today + dt.timedelta(days=20))
    row(VALID_USCC, "连云港测试医药有限公司", "叉车" if not bad else "飞艇", "CC-0001", "电动叉车", today + dt.timedelta(days=75))
    row(VALID_USCC, "连云港测试医药有限公司", "计量器具", "JL-0001", "电子天平", today + dt.timedelta(days=300))
    row(OTHER_USCC, "另一家医药公司", "电梯", "DT-0009", "客梯", today + dt.timedelta(days=10))
    book.save(path)


def test_staff_import_a_ledger_and_an_enterprise_opens_its_list(server, page, browser, password_hash, tmp_path):
    base, app = server
    storage = app.extensions["guide"].storage
    storage.create_user("li", "staff", password_hash)
    today = local_today(app.config["GUIDE_TIMEZONE"])
    ARTIFACTS.mkdir(exist_ok=True)
    bad, good = tmp_path / "台账-有错.xlsx", tmp_path / "台账.xlsx"
    ledger(bad, today, bad=True)
    ledger(good, today, bad=False)

    page.goto(base + "/staff/login?next=/staff/equipment")
    page.get_by_label("账户名").fill("li")
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/staff/equipment")
    page.get_by_role("link", name="导入台账").click()
    page.get_by_label("台账文件").set_input_files(str(bad))
    page.get_by_role("button", name="检查表格").click()
    problems = page.locator("table.import-problems tbody tr")
    assert problems.count() == 1
    assert problems.first.inner_text().split("\t")[:3] == ["设备台账", "3", "设备类别"]
    page.screenshot(path=str(ARTIFACTS / "equipment-import-error.png"), full_page=True)
    assert storage.list_equipment()[1] == 0

    page.get_by_label("台账文件").set_input_files(str(good))
    page.get_by_role("button", name="检查表格").click()
    assert "新增 4 台，更新 0 台，无变化 0 台" in page.locator(".import-summary").inner_text()
    page.screenshot(path=str(ARTIFACTS / "equipment-import-preview.png"), full_page=True)
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_url(base + "/staff/equipment")
    assert page.locator("tbody tr").count() == 4
    assert "三级预警" in page.locator("tbody").inner_text()
    page.screenshot(path=str(ARTIFACTS / "equipment-register.png"), full_page=True)

    page.get_by_role("link", name="预警概况").click()
    assert "4 台在用" in page.locator(".figures").inner_text()
    assert page.locator("#figure-due-per-month svg").count() == 1
    page.screenshot(path=str(ARTIFACTS / "equipment-dashboard.png"), full_page=True)
    page.go_back()

    page.get_by_role("link", name="RQ-0001").click()
    page.get_by_role("link", name="企业查看链接").click()
    page.get_by_role("button", name="生成新链接").click()
    link = page.get_by_label("第 1 号链接", exact=True).input_value()
    assert link.startswith(base + "/track/equipment/")

    enterprise = browser.new_page()
    try:
        enterprise.goto(link)
        body = enterprise.locator("main, body").first.inner_text()
        assert "连云港测试医药有限公司" in body and "RQ-0001" in body and "CC-0001" in body and "JL-0001" in body
        assert "DT-0009" not in body and "另一家医药公司" not in body
        assert "三级预警" in body and "一级预警" in body
        enterprise.screenshot(path=str(ARTIFACTS / "equipment-enterprise-list.png"), full_page=True)
        with enterprise.expect_download() as download:
            enterprise.get_by_role("link", name="订阅到日历（.ics）").click()
        assert download.value.path().read_bytes().startswith(b"BEGIN:VCALENDAR")
    finally:
        enterprise.close()
