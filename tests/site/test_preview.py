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


def test_preview_shows_a_yaml_change_within_seconds(mini):
    port = free_port()
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "guide"), "preview", "--project", str(mini),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/services/quality-training/"
    try:
        wait_for(url, "质量管理能力提升培训", 60)
        svc = mini / "content" / "services" / "quality-training.yml"
        svc.write_text(svc.read_text(encoding="utf-8").replace(
            "为企业质量管理人员提供质量管理能力提升培训。", "为企业质量负责人开设的季度培训班。"), encoding="utf-8")
        took = wait_for(url, "为企业质量负责人开设的季度培训班。", 15)
        assert took < 15
        # A broken save keeps the last good page and says what is wrong.
        svc.write_text(svc.read_text(encoding="utf-8").replace("category: training", "category: nope"),
                       encoding="utf-8")
        time.sleep(3)
        assert "为企业质量负责人开设的季度培训班。" in fetch(url)
    finally:
        proc.terminate()
        out = proc.communicate(timeout=20)[0].decode("utf-8", "replace")
    assert "unknown category 'nope'" in out
