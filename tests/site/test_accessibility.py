"""WCAG 2.1 AA on the built guide, checked with axe-core in Chromium (the engine Lighthouse uses)."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def pages_to_check(project):
    sid = next(s.id for s in project.services.values() if s.flow and s.materials)
    pid = next((p.id for p in project.policies.values() if p.measures), next(iter(project.policies)))
    yield "/"
    yield f"/families/{project.families()[0].id}/"
    yield f"/services/{sid}/"
    yield f"/flows/{next(iter(project.flows))}/"
    yield "/policies/"
    yield f"/policies/{pid}/"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_guide_pages_meet_wcag_aa(guide_site, serve_dir, browser, scheme):
    from axe_playwright_python.sync_playwright import Axe

    project, site, _ = guide_site
    base = serve_dir(site)
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    axe = Axe()
    problems = []
    for path in pages_to_check(project):
        page.goto(base + path, wait_until="networkidle")
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
        for v in results.response["violations"]:
            targets = [n["target"] for n in v["nodes"]][:3]
            problems.append(f"{path}: {v['id']} ({v['impact']}): {v['help']} {targets}")
    context.close()
    assert not problems, "\n".join(problems)


def test_every_page_has_its_own_meta_description(guide_site):
    project, site, _ = guide_site
    seen = {}
    for html in site.rglob("index.html"):
        text = html.read_text(encoding="utf-8")
        start = text.find('<meta name="description" content="')
        assert start != -1, html
        desc = text[start:text.find('">', start)]
        seen.setdefault(desc, []).append(str(html.relative_to(site)))
    duplicated = {d: p for d, p in seen.items() if len(p) > 1}
    assert duplicated == {}
