"""auth.py and `guide user`: argon2 accounts, login, session renewal, idle timeout, logout, admins."""
from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from click.testing import CliRunner

from forms_backend import create_app
from forms_backend.auth import safe_next, token_hash
from site_builder.cli import main

from ..conftest import METERING, STAFF_PASSWORD, Applicant, Staff, config, page_token, set_time


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    r = client.get("/staff/followup")
    assert r.status_code == 303 and r.headers["Location"] == "/staff/login?next=/staff/followup"
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "工作人员登录" in page and 'name="next" value="/staff/followup"' in page


def test_login_with_the_right_password_goes_where_it_was_asked(app, accounts):
    person = Staff(app.test_client())
    r = person.login(next="/staff/followup")
    assert r.status_code == 303 and r.headers["Location"] == "/staff/followup"
    assert person.get("/staff/followup").status_code == 200
    assert "li（工作人员）" in person.page and "退出登录" in person.page


@pytest.mark.parametrize("target, kept", [
    ("/staff/issues", "/staff/issues"), ("https://evil.example/", None), ("//evil.example/staff", None),
    ("/apply/metering", None), ("/staff/\\evil", None), ("/staff//evil.example", None),
])
def test_only_console_paths_are_followed_after_login(target, kept):
    assert safe_next(target) == kept


def test_wrong_password_is_refused_and_logged_without_secrets(app, accounts, caplog):
    caplog.set_level(logging.INFO, logger="forms_backend")
    person = Staff(app.test_client())
    r = person.login(password="wrong-password-123")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "账户名或密码不正确" in page and 'value="wrong-password' not in page
    # the error box speaks of logging in, not of "submitting" (QA: it read 提交前请修改以下问题)
    assert "未能登录" in page and "提交前请修改以下问题" not in page
    assert person.get("/staff/").status_code == 303
    r = person.login(name="my-secret-typed-as-name")
    assert "账户名或密码不正确" in r.get_data(as_text=True)
    logged = caplog.text
    assert "staff login failed: li" in logged
    assert "staff login failed: unknown#" in logged and "my-secret-typed-as-name" not in logged
    assert "wrong-password-123" not in logged and STAFF_PASSWORD not in logged


def test_login_starts_a_new_session(app, accounts):
    client = app.test_client()
    Applicant(client, "metering").fill(METERING)  # the applicant's draft lives in the session
    with client.session_transaction() as s:
        assert s.get("drafts") and "csrf_token" in s
        old_csrf = s["csrf_token"]
    Staff(client).login()
    with client.session_transaction() as s:
        assert "drafts" not in s and s.get("csrf_token") != old_csrf
        assert set(s) <= {"staff", "csrf_token", "_flashes"}


def test_logout_ends_the_session_on_the_server(app, staff, storage):
    with staff.client.session_transaction() as s:
        stolen = dict(s)  # a copy of the cookie's content
    r = staff.post("/staff/logout", {})
    assert r.status_code == 303 and r.headers["Location"] == "/staff/login"
    assert storage.db.execute("SELECT count(*) FROM staff_sessions").fetchone()[0] == 0
    replay = app.test_client()
    with replay.session_transaction() as s:
        s.update(stolen)
    assert replay.get("/staff/").status_code == 303


def test_idle_session_ends_after_the_configured_minutes(tmp_path, password_hash):
    app = create_app(config(tmp_path, GUIDE_STAFF_IDLE_MINUTES=5))
    storage = app.extensions["guide"].storage
    storage.create_user("li", "staff", password_hash)
    person = Staff(app.test_client())
    person.login()
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=4)).isoformat()
    set_time(storage, "UPDATE staff_sessions SET last_seen_at = ?", (old,))
    assert person.get("/staff/").status_code == 200  # 4 minutes idle: still in, and the clock restarts
    seen = storage.db.execute("SELECT last_seen_at FROM staff_sessions").fetchone()[0]
    assert seen > old
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=6)).isoformat()
    set_time(storage, "UPDATE staff_sessions SET last_seen_at = ?", (old,))
    r = person.get("/staff/")
    assert r.status_code == 303
    page = person.get(r.headers["Location"]).get_data(as_text=True)
    assert "超过 5 分钟没有操作，已自动退出" in page
    assert storage.db.execute("SELECT count(*) FROM staff_sessions").fetchone()[0] == 0
    storage.close()


