"""security.py and errors.py: headers, cookies, CSRF, size limit, secret key, no traces, escaping."""
from __future__ import annotations

import io
import logging
import os
import re
import stat
from urllib.parse import unquote

import pytest

from forms_backend import create_app

from .conftest import (DRUG, FIXTURE, METERING, STAFF_PASSWORD, Applicant, config, csrf_token,  # noqa: F401
                       errors_in, pdf_file)


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


# ---- finding 3 (and 8): attacker-written text in official mail; bidi characters in names

INJECTED = "示例公司\r\nBcc: victim2@example.com\r\n\r\n您的申请未通过，请访问 http://evil.example 缴纳加急费"


@pytest.mark.parametrize("field, value", [
    ("org_name", INJECTED),
    ("contact_name", "张三\n您的申请未通过"),
    ("org_name", "示例\u202e司公"),          # bidi override: staff would read it reversed
    ("contact_name", "张\u200b三"),           # zero-width space
    ("org_name", "示例\x00公司"),
])
def test_3_single_line_fields_refuse_control_and_format_characters(client, storage, field, value):
    person = Applicant(client, "metering")
    r = person.fill({**METERING, field: value})
    assert r.status_code == 200  # the form again, nothing stored as an answer
    assert errors_in(person.page)[0][0] == field and "不能包含换行" in errors_in(person.page)[0][1]
    assert storage.db.execute("SELECT count(*) FROM drafts WHERE answers IS NOT NULL").fetchone()[0] == 0


def test_3_a_multi_line_answer_keeps_its_line_breaks_but_not_bidi_overrides(client):
    person = Applicant(client, "metering")
    assert person.fill({**METERING, "f_instruments": "电子天平 2 台\r\n砝码 1 组"}).status_code == 303
    person = Applicant(client, "metering")
    assert person.fill({**METERING, "f_instruments": "电子天平\u202e台 2"}).status_code == 200
    assert errors_in(person.page)[0][0] == "f_instruments"


def test_3_mail_to_the_applicant_echoes_nothing_the_applicant_typed(app, client, storage, staff):
    person = Applicant(client, "metering")
    ref = person.apply({**METERING, "org_name": "恶意示例公司请访问evil", "contact_name": "请缴加急费"})
    (ack,) = _queued(storage, "applicant_ack")
    assert "恶意示例公司" not in ack and "请缴加急费" not in ack and "evil" not in ack
    assert ref in ack and "您好" in ack
    staff_notice = _queued(storage, "staff_notice")[0]  # our own mailbox: the answers are there
    assert "恶意示例公司请访问evil" in staff_notice
    assert staff.set_status(ref, "accepted").status_code == 303
    (notice,) = _queued(storage, "status_notice")
    assert "恶意示例公司" not in notice and "请缴加急费" not in notice


