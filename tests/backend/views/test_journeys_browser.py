"""In Chromium, the enterprise's journeys of issue 15 on a phone and on a desktop: 补正 online on the
same reference number (with the SMS notices through a local gateway, retried when it fails)."""
from __future__ import annotations

import re
import threading

import pytest
from werkzeug.serving import make_server

from forms_backend import create_app
from forms_backend.mail import delivery as mail

from ..conftest import ARTIFACTS, METERING, PDF, STAFF_PASSWORD, Applicant, config
from ..mail.sms_gateway import Gateway

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def sms_server(tmp_path, built_site):
    """The app and the built guide on a loopback port, with SMS through a local gateway."""
    with Gateway() as gateway:
        app = create_app(config(tmp_path, GUIDE_SITE_DIR=built_site, GUIDE_SERVE_SITE=True, TESTING=False,
                                GUIDE_SMS_URL=gateway.url))
        srv = make_server("127.0.0.1", 0, app, threaded=True)
        app.config["GUIDE_BASE_URL"] = f"http://127.0.0.1:{srv.server_port}"  # as guide serve does
        thread = threading.Thread(target=srv.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{srv.server_port}", app, gateway
        srv.shutdown()
        thread.join()
        app.extensions["guide"].storage.close()


def staff_page(browser, base):
    context = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    page = context.new_page()
    page.goto(base + "/staff/login")
    page.get_by_label("账户名").fill("li")
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/staff/")
    return context, page


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_correction_round_trip_with_sms(sms_server, browser, password_hash, tmp_path, viewport):
    base, app, gateway = sms_server
    storage = app.extensions["guide"].storage
    storage.create_user("li", "staff", password_hash)
    ref = Applicant(app.test_client(), "metering").apply(METERING)
    ARTIFACTS.mkdir(exist_ok=True)
    name = "phone" if viewport is PHONE else "desktop"

    # The acknowledgement SMS: the gateway fails once, the retry gets it through.
    gateway.fail_next = 1
    assert mail.deliver_due(storage, app.config) == (2, 1)
    storage.db.execute("UPDATE mail_queue SET next_attempt_at = '2000-01-01T00:00:00.000+00:00' "
                       "WHERE status = 'pending'")
    assert mail.deliver_due(storage, app.config) == (1, 0)
    assert [ref in m["text"] for m in gateway.received] == [True]

    # Staff ask for 补正: the list and the deadline appear only with that choice.
    staff_ctx, sp = staff_page(browser, base)
    sp.goto(base + f"/staff/applications/{ref}")
    sp.get_by_label("受理", exact=True).check()
    assert not sp.locator("#correction-fields").is_visible()
    sp.get_by_label("要求补正材料", exact=True).check()
    assert sp.locator("#correction-fields").is_visible()
    sp.get_by_role("button", name="确认").click()  # nothing listed: errors by their fields
    sp.locator(".error-summary").wait_for()
    assert "请列出需要补正的全部材料或问题" in sp.locator(".error-summary").inner_text()
    sp.get_by_label("要求补正材料", exact=True).check()
    sp.get_by_label("需要补正的材料或问题（每行一项）").fill(
        "检定证书复印件：原件已过有效期\n器具照片：看不清铭牌上的出厂编号")
    sp.get_by_label("补正期限").fill("2099-12-31")
    sp.get_by_role("button", name="确认").click()
    sp.wait_for_url(base + f"/staff/applications/{ref}")
    assert storage.get_case(ref).status == "needs_info"
    mail.deliver_due(storage, app.config)
    assert "需补正材料" in gateway.received[-1]["text"] and "2099年12月31日" in gateway.received[-1]["text"]

    # The enterprise, on a phone or a desktop, answers on the tracking page.
    firm = browser.new_context(locale="zh-CN", viewport=viewport)
    fp = firm.new_page()
    fp.goto(base + f"/track?ref={ref}")
    fp.get_by_label("联系电话").fill("13812345678")
    fp.get_by_role("button", name="查询").click()
    box = fp.locator("#correction")
    box.wait_for()
    assert "原因：原件已过有效期" in box.inner_text() and "2099年12月31日" in box.inner_text()
    fp.screenshot(path=str(ARTIFACTS / f"correction-track-{name}.png"), full_page=True)
    certificate = tmp_path / "检定证书.pdf"
    certificate.write_bytes(PDF)
    fp.get_by_label("上传文件").first.set_input_files(str(certificate))
    fp.get_by_role("button", name="提交补正材料").click()  # the second item has no answer yet
    fp.locator(".error-summary").wait_for()
    assert "请为“器具照片”上传文件或填写说明" in fp.locator(".error-summary").inner_text()
    fp.get_by_label("上传文件").first.set_input_files(str(certificate))  # a browser never keeps a file input
    fp.get_by_label("说明（选填）").nth(1).fill("铭牌照片已重新拍摄，随后邮寄")
    fp.get_by_role("button", name="提交补正材料").click()
    fp.wait_for_url(base + f"/track/case/{ref}")
    assert "补正材料已提交" in fp.locator(".notice").inner_text()
    assert "当前状态\n已提交" in fp.locator(".track-result").inner_text()  # back where it was
    fp.screenshot(path=str(ARTIFACTS / f"correction-done-{name}.png"), full_page=True)
    firm.close()

    # Staff see the answer on the case, and the case back in the queue where it was.
    sp.goto(base + f"/staff/applications/{ref}")
    section = sp.locator("#corrections").inner_text()
    assert "下载 检定证书.pdf" in section and "铭牌照片已重新拍摄" in section
    sp.goto(base + "/staff/")
    assert "已提交" in sp.locator("table.queue tbody tr", has_text=ref).inner_text()
    staff_ctx.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_draft_survives_an_error_navigation_and_a_browser_restart(server, browser, viewport):
    base, app = server
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.goto(base + "/apply/metering")
    page.get_by_label("单位名称").fill("连云港测试医药有限公司")
    page.get_by_label("联系电话", exact=True).fill("13812345678")
    page.get_by_label("器具名称及数量").fill("电子天平 2 台\n压力表 5 块")
    page.get_by_role("button", name="继续，核对信息").click()
    page.locator(".error-summary").wait_for()

    # Away to the guide by the back link, then back to the form: the typed text is there.
    page.get_by_role("link", name=re.compile("返回.*办事指南")).click()
    page.wait_for_url(re.compile(r".*/services/metering/"))
    page.locator("a.guide-apply").first.click()
    page.wait_for_url(base + "/apply/metering")
    assert page.get_by_label("器具名称及数量").input_value() == "电子天平 2 台\n压力表 5 块"

    # 保存草稿: a code and a link.
    page.get_by_role("button", name="保存草稿，稍后继续").click()
    page.wait_for_url(base + "/apply/metering/saved")
    code = page.locator("#draft-code").inner_text()
    name = "phone" if viewport is PHONE else "desktop"
    page.screenshot(path=str(ARTIFACTS / f"draft-saved-{name}.png"), full_page=True)

    # The browser is closed: its session cookies are gone, the persistent ones stay.
    state = context.storage_state()
    context.close()
    state["cookies"] = [c for c in state["cookies"] if c.get("expires", -1) > 0]
    assert any(c["name"] == "guide_session" for c in state["cookies"])
    again = browser.new_context(locale="zh-CN", viewport=viewport, storage_state=state)
    page = again.new_page()
    page.goto(base + "/apply/metering")
    assert page.get_by_label("单位名称").input_value() == "连云港测试医药有限公司"
    assert page.get_by_label("器具名称及数量").input_value() == "电子天平 2 台\n压力表 5 块"
    again.close()

    # Another device: the draft code and the phone number.
    other = browser.new_context(locale="zh-CN", viewport=viewport)
    page = other.new_page()
    page.goto(base + "/apply/resume")
    page.get_by_label("草稿编号").fill(code)
    page.get_by_label("联系电话").fill("138-1234-5678")
    page.get_by_role("button", name="继续填写").click()
    page.wait_for_url(base + "/apply/metering")
    assert page.get_by_label("器具名称及数量").input_value() == "电子天平 2 台\n压力表 5 块"
    other.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_conditional_questions_with_and_without_javascript(server, browser, viewport):
    base, app = server
    # With JavaScript: the reason appears when 加急 is chosen, and is required then.
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.goto(base + "/apply/drug-testing")
    group = page.locator("#group-f_urgent_reason")
    assert not group.is_visible()
    page.get_by_label("加急", exact=True).check()
    assert group.is_visible() and not group.locator(".conditional__hint").is_visible()
    page.get_by_label("普通", exact=True).check()
    assert not group.is_visible()
    page.get_by_label("加急", exact=True).check()
    page.get_by_role("button", name="继续，核对信息").click()
    page.locator(".error-summary").wait_for()
    assert "请填写加急理由" in page.locator(".error-summary").inner_text()
    assert group.is_visible()  # an error keeps it open
    name = "phone" if viewport is PHONE else "desktop"
    context.close()

    # Without JavaScript: always shown, with a hint saying when to answer it.
    context = browser.new_context(locale="zh-CN", viewport=viewport, java_script_enabled=False)
    page = context.new_page()
    page.goto(base + "/apply/drug-testing")
    group = page.locator("#group-f_urgent_reason")
    assert group.is_visible() and "选择“加急”时填写" in group.inner_text()
    page.get_by_label("普通", exact=True).check()
    page.get_by_label("加急理由").fill("这一段不会被保存")
    page.get_by_role("button", name="继续，核对信息").click()
    page.locator(".error-summary").wait_for()
    assert "加急理由" not in page.locator(".error-summary").inner_text()
    group.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"conditional-nojs-{name}.png"))
    context.close()