def test_disabling_an_account_ends_its_sessions(app, staff, admin, storage):
    r = admin.post("/staff/users/li", {"u-action": "disable"})
    assert r.status_code == 303
    assert staff.get("/staff/").status_code == 303
    assert Staff(app.test_client()).login().status_code == 200  # refused: the form again


def test_staff_can_change_their_own_password(app, staff, storage):
    staff.get("/staff/password")
    new = "a-new-password-1"
    r = staff.post("/staff/password", {"current": "nope-nope-nope", "new": new, "confirm": new})
    assert "当前密码不正确" in r.get_data(as_text=True)
    r = staff.post("/staff/password", {"current": STAFF_PASSWORD, "new": "short", "confirm": "short"})
    assert "密码至少需要 10 个字符" in r.get_data(as_text=True)
    r = staff.post("/staff/password", {"current": STAFF_PASSWORD, "new": new, "confirm": "another-one-22"})
    assert "两次输入的新密码不一致" in r.get_data(as_text=True)
    r = staff.post("/staff/password", {"current": STAFF_PASSWORD, "new": new, "confirm": new})
    assert r.status_code == 303
    assert staff.get("/staff/").status_code == 303  # logged out everywhere
    fresh = Staff(app.test_client())
    assert fresh.login(password=STAFF_PASSWORD).status_code == 200
    assert fresh.login(password="a-new-password-1").status_code == 303
    assert storage.get_user("li").password_hash.startswith("$argon2id$")


def test_only_admins_manage_accounts_and_refusals_are_logged(staff, admin, storage, caplog):
    caplog.set_level(logging.WARNING, logger="forms_backend")
    assert staff.get("/staff/users").status_code == 403
    assert staff.post("/staff/users/boss", {"u-action": "disable"}).status_code == 403
    assert "staff page refused (admin only): GET staff.users by li" in caplog.text
    r = admin.get("/staff/users")
    assert r.status_code == 200 and "新建账户" in admin.page
    r = admin.post("/staff/users", {"name": "Wang.Fang", "role": "staff", "password": "initial-pass-1",
                                    "confirm": "initial-pass-1"})
    assert r.status_code == 303 and storage.get_user("wang.fang").role == "staff"
    r = admin.post("/staff/users", {"name": "wang.fang", "role": "staff", "password": "initial-pass-1",
                                    "confirm": "initial-pass-1"})
    assert r.status_code == 400 and "已存在" in r.get_data(as_text=True)
    admin.post("/staff/users/boss", {"u-action": "role_staff"})
    assert storage.get_user("boss").role == "admin"  # the last admin stays one
    assert "至少要保留一个在用的管理员账户" in admin.get("/staff/users").get_data(as_text=True)


def test_login_is_rate_limited(tmp_path, password_hash):
    app = create_app(config(tmp_path))
    app.extensions["guide"].storage.create_user("li", "staff", password_hash)
    person = Staff(app.test_client())
    codes = [person.login(password=f"wrong-{n}-password").status_code for n in range(6)]
    assert codes[:5] == [200] * 5 and codes[5] == 429
    app.extensions["guide"].storage.close()


def test_a_stale_session_token_is_refused(app, staff, storage):
    with staff.client.session_transaction() as s:
        token = s["staff"]
    set_time(storage, "DELETE FROM staff_sessions WHERE token_hash = ?", (token_hash(token),))
    assert staff.get("/staff/").status_code == 303


# ---------------------------------------------------------------- guide user (CLI)

def run(*args, password: str | None = None, input: str | None = None):
    env = {"GUIDE_PASSWORD": password} if password else {"GUIDE_PASSWORD": ""}
    return CliRunner().invoke(main, ["user", *args], env=env, input=input)


