"""Real builds of the fixture guide, the shipped guide and the Songjiang guide, on both engines."""
from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from site_builder.build import build_site, ensure_built, is_stale
from site_builder.content import ContentError

from ..conftest import ROOT, TODAY

GUIDE = str(ROOT / ".venv" / "bin" / "guide")


class Resources(HTMLParser):
    """Every URL a page loads by itself (scripts, styles, images, frames) — not plain links."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.meta: dict[str, str] = {}
        self.jsonld: list[str] = []
        self._in_jsonld = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "source") and a.get("src"):
            self.urls.append(a["src"])
        if tag == "link" and a.get("rel") in ("stylesheet", "preload", "icon", "modulepreload") and a.get("href"):
            self.urls.append(a["href"])
        if tag == "meta" and a.get("name"):
            self.meta[a["name"]] = a.get("content", "")
        self._in_jsonld = tag == "script" and a.get("type") == "application/ld+json"

    def handle_data(self, data):
        if self._in_jsonld:
            self.jsonld.append(data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_jsonld = False


def parse_page(path: Path) -> Resources:
    p = Resources()
    p.feed(path.read_text(encoding="utf-8"))
    return p


@pytest.mark.slow
def test_guide_builds_with_every_page(every_build):
    project, site, result = every_build
    home = (site / "index.html").read_text(encoding="utf-8")
    assert f"<title>{project.site.title}</title>" in home  # the guide's full name, not "name - name"
    for fam in project.families():
        assert (site / "families" / fam.id / "index.html").exists()
    for sid, svc in project.services.items():
        page = site / "services" / sid / "index.html"
        html = page.read_text(encoding="utf-8")
        parsed = parse_page(page)
        assert svc.name in html
        assert parsed.meta["description"] == svc.summary
        ld = json.loads(parsed.jsonld[0])
        assert ld["@type"] == "GovernmentService" and ld["name"] == svc.name
        if svc.flow:
            assert 'class="guide-flow-svg"' in html and 'class="guide-steps"' in html
        if svc.takes_applications:
            assert f'href="/apply/{sid}"' in html
    for fid in project.flows:
        html = (site / "flows" / fid / "index.html").read_text(encoding="utf-8")
        assert html.count("<svg class=\"guide-flow-svg\"") == 1
    assert (site / "search" / "index.json").exists()
    # The engine's own search index is replaced by ours, not shipped beside it.
    assert not (site / "search" / "search_index.json").exists() and not (site / "search.json").exists()
    assert result.pages >= len(project.services) + len(project.policies) + len(project.flows)


@pytest.mark.slow
def test_policy_pages_link_back_to_citing_services(every_build):
    project, site, _ = every_build
    for pid, policy in project.policies.items():
        html = (site / "policies" / pid / "index.html").read_text(encoding="utf-8")
        for svc in project.services_citing(pid):
            assert f'href="../../services/{svc.id}/"' in html, (pid, svc.id)
        if policy.measures:
            for m in policy.measures:
                assert m.title in html


@pytest.mark.slow
def test_catalog_json_agrees_with_yaml(every_build):
    project, site, _ = every_build
    data = json.loads((site / "data" / "catalog.json").read_text(encoding="utf-8"))
    assert {s["id"] for s in data["services"]} == set(project.services)
    assert {f["id"] for f in data["flows"]} == set(project.flows)
    assert {p["id"] for p in data["policies"]} == set(project.policies)
    for p in data["policies"]:
        assert set(p["cited_by"]) == {s.id for s in project.services_citing(p["id"])}
    # The catalog repeats the YAML, value for value.
    root = project.root / "content" / "services"
    for s in data["services"]:
        raw = yaml.safe_load((root / f"{s['id']}.yml").read_text(encoding="utf-8"))
        assert s["name"] == raw["name"] and s["summary"] == raw["summary"].strip()
        assert s["category"] == raw["category"]


@pytest.mark.slow
def test_built_site_loads_nothing_from_other_hosts(guide_site):
    _, site, _ = guide_site
    for page in site.rglob("*.html"):
        for url in parse_page(page).urls:
            assert not re.match(r"^(https?:)?//", url), f"{page}: loads {url}"
    for css in site.rglob("*.css"):
        assert not re.search(r"@import\s+url\(\s*['\"]?https?:", css.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_failed_build_keeps_the_last_good_site(mini, tmp_path):
    site = tmp_path / "site"
    build_site(mini, site_dir=site)
    before = (site / "index.html").read_bytes()
    svc = mini / "content" / "services" / "drug-testing.yml"
    svc.write_text(svc.read_text(encoding="utf-8").replace("flow: basic", "flow: nowhere"), encoding="utf-8")
    with pytest.raises(ContentError) as err:
        build_site(mini, site_dir=site)
    assert "unknown flow 'nowhere'" in str(err.value)
    assert (site / "index.html").read_bytes() == before
    assert not (tmp_path / "site.new").exists()


@pytest.mark.slow
def test_cli_build_exits_1_and_names_the_line(mini):
    svc = mini / "content" / "services" / "drug-testing.yml"
    svc.write_text(svc.read_text(encoding="utf-8").replace("category: testing", "category: nope"), encoding="utf-8")
    proc = subprocess.run([GUIDE, "build", "--project", str(mini)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "drug-testing.yml:5:1: error: unknown category 'nope'" in proc.stderr
    assert not (mini / "site").exists()


@pytest.mark.slow
def test_check_strict_fails_on_warnings_only_when_asked(mini):
    ok = subprocess.run([GUIDE, "check", "--today", TODAY.isoformat(), "--project", str(mini)], capture_output=True, text=True)
    strict = subprocess.run([GUIDE, "check", "--strict", "--today", TODAY.isoformat(), "--project", str(mini)], capture_output=True, text=True)
    assert ok.returncode == 0 and "0 error(s), 2 warning(s)" in ok.stderr  # placeholder + material
    assert strict.returncode == 1 and "warning: placeholder" in strict.stderr


@pytest.mark.slow
def test_ensure_built_rebuilds_only_when_stale(mini, tmp_path):
    site = tmp_path / "site"
    assert is_stale(mini, site)
    ensure_built(mini, site)
    assert not is_stale(mini, site)
    stamp = (site / ".guide-build-stamp").stat().st_mtime
    ensure_built(mini, site)
    assert (site / ".guide-build-stamp").stat().st_mtime == stamp
    svc = mini / "content" / "services" / "quality-training.yml"
    svc.write_text(svc.read_text(encoding="utf-8").replace("质量管理能力提升培训", "质量管理培训班"), encoding="utf-8")
    assert is_stale(mini, site)
    ensure_built(mini, site)
    assert "质量管理培训班" in (site / "services" / "quality-training" / "index.html").read_text(encoding="utf-8")
