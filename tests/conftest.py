"""Shared fixtures: copies of fixture projects in temp folders, a static server, Chromium."""
from __future__ import annotations

import datetime as dt
import functools
import http.server
import shutil
import socketserver
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# "Today" for loading and checking content: dates like "reviewed over a year ago" stay true
# whatever day the suite runs.
TODAY = dt.date(2026, 11, 29)
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


# Tests that use these fixtures run a browser or a real build: they get the marker even when
# their module forgets it, so `pytest -m "not slow and not browser"` stays the fast loop.
BROWSER_FIXTURES = {"browser", "page"}
BUILD_FIXTURES = {"shipped", "songjiang", "guide_site", "every_build", "built_site", "server", "engine_site",
                  "engine_server"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & BROWSER_FIXTURES and not item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.browser)
        if names & BUILD_FIXTURES and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


def copy_project(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("site", "site.new", "site.old", ".guide-build", "var"))
    return dest


@pytest.fixture
def mini(tmp_path) -> Path:
    """A private copy of the small fixture guide."""
    return copy_project(FIXTURES / "mini", tmp_path / "mini")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def serve_dir():
    """Serve a folder over real HTTP on 127.0.0.1; yields a function folder -> base URL."""
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


ENGINES = ("material", "zensical")
_BUILDS: dict = {}


def _built(root: Path, tmp_path_factory, name: str, engine: str | None = None):
    """Build a guide once per session and engine (the default engine when none is named)."""
    from site_builder import engine as engines
    from site_builder.build import build_site
    from site_builder.content import load_valid_project

    chosen = engines.choose(root, engine)
    if (root, chosen) not in _BUILDS:
        site = tmp_path_factory.mktemp(f"{name}-{chosen}") / "site"
        result = build_site(root, site_dir=site, engine_name=chosen)
        _BUILDS[(root, chosen)] = (load_valid_project(root), site, result)
    return _BUILDS[(root, chosen)]


@pytest.fixture(scope="session")
def shipped(tmp_path_factory):
    """The default guide as shipped in content/ and flows/, really built with the default
    engine: (project, site, result)."""
    return _built(ROOT, tmp_path_factory, "shipped")


@pytest.fixture(scope="session")
def songjiang(tmp_path_factory):
    return _built(ROOT / "examples" / "songjiang", tmp_path_factory, "songjiang")


@pytest.fixture(scope="session", params=ENGINES)
def guide_site(request, tmp_path_factory):
    """The shipped guide built with each engine in turn: tests of the site as readers see it
    use this, so they hold on Material and on Zensical alike."""
    return _built(ROOT, tmp_path_factory, "shipped", request.param)


GUIDES = {"shipped": ROOT, "songjiang": ROOT / "examples" / "songjiang"}


@pytest.fixture(scope="session", params=[(g, e) for g in GUIDES for e in ENGINES], ids=lambda p: "-".join(p))
def every_build(request, tmp_path_factory):
    """Both guides, each built with both engines."""
    guide, engine = request.param
    return _built(GUIDES[guide], tmp_path_factory, guide, engine)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (never `playwright install`)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run `make test`, which installs it on Debian")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh browser tab (zh-CN, 1200x900); ``page.console_errors`` collects script and CSP errors."""
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    pg.console_errors = []
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
    yield pg
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def type_like_a_person(page, selector: str, text: str) -> None:
    """Type into a field the way an IME user does: the text is committed, then a key is released.

    Chinese input methods commit composed text and the committing key fires keyup; Playwright's
    insert_text plus a key press reproduces that sequence (plain `type` sends no key events
    for characters that are not on the keyboard).
    """
    page.click(selector)
    for ch in text:
        if ch.isascii():
            page.keyboard.press(ch)
        else:
            page.keyboard.insert_text(ch)
    page.keyboard.press("End")


def search_results(page, base: str, query: str) -> list[tuple[str, str]]:
    """Search the built guide as a reader does (open the dialog, type); return the results as
    (page title, section heading or "") in the order shown."""
    page.goto(base + "/", wait_until="networkidle")
    page.click(".guide-search__open")
    type_like_a_person(page, ".guide-search__input", query)
    page.wait_for_function("q => document.querySelector('.guide-search__results').dataset.query === q",
                           arg=query, timeout=10000)
    titles = page.locator(".guide-search__result > .guide-search__link .guide-search__title").all_inner_texts()
    out = []
    for t in titles:
        title, _, section = t.partition(" › ")
        out.append((title.strip(), section.strip()))
    return out