def test_user_commands_add_list_disable_and_change_passwords(tmp_path):
    db = str(tmp_path / "guide.db")
    r = run("add", "Li", "--role", "admin", "--db", db, password="correct-horse-1")
    assert r.exit_code == 0, r.output
    assert "created admin account li" in r.output
    r = run("add", "zhang", "--db", db, input="another-pass-1\nanother-pass-1\n")
    assert r.exit_code == 0, r.output
    r = run("list", "--db", db)
    assert "li\tadmin\tactive\tnever" in r.output and "zhang\tstaff\tactive" in r.output
    assert run("add", "zhang", "--db", db, password="another-pass-1").exit_code == 1
    r = run("add", "wang", "--db", db, password="short")
    assert r.exit_code == 1 and "at least 10 characters" in r.output
    r = run("add", "wang", "--db", db, input="one-password-1\nother-password-2\none-password-1\none-password-1\n")
    assert r.exit_code == 0  # a mismatch is asked again
    r = run("add", "bad name!", "--db", db, password="correct-horse-1")
    assert r.exit_code == 2
    r = run("disable", "li", "--db", db)
    assert r.exit_code == 1 and "last active admin" in r.output
    assert run("disable", "zhang", "--db", db).exit_code == 0
    assert "zhang\tstaff\tdisabled" in run("list", "--db", db).output
    assert run("passwd", "nobody", "--db", db, password="correct-horse-2").exit_code == 1
    assert run("passwd", "zhang", "--db", db, password="correct-horse-2").exit_code == 0

    app = create_app(config(tmp_path, GUIDE_DB=tmp_path / "guide.db"))
    person = Staff(app.test_client())
    assert person.login("li", "correct-horse-1").status_code == 303
    assert Staff(app.test_client()).login("zhang", "correct-horse-2").status_code == 200  # disabled
    hashed = app.extensions["guide"].storage.get_user("li").password_hash
    assert hashed.startswith("$argon2id$") and "correct-horse-1" not in hashed
    app.extensions["guide"].storage.close()


def test_user_group_is_listed_in_guide_help():
    r = CliRunner().invoke(main, ["user", "--help"])
    for command in ("add", "list", "disable", "enable", "passwd"):
        assert command in r.output


def test_a_form_sent_after_the_session_ended_says_it_was_not_saved_and_leads_back(tmp_path, password_hash):
    """A note typed for longer than the idle time was lost without a word, and logging in again
    led to the queue; now the login page says the content was not saved and leads back to the
    case it was typed on."""
    from ..conftest import make_application

    app = create_app(config(tmp_path, GUIDE_STAFF_IDLE_MINUTES=5))
    storage = app.extensions["guide"].storage
    storage.create_user("li", "staff", password_hash)
    ref = make_application(storage)
    person = Staff(app.test_client())
    person.login()
    person.get(f"/staff/applications/{ref}")
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=6)).isoformat()
    set_time(storage, "UPDATE staff_sessions SET last_seen_at = ?", (old,))
    case_url = f"http://localhost/staff/applications/{ref}"
    r = person.client.post(f"/staff/applications/{ref}/notes", headers={"Referer": case_url},
                           data={"csrf_token": page_token(person.page), "note": "电话联系企业，约定周五送样"})
    assert r.status_code == 303
    page = person.get(r.headers["Location"]).get_data(as_text=True)
    assert "超过 5 分钟没有操作，已自动退出" in page and "刚才提交的内容没有保存" in page
    assert [e.note for e in storage.get_case(ref).events if e.kind == "note"] == []  # get_case: with its history
    r = person.login(next=re.search(r'<input type="hidden" name="next" value="([^"]*)"', page).group(1))
    assert r.headers["Location"] == f"/staff/applications/{ref}"
    # A Referer from another host is never followed.
    person.get(f"/staff/applications/{ref}")
    set_time(storage, "UPDATE staff_sessions SET last_seen_at = ?", (old,))
    r = person.client.post(f"/staff/applications/{ref}/notes", headers={"Referer": "https://evil.example/staff/x"},
                           data={"csrf_token": page_token(person.page), "note": "x"})
    assert "next=" not in r.headers["Location"]
    storage.close()