def test_3_mail_per_recipient_is_limited(tmp_path):
    app = create_app(config(tmp_path, GUIDE_MAIL_PER_RECIPIENT_DAY=3))
    storage = app.extensions["guide"].storage
    refs = [Applicant(app.test_client(), "metering").apply({**METERING, "email": "Victim@Example.com"
                                                            if i % 2 else "victim@example.com"}) for i in range(5)]
    rows = storage.db.execute("SELECT status, last_error FROM mail_queue WHERE kind = 'applicant_ack' "
                              "ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["pending"] * 3 + ["failed"] * 2  # kept as refused, never sent
    assert "3 messages to this recipient in 24 hours" in rows[-1][1]
    assert len(refs) == 5 and storage.get_application(refs[-1]) is not None  # applications all kept
    # Staff notices are not limited by it.
    assert storage.db.execute("SELECT count(*) FROM mail_queue WHERE kind = 'staff_notice' AND status = 'pending'"
                              ).fetchone()[0] == 5
    storage.close()


# ---- finding 4: anonymous disk filling through draft uploads

def _flood(app, n: int, size: int, invalid: bool = True):
    """n POSTs, each from a new session, carrying one PDF of ``size`` bytes and invalid fields."""
    codes = []
    for _ in range(n):
        person = Applicant(app.test_client(), "drug-testing")
        data = {**DRUG, "org_name": ""} if invalid else DRUG
        r = person.fill(data, {"f_spec_sheet": pdf_file("big.pdf", PDF_HEAD + b"0" * (size - len(PDF_HEAD)))})
        codes.append((r.status_code, errors_in(person.page)))
    return codes


PDF_HEAD = b"%PDF-1.4\n"


def _pending_bytes(app) -> int:
    return app.extensions["guide"].storage.pending_upload_bytes([], None)[2]


def _upload_dir_bytes(app) -> int:
    folder = app.config["UPLOAD_DIR"]
    return sum(p.stat().st_size for p in folder.iterdir()) if folder.is_dir() else 0


KB = 1024


def test_4_unsubmitted_uploads_are_capped_per_address(tmp_path):
    app = create_app(config(tmp_path, GUIDE_UPLOAD_ADDRESS_MB=1.5, GUIDE_RATELIMIT_ENABLED=False))
    codes = _flood(app, 6, 600 * KB)
    refused = [dict(errs).get("f_spec_sheet", "") for _, errs in codes]
    assert [bool(r) for r in refused] == [False, False, True, True, True, True]
    assert all(r.startswith("暂时无法接收这个文件") for r in refused[2:])
    assert _pending_bytes(app) == _upload_dir_bytes(app) == 2 * 600 * KB  # refused files left nothing
    app.extensions["guide"].storage.close()


def test_4_unsubmitted_uploads_are_capped_per_session_and_in_total(tmp_path):
    app = create_app(config(tmp_path, GUIDE_UPLOAD_SESSION_MB=1, GUIDE_UPLOAD_TOTAL_MB=1.5,
                            GUIDE_RATELIMIT_ENABLED=False))
    person = Applicant(app.test_client(), "drug-testing")
    person.fill({**DRUG, "org_name": ""}, {"f_spec_sheet": pdf_file("a.pdf", PDF_HEAD + b"0" * (600 * KB))})
    assert "f_spec_sheet" not in dict(errors_in(person.page))
    person.fill({**DRUG, "org_name": ""}, {"f_extra_files": (io.BytesIO(b"a" * (600 * KB)), "b.txt")})
    assert dict(errors_in(person.page))["f_extra_files"].startswith("暂时无法接收这个文件")  # session cap
    # Other sessions from other addresses fill the total.
    results = []
    for i in range(3):
        other = Applicant(app.test_client(), "drug-testing")
        other.client.environ_base["REMOTE_ADDR"] = f"10.0.0.{i + 1}"
        other.fill({**DRUG, "org_name": ""}, {"f_spec_sheet": pdf_file("c.pdf", PDF_HEAD + b"0" * (400 * KB))})
        results.append("f_spec_sheet" in dict(errors_in(other.page)))
    assert results == [False, False, True]  # 600 KB + 2 x 400 KB of 1.5 MB in total, then refused
    app.extensions["guide"].storage.close()


def test_4_no_upload_when_the_disk_is_nearly_full(tmp_path):
    import shutil

    free_mb = shutil.disk_usage(tmp_path).free // (1024 * 1024)
    app = create_app(config(tmp_path, GUIDE_MIN_FREE_MB=free_mb + 100))
    (code, errs), = _flood(app, 1, 1000)
    assert dict(errs)["f_spec_sheet"].startswith("暂时无法接收这个文件") and _upload_dir_bytes(app) == 0
    app.extensions["guide"].storage.close()


def test_4_requests_carrying_files_have_a_stricter_rate_limit(tmp_path):
    app = create_app(config(tmp_path))
    codes = [c for c, _ in _flood(app, 8, 1000)]
    assert codes[:6] == [200] * 6 and codes[6:] == [429, 429]
    # The same address may still send forms without files.
    person = Applicant(app.test_client(), "metering")
    assert person.fill(METERING).status_code == 303
    app.extensions["guide"].storage.close()


def test_4_unsubmitted_uploads_have_a_short_life(tmp_path):
    from forms_backend.jobs import housekeeping

    from .conftest import set_time

    app = create_app(config(tmp_path, GUIDE_UPLOAD_PENDING_HOURS=2))
    storage = app.extensions["guide"].storage
    _flood(app, 2, 1000)
    Applicant(app.test_client(), "metering").fill({**METERING, "org_name": ""})
    Applicant(app.test_client(), "metering").fill(METERING)  # a draft without files: the day-long rule
    with_files = [r[0] for r in storage.db.execute("SELECT DISTINCT draft_token FROM uploads ORDER BY id")]
    set_time(storage, "UPDATE drafts SET updated_at = ?", (iso_hours_ago(3),))
    set_time(storage, "UPDATE drafts SET updated_at = ? WHERE token = ?", (iso_hours_ago(1), with_files[0]))
    housekeeping(app)
    assert _pending_bytes(app) == _upload_dir_bytes(app) == 1000  # idle for 1 hour: kept
    set_time(storage, "UPDATE drafts SET updated_at = ?", (iso_hours_ago(3),))
    housekeeping(app)
    assert _pending_bytes(app) == _upload_dir_bytes(app) == 0
    assert storage.db.execute("SELECT count(*) FROM drafts").fetchone()[0] == 2  # the two without files
    storage.close()


def iso_hours_ago(hours: float) -> str:
    import datetime as dt

    from forms_backend.storage import iso, utcnow
    return iso(utcnow() - dt.timedelta(hours=hours))


# ---- finding 6: guessing the current password on the password page

def test_6_wrong_current_passwords_end_the_session_and_are_limited_per_account(app, staff, storage):
    from .conftest import Staff

    staff.get("/staff/password")
    new = "Lianyungang-metrology-76"
    for _ in range(2):
        r = staff.post("/staff/password", {"current": "guess-guess-1", "new": new, "confirm": new})
        assert r.status_code == 200 and "当前密码不正确" in r.get_data(as_text=True)
    r = staff.post("/staff/password", {"current": "guess-guess-3", "new": new, "confirm": new})
    assert r.status_code == 303 and r.headers["Location"].startswith("/staff/login")
    assert staff.get("/staff/").status_code == 303  # the session is over on the server
    # Per account, across sessions: after 5 wrong guesses an hour, even a new login cannot try.
    codes = []
    for _ in range(2):
        person = Staff(app.test_client())
        assert person.login().status_code == 303
        person.get("/staff/password")
        for _ in range(2):
            codes.append(person.post("/staff/password", {"current": "guess-again-1", "new": new,
                                                         "confirm": new}).status_code)
    assert codes == [200, 200, 429, 429]
    # The right password is not changed by any of this.
    assert Staff(app.test_client()).login().status_code == 303


# ---- finding 9: JSON bodies with non-string values; dates out of range

@pytest.mark.parametrize("path", ["/apply/metering", "/track", "/feedback/page", "/feedback/suggest",
                                  "/staff/login"])
@pytest.mark.parametrize("body", [{"org_name": 123}, {"page": ["/a"], "helpful": "yes"}, {"name": None},
                                  ["a", "b"], {"comment": {"x": 1}}, "text"])
def test_9_json_with_other_values_than_strings_is_a_400(app, client, caplog, path, body):
    import json

    token = client.get("/feedback/csrf").get_json()["token"]
    caplog.set_level(logging.ERROR)
    r = client.post(path, data=json.dumps(body), content_type="application/json", headers={"X-CSRFToken": token})
    assert r.status_code == 400
    assert "Traceback" not in caplog.text and "Exception" not in caplog.text


@pytest.mark.parametrize("path", ["/staff/", "/staff/stats", "/staff/exports/applications.csv",
                                  "/staff/exports/ratings.xlsx"])
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31"])
def test_9_dates_out_of_range_are_an_error_of_the_filter_not_a_500(staff, path, day):
    for query in ({"date_from": day}, {"date_to": day}):
        r = staff.get(path, query_string=query)
        body = r.get_data()  # streamed exports: read to the end, then closed
        r.close()
        assert r.status_code in (200, 400), (path, query, r.status_code)
        if r.mimetype == "text/html":
            assert "的年份应在 1900 至 2199 之间" in body.decode()


def test_9_an_application_date_out_of_range_is_an_error_of_its_field(client):
    person = Applicant(client, "drug-testing")
    person.fill({**DRUG, "f_delivery_date": "9999-12-31"}, {"f_spec_sheet": pdf_file()})
    assert dict(errors_in(person.page))["f_delivery_date"].endswith("的年份应在 1900 至 2199 之间")


# ---- finding 10: bearer tokens and search terms in access logs

def test_10_request_logs_carry_no_link_tokens_and_no_query_strings(tmp_path, caplog):
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    app = create_app(config(tmp_path, TESTING=False))
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    caplog.set_level(logging.INFO, logger="werkzeug")
    base = f"http://127.0.0.1:{srv.server_port}"
    secret_token = "eyJzZWNyZXQi.aBcDeF.SIGNATURE123"
    for path in (f"/track/link/{secret_token}", "/staff/?q=%E8%BF%9E%E4%BA%91%E6%B8%AF%E5%85%AC%E5%8F%B8",
                 "/track?ref=ZY-2611-7K3Q9", f"/feedback/followup/{secret_token}"):
        try:
            urllib.request.urlopen(base + path).read()
        except Exception:  # 404s and redirects are fine: only the log matters
            pass
    srv.shutdown()
    thread.join()
    app.extensions["guide"].storage.close()
    logged = caplog.text
    assert "/track/link/[redacted]" in logged and "/staff/?[redacted]" in logged
    assert secret_token not in logged and "%E8%BF%9E" not in logged and "7K3Q9" not in logged


def test_10_gunicorn_access_log_is_redacted():
    import datetime as dt
    from types import SimpleNamespace

    from gunicorn.config import Config

    from forms_backend.logredact import GunicornLogger

    cfg = Config()
    cfg.set("accesslog", "-")
    logger = GunicornLogger(cfg)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/track/link/SECRET.TOKEN?x=1", "PATH_INFO": "/track/link/SECRET.TOKEN",
               "QUERY_STRING": "x=1", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
               "HTTP_REFERER": "https://guide.example.org/staff/?q=秘密"}
    atoms = logger.atoms(SimpleNamespace(status="200 OK", sent=10, headers=[]), SimpleNamespace(headers=[]),
                         environ, dt.timedelta(seconds=0))
    line = logger.cfg.access_log_format % atoms
    assert "SECRET" not in line and "秘密" not in line and "/track/link/[redacted]" in line


