"""security.py and errors.py: headers, cookies, CSRF, size limit, secret key, no traces, escaping."""
from __future__ import annotations

import logging
import os
import re
import stat
from urllib.parse import unquote

import pytest

from forms_backend import create_app

from .conftest import (DRUG, FIXTURE, METERING, STAFF_PASSWORD, Applicant, config, csrf_token,  # noqa: F401
                       pdf_file)


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
    app = create_app(config(tmp_path, GUIDE_COOKIE_SECURE="1", GUIDE_BASE_URL="https://guide.example.org"))
    cookie = app.test_client().get("/apply/metering", base_url="https://localhost").headers["Set-Cookie"]
    assert "Secure" in cookie


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
    app = create_app(config(tmp_path, GUIDE_TRUSTED_PROXIES=1, GUIDE_BASE_URL="https://guide.example.org"))
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


# ---------------------------------------------------------------- findings of the penetration test (issue 14)
# Each test is the reproduction of one finding; it failed before the fix.

@pytest.mark.parametrize("name, shown", [
    ("a\u202Efdp.html", "afdp.pdf"),    # right-to-left override: staff read "…lmth.pdf", saved as .html
    ("a.pdf\x00.html", "a.pdf"),         # NUL: saved as a.pdf.html
    ("invoice.html", "invoice.pdf"),     # a PDF whatever the name says
])
def test_1_downloads_are_named_by_the_detected_kind_without_format_characters(app, client, storage, staff,
                                                                                name, shown):
    html_in_pdf = b"%PDF-1.4\n<html><script>alert(document.cookie)</script></html>\n%%EOF\n"
    ref = Applicant(client, "drug-testing").apply(DRUG, {"f_spec_sheet": pdf_file(name, html_in_pdf)})
    (up,) = storage.uploads_of(storage.get_application(ref).id)
    assert up["kind"] == "pdf" and "\u202e" not in up["original_name"] and "\x00" not in up["original_name"]
    case = staff.get(f"/staff/applications/{ref}").get_data(as_text=True)
    assert f"下载 {shown}</a>" in case and "\u202e" not in case
    r = staff.get(f"/staff/applications/{ref}/files/{up['token']}")
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    saved_as = [unquote(v.strip('"')) for v in re.findall(r"filename\*?=(?:UTF-8'')?([^;]+)", disposition)]
    assert saved_as and all(v == shown for v in saved_as), disposition
    assert r.mimetype == "application/octet-stream"
    r.close()


@pytest.mark.parametrize("password", ["1234567890", "password12", "qwertyuiop", "iloveyou2026"])
def test_5_common_passwords_are_refused_on_the_web_and_in_the_cli(staff, password, tmp_path):
    from click.testing import CliRunner

    from site_builder.cli import main

    staff.get("/staff/password")
    r = staff.post("/staff/password", {"current": STAFF_PASSWORD, "new": password, "confirm": password})
    assert r.status_code == 200 and "这个密码太常见或太容易猜到" in r.get_data(as_text=True)
    cli = CliRunner().invoke(main, ["user", "add", "wang", "--db", str(tmp_path / "cli.db")],
                             env={"GUIDE_PASSWORD": password})
    assert cli.exit_code == 1 and "too common" in cli.output


def test_5_a_password_holding_the_account_name_is_refused(tmp_path):
    from click.testing import CliRunner

    from site_builder.cli import main

    strong_but_named = "Zhangsan.Lianyungang-76"
    cli = CliRunner().invoke(main, ["user", "add", "zhangsan", "--db", str(tmp_path / "cli.db")],
                             env={"GUIDE_PASSWORD": strong_but_named})
    assert cli.exit_code == 1 and "contain the account name" in cli.output
    assert CliRunner().invoke(main, ["user", "add", "wangwu", "--db", str(tmp_path / "cli.db")],
                              env={"GUIDE_PASSWORD": strong_but_named}).exit_code == 0


def test_5_a_long_unusual_password_is_accepted(staff):
    staff.get("/staff/password")
    new = "Lianyungang-metrology-76"
    assert staff.post("/staff/password", {"current": STAFF_PASSWORD, "new": new, "confirm": new}).status_code == 303