QR_PIXELS = """(svg) => new Promise((resolve, reject) => {
  const img = new Image();
  img.onload = () => {
    const size = 400, canvas = document.createElement('canvas');
    canvas.width = size; canvas.height = size;
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, size, size);
    ctx.drawImage(img, 0, 0, size, size);
    const data = ctx.getImageData(0, 0, size, size).data, grey = [];
    for (let i = 0; i < data.length; i += 4) grey.push(data[i]);
    resolve({size, grey});
  };
  img.onerror = reject;
  img.src = 'data:image/svg+xml;base64,' + btoa(unescape(encodeURIComponent(svg)));
})"""


def decode_qr(page, selector: str) -> list[str]:
    """Draw the page's QR code on a canvas as the browser renders it, and decode it (zxing-cpp)."""
    import zxingcpp
    svg = page.locator(selector).evaluate("el => el.outerHTML")
    got = page.evaluate(QR_PIXELS, svg)
    pixels = memoryview(bytes(got["grey"])).cast("B", shape=[got["size"], got["size"]])
    return [r.text for r in zxingcpp.read_barcodes(pixels)]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_receipt_qr_my_applications_and_withdraw(server, browser, viewport):
    base, app = server
    storage = app.extensions["guide"].storage
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.goto(base + "/apply/metering")
    for label, value in (("单位名称", "连云港测试医药有限公司"), ("统一社会信用代码", "91350100M000100Y43"),
                         ("联系人", "张三"), ("联系电话", "13812345678"), ("电子邮箱", "zhang@example.com"),
                         ("器具名称及数量", "电子天平 2 台")):
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="继续，核对信息").click()
    page.get_by_role("button", name="确认提交").click()
    page.wait_for_url(re.compile(r".*/apply/done/.*"))
    ref = page.locator("#reference").inner_text()

    # The receipt: the tracking address, and a QR code that reads as that address.
    track_url = f"{base}/track?ref={ref}"
    assert track_url in page.locator(".receipt").inner_text()
    assert decode_qr(page, "#receipt-qr svg") == [track_url]
    page.emulate_media(media="print")
    assert page.locator("#receipt-qr svg").is_visible()
    name = "phone" if viewport is PHONE else "desktop"
    page.screenshot(path=str(ARTIFACTS / f"receipt-print-{name}.png"), full_page=True)
    page.emulate_media(media="screen")

    # 我的办件: the firm's applications by its code and the phone number.
    Applicant(app.test_client(), "metering").apply(METERING)  # another one of the same firm
    page.goto(base + "/track/mine")
    page.get_by_label("统一社会信用代码").fill("91350100m000100y43")
    page.get_by_label("联系电话").fill("138 1234 5678")
    page.get_by_role("button", name="查询").click()
    table = page.locator("table.mine")
    table.wait_for()
    assert table.locator("tbody tr").count() == 2
    page.screenshot(path=str(ARTIFACTS / f"my-applications-{name}.png"), full_page=True)

    # 撤回 from the application's page, with a reason.
    table.get_by_role("link", name=ref).click()
    page.wait_for_url(base + f"/track/case/{ref}")
    page.locator("#withdraw summary").click()
    page.get_by_role("button", name="确认撤回").click()
    page.locator(".error-summary").wait_for()
    page.get_by_label("撤回原因").fill("器具已报废，无需检定")
    page.get_by_role("button", name="确认撤回").click()
    page.wait_for_url(base + f"/track/case/{ref}")
    assert "申请已撤回" in page.locator(".notice").inner_text()
    assert "已撤回" in page.locator(".track-result").inner_text()
    assert storage.get_case(ref).status == "withdrawn"
    context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_template_download_from_the_guide_and_the_form_and_the_printable_notice(server, browser, viewport):
    base, app = server
    context = browser.new_context(locale="zh-CN", viewport=viewport, accept_downloads=True)
    page = context.new_page()
    page.goto(base + "/services/drug-testing/")
    materials = page.locator("table", has_text="产品说明书")
    with page.expect_download() as got:
        materials.get_by_role("link", name="空白表格").click()
    blank = got.value
    assert blank.suggested_filename == "spec-template.xlsx" and blank.failure() is None
    page.goto(base + "/apply/drug-testing")
    with page.expect_download() as got:
        page.get_by_role("link", name="下载示例样表").click()
    assert got.value.suggested_filename == "spec-sample.xlsx"
    # The 一次性告知单, printed: every material, the time limit, the fee, where to go.
    page.goto(base + "/services/drug-testing/")
    page.get_by_role("link", name="打印一次性告知单").click()
    page.wait_for_url(base + "/services/drug-testing/notice/")
    page.emulate_media(media="print")
    text = page.locator("article").inner_text()
    for part in ("一次性告知单", "产品说明书", "办理时限", "收费标准", "办理地点和方式"):
        assert part in text
    assert not page.locator(".md-header").is_visible()
    name = "phone" if viewport is PHONE else "desktop"
    page.screenshot(path=str(ARTIFACTS / f"notice-print-{name}.png"), full_page=True)
    context.close()