def test_10_emailed_links_live_30_days_by_default(app):
    assert app.config["GUIDE_TRACK_LINK_DAYS"] == 30


# ---- finding 11: retention

def test_11_mail_outbox_ratings_and_page_feedback_are_purged_after_their_keeping_time(tmp_path):
    from click.testing import CliRunner

    from forms_backend.jobs import housekeeping
    from forms_backend.mail.delivery import deliver_due
    from site_builder.cli import main

    from .conftest import make_application, set_time

    app = create_app(config(tmp_path, GUIDE_MAIL_KEEP_DAYS=30, GUIDE_FEEDBACK_KEEP_DAYS=365))
    storage = app.extensions["guide"].storage
    Applicant(app.test_client(), "metering").apply(METERING)
    assert deliver_due(storage, app.config)[0] == 2
    outbox = app.config["OUTBOX_DIR"]
    (outbox / "2000-01-01.mbox").write_bytes(b"From x\n\nold mail\n")
    storage.add_page_vote("/services/metering/", False, "旧意见")
    storage.add_page_vote("/services/metering/", True)
    ref = make_application(storage, 1)
    set_time(storage, "UPDATE applications SET status = 'completed' WHERE ref = ?", (ref,))
    storage.save_rating(ref, score=5, answers={}, comment="第一次", open_issue=None, summary="")
    storage.save_rating(ref, score=4, answers={}, comment="第二次", open_issue=None, summary="")
    old = "2000-01-01T00:00:00.000+00:00"
    set_time(storage, "UPDATE mail_queue SET created_at = ? WHERE kind = 'applicant_ack'", (old,))
    set_time(storage, "UPDATE page_feedback SET updated_at = ?, created_at = ? WHERE comment = '旧意见'", (old, old))
    set_time(storage, "UPDATE ratings SET created_at = ?", (old,))
    housekeeping(app)
    kinds = [r[0] for r in storage.db.execute("SELECT kind FROM mail_queue")]
    assert kinds == ["staff_notice"]  # the old acknowledgement (its body: personal data) is gone
    assert not (outbox / "2000-01-01.mbox").exists() and list(outbox.glob("*.mbox"))
    assert [r[0] for r in storage.db.execute("SELECT comment FROM page_feedback")] == [None]
    ratings = storage.db.execute("SELECT comment, current FROM ratings").fetchall()
    assert ratings == [("第二次", 1)]  # the current rating is part of the case record: kept
    assert storage.get_application(ref) is not None
    # The same on demand, from the command line.
    set_time(storage, "UPDATE mail_queue SET created_at = ?", (old,))
    r = CliRunner().invoke(main, ["db", "purge", "--db", str(app.config["GUIDE_DB"])])
    assert r.exit_code == 0 and "deleted: 1 mail" in r.output
    assert storage.db.execute("SELECT count(*) FROM mail_queue").fetchone()[0] == 0
    storage.close()


