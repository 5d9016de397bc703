"""A reader in Debian Chromium: search in Chinese, open a service, see its flow; nothing external."""
from __future__ import annotations

from urllib.parse import urlparse

import pytest

from ..conftest import search_results

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def search(page, base: str, query: str) -> list[str]:
    return [title for title, _ in search_results(page, base, query)]


def pick_service(project, words):
    return next(s for s in project.services.values() if all(w in s.name for w in words))


@pytest.mark.parametrize("query, words, within", [
    ("计量器具检定", ("计量器具", "检定"), 1),
    ("特种设备使用登记", ("特种设备", "登记"), 1),
    ("检定", ("计量器具", "检定"), 2),     # two-character words (Material's own search took "检")
    ("电梯", ("特种设备", "登记"), 5),     # an equipment type, found through the aliases
    ("模拟检查", ("模拟检查",), 2),
    ("质慧e站", (), 0),                    # mixed Latin/Chinese name
])
def test_chinese_query_finds_the_service(guide_site, serve_dir, page, query, words, within):
    project, site, _ = guide_site
    base = serve_dir(site)
    titles = search(page, base, query)
    assert titles, f"no result for {query}"
    if words:
        svc = pick_service(project, words)
        assert any(svc.name in t for t in titles[:within]), titles


def test_reader_searches_opens_service_and_sees_its_flow(guide_site, serve_dir, page, artifacts):
    project, site, _ = guide_site
    base = serve_dir(site)
    outside = []
    page.on("request", lambda r: outside.append(r.url) if urlparse(r.url).hostname not in ("127.0.0.1",)
            and not r.url.startswith("data:") else None)
    svc = next(s for s in project.services.values() if s.flow and s.aliases)
    alias = svc.aliases[0]
    search(page, base, alias)
    page.locator(".guide-search__link", has_text=svc.name).first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text().replace("¶", "").strip() == svc.name
    diagram = page.locator("svg.guide-flow-svg").first
    assert diagram.is_visible()
    box = diagram.bounding_box()
    assert box["width"] > 150 and box["height"] > 150
    flow = project.flows[svc.flow]
    steps = page.locator("ol.guide-steps > li")
    assert steps.count() == len(flow.steps)
    assert flow.steps[0].label in steps.first.inner_text()
    if svc.takes_applications:
        assert page.locator("a.guide-apply").first.get_attribute("href") == f"/apply/{svc.id}"
    page.screenshot(path=str(artifacts / "service-page.png"), full_page=True)
    assert outside == []


def test_dark_palette_draws_the_flow_in_light_lines(guide_site, serve_dir, browser, artifacts):
    project, site, _ = guide_site
    base = serve_dir(site)
    context = browser.new_context(color_scheme="dark", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    fid = next(iter(project.flows))
    page.goto(f"{base}/flows/{fid}/", wait_until="networkidle")
    fill = page.evaluate("getComputedStyle(document.querySelector('.guide-flow-svg text')).fill")
    # Light text on the dark (slate) background: every channel well above mid-grey.
    channels = [int(x) for x in fill[fill.index("(") + 1:fill.index(")")].split(",")[:3]]
    assert min(channels) > 150, fill
    page.screenshot(path=str(artifacts / "flow-dark.png"), full_page=True)
    context.close()


def test_print_view_hides_navigation_and_shows_url(guide_site, serve_dir, page):
    project, site, _ = guide_site
    base = serve_dir(site)
    sid = next(iter(project.services))
    page.goto(f"{base}/services/{sid}/", wait_until="networkidle")
    page.emulate_media(media="print")
    assert not page.locator(".md-header").is_visible()
    assert not page.locator(".md-sidebar--primary").is_visible()
    meta = page.locator(".guide-print-meta")
    assert meta.is_visible()
    assert f"/services/{sid}/" in meta.inner_text() and "核验日期" in meta.inner_text()


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 800}],
                         ids=["phone", "desktop"])
def test_first_screen_has_popular_services_and_the_tasks(shipped, serve_dir, browser, artifacts, viewport):
    project, site, _ = shipped
    base = serve_dir(site)
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.goto(base + "/", wait_until="networkidle")
    first = project.services[project.site.popular[0]]
    on_screen = [page.get_by_role("link", name=first.name).first, page.locator(".guide-search__open"), page.locator(".guide-start__tasks a", has_text="我要查询"),
                 page.locator(".guide-start__tasks a", has_text="意见箱")]
    for element in on_screen:
        box = element.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], element
    name = "phone" if viewport["width"] < 500 else "desktop"
    page.screenshot(path=str(artifacts / f"home-first-screen-{name}.png"))
    # Every page: the tasks under the header, and the 意见箱 without answering 否 first.
    page.goto(base + f"/services/{first.id}/", wait_until="networkidle")
    links = page.locator(".guide-quicklinks a")
    assert links.all_inner_texts() == ["查询办理进度", "我的办件", "在线申请", "意见箱（投诉）"]
    assert links.first.bounding_box()["y"] < 150
    assert page.locator(".guide-feedback__mailbox a", has_text="意见箱").is_visible()
    context.close()


def test_the_page_opened_from_a_result_marks_the_searched_words(guide_site, serve_dir, page, artifacts):
    """The reader lands on the page with the words looked for marked (they were not: the result
    link carried no query), and a hostile ?h= is only ever text."""
    project, site, _ = guide_site
    base = serve_dir(site)
    svc = pick_service(project, ("计量器具", "检定"))
    search(page, base, "计量检定")
    result = page.locator(".guide-search__link", has_text=svc.name).first
    assert "?h=" in result.get_attribute("href")
    result.click()
    page.wait_for_load_state("load")
    hits = page.locator("article mark.guide-search-hit")
    page.wait_for_function("() => document.querySelectorAll('article mark.guide-search-hit').length > 0")
    texts = set(hits.all_inner_texts())
    assert texts and texts <= {"计量", "检定"}, texts
    assert page.locator("nav mark.guide-search-hit").count() == 0  # the article only
    page.screenshot(path=str(artifacts / "search-hit.png"))

    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{base}/services/{svc.id}/?h=" + "%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E%20检定")
    page.wait_for_load_state("load")
    assert page.locator("article img[src='x']").count() == 0 and dialogs == []
    assert page.locator("article mark.guide-search-hit").count() > 0
