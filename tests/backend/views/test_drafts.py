"""Drafts that survive: every POST is saved (valid or not), the session outlives the browser,
保存草稿 gives a resume link (also by email) and a draft code to use with the phone number."""
from __future__ import annotations

import datetime as dt
import re

from forms_backend.jobs import housekeeping

from ..conftest import METERING, Applicant, csrf_token, errors_in, set_time

TYPED = {**METERING, "uscc": "91350100M000100Y44", "f_instruments": "电子天平 2 台\n压力表 5 块"}  # a wrong check char


def test_typed_answers_survive_an_error_and_navigation(app, client, storage):
    applicant = Applicant(client, "metering")
    r = applicant.fill(TYPED)
    assert r.status_code == 200 and errors_in(applicant.page)[0][0] == "uscc"
    # Away to the guide and back: every field as typed, the wrong code too (to correct it).
    page = client.get("/apply/metering").get_data(as_text=True)
    assert 'value="连云港测试医药有限公司"' in page and 'value="91350100M000100Y44"' in page
    assert "电子天平 2 台\n压力表 5 块" in page
    assert errors_in(page) == []  # no errors shown before the next attempt


def test_the_session_cookie_outlives_the_browser(client):
    applicant = Applicant(client, "metering")
    r = applicant.fill({"org_name": "连云港测试医药有限公司"})
    cookie = r.headers.get("Set-Cookie", "")
    assert "guide_session=" in cookie and "Expires=" in cookie
    expires = re.search(r"Expires=([^;]+)", cookie).group(1)
    when = dt.datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT")
    assert when - dt.datetime.utcnow() > dt.timedelta(days=29)


def test_the_session_cookie_is_re_sent_when_it_changes_or_is_an_hour_old(app, client, monkeypatch):
    import itsdangerous

    applicant = Applicant(client, "metering")
    applicant.fill({"org_name": "连云港测试医药有限公司"})
    # Signed just now and unchanged: not sent again (its expiry is a moment old).
    assert "Set-Cookie" not in client.get("/apply/metering").headers
    # Changed: sent, whatever its age.
    assert "guide_session=" in applicant.fill({"org_name": "连云港另一家医药有限公司"}).headers.get("Set-Cookie", "")
    # The same session signed more than an hour ago: sent again with the expiry moved on.
    serializer = app.session_interface.get_signing_serializer(app)
    data = serializer.loads(client.get_cookie("guide_session").value)
    now = itsdangerous.TimestampSigner.get_timestamp
    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: now(self) - 3601)
    client.set_cookie("guide_session", serializer.dumps(data))
    monkeypatch.undo()
    r = client.get("/apply/metering")
    cookie = r.headers.get("Set-Cookie", "")
    assert "guide_session=" in cookie and "Expires=" in cookie
    when = dt.datetime.strptime(re.search(r"Expires=([^;]+)", cookie).group(1), "%a, %d %b %Y %H:%M:%S GMT")
    assert when - dt.datetime.utcnow() > dt.timedelta(days=29, hours=23)
    assert 'value="连云港另一家医药有限公司"' in r.get_data(as_text=True)  # the draft came with it
    assert "Set-Cookie" not in client.get("/apply/metering").headers


def save_draft(client, data) -> str:
    applicant = Applicant(client, "metering")
    applicant.open_form()
    r = client.post("/apply/metering", data={"csrf_token": csrf_token(applicant.page), "action": "save", **data})
    assert r.status_code == 303 and r.headers["Location"].endswith("/apply/metering/saved")
    return client.get("/apply/metering/saved").get_data(as_text=True)


def test_save_for_later_then_resume_with_the_link_or_the_code(app, client, storage):
    page = save_draft(client, {"org_name": "连云港测试医药有限公司", "phone": "138 1234 5678",
                               "f_instruments": "电子天平 2 台"})
    assert "草稿已保存" in page and "尚未提交" in page
    code = re.search(r'id="draft-code">([^<]+)<', page).group(1)
    link = re.search(r'id="resume-link">([^<]+)<', page).group(1)
    assert re.fullmatch(r"CG-\d{4}-[2-9A-HJKMNP-Z]{5}", code)

    # Another browser, with the link: the draft opens there.
    other = app.test_client()
    r = other.get(link.replace("http://localhost", ""))
    assert r.status_code == 303 and r.headers["Location"].endswith("/apply/metering")
    assert "电子天平 2 台" in other.get("/apply/metering").get_data(as_text=True)

    # A third, with the code and the phone number (typed another way).
    third = app.test_client()
    form = third.get("/apply/resume").get_data(as_text=True)
    wrong = third.post("/apply/resume", data={"csrf_token": csrf_token(form), "code": code, "phone": "13900000000"})
    missing = third.post("/apply/resume", data={"csrf_token": csrf_token(form), "code": "CG-2611-22222",
                                                "phone": "13812345678"})
    for r in (wrong, missing):  # the same answer either way
        assert r.status_code == 400 and "没有找到与该草稿编号和联系电话相符的草稿" in r.get_data(as_text=True)
    r = third.post("/apply/resume", data={"csrf_token": csrf_token(form), "code": code.lower(),
                                          "phone": "+86 13812345678"})
    assert r.status_code == 303
    assert 'value="连云港测试医药有限公司"' in third.get("/apply/metering").get_data(as_text=True)


def test_the_link_can_be_sent_by_email(app, client, storage):
    page = save_draft(client, {"email": "zhang@example.com", "f_instruments": "电子天平"})
    assert 'value="zhang@example.com"' in page  # offered from the draft
    r = client.post("/apply/metering/saved", data={"csrf_token": csrf_token(page), "email": "not an address"})
    assert r.status_code == 400 and "请输入正确的电子邮箱地址" in r.get_data(as_text=True)
    r = client.post("/apply/metering/saved", data={"csrf_token": csrf_token(page), "email": "li@example.com"})
    assert r.status_code == 303
    [row] = [m for m in storage.mail_rows() if m["kind"] == "draft_link"]
    assert row["to_addr"] == "li@example.com" and "/apply/resume/" in row["body"]


def test_a_broken_link_says_so(client):
    r = client.get("/apply/resume/not-a-token")
    assert r.status_code == 404 and "该链接已失效" in r.get_data(as_text=True)


def test_drafts_are_kept_for_the_stated_days(app, client, storage):
    Applicant(client, "metering").fill({"org_name": "连云港测试医药有限公司"})
    set_time(storage, "UPDATE drafts SET updated_at = ?",
             ((dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=20)).isoformat(),))
    housekeeping(app)
    assert storage.counts()["drafts"] == 1  # 20 days: still there
    set_time(storage, "UPDATE drafts SET updated_at = ?",
             ((dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=31)).isoformat(),))
    housekeeping(app)
    assert storage.counts()["drafts"] == 0
