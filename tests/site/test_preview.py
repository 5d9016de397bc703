"""`guide preview`: an editor saves a YAML file and the served page changes within seconds."""
from __future__ import annotations

import socket
import subprocess
import time
import urllib.request

import pytest

from ..conftest import ROOT

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.read().decode("utf-8")
    except OSError:
        return ""


def wait_for(url: str, text: str, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if text in fetch(url):
            return time.monotonic() - started
        time.sleep(0.3)
    raise AssertionError(f"{text!r} did not appear at {url} within {seconds} s")


@pytest.mark.parametrize("engine", ["material", "zensical"])
def test_preview_shows_a_yaml_change_within_seconds(mini, engine):
    port = free_port()
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "guide"), "preview", "--project", str(mini),
                             "--port", str(port), "--engine", engine], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/services/quality-training/"
    index = f"http://127.0.0.1:{port}/search/index.json"  # the guide's own search works in the preview
    try:
        wait_for(url, "质量管理能力提升培训", 60)
        wait_for(index, '"services/quality-training/"', 60)
        svc = mini / "content" / "services" / "quality-training.yml"
        svc.write_text(svc.read_text(encoding="utf-8").replace(
            "为企业质量管理人员提供质量管理能力提升培训。", "为企业质量负责人开设的季度培训班。"), encoding="utf-8")
        took = wait_for(url, "为企业质量负责人开设的季度培训班。", 15)
        assert took < 15
        wait_for(index, "为企业质量负责人开设的季度培训班。", 40)
        # A broken save keeps the last good page and says what is wrong.
        svc.write_text(svc.read_text(encoding="utf-8").replace("category: training", "category: nope"),
                       encoding="utf-8")
        time.sleep(3)
        assert "为企业质量负责人开设的季度培训班。" in fetch(url)
    finally:
        proc.terminate()
        out = proc.communicate(timeout=20)[0].decode("utf-8", "replace")
    assert "unknown category 'nope'" in out


def goto(page, url: str) -> None:
    """Open ``url``; live reload may restart a navigation that overlaps a rebuild, so retry."""
    from playwright.sync_api import Error

    for attempt in range(5):
        try:
            page.goto(url)
            return
        except Error:
            if attempt == 4:
                raise
            time.sleep(1)


@pytest.mark.browser
def test_preview_starts_with_errors_and_shows_them_over_the_page(mini, page, artifacts):
    svc = mini / "content" / "services" / "quality-training.yml"
    good = svc.read_text(encoding="utf-8")
    svc.write_text(good.replace("category: training", "category: nope"), encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "guide"), "preview", "--project", str(mini),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    try:
        # Starts anyway, with a page that carries the banner.
        wait_for(base, "预览", 60)
        goto(page, base)
        banner = page.locator("#guide-preview-banner")
        banner.wait_for(timeout=10000)
        assert "unknown category 'nope'" in banner.inner_text()
        assert "content/services/quality-training.yml:3:1" in banner.inner_text()
        assert str(mini) not in banner.inner_text()
        # Fixed: the guide appears and the banner goes.
        svc.write_text(good, encoding="utf-8")
        wait_for(base + "services/quality-training/", "质量管理能力提升培训", 30)
        goto(page, base + "services/quality-training/")
        page.wait_for_timeout(2500)
        assert page.locator("#guide-preview-banner").count() == 0
        # Broken again while the page is open: the banner appears over the last good page.
        svc.write_text(good.replace("reviewed: 2026-11-01", "reviewed: 2026-02-30"), encoding="utf-8")
        banner = page.locator("#guide-preview-banner")
        banner.wait_for(timeout=15000)
        text = banner.inner_text()
        assert "February 2026 has no 30th" in text
        assert "warning(s): 1 placeholder(s) 【待补充】" in text  # warnings summarised, not listed
        assert "质量管理能力提升培训" in page.content()
        page.screenshot(path=str(artifacts / "preview-banner.png"))
    finally:
        proc.terminate()
        out = proc.communicate(timeout=20)[0].decode("utf-8", "replace")
    assert f"preview at {base}" in out
    # Terminal: the error in full, the warnings as one summary line.
    assert "unknown category 'nope'" in out
    assert "placeholder in 'phone'" not in out
    assert "warning(s): 1 placeholder(s) 【待补充】" in out
