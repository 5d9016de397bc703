"""Search in everyday words, the same on both engines: the index, best bets, and real queries
typed into the built guide in Chromium (top 3 checked)."""
from __future__ import annotations

import json
import subprocess
from urllib.parse import urlsplit

import pytest

from site_builder import search
from site_builder.build import build_site

from ..conftest import ROOT, search_results

GUIDE = str(ROOT / ".venv" / "bin" / "guide")


def service_name(project, sid: str) -> str:
    return project.services[sid].name


def policy_title(project, pid: str) -> str:
    return project.policies[pid].title


# query -> (kind, id): the page a reader means, which must come first.
FIRST = [
    ("电梯检验", "service", "special-equipment-periodic-inspection"),      # alias 电梯 beats body text
    ("锅炉检验", "service", "special-equipment-periodic-inspection"),
    ("压力容器检验", "service", "special-equipment-periodic-inspection"),
    ("计量检定", "service", "metrology-verification-online"),
    ("计量器具送检", "service", "metrology-verification-online"),
    ("如何办理特种设备使用登记", "service", "special-equipment-registration"),  # 如何 is no content
    ("药品管理法", "policy", "drug-administration-law"),                     # a law's 简称 finds the law
    ("计量法", "policy", "metrology-law"),
    ("特种设备安全法", "policy", "special-equipment-safety-law"),
    ("GMP", "policy", "drug-gmp"),
    ("gsp", "policy", "drug-gsp"),
]


