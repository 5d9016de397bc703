"""In Chromium, a handler's day (issue 16): the navigation says what needs doing, a complaint
alerts the handler at once, she takes an unassigned case, completes hers with the 检定证书, the
enterprise downloads it from the tracking page, she closes the complaint with one outcome
email; on a phone the queue keeps reference numbers on one line; statistics as small multiples."""
from __future__ import annotations

import re

import pytest

from ..conftest import ARTIFACTS, METERING, PDF, STAFF_PASSWORD, Applicant

pytestmark = pytest.mark.browser


def nav_text(page) -> str:
    return page.locator("nav.staff-nav").inner_text()


def test_a_handlers_day(server, browser, password_hash, tmp_path):
    base, app = server
    storage = app.extensions["guide"].storage
    storage.create_user("li", "staff", password_hash)
    storage.create_user("boss", "admin", password_hash)
    storage.set_user_email("li", "li@bureau.example")
    mine = Applicant(app.test_client(), "metering").apply({**METERING, "org_name": "连云港恒康医疗器械有限公司"})
    done = Applicant(app.test_client(), "metering").apply({**METERING, "org_name": "中华药港生物科技有限公司",
                                                          "phone": "13812345601"})
    free = Applicant(app.test_client(), "metering").apply({**METERING, "org_name": "连云港康缘制药有限公司",
                                                          "phone": "13812345602"})
    for ref in (mine, done):
        storage.assign(ref, "li", actor="staff:boss")
        storage.set_status(ref, "accepted", actor="staff:boss")
    storage.set_status(done, "completed", actor="staff:li")
    ARTIFACTS.mkdir(exist_ok=True)

    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(base + "/staff/login")
    page.get_by_label("账户名").fill("li")
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/staff/")
    assert "申请队列 1 件待受理" in nav_text(page) and "我的办件 1 件在办" in nav_text(page)
    assert "差评与投诉 " not in nav_text(page) + " "  # nothing open yet: no count

    # Mid-morning an enterprise complains about li's completed case through the 意见箱.
    firm = browser.new_context(locale="zh-CN", viewport={"width": 1100, "height": 900})
    fp = firm.new_page()
    fp.goto(base + "/feedback/suggest")
    fp.get_by_label("投诉").check()
    fp.get_by_label("相关的申请编号").fill(done)
    fp.get_by_label("内容").fill("证书寄出后一直没有收到，打电话也没人接。")
    fp.get_by_label("联系电话").fill("13812345601")
    fp.get_by_label("电子邮箱").fill("zhang@example.com")
    fp.get_by_role("button", name=re.compile("提交")).click()
    fp.wait_for_url(base + "/feedback/suggest/done")
    alerts = [m for m in storage.mail_rows() if m["kind"] == "staff_alert"]
    assert [(m["to_addr"], m["status"]) for m in alerts] == [("li@bureau.example", "pending")]  # the handler, at once

    page.reload()
    assert "差评与投诉 1 件处理中" in nav_text(page)
    page.screenshot(path=str(ARTIFACTS / "handler-day-queue.png"), full_page=True)

    # She takes the unassigned case: queue filtered by 承办人 = 未指定.
    page.get_by_label("承办人").select_option(label="未指定承办人")
    page.get_by_role("button", name="筛选").click()
    page.locator("table.queue").wait_for()
    assert [free] == [t.strip() for t in page.locator("table.queue tbody th").all_inner_texts()]
    page.get_by_role("link", name=free).click()
    page.wait_for_url(base + f"/staff/applications/{free}")
    page.get_by_label("承办人", exact=True).select_option("li")
    page.get_by_role("button", name="保存承办人").click()
    page.wait_for_url(base + f"/staff/applications/{free}")
    assert page.locator("#case-assignee").inner_text() == "li（我）"
    assert "承办人：li" in page.locator("#history").inner_text()

    # 我的办件: her accepted case; she completes it with the 检定证书.
    page.get_by_role("link", name=re.compile("^我的办件")).click()
    page.wait_for_url(re.compile(r".*/staff/\?handler=li&status=open$"))
    assert sorted(t.strip() for t in page.locator("table.queue tbody th").all_inner_texts()) == sorted([mine, free])
    page.get_by_role("link", name=mine).click()
    page.get_by_label("办结", exact=True).check()
    page.get_by_label("说明", exact=True).fill("检定合格，证书可在查询页下载")
    page.get_by_label("文件名称").select_option("检定证书")
    page.get_by_label("结果文件", exact=True).set_input_files({"name": "扫描件.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.get_by_role("button", name="确认").click()
    page.wait_for_url(base + f"/staff/applications/{mine}")
    assert "检定证书已上传" in page.locator(".notice").inner_text()
    assert "下载 检定证书" in page.locator("#results").inner_text()
    page.screenshot(path=str(ARTIFACTS / "handler-day-case.png"), full_page=True)

    # The enterprise downloads it from the tracking page, under a name the system chose.
    fp.goto(base + f"/track?ref={mine}")
    fp.get_by_label("联系电话").fill("13812345678")
    fp.get_by_role("button", name="查询").click()
    fp.locator("#results").wait_for()
    with fp.expect_download() as info:
        fp.get_by_role("link", name="下载检定证书").click()
    download = info.value
    assert download.suggested_filename == f"{mine}-检定证书.pdf"
    saved = tmp_path / "cert.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == PDF
    fp.screenshot(path=str(ARTIFACTS / "handler-day-track.png"), full_page=True)

    # The complaint: she is its owner (the case's handler); first contact, then close with one email.
    page.get_by_role("link", name=re.compile("^差评与投诉")).click()
    page.locator("main table, article table").get_by_role("link", name="第 1 号").click()
    page.wait_for_url(re.compile(r".*/staff/issues/1$"))
    assert "负责人\tli" in page.locator("dl.summary-list").first.inner_text() or "负责人\nli" in page.locator("dl.summary-list").first.inner_text()
    page.get_by_label("联系方式").select_option(label="电话")
    page.get_by_label("记录", exact=True).fill("已致电企业，证书被快递退回，今日重新寄出。")
    page.get_by_role("button", name="保存记录").click()
    page.wait_for_url(base + "/staff/issues/1")
    page.get_by_label("处理结果").fill("经核实，证书因地址不全被退回，已于当日重新寄出并电话告知。")
    page.get_by_label("电子邮件", exact=True).check()
    page.get_by_role("button", name="办结并告知").click()
    page.wait_for_url(base + "/staff/issues/1")
    assert "已办结" in page.locator("h1").inner_text()
    outcome = [m for m in storage.mail_rows() if m["kind"] == "issue_outcome"]
    assert [m["to_addr"] for m in outcome] == ["zhang@example.com"]
    assert "/feedback/followup/" in outcome[0]["body"]
    assert "差评与投诉 " not in nav_text(page) + " "
    page.screenshot(path=str(ARTIFACTS / "handler-day-issue.png"), full_page=True)

    # Statistics: one small panel per service, with the table beside it.
    page.goto(base + "/staff/stats")
    monthly = page.locator("#chart-monthly")
    assert monthly.locator("g.chart-panel").count() == 1 and monthly.locator("rect.chart-column").count() >= 1
    page.locator("#figure-chart-monthly").screenshot(path=str(ARTIFACTS / "handler-day-monthly.png"))
    assert errors == []

    # On a phone the queue keeps each reference number on one line.
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    pp = phone.new_page()
    pp.goto(base + "/staff/login")
    pp.get_by_label("账户名").fill("li")
    pp.get_by_label("密码").fill(STAFF_PASSWORD)
    pp.get_by_role("button", name="登录").click()
    pp.wait_for_url(base + "/staff/")
    link = pp.locator("table.queue tbody th a").first
    box = link.bounding_box()
    line_height = float(link.evaluate("a => parseFloat(getComputedStyle(a).lineHeight) || 20"))
    assert box["height"] < 1.6 * line_height, box
    pp.screenshot(path=str(ARTIFACTS / "handler-day-phone-queue.png"), full_page=True)
    for c in (ctx, firm, phone):
        c.close()
