"""In Chromium: a staff member logs in, accepts and completes an application, the enterprise rates
it from the tracking page; statistics and the yearly report render (screenshots); the page-feedback
widget works on a real built guide page, with JavaScript and without."""
from __future__ import annotations

import re

import pytest

from ..conftest import ARTIFACTS, METERING, STAFF_PASSWORD, Applicant

pytestmark = pytest.mark.browser


def votes(storage) -> list[tuple]:
    return [tuple(r) for r in storage.db.execute("SELECT page, helpful, comment FROM page_feedback ORDER BY id")]


def test_staff_accepts_and_completes_and_the_enterprise_rates(server, browser, password_hash):
    base, app = server
    storage = app.extensions["guide"].storage
    storage.create_user("li", "staff", password_hash)
    ref = Applicant(app.test_client(), "metering").apply({**METERING, "org_name": "连云港浏览器测试药业有限公司"})
    for n, org in enumerate(("中华药港生物科技有限公司", "连云港恒康医疗器械有限公司")):  # a fuller queue
        Applicant(app.test_client(), "metering").apply({**METERING, "org_name": org, "phone": f"1381234560{n}"})
    ARTIFACTS.mkdir(exist_ok=True)

    staff_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = staff_ctx.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))

    # Not logged in: the console sends the visitor to the login page.
    page.goto(base + "/staff/")
    page.wait_for_url(re.compile(r".*/staff/login\?next=/staff/$"))
    page.get_by_label("账户名").fill("li")
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/staff/")
    row = page.locator("table.queue tbody tr", has_text=ref)
    assert "已提交" in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "staff-queue.png"), full_page=True)

    # Accept, then complete, from the case page.
    row.get_by_role("link", name=ref).click()
    page.wait_for_url(base + f"/staff/applications/{ref}")
    page.get_by_label("受理", exact=True).check()
    page.get_by_label("说明", exact=True).fill("材料齐全，已受理")
    page.get_by_role("button", name="确认").click()
    page.wait_for_url(base + f"/staff/applications/{ref}")
    assert "已受理，已通知申请人" in page.locator(".notice").inner_text()
    page.get_by_label("办结", exact=True).check()
    page.get_by_label("说明", exact=True).fill("检定完成，证书已寄出")
    page.get_by_role("button", name="确认").click()
    page.wait_for_url(base + f"/staff/applications/{ref}")
    assert "已办结" in page.locator("h1").inner_text()
    assert "本申请已办结。如属误操作，可以重新打开" in page.locator("article").inner_text()
    assert storage.get_case(ref).status == "completed"
    page.screenshot(path=str(ARTIFACTS / "staff-case.png"), full_page=True)
    assert [m["kind"] for m in storage.mail_rows()].count("status_notice") == 2

    # The enterprise tracks it and rates it.
    firm = browser.new_context(locale="zh-CN", viewport={"width": 1100, "height": 900})
    fp = firm.new_page()
    fp.goto(base + f"/track?ref={ref}")
    fp.get_by_label("联系电话").fill("13812345678")
    fp.get_by_role("button", name="查询").click()
    fp.locator(".track-result").wait_for()
    assert "已办结" in fp.locator(".track-result").inner_text()
    fp.get_by_role("link", name="评价本次服务").click()
    fp.wait_for_url(base + f"/feedback/rate/{ref}")
    fp.get_by_label("满意", exact=True).check()
    fp.locator("#group-q_guide").get_by_label("是").check()
    fp.locator("#group-q_interface").get_by_label("否").check()
    fp.get_by_label("意见或建议").fill("工作人员回复及时")
    fp.evaluate("window.scrollTo(0, 0)")
    fp.screenshot(path=str(ARTIFACTS / "rating-form.png"), full_page=True)
    fp.get_by_role("button", name="提交评价").click()
    fp.wait_for_url(base + f"/feedback/rate/{ref}/thanks")
    assert "感谢您的评价" in fp.locator("h1").inner_text()
    (rating,) = storage.ratings_of(storage.get_application(ref).id)
    assert (rating.score, rating.q_guide, rating.q_interface, rating.comment) == (4, 1, 0, "工作人员回复及时")
    firm.close()

    # Staff see it in the statistics and the yearly report.
    page.goto(base + "/staff/stats")
    assert page.locator("svg.chart").count() == 8
    assert "满意" in page.locator("#figure-chart-satisfaction table").inner_text()
    page.screenshot(path=str(ARTIFACTS / "staff-statistics.png"), full_page=True)
    page.goto(base + "/staff/report")
    assert "年度服务工作评估报告" in page.locator("h1").inner_text()
    assert page.get_by_role("button", name="打印报告").is_visible()  # shown by forms.js
    page.screenshot(path=str(ARTIFACTS / "staff-report.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator(".staff-nav").is_visible() and not page.locator(".md-header").is_visible()
    page.screenshot(path=str(ARTIFACTS / "staff-report-print.png"), full_page=True)
    assert errors == []  # no CSP violations, no script errors
    staff_ctx.close()


def test_page_feedback_widget_with_javascript(engine_server, page, request):
    base, app = engine_server
    page.goto(base + "/services/metering/")
    box = page.locator(".guide-feedback")
    box.scroll_into_view_if_needed()
    assert "本页是否有帮助？" in box.inner_text()
    assert not box.locator("textarea").is_visible()
    box.get_by_role("link", name="否").click()
    text = box.get_by_label("您在找什么，或者哪里有问题？（选填）")
    text.wait_for(state="visible")
    assert page.url == base + "/services/metering/"  # recorded in place, no navigation
    assert page.evaluate("document.activeElement.id") == "guide-feedback-text"
    assert "请不要填写姓名、电话、身份证号等个人信息" in box.inner_text()
    storage = app.extensions["guide"].storage
    assert votes(storage) == [("/services/metering/", 0, None)]
    text.fill("没有找到检定周期")
    box.get_by_role("button", name="提交意见").click()
    page.wait_for_function("document.querySelector('.guide-feedback__status').textContent.includes('已收到')")
    assert votes(storage) == [("/services/metering/", 0, "没有找到检定周期")]
    box.screenshot(path=str(ARTIFACTS / f"page-feedback-widget-{request.node.callspec.params['engine_site']}.png"))
    assert page.console_errors == []


def test_page_feedback_without_javascript(engine_server, browser):
    base, app = engine_server
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    page.goto(base + "/services/metering/")
    page.locator(".guide-feedback").get_by_role("link", name="否").click()
    page.wait_for_url(re.compile(r".*/feedback/page\?page=/services/metering/&helpful=no$"))
    assert page.get_by_label("否").is_checked()
    page.get_by_label("您在找什么，或者哪里有问题？").fill("想知道收费标准")
    page.get_by_role("button", name="提交反馈").click()
    assert "感谢您的反馈" in page.locator("h1").inner_text()
    assert votes(app.extensions["guide"].storage) == [("/services/metering/", 0, "想知道收费标准")]
    context.close()


WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def test_console_and_feedback_pages_meet_wcag_aa(server, browser, password_hash):
    from axe_playwright_python.sync_playwright import Axe

    from ..conftest import make_application

    base, app = server
    storage = app.extensions["guide"].storage
    storage.create_user("boss", "admin", password_hash)
    ref = make_application(storage)
    storage.set_status(ref, "accepted", actor="staff:boss")
    storage.set_status(ref, "completed", actor="staff:boss")
    storage.save_rating(ref, score=1, answers={"q_guide": 0}, comment="太慢", summary="评价：非常不满意",
                        open_issue={"first_contact_due": "2026-01-02", "rectify_due": "2026-01-20"})
    storage.add_page_vote("/services/metering/", False, "没有写费用")
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    axe = Axe()
    problems = []

    def check(path):
        page.goto(base + path, wait_until="networkidle")
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
        for v in results.response["violations"]:
            targets = [n["target"] for n in v["nodes"]][:3]
            problems.append(f"{path}: {v['id']} ({v['impact']}): {v['help']} {targets}")

    for path in ("/feedback/page?page=/services/metering/&helpful=no", "/feedback/suggest", "/staff/login"):
        check(path)
    page.get_by_label("账户名").fill("boss")
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/staff/")
    for path in ("/staff/", f"/staff/applications/{ref}", "/staff/followup", "/staff/issues", "/staff/issues/1",
                 "/staff/ratings", "/staff/page-feedback", "/staff/archive?q=测试", "/staff/exports", "/staff/stats",
                 "/staff/report", "/staff/users"):
        check(path)
    context.close()
    assert not problems, "\n".join(problems)