def test_phone_layout_flow_text_materials_scroll_margin_and_dark_forms(server, browser):
    base, app = server
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    page.goto(base + "/services/drug-testing/")
    # The flow diagram keeps readable text (it pans in its own box); the steps follow it.
    heights = page.locator(".guide-flow-svg text").evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
    assert heights and min(heights) >= 10, heights
    # Materials: one block per material, 说明 inside the screen.
    cell = page.locator(".guide-materials td").nth(1)
    box = cell.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.screenshot(path=str(ARTIFACTS / "service-phone-materials.png"), full_page=True)

    # An error-summary link puts the field's label below the sticky header.
    page.goto(base + "/apply/metering")
    page.get_by_role("button", name="继续，核对信息").click()
    page.locator(".error-summary a").first.click()
    header = page.locator(".md-header").bounding_box()
    label = page.locator("label[for='field-org_name']").bounding_box()
    assert label["y"] >= header["y"] + header["height"]

    # The guide's dark palette, chosen on a guide page, carries over to the forms and tracking.
    page.evaluate("""localStorage.setItem('/.__palette', JSON.stringify({index: 1,
        color: {media: '', scheme: 'slate', primary: 'indigo', accent: 'indigo'}}))""")
    for path in ("/track", "/apply/metering"):
        page.goto(base + path)
        page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 255, 255)"
    page.screenshot(path=str(ARTIFACTS / "form-dark-phone.png"))
    context.close()
