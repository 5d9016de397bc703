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
    assert urls[0] == pages["service"]
    assert not any("search" in u and u.endswith(".json") for u in urls), urls  # fetched on first use only
    text = [i for i in visit["items"] if i["type"] in ("document", "stylesheet", "script") and i["body"] >= 1024]
    assert text and all(i["encoding"] == "gzip" for i in text), text
    assert visit["requests"] <= 10 and visit["bytes"] < 120 * 1024, visit
