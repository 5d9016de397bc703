"""Fixtures for the backend: a fresh data folder per test, the small fixture guide, helpers that
fill forms the way a browser does (CSRF token from the page, multipart bodies)."""
from __future__ import annotations

import datetime as dt
import io
import re
import secrets
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from forms_backend import create_app
from site_builder.engine import ENGINES, choose

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "backend_project"

VALID_USCC = "91350100M000100Y43"
APPLICANT = {
    "org_name": "连云港测试医药有限公司",
    "uscc": VALID_USCC,
    "contact_name": "张三",
    "phone": "13812345678",
    "email": "zhang@example.com",
}
METERING = {**APPLICANT, "f_instruments": "电子天平 2 台"}
DRUG = {
    **APPLICANT,
    "f_product_name": "阿莫西林胶囊",
    "f_description": "检验含量\n依据《中国药典》",
    "f_sample_count": "3",
    "f_delivery_date": "2026-12-01",
    "f_test_type": "entrust",
    "f_urgency": "normal",
    "f_report_forms": ["paper", "electronic"],
    "f_agree_sampling": "y",
}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"


def config(tmp_path: Path, **extra) -> dict:
    cfg = {
        "GUIDE_PROJECT": FIXTURE,
        "GUIDE_DATA_DIR": tmp_path / "data",
        "GUIDE_SITE_DIR": tmp_path / "site",
        "GUIDE_MAIL_WORKER": False,
        "GUIDE_SMTP_HOST": "",
        "TESTING": True,
    }
    cfg.update(extra)
    return cfg


@pytest.fixture
def app(tmp_path):
    app = create_app(config(tmp_path))
    yield app
    app.extensions["guide"].storage.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def storage(app):
    return app.extensions["guide"].storage


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(html: str) -> str:
    m = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def submission_token(html: str) -> str:
    return re.search(r'name="submission" type="hidden" value="([^"]+)"', html).group(1)


def pdf_file(name: str = "说明书.pdf", content: bytes = PDF):
    return (io.BytesIO(content), name)


class Applicant:
    """A person with one browser session applying for a service."""

    def __init__(self, client, service_id: str):
        self.client = client
        self.service_id = service_id
        self.page = ""

    def open_form(self, **params):
        r = self.client.get(f"/apply/{self.service_id}", query_string=params)
        self.page = r.get_data(as_text=True)
        return r

    def fill(self, data: dict, files: dict | None = None):
        if not self.page:
            self.open_form()
        body = {"csrf_token": csrf_token(self.page), **data, **(files or {})}
        r = self.client.post(f"/apply/{self.service_id}", data=body, content_type="multipart/form-data")
        if r.status_code == 200:
            self.page = r.get_data(as_text=True)
        return r

    def check(self):
        r = self.client.get(f"/apply/{self.service_id}/check")
        self.page = r.get_data(as_text=True)
        return r

    def submit(self, token: str | None = None):
        if "submission" not in self.page:
            self.check()
        body = {"csrf_token": csrf_token(self.page), "submission": token or submission_token(self.page)}
        return self.client.post(f"/apply/{self.service_id}/submit", data=body)

    def apply(self, data: dict, files: dict | None = None) -> str:
        """The whole happy path; returns the reference number."""
        r = self.fill(data, files)
        assert r.status_code == 303, errors_in(r.get_data(as_text=True))
        self.check()
        r = self.submit()
        assert r.status_code == 303
        return r.headers["Location"].rsplit("/", 1)[1]


def errors_in(html: str) -> list[tuple[str, str]]:
    """(field name, message) pairs of the error summary."""
    return re.findall(r'<li><a href="#field-([a-z0-9_-]+)">([^<]+)</a></li>', html)


def track(client, ref: str, phone: str):
    page = client.get("/track").get_data(as_text=True)
    return client.post("/track", data={"csrf_token": csrf_token(page), "ref": ref, "phone": phone})


# ---------------------------------------------------------------- the staff console

