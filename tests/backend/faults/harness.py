"""The production setup under test: gunicorn with several workers on a real data folder, driven
over real HTTP the way a browser fills in a form (session cookie, CSRF token, check page, submit).

Used by the fault tests (kill, disk full, locked database, backup under load, restore).
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from forms_backend.storage.sqlite import sqlite3

from ..conftest import FIXTURE, METERING

ROOT = Path(__file__).resolve().parents[3]
HOST = "127.0.0.1"
PHONE = METERING["phone"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Gunicorn:
    """``gunicorn --workers N 'forms_backend:create_app()'`` on a free loopback port, in a process
    group of its own (so a test can SIGKILL the master and every worker at once)."""

    def __init__(self, data_dir: Path, *, workers: int = 3, threads: int = 1, **env):
        self.data_dir = Path(data_dir)
        self.workers = workers
        self.threads = threads
        self.env = {"GUIDE_PROJECT": str(FIXTURE), "GUIDE_DATA_DIR": str(self.data_dir),
                    "GUIDE_SITE_DIR": str(self.data_dir.parent / "no-site"), "GUIDE_RATELIMIT_ENABLED": "0",
                    "GUIDE_SMTP_HOST": "", **{k: str(v) for k, v in env.items()}}
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 60) -> "Gunicorn":
        cmd = [sys.executable, "-m", "gunicorn", "--workers", str(self.workers), "--bind", f"{HOST}:{self.port}",
               "--timeout", "60", "--graceful-timeout", "5", "--log-level", "info"]
        if self.threads > 1:
            cmd += ["--worker-class", "gthread", "--threads", str(self.threads)]
        cmd.append("forms_backend:create_app()")
        self.proc = subprocess.Popen(cmd, env={**os.environ, **self.env}, cwd=ROOT, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(f"{self.url}/track", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"gunicorn did not start:\n{self.output()}")
            time.sleep(0.1)
        # Every worker up (each opens the database and migrates) before the load starts.
        while len(self.worker_pids()) < self.workers and time.monotonic() < deadline:
            time.sleep(0.1)
        return self

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def worker_pids(self) -> list[int]:
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if self.proc and ppid == self.proc.pid:
                found.append(int(stat.parent.name))
        return found

    def kill_all(self) -> None:
        """SIGKILL the master and every worker at the same moment (a power cut of the service)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while self._group_alive() and time.monotonic() < deadline:
            time.sleep(0.05)

    def _group_alive(self) -> bool:
        try:
            os.killpg(self.proc.pid, 0)
            return True
        except ProcessLookupError:
            return False

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            if self.proc is not None and self._group_alive():
                os.killpg(self.proc.pid, signal.SIGKILL)
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


class Browser:
    """One applicant's browser session against a server."""

    def __init__(self, base: str, service: str = "metering", timeout: float = 30):
        self.base, self.service, self.timeout = base, service, timeout
        self.http = requests.Session()

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base + path, allow_redirects=False, timeout=self.timeout)

    def post(self, path: str, data: dict, files: dict | None = None) -> requests.Response:
        return self.http.post(self.base + path, data=data, files=files, allow_redirects=False, timeout=self.timeout)

    def fill(self, answers: dict, files: dict | None = None) -> requests.Response:
        page = self.get(f"/apply/{self.service}").text
        return self.post(f"/apply/{self.service}", {"csrf_token": csrf(page), **answers}, files)

    def check_page(self) -> str:
        return self.get(f"/apply/{self.service}/check").text

    def submit(self, check_page: str) -> requests.Response:
        token = re.search(r'name="submission" type="hidden" value="([^"]+)"', check_page).group(1)
        return self.post(f"/apply/{self.service}/submit", {"csrf_token": csrf(check_page), "submission": token})

    def track(self, ref: str, phone: str = PHONE) -> requests.Response:
        page = self.get("/track").text
        return self.post("/track", {"csrf_token": csrf(page), "ref": ref, "phone": phone})


def acknowledged_ref(response: requests.Response) -> str | None:
    """The reference number of an acknowledged submission (303 to its confirmation), else None."""
    location = response.headers.get("Location", "")
    if response.status_code == 303 and "/apply/done/" in location:
        return location.rsplit("/", 1)[1]
    return None


@dataclass
class Load:
    """Applicants submitting in parallel threads until stopped; what each request got."""
    base: str
    threads: int = 6
    acked: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)   # "submit 503" -> count
    failures: list[str] = field(default_factory=list)        # connection errors (expected when killed)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: list[threading.Thread] = field(default_factory=list)

    def count(self, what: str) -> None:
        with self._lock:
            self.statuses[what] = self.statuses.get(what, 0) + 1

    def _run(self, i: int) -> None:
        n = 0
        while not self._stop.is_set():
            n += 1
            browser = Browser(self.base)
            try:
                r = browser.fill({**METERING, "org_name": f"负载单位{i}-{n}"})
                self.count(f"answers {r.status_code}")
                if r.status_code != 303:
                    continue
                r = browser.submit(browser.check_page())
                self.count(f"submit {r.status_code}")
                ref = acknowledged_ref(r)
                if ref:
                    with self._lock:
                        self.acked.append(ref)
            except requests.RequestException as exc:
                with self._lock:
                    self.failures.append(type(exc).__name__)
                time.sleep(0.05)

    def start(self) -> "Load":
        self._workers = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(self.threads)]
        for t in self._workers:
            t.start()
        return self

    def stop(self) -> "Load":
        self._stop.set()
        for t in self._workers:
            t.join(timeout=60)
        return self

    def wait_for(self, acked: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acked) < acked:
            assert time.monotonic() < deadline, f"only {len(self.acked)} acknowledged: {self.statuses}"
            time.sleep(0.05)


def read_only(path: Path):
    return sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)


def integrity(path: Path) -> list[str]:
    conn = read_only(path)
    try:
        return [r[0] for r in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


def half_stored(path: Path) -> dict[str, list]:
    """Whatever a submission stored without the rest of its transaction; empty lists when whole."""
    conn = read_only(path)
    try:
        return {
            "applications without their submitted event": [r[0] for r in conn.execute(
                "SELECT ref FROM applications a WHERE NOT EXISTS (SELECT 1 FROM application_events e "
                "WHERE e.application_id = a.id AND e.to_status = 'submitted')")],
            "applications without mail rows": [r[0] for r in conn.execute(
                "SELECT ref FROM applications a WHERE NOT EXISTS (SELECT 1 FROM mail_queue m WHERE m.application_id = a.id)")],
            "applications without their draft": [r[0] for r in conn.execute(
                "SELECT ref FROM applications a WHERE NOT EXISTS (SELECT 1 FROM drafts d WHERE d.application_id = a.id)")],
            "events of no application": [r[0] for r in conn.execute(
                "SELECT id FROM application_events e WHERE NOT EXISTS (SELECT 1 FROM applications a WHERE a.id = e.application_id)")],
            "mail of no application": [r[0] for r in conn.execute(
                "SELECT id FROM mail_queue m WHERE m.application_id IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM applications a WHERE a.id = m.application_id)")],
            "broken references": conn.execute("PRAGMA foreign_key_check").fetchall(),
        }
    finally:
        conn.close()


def stored_refs(path: Path) -> set[str]:
    conn = read_only(path)
    try:
        return {r[0] for r in conn.execute("SELECT ref FROM applications")}
    finally:
        conn.close()


def tracked(base: str, ref: str) -> bool:
    """Whether /track finds the application by its reference and phone number."""
    r = Browser(base).track(ref)
    return r.status_code == 200 and f"申请编号 {ref}" in r.text
