"""In Chromium on a phone (390×844): every page type of the backend, the enterprise's and the
staff's, never scrolls sideways — a table wider than the screen scrolls in its own box (staff.css),
and that box can be reached with the keyboard (forms.js) — and meets WCAG 2.1 AA as axe-core checks
it (axe-playwright-python ships axe-core; the console pages that test_staff_browser.py already
checks at desktop width are not checked again)."""
from __future__ import annotations

import pytest

from ..conftest import ARTIFACTS, METERING, STAFF_PASSWORD, VALID_USCC

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_every_backend_page_type_on_a_phone(server, browser, password_hash):
    from axe_playwright_python.sync_playwright import Axe

    base, app = server
    storage = app.extensions["guide"].storage
    storage.create_user("boss", "admin", password_hash)
    storage.create_user("li", "staff", password_hash)
    storage.add_page_vote("/services/metering/", False, "没有写费用")
    axe = Axe()
    problems = []
    ARTIFACTS.mkdir(exist_ok=True)

    def submit(page, button):
        """Click a form's button and wait for the page it leads to: axe run on a page still
        loading saw its footer links without the stylesheet that underlines them (a flaky
        link-in-text-block)."""
        with page.expect_navigation():
            page.get_by_role("button", name=button).click()
        page.wait_for_load_state("load")

    def check(page, name, run_axe=True):
        wider = page.evaluate(SIDEWAYS)
        if wider > 0:
            page.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"), full_page=True)
            problems.append(f"{name} ({page.url}): the page scrolls sideways by {wider}px")
        if not run_axe:
            return
        for v in axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}}).response["violations"]:
            problems.append(f"{name}: {v['id']} ({v['impact']}): {v['help']} {[n['target'] for n in v['nodes']][:3]}")

    # The enterprise: form, the form with its errors, check, receipt, tracking, 我的办件, drafts, 意见箱.
    ctx = browser.new_context(locale="zh-CN", viewport=PHONE, bypass_csp=True)  # bypass: axe is injected
    page = ctx.new_page()
    for name, path in (("apply-index", "/apply/"), ("apply-form", "/apply/metering")):
        page.goto(base + path)
        check(page, name)
    submit(page, "继续，核对信息")
    check(page, "apply-errors")
    for field, value in METERING.items():
        page.locator(f"#field-{field}").fill(value)
    submit(page, "继续，核对信息")
    check(page, "apply-check")
    page.get_by_role("button", name="确认提交").click()
    page.wait_for_url(base + "/apply/done/*")
    ref = page.url.rsplit("/", 1)[1]
    check(page, "apply-done")
    page.goto(base + "/track")
    check(page, "track")
    page.get_by_label("申请编号").fill(ref)
    page.locator("#field-phone").fill(METERING["phone"])
    submit(page, "查询")
    check(page, "track-result")
    page.goto(base + "/track/mine")
    page.locator("#field-uscc").fill(METERING["uscc"])
    page.locator("#field-phone").fill(METERING["phone"])
    submit(page, "查询")
    check(page, "mine-result")
    # 我的办件 is a table like the console's (it was unstyled on the public pages), and a reference
    # number or a heading is never broken over two lines ("ZY-2611-" / "7K3Q9").
    table = page.locator("table.mine")
    assert table.evaluate("t => getComputedStyle(t).borderCollapse") == "collapse"
    lines = table.evaluate("""t => [...t.querySelectorAll('th')].map(th => {
        const tops = new Set(), walk = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
        while (walk.nextNode()) {
            const r = document.createRange(); r.selectNodeContents(walk.currentNode);
            for (const box of r.getClientRects()) tops.add(Math.round(box.top));
        }
        return tops.size; })""")
    assert lines and set(lines) == {1}, lines
    storage.set_status(ref, "accepted", actor="staff:li")
    storage.set_status(ref, "completed", actor="staff:li")
    for name, path in (("rate", f"/feedback/rate/{ref}"), ("mine", "/track/mine"), ("resume", "/apply/resume"),
                       ("suggest", "/feedback/suggest"), ("page-feedback", "/feedback/page?page=/services/metering/&helpful=no"),
                       ("not-found", "/apply/no-such-service")):
        page.goto(base + path)
        check(page, name)
    page.goto(base + "/feedback/suggest")
    submit(page, "提交")
    check(page, "suggest-errors")
    ctx.close()

    # The staff: an administrator sees every page of the console.
    storage.add_contact(ref, actor="staff:li", channel="phone", at="2026-11-20T10:00:00.000+00:00", note="已电话回访")
    ctx = browser.new_context(locale="zh-CN", viewport=PHONE, bypass_csp=True)
    page = ctx.new_page()
    page.goto(base + "/staff/login")
    check(page, "login")
    page.get_by_label("账户名").fill("boss")
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/staff/")
    year = storage.get_application(ref).submitted_at[:4]
    desktop_checked = {"queue", "case", "followup", "issues", "ratings", "staff-page-feedback", "archive", "exports",
                       "stats", "report", "users"}
    for name, path in (("queue", "/staff/"), ("case", f"/staff/applications/{ref}"), ("staff-mine", "/staff/mine"),
                       ("followup", "/staff/followup"), ("issues", "/staff/issues?status=all"),
                       ("ratings", "/staff/ratings"), ("staff-page-feedback", "/staff/page-feedback"),
                       ("records", "/staff/records"), ("record-new", "/staff/records/new"),
                       ("records-import", "/staff/records/import"), ("archive", "/staff/archive?q=测试"),
                       ("enterprise", f"/staff/archive/enterprise/{VALID_USCC}"),
                       ("catalogue", f"/staff/archive/catalogue/{year}"), ("exports", "/staff/exports"),
                       ("stats", "/staff/stats"), ("review", "/staff/review"), ("report", f"/staff/report/{year}"),
                       ("users", "/staff/users"), ("password", "/staff/password"), ("mail", "/staff/mail")):
        response = page.goto(base + path)
        assert response.status == 200, path
        check(page, name, run_axe=name not in desktop_checked)

    assert not problems, "\n".join(problems)

    # A record names several services with check boxes (a multiple select wanted Ctrl or Shift).
    page.goto(base + "/staff/records/new")
    page.get_by_label("服务类型 *").select_option("visit")
    page.get_by_label("统一社会信用代码", exact=False).fill(VALID_USCC)
    page.get_by_label("企业名称", exact=False).fill("连云港测试医药有限公司")
    services = page.get_by_role("group", name="涉及的服务事项（可多选）")
    names = services.locator("label").all_inner_texts()[:2]
    for name in names:
        services.get_by_label(name, exact=True).check()
    page.get_by_label("服务人员 *").fill("boss")
    page.get_by_label("服务内容摘要 *").fill("走访企业，了解注册进展")
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url(base + "/staff/records/*")
    record = storage.get_record(int(page.url.rsplit("/", 1)[1]))
    assert len(record["service_ids"]) == 2 and all(n in page.content() for n in names)

    # The users table is wider than a phone: its box scrolls and is a named stop for the keyboard.
    page.goto(base + "/staff/users")
    box = page.locator(".table-wrap").first
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")
    assert box.get_attribute("tabindex") == "0" and box.get_attribute("role") == "region"
    assert "工作人员账户" in box.get_attribute("aria-label")

    # Charts are not shrunk to unreadable text on a phone (QA: the small multiples' panel titles
    # were 7 px tall at 390 px): their labels keep their size and the chart's box scrolls instead.
    page.goto(base + "/staff/stats")
    sizes = page.eval_on_selector_all(".chart text", "ts => ts.map(t => t.getBoundingClientRect().height)")
    assert sizes and min(sizes) >= 11, sorted(sizes)[:5]
    chart_box = page.locator(".chart-image").first
    assert chart_box.evaluate("b => b.scrollWidth > b.clientWidth")
    assert chart_box.get_attribute("role") == "region" and "可左右滚动" in chart_box.get_attribute("aria-label")
    assert page.evaluate(SIDEWAYS) <= 0
    ctx.close()