def test_7_data_folder_and_files_are_private(tmp_path):
    from click.testing import CliRunner

    from site_builder.cli import main

    old = os.umask(0o022)  # the usual umask that made everything world-readable
    try:
        data = tmp_path / "data"
        data.mkdir(mode=0o755)
        os.chmod(data, 0o755)   # an installation made before the rule is tightened at start
        app = create_app(config(tmp_path, GUIDE_MAIL_WORKER=False))
        Applicant(app.test_client(), "drug-testing").apply(DRUG, {"f_spec_sheet": pdf_file()})
        from forms_backend.mail.delivery import deliver_due
        assert deliver_due(app.extensions["guide"].storage, app.config)[0] == 2
        r = CliRunner().invoke(main, ["db", "backup", str(data / "backups" / "b.db"), "--db", str(data / "guide.db")])
        assert r.exit_code == 0, r.output
        app.extensions["guide"].storage.close()
    finally:
        os.umask(old)
    folders = [data, *[p for p in data.rglob("*") if p.is_dir()]]
    files = [p for p in data.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"guide.db", "secret_key", "b.db"}
    assert any(p.suffix == ".mbox" for p in files) and any(p.suffix == ".pdf" for p in files)
    assert {p.name for p in folders} >= {"data", "uploads", "outbox", "backups"}
    for p in folders:
        assert stat.S_IMODE(p.stat().st_mode) == 0o700, p
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p


def _queued(storage, kind: str) -> list[str]:
    return [r[0] for r in storage.db.execute("SELECT body FROM mail_queue WHERE kind = ? ORDER BY id", (kind,))]


def test_2_emailed_links_come_from_the_base_url_never_from_the_host_header(tmp_path):
    from .conftest import Staff, make_application

    app = create_app(config(tmp_path, GUIDE_TRUSTED_PROXIES=1, GUIDE_BASE_URL="https://guide.example.org/"))
    storage = app.extensions["guide"].storage
    evil = {"HTTP_HOST": "evil.example", "HTTP_X_FORWARDED_HOST": "evil.example",
            "HTTP_X_FORWARDED_PREFIX": "//evil.example"}
    inner = app.wsgi_app

    def attacker(environ, start_response):  # every request below arrives with these headers
        environ.update(evil)
        return inner(environ, start_response)
    app.wsgi_app = attacker
    client = app.test_client()
    Applicant(client, "metering").apply(METERING)
    (ack,) = _queued(storage, "applicant_ack")
    assert "https://guide.example.org/track " in ack and "evil" not in ack
    # The staff's status notice (its signed link) too, whatever Host the staff's browser sent.
    from forms_backend.auth import hash_password
    storage.create_user("li", "staff", hash_password(STAFF_PASSWORD))
    ref = make_application(storage, 1)
    person = Staff(app.test_client())
    assert person.login().status_code == 303
    assert person.set_status(ref, "accepted").status_code == 303
    (notice,) = _queued(storage, "status_notice")
    assert "https://guide.example.org/track/link/" in notice and "evil" not in notice
    # Redirects do not take a forwarded prefix either (no way to send a browser elsewhere).
    r = app.test_client().get("/staff/")
    assert r.status_code == 303 and "evil" not in r.headers["Location"]


@pytest.mark.parametrize("extra, problem", [
    ({"GUIDE_COOKIE_SECURE": "1"}, "GUIDE_BASE_URL is required in production"),
    ({"GUIDE_TRUSTED_PROXIES": "1"}, "GUIDE_BASE_URL is required in production"),
    ({"GUIDE_COOKIE_SECURE": "1", "GUIDE_BASE_URL": "http://guide.example.org"}, "must start with https://"),
    ({"GUIDE_BASE_URL": "https://guide.example.org/?next=x"}, "without query or fragment"),
    ({"GUIDE_BASE_URL": "javascript:alert(1)"}, "must be an http(s) address"),
])
def test_2_production_needs_a_canonical_base_url(tmp_path, extra, problem):
    from forms_backend.settings import SettingsError

    with pytest.raises(SettingsError, match=re.escape(problem)):
        create_app(config(tmp_path, **extra))


def test_2_guide_serve_links_to_itself(tmp_path, monkeypatch):
    from forms_backend.settings import resolve

    monkeypatch.delenv("GUIDE_BASE_URL", raising=False)
    assert resolve({"GUIDE_PROJECT": FIXTURE})["GUIDE_BASE_URL"] == "http://localhost"


def test_12_secure_session_cookie_has_the_host_prefix(tmp_path):
    app = create_app(config(tmp_path, GUIDE_COOKIE_SECURE="1", GUIDE_BASE_URL="https://guide.example.org"))
    client = app.test_client()
    cookie = client.get("/apply/metering", base_url="https://localhost").headers["Set-Cookie"]
    assert cookie.startswith("__Host-guide_session=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie
    r = client.post("/apply/metering", base_url="https://localhost", headers={"Referer": "https://localhost/apply/metering"},
                    data={**METERING, "csrf_token": csrf_token(client.get(
                        "/apply/metering", base_url="https://localhost").get_data(as_text=True))})
    assert r.status_code == 303  # the prefixed cookie carries the session (and so the CSRF token)
