"""Two guides side by side, as the README shows: two `guide serve` processes, two ports, two
data folders, two reference prefixes; each serves its own pages and forms and keeps its own
applications."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from ..conftest import FIXTURES, copy_project
from ..backend.conftest import APPLICANT, METERING, PDF
from ..backend.test_commands import _free_port

pytestmark = pytest.mark.slow
GUIDE = Path(sys.executable).with_name("guide")


def _start(project: Path, port: int, prefix: str, cwd: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUIDE_")}
    env["GUIDE_REF_PREFIX"] = prefix
    return subprocess.Popen([str(GUIDE), "serve", "--project", str(project), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=cwd)


def _wait(proc, base: str) -> None:
    deadline = time.time() + 90
    while True:
        try:
            requests.get(base + "/", timeout=2)
            return
        except requests.ConnectionError:
            assert proc.poll() is None, proc.stdout.read().decode()
            assert time.time() < deadline, "guide serve did not start"
            time.sleep(0.3)


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _apply(base: str, service: str, answers: dict, files: dict | None = None) -> str:
    s = requests.Session()
    form = s.get(f"{base}/apply/{service}").text
    r = s.post(f"{base}/apply/{service}", data={"csrf_token": _token(form), **answers}, files=files,
               allow_redirects=True)
    assert r.status_code == 200 and "/check" in r.url, re.findall(r"<li><a href=\"#field-([a-z_]+)\">([^<]+)</a></li>", r.text)
    submission = re.search(r'name="submission" type="hidden" value="([^"]+)"', r.text).group(1)
    done = s.post(f"{base}/apply/{service}/submit", data={"csrf_token": _token(r.text), "submission": submission})
    return re.search(r"/apply/done/([A-Z]{2}-[0-9A-Z-]+)", done.url).group(1)


def _tracked(base: str, ref: str) -> bool:
    s = requests.Session()
    page = s.get(f"{base}/track").text
    r = s.post(f"{base}/track", data={"csrf_token": _token(page), "ref": ref, "phone": APPLICANT["phone"]})
    return r.status_code == 200 and "没有找到与该申请编号和联系电话相符的申请" not in r.text and "已提交" in r.text


def test_two_guides_run_side_by_side(tmp_path):
    first = copy_project(FIXTURES / "backend_project", tmp_path / "first")
    second = copy_project(FIXTURES / "mini", tmp_path / "second")
    ports = _free_port(), _free_port()
    procs = [_start(first, ports[0], "ZY", tmp_path), _start(second, ports[1], "SJ", tmp_path)]
    a, b = (f"http://127.0.0.1:{p}" for p in ports)
    try:
        for proc, base in zip(procs, (a, b)):
            _wait(proc, base)
        # Each serves its own guide and its own forms.
        assert "测试服务指南" in requests.get(a + "/").text
        assert "测试园区质量提升服务指南" in requests.get(b + "/").text
        assert requests.get(a + "/apply/metering").status_code == 200
        assert requests.get(b + "/apply/metering").status_code == 404
        # Applications land in their own guide's database, with their own prefix.
        ref_a = _apply(a, "metering", METERING)
        ref_b = _apply(b, "drug-testing", {**APPLICANT, "f_product_name": "阿莫西林胶囊", "f_batches": "2"},
                       files={"f_report_file": ("委托书.pdf", PDF, "application/pdf")})
        assert ref_a.startswith("ZY-") and ref_b.startswith("SJ-")
        assert _tracked(a, ref_a) and _tracked(b, ref_b)
        assert not _tracked(a, ref_b) and not _tracked(b, ref_a)
        assert (first / "var" / "guide.db").is_file() and (second / "var" / "guide.db").is_file()
        assert (first / "var" / "secret_key").read_bytes() != (second / "var" / "secret_key").read_bytes()
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
