"""Page speed as built: no script holds up the first paint, each page carries only its open part
of the navigation, and a first visit behind a compressing server stays small (the numbers next to
plain Material's are in benchmarks/page_weight.py, which this also exercises)."""
from __future__ import annotations

import html.parser
import importlib.util
from pathlib import Path
from urllib.parse import urljoin

import pytest

ROOT = Path(__file__).resolve().parents[2]


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []
        self.links: list[str] = []
        self.stylesheets: list[str] = []
        self.nav_links: list[str] = []  # inside the main navigation (the drawer / left sidebar)
        self._navs = 0                   # depth of <nav> elements, counted from the main one

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "nav" and (self._navs or "md-nav--primary" in (a.get("class") or "")):
            self._navs += 1
        if tag == "script" and a.get("src"):
            self.scripts.append(a)
        elif tag == "link" and a.get("rel") == "stylesheet":
            self.stylesheets.append(a["href"])
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
            if self._navs:
                self.nav_links.append(a["href"])

    def handle_endtag(self, tag):
        if tag == "nav" and self._navs:
            self._navs -= 1


def tags(page: Path) -> _Tags:
    parser = _Tags()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def test_no_script_holds_up_the_first_paint(guide_site):
    _, site, _ = guide_site
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 50
    for page in pages:
        for script in tags(page).scripts:
            assert "defer" in script or "async" in script, f"{page.relative_to(site)}: {script['src']} blocks"
    service = tags(next((site / "services").glob("*/index.html")))
    assert [s["src"].rsplit("/", 1)[1] for s in service.scripts][1:] == ["feedback.js", "search.js"]
    assert service.scripts[0]["src"].rsplit("/", 1)[1].startswith("bundle.")  # the engine's, first


def test_a_page_carries_only_its_open_section_of_the_navigation(guide_site):
    project, site, _ = guide_site
    families = {f.id: [s.id for s in project.services_in_family(f.id)] for f in project.families()}
    family, own = next((f, ids) for f, ids in families.items() if len(ids) > 1)
    others = [sid for f, ids in families.items() if f != family for sid in ids]
    assert others
    page = f"http://guide/services/{own[0]}/"
    links = {urljoin(page, href).split("#")[0] for href in tags(site / "services" / own[0] / "index.html").nav_links}
    assert f"http://guide/services/{own[1]}/" in links                    # a sibling in its family
    assert not links & {f"http://guide/services/{sid}/" for sid in others}  # no other family's services
    home = {urljoin("http://guide/", href) for href in tags(site / "index.html").links}
    assert "http://guide/flows/" in home and "http://guide/policies/" in home  # the tabs


def _page_weight():
    spec = importlib.util.spec_from_file_location("page_weight", ROOT / "benchmarks" / "page_weight.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.browser
def test_a_first_visit_behind_gzip_is_small_and_fetches_no_search_index(shipped, browser):
    page_weight = _page_weight()
    _, site, _ = shipped
    pages = page_weight.pick_pages(site, None)
    server = page_weight.StaticServer(site)
    try:
        visit = page_weight.first_visit(server.base, pages["service"], browser)
    finally:
        server.stop()
    urls = [item["url"] for item in visit["items"]]
    # the one document is the page (requests are listed as they finish: a stylesheet may finish first)
    assert [i["url"] for i in visit["items"] if i["type"] == "document"] == [pages["service"]]
    assert not any("search" in u and u.endswith(".json") for u in urls), urls  # fetched on first use only
    text = [i for i in visit["items"] if i["type"] in ("document", "stylesheet", "script") and i["body"] >= 1024]
    assert text and all(i["encoding"] == "gzip" for i in text), text
    assert visit["requests"] <= 10 and visit["bytes"] < 120 * 1024, visit


# Layout shifts on load, as Lighthouse counts them (no input before them), summed over the page.
_SHIFTS = """() => new Promise(done => {
  const shifts = [];
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) shifts.push(
      {value: e.value, from: e.sources.map(s => s.node ? (s.node.className || s.node.nodeName) + '' : '?')});
  }).observe({type: 'layout-shift', buffered: true});
  setTimeout(() => done(shifts), 200);
})"""

_LCP = """() => new Promise(done => {
  new PerformanceObserver(list => {
    const last = list.getEntries().pop();
    done(last && last.element ? last.element.closest('article, header, nav, footer, .md-sidebar')?.tagName || last.element.tagName : null);
  }).observe({type: 'largest-contentful-paint', buffered: true});
})"""


@pytest.mark.browser
def test_nothing_moves_while_a_page_loads_on_a_phone(guide_site, browser):
    """No layout shift on the four pages Lighthouse scores (home, a service, the largest flow
    diagram, a policy), with our scripts arriving only after the first paint (as on a slow
    connection): the search button they reveal must not push the header about; the largest
    paint is the article's own text or diagram."""
    page_weight = _page_weight()
    _, site, _ = guide_site
    pages = page_weight.pick_pages(site, None)
    server = page_weight.StaticServer(site)
    context = browser.new_context(viewport={"width": 412, "height": 823}, locale="zh-CN")
    try:
        def late(route):
            import time
            time.sleep(0.3)  # after the first paint
            route.continue_()

        context.route("**/*.js", late)
        for kind, path in pages.items():
            tab = context.new_page()
            tab.goto(server.base + path, wait_until="load")
            tab.wait_for_selector(".guide-search__open:not([hidden])")
            assert tab.evaluate(_SHIFTS) == [], f"{kind} {path}"
            assert tab.evaluate(_LCP) == "ARTICLE", f"{kind} {path}"
            tab.close()
    finally:
        context.close()
        server.stop()


@pytest.mark.browser
def test_chinese_text_is_set_in_a_font_the_page_names(guide_site, browser):
    """The article's Chinese text is drawn with a font from the page's own font-family list,
    not found through the system's font fallback (which made the first layout about twice as
    slow in Chromium)."""
    page_weight = _page_weight()
    _, site, _ = guide_site
    server = page_weight.StaticServer(site)
    context = browser.new_context(viewport={"width": 412, "height": 823}, locale="zh-CN")
    try:
        tab = context.new_page()
        tab.goto(server.base + page_weight.pick_pages(site, None)["service"], wait_until="load")
        named = [f.strip().strip('"\'').lower()
                 for f in tab.evaluate("getComputedStyle(document.querySelector('article p')).fontFamily").split(",")]
        assert named[0] != "-apple-system", named  # a Chinese font comes first
        cdp = context.new_cdp_session(tab)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        paragraph = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "article p"})["nodeId"]
        used = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": paragraph})["fonts"]
        assert used and all(f["familyName"].lower() in named for f in used), (used, named)
    finally:
        context.close()
        server.stop()
