"""security.py and errors.py: headers, cookies, CSRF, size limit, secret key, no traces, escaping."""
from __future__ import annotations

import logging
import os
import stat

import pytest

from forms_backend import create_app

from .conftest import DRUG, FIXTURE, METERING, Applicant, config, csrf_token, pdf_file


def test_backend_pages_send_security_headers(client):
    r = client.get("/apply/metering")
    h = r.headers
    csp = h["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "same-origin"
    assert h["X-Frame-Options"] == "DENY"
    assert h["Cache-Control"] == "no-store"


def test_session_cookie_is_httponly_and_samesite(client):
    r = client.get("/apply/metering")
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("guide_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_cookie_secure_setting(tmp_path):
    app = create_app(config(tmp_path, GUIDE_COOKIE_SECURE="1"))
    assert "Secure" in app.test_client().get("/apply/metering").headers["Set-Cookie"]


@pytest.mark.parametrize("path", ["/apply/metering", "/apply/metering/submit", "/track"])
def test_every_post_needs_the_csrf_token(client, path):
    client.get("/apply/metering")
    r = client.post(path, data=METERING)
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "页面已过期" in page and '<html lang="zh-CN">' in page


def test_csrf_token_of_another_session_is_refused(app):
    one, two = app.test_client(), app.test_client()
    token = csrf_token(one.get("/apply/metering").get_data(as_text=True))
    two.get("/apply/metering")
    assert two.post("/apply/metering", data={**METERING, "csrf_token": token}).status_code == 400


def test_request_too_large_gets_a_readable_413(tmp_path):
    app = create_app(config(tmp_path, GUIDE_MAX_REQUEST_MB="0.05"))
    person = Applicant(app.test_client(), "drug-testing")
    r = person.fill(DRUG, {"f_spec_sheet": pdf_file(content=b"%PDF-1.4\n" + b"0" * 100_000)})
    assert r.status_code == 413
    page = r.get_data(as_text=True)
    assert "提交的内容太大" in page and '<html lang="zh-CN">' in page


def test_secret_key_is_made_once_private_and_shared_by_every_process(tmp_path):
    first = create_app(config(tmp_path))
    key_file = tmp_path / "data" / "secret_key"
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second = create_app(config(tmp_path))
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text().strip()
    assert not (FIXTURE / "secret_key").exists() and not (FIXTURE / "var").exists()
    # A session made by one worker is valid in the other.
    person = Applicant(first.test_client(), "metering")
    person.fill(METERING)
    cookie = person.client.get_cookie("guide_session").value
    other = second.test_client()
    other.set_cookie("guide_session", cookie)
    assert other.get("/apply/metering/check").status_code == 200


def test_unexpected_errors_show_a_plain_page_without_a_trace(tmp_path):
    app = create_app(config(tmp_path, TESTING=False))

    def boom():
        raise RuntimeError("secret internals")
    app.add_url_rule("/apply/boom-test", "boom", boom)
    r = app.test_client().get("/apply/boom-test")
    assert r.status_code == 500
    page = r.get_data(as_text=True)
    assert "系统暂时出错" in page and "secret internals" not in page and "Traceback" not in page


@pytest.mark.parametrize("path, status, title", [
    ("/apply/nothing-here", 404, "页面不存在"),
    ("/track/x", 404, "页面不存在"),
])
def test_error_pages_are_in_chinese(client, path, status, title):
    r = client.get(path)
    assert r.status_code == status and title in r.get_data(as_text=True)


def test_method_not_allowed_page(client):
    r = client.post("/apply/metering/check")
    assert r.status_code in (400, 405)
    assert '<html lang="zh-CN">' in r.get_data(as_text=True)


def test_no_applicant_answers_in_logs(client, caplog):
    caplog.set_level(logging.DEBUG)
    Applicant(client, "drug-testing").apply(DRUG, {"f_spec_sheet": pdf_file()})
    for secret in ("连云港测试医药有限公司", "13812345678", "zhang@example.com", "阿莫西林胶囊", "张三",
                   "91350100M000100Y43", "说明书.pdf"):
        assert secret not in caplog.text


def test_everything_the_applicant_typed_is_escaped(client):
    person = Applicant(client, "metering")
    evil = '<script>alert("x")</script>'
    person.fill({**METERING, "org_name": evil, "f_instruments": evil})
    page = person.check().get_data(as_text=True)
    assert evil not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    person.fill({**METERING, "org_name": evil, "email": "bad"})
    assert evil not in person.page


def test_honeypot_is_hidden_from_people(client):
    page = client.get("/apply/metering").get_data(as_text=True)
    assert 'class="hp-field" aria-hidden="true"' in page and 'tabindex="-1"' in page


def test_trusted_proxy_setting_uses_the_forwarded_address_for_limits(tmp_path):
    app = create_app(config(tmp_path, GUIDE_TRUSTED_PROXIES=1))
    client = app.test_client()
    token = csrf_token(client.get("/track").get_data(as_text=True))

    def post(addr):
        return client.post("/track", data={"csrf_token": token, "ref": "ZY-2611-AAAAA", "phone": "13812345678"},
                           headers={"X-Forwarded-For": addr}).status_code
    assert [post("10.0.0.1") for _ in range(11)][-1] == 429
    assert post("10.0.0.2") == 200  # another client behind the same proxy is not blocked


def test_data_dir_is_never_inside_the_web_root(app):
    assert os.path.commonpath([app.config["UPLOAD_DIR"], app.config["GUIDE_SITE_DIR"]]) != str(
        app.config["GUIDE_SITE_DIR"])
