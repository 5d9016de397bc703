"""Fixtures for the backend: a fresh data folder per test, the small fixture guide, helpers that
fill forms the way a browser does (CSRF token from the page, multipart bodies)."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from forms_backend import create_app

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
    return re.findall(r'<li><a href="#field-([a-z_]+)">([^<]+)</a></li>', html)


def track(client, ref: str, phone: str):
    page = client.get("/track").get_data(as_text=True)
    return client.post("/track", data={"csrf_token": csrf_token(page), "ref": ref, "phone": phone})