# ---- finding 12: login throttling per account, not only per address

def test_12_a_shared_address_does_not_lock_out_the_right_password(app, accounts):
    from .conftest import Staff

    # Colleagues behind one NAT: someone mistypes a lot, the others still log in.
    typo = Staff(app.test_client())
    assert [typo.login("li", "wrong-wrong-1").status_code for _ in range(6)][-1] == 429  # li: 5 a minute
    assert Staff(app.test_client()).login("boss").status_code == 303
    for _ in range(10):  # successful logins are not counted at all
        assert Staff(app.test_client()).login("boss").status_code == 303


def test_12_readme_says_the_app_port_must_not_be_reachable_directly():
    readme = (FIXTURE.parents[2] / "README.md").read_text(encoding="utf-8")
    assert "must not be reachable" in readme and "GUIDE_TRUSTED_PROXIES" in readme


def test_ids_too_big_for_sqlite_match_no_page(app, admin, caplog):
    """Every route with an ``<int:...>`` part, taken from the app's own URL map, answers a number
    SQLite cannot hold with "no such page" (it was an OverflowError, a 500, on records, issues,
    products)."""
    from werkzeug.routing import IntegerConverter

    huge = "9" * 20  # > 2**63 - 1
    caplog.set_level(logging.ERROR)
    rules = [r for r in app.url_map.iter_rules()
             if any(isinstance(c, IntegerConverter) for c in r._converters.values())]
    assert len(rules) >= 15
    for rule in rules:
        path = rule.rule
        for name, conv in rule._converters.items():
            value = huge if isinstance(conv, IntegerConverter) else "91350100M000100Y43"
            path = re.sub(r"<[^>]*\b%s>" % name, value, path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            r = admin.client.open(path, method=method, data={"csrf_token": "x"})
            assert r.status_code in (404, 405), (method, path, r.status_code)
        assert admin.get(path.replace(huge, "12")).status_code != 500
    assert "Traceback" not in caplog.text
