"""In Chromium: a note typed on a case page and sent after the staff session ended is not saved
(the login page says so) — and is no longer lost: after logging in again the case page has it
back in its field, to be checked and sent again (QA: the text itself was lost)."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from ..conftest import STAFF_PASSWORD, make_application, set_time

pytestmark = pytest.mark.browser

NOTE = "电话联系企业，约定周五送样。<b>不是标记</b>"


def login(page, name="li"):
    page.get_by_label("账户名").fill(name)
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def test_a_note_sent_after_the_session_ended_comes_back_after_logging_in(server, browser, password_hash):
    base, app = server
    storage = app.extensions["guide"].storage
    storage.create_user("li", "staff", password_hash)
    storage.create_user("wang", "staff", password_hash)
    ref = make_application(storage)
    case = f"{base}/staff/applications/{ref}"
    note_form = f"form[action='/staff/applications/{ref}/notes']"
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).isoformat()

    ctx = browser.new_context(locale="zh-CN")
    page = ctx.new_page()
    page.goto(case)
    login(page)
    assert page.url == case
    page.locator(f"{note_form} textarea").fill(NOTE)
    set_time(storage, "UPDATE staff_sessions SET last_seen_at = ?", (old,))  # away for a day
    with page.expect_navigation():
        page.locator(f"{note_form} button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/staff/login\?.*"))
    assert "刚才提交的内容没有保存" in page.locator("article").inner_text()
    assert [e.note for e in storage.get_case(ref).events if e.note] == []

    login(page)
    assert page.url == case
    field = page.locator(f"{note_form} textarea")
    assert field.input_value() == NOTE  # back, as typed (text, not markup)
    assert "已填回退出登录前填写、尚未保存的内容" in page.locator(".unsent-restored").inner_text()
    with page.expect_navigation():
        page.locator(f"{note_form} button[type=submit]").click()
    assert [e.note for e in storage.get_case(ref).events if e.note] == [NOTE]
    # Saved: it is forgotten, and never put back again.
    page.goto(case)
    assert page.locator(f"{note_form} textarea").input_value() == ""
    assert page.locator(".unsent-restored").count() == 0

    # Another account logging in on the same tab is not given the first one's unsent text.
    page.locator(f"{note_form} textarea").fill("李的草稿")
    set_time(storage, "UPDATE staff_sessions SET last_seen_at = ?", (old,))
    with page.expect_navigation():
        page.locator(f"{note_form} button[type=submit]").click()
    login(page, "wang")
    assert page.url == case
    assert page.locator(f"{note_form} textarea").input_value() == ""
    assert page.locator(".unsent-restored").count() == 0
    ctx.close()