@pytest.mark.browser
@pytest.mark.slow
def test_everyday_queries_find_the_page_meant_first(guide_site, serve_dir, page):
    project, site, _ = guide_site
    base = serve_dir(site)
    wrong = []
    for query, kind, key in FIRST:
        title = service_name(project, key) if kind == "service" else policy_title(project, key)
        results = search_results(page, base, query)
        if not results or results[0][0] != title:
            wrong.append(f"{query}: expected {title} first, got {[r[0] for r in results[:3]]}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.browser
@pytest.mark.slow
def test_question_words_lead_to_the_section_asked_about(guide_site, serve_dir, page, artifacts):
    project, site, _ = guide_site
    base = serve_dir(site)
    # 多少钱 / 费用 / 收费: the 收费标准 sections, top 3.
    for query in ("多少钱", "费用", "收费"):
        top = search_results(page, base, query)[:3]
        assert len(top) == 3 and all(section == "收费标准" for _, section in top), (query, top)
    # 要带什么材料: the 申请材料 sections, not a page that happens to contain 什么 or 要.
    top = search_results(page, base, "要带什么材料")[:3]
    assert len(top) == 3 and all(section == "申请材料" for _, section in top), top
    # A thing plus a question: that service's 收费标准.
    top = search_results(page, base, "电梯检验多少钱")
    assert top[0] == (service_name(project, "special-equipment-periodic-inspection"), "收费标准"), top[:3]
    page.screenshot(path=str(artifacts / f"search-fee-{site.parent.name}.png"))
    # 怎么 is no content: 怎么申请 finds what 申请 finds, after the editors' best bet.
    plain = [title for title, _ in search_results(page, base, "申请")]
    asked = search_results(page, base, "怎么申请")
    assert asked[0] == (project.site.title, "如何办理")
    rest = [title for title, _ in asked[1:]]
    assert len(rest) >= 10 and rest == [t for t in plain if t != project.site.title][:len(rest)]


@pytest.mark.browser
@pytest.mark.slow
def test_best_bets_from_yaml_come_first_and_are_marked(guide_site, serve_dir, page):
    project, site, _ = guide_site
    base = serve_dir(site)
    assert project.search.best_bets, "the shipped guide pins some queries in content/search.yml"
    for bet in project.search.best_bets[:2]:
        results = search_results(page, base, bet.queries[0])
        first = page.locator(".guide-search__result").first
        assert "推荐" in first.locator(".guide-search__kind").inner_text()
        assert "guide-search__result--bet" in first.get_attribute("class")
        assert results[0][0] == project.site.title or results[0][0] in {s.name for s in project.services.values()}


@pytest.mark.browser
@pytest.mark.slow
def test_search_dialog_from_the_keyboard(guide_site, serve_dir, page):
    project, site, _ = guide_site
    base = serve_dir(site)
    page.goto(base + "/services/special-equipment-registration/", wait_until="networkidle")
    page.keyboard.press("/")
    dialog = page.locator("#guide-search-dialog")
    assert dialog.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('guide-search__input')")
    page.keyboard.insert_text("计量检定")
    page.wait_for_function("document.querySelector('.guide-search__results').dataset.query === '计量检定'")
    page.keyboard.press("ArrowDown")
    page.wait_for_function("document.activeElement.classList.contains('guide-search__link')", timeout=5000)
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    # Focus goes back to the search button (the dialog's close event runs just after).
    page.wait_for_function("document.activeElement.classList.contains('guide-search__open')", timeout=5000)
    # Enter in the box opens the first result.
    page.click(".guide-search__open")
    page.fill(".guide-search__input", "计量检定")
    page.wait_for_function("document.querySelector('.guide-search__results').dataset.query === '计量检定'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == "/services/metrology-verification-online/"  # (?h= marks the words)


@pytest.mark.browser
@pytest.mark.slow
def test_hostile_query_is_shown_as_text(guide_site, serve_dir, page):
    _, site, _ = guide_site
    base = serve_dir(site)
    results = search_results(page, base, '<img src=x onerror="window.pwned=1">')
    assert results == []
    assert page.locator(".guide-search__dialog img").count() == 0
    assert "<img" in page.locator(".guide-search__meta").inner_text()
    assert page.evaluate("window.pwned") is None


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 375])
def test_header_shows_one_search_button(guide_site, serve_dir, browser, artifacts, width):
    """The engines' own search icon is hidden; ours sits in the header, not stacked below it."""
    _, site, result = guide_site
    base = serve_dir(site)
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.goto(base + "/", wait_until="networkidle")
    button = page.locator(".guide-search__open")
    assert button.is_visible()
    assert not page.locator('.md-header__button[for="__search"]').is_visible()
    header = page.locator(".md-header").bounding_box()
    box = button.bounding_box()
    assert header["y"] <= box["y"] and box["y"] + box["height"] <= header["y"] + header["height"]
    assert box["x"] + box["width"] <= width
    page.screenshot(path=str(artifacts / f"header-{result.engine}-{width}.png"))
    context.close()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_open_search_dialog_meets_wcag_aa(guide_site, serve_dir, browser, scheme):
    from axe_playwright_python.sync_playwright import Axe

    from .test_accessibility import WCAG_AA

    _, site, _ = guide_site
    base = serve_dir(site)
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    search_results(page, base, "电梯检验")
    found = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    context.close()
    problems = [f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']][:3]}" for v in found.response["violations"]]
    assert not problems, "\n".join(problems)


# ---- the index, without a browser ------------------------------------------------------------

@pytest.mark.slow
def test_index_carries_names_aliases_and_question_words(guide_site):
    project, site, result = guide_site
    data = json.loads((site / "search" / "index.json").read_text(encoding="utf-8"))
    pages = {p["u"]: p for p in data["pages"]}
    assert pages["policies/drug-administration-law/"]["n"] == ["药品管理法"]
    assert "电梯" in pages["services/special-equipment-periodic-inspection/"]["a"]
    assert {"电梯", "检验", "药品管理法", "质慧e站"} <= set(data["vocab"])
    assert {"怎么", "如何", "多少钱", "要带", "什么"} <= set(data["stop"])
    fee = next(i for i in data["intents"] if i["heading"] == "收费标准")
    assert {"多少钱", "费用", "收费"} <= set(fee["words"])
    assert data["bets"]["怎么申请"] == ["#how-to-apply"]
    # Every service page's 收费标准 heading is in the index, whatever the engine called its anchor.
    fee_docs = {d["u"].split("#")[0] for d in data["docs"] if d["h"] == "收费标准"}
    assert {f"services/{sid}/" for sid in project.services} <= fee_docs
    assert result.search_index_bytes == (site / "search" / "index.json").stat().st_size


def test_both_engines_index_the_same_sections(mini, tmp_path):
    indexes = {}
    for engine in ("material", "zensical"):
        site = tmp_path / engine
        build_site(mini, site_dir=site, engine_name=engine)
        data = json.loads((site / "search" / "index.json").read_text(encoding="utf-8"))
        indexes[engine] = [(d["u"], d["h"]) for d in data["docs"]]
    assert indexes["material"] == indexes["zensical"]
    assert len(indexes["material"]) > 10


def test_bad_best_bet_is_reported_at_its_line(mini):
    (mini / "content" / "search.yml").write_text(
        "best_bets:\n  - queries: [检测]\n    pages: [services/drug-testing, services/drug-testng]\n", encoding="utf-8")
    proc = subprocess.run([GUIDE, "check", "--project", str(mini)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "search.yml:3:" in proc.stderr and "unknown page 'services/drug-testng'" in proc.stderr
    assert "did you mean 'services/drug-testing'?" in proc.stderr


def test_best_bet_without_pages_is_an_error(mini):
    (mini / "content" / "search.yml").write_text("best_bets:\n  - queries: [检测]\n", encoding="utf-8")
    proc = subprocess.run([GUIDE, "check", "--project", str(mini)], capture_output=True, text=True)
    assert proc.returncode == 1 and "search.yml:2:" in proc.stderr and "missing required field 'pages'" in proc.stderr


def test_plain_text_of_engine_html():
    assert search.plain("<p>免费 &amp; 快速</p>\n<ul><li>材料</li></ul>") == "免费 & 快速 材料"