STAFF_PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One argon2 hash for every test account (hashing costs ~0.1 s each)."""
    from forms_backend.auth import hash_password
    return hash_password(STAFF_PASSWORD)


@pytest.fixture
def accounts(storage, password_hash):
    """Two accounts: li (staff) and boss (admin)."""
    storage.create_user("li", "staff", password_hash)
    storage.create_user("boss", "admin", password_hash)


def page_token(html: str) -> str:
    """The CSRF token of any form on the page (ours or WTForms' rendering)."""
    m = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'<input[^>]*value="([^"]+)"[^>]*name="csrf_token"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


class Staff:
    """A staff member's browser session in the console."""

    def __init__(self, client):
        self.client = client
        self.page = ""

    def login(self, name: str = "li", password: str = STAFF_PASSWORD, next: str | None = None):
        page = self.client.get("/staff/login").get_data(as_text=True)
        return self.client.post("/staff/login", data={"csrf_token": page_token(page), "name": name,
                                                      "password": password, "next": next or ""})

    def get(self, path: str, **kw):
        r = self.client.get(path, **kw)
        if r.mimetype == "text/html":
            self.page = r.get_data(as_text=True)
        return r

    def post(self, path: str, data: dict):
        if "csrf_token" not in self.page:
            self.get("/staff/exports")
        r = self.client.post(path, data={"csrf_token": page_token(self.page), **data})
        if r.mimetype == "text/html" and r.status_code == 200 or r.status_code >= 400:
            self.page = r.get_data(as_text=True)
        return r

    def set_status(self, ref: str, to: str, note: str = "", public: bool = True, expected: str | None = None,
                   items: str | None = None, due: str | None = None):
        if expected is None:  # what the case page carries (a closed case has no form: then no check)
            m = re.search(r'name="t-expected" value="([^"]*)"',
                          self.get(f"/staff/applications/{ref}").get_data(as_text=True))
            expected = m.group(1) if m else ""
        data = {"t-to_status": to, "t-expected": expected, "t-note": note}
        if to == "needs_info":  # 补正: every item with its reason, and a deadline a week ahead
            data["t-items"] = "检定证书复印件：原件已过有效期" if items is None else items
            data["t-due_on"] = (dt.date.today() + dt.timedelta(days=7)).isoformat() if due is None else due
        if public:
            data["t-public"] = "y"
        return self.post(f"/staff/applications/{ref}/status", data)


@pytest.fixture
def staff(app, accounts):
    """li, logged in."""
    person = Staff(app.test_client())
    assert person.login().status_code == 303
    return person


@pytest.fixture
def admin(app, accounts):
    """boss (an administrator), logged in."""
    person = Staff(app.test_client())
    assert person.login("boss").status_code == 303
    return person


def make_application(storage, n: int = 0, **record) -> str:
    """An application straight into storage (fast: no forms); returns its reference."""
    token = f"draft-{n}-{secrets.token_hex(4)}"
    storage.save_draft(token, record.get("service_id", "metering"), answers={"x": 1})
    draft = storage.get_draft(token)
    base = {"service_id": "metering", "service_name": "计量器具检定", "org_name": f"测试单位{n}",
            "uscc": VALID_USCC, "contact_name": "张三", "phone": "13812345678", "phone_norm": "13812345678",
            "email": "zhang@example.com",
            "answers": [{"id": "f_instruments", "label": "器具名称及数量", "type": "textarea", "value": "天平",
                         "display": "天平"}]}
    base.update(record)
    return storage.submit(token, draft.submit_token, record=base, ref_prefix="ZY", yymm="2611",
                          compose_mail=lambda ref: []).ref


def set_time(storage, sql: str, params=()) -> None:
    """Move recorded times (tests of due dates and follow-up); SQL on the test's own database."""
    with storage._immediate() as db:
        db.execute(sql, params)


def _build_fixture_guide(tmp_path_factory, engine_name: str | None = None) -> Path:
    from site_builder.build import build_site
    project = tmp_path_factory.mktemp(f"guide-{engine_name or 'default'}") / "project"
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns(".guide-build", "site"))
    build_site(project, site_dir=project / "site", engine_name=engine_name)  # scratch files stay in tmp
    return project / "site"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The fixture guide built once (real build, default engine) for the browser tests."""
    return _build_fixture_guide(tmp_path_factory)


@pytest.fixture(scope="session", params=ENGINES)
def engine_site(request, tmp_path_factory):
    """The fixture guide built with each site engine in turn: for what the guide's own scripts
    do on its pages with the backend (the page-feedback widget)."""
    if request.param == choose(FIXTURE):
        return request.getfixturevalue("built_site")
    return _build_fixture_guide(tmp_path_factory, request.param)


# ---------------------------------------------------------------- Chromium (browser tests)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@contextmanager
def _serving(tmp_path, site: Path):
    app = create_app(config(tmp_path, GUIDE_SITE_DIR=site, GUIDE_SERVE_SITE=True, TESTING=False))
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["GUIDE_BASE_URL"] = f"http://127.0.0.1:{srv.server_port}"  # as guide serve does
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}", app
    srv.shutdown()
    thread.join()
    app.extensions["guide"].storage.close()


@pytest.fixture
def server(tmp_path, built_site):
    """The app with the built guide on a loopback port (like guide serve): (base URL, app)."""
    with _serving(tmp_path, built_site) as served:
        yield served


@pytest.fixture
def engine_server(tmp_path, engine_site):
    """As ``server``, once with the guide built by each site engine."""
    with _serving(tmp_path, engine_site) as served:
        yield served


# `browser` and `page` (one Debian chromium for the whole run) come from tests/conftest.py.
