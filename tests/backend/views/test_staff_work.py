"""Staff work that nobody has to remember (issue 16): alerts, navigation counts, handlers, result
documents, linked items with one outcome, reopening, refused recipients, the daily digest."""
from __future__ import annotations

import datetime as dt
import io
import re
import socket
from urllib.parse import unquote

import pytest

from forms_backend import create_app
from forms_backend.auth import hash_password
from forms_backend.jobs import run_digest
from forms_backend.mail.compose import compose_digest
from forms_backend.mail.delivery import deliver_due
from forms_backend.settings import SettingsError
from forms_backend.storage import Storage
from forms_backend.storage.sqlite import sqlite3
from forms_backend.workdays import local_today

from ..conftest import (METERING, PDF, Applicant, Staff, config, csrf_token, make_application, page_token, set_time,
                       track)


def queued(storage, kind: str | None = None) -> list[dict]:
    return [m for m in storage.mail_rows() if kind is None or m["kind"] == kind]


def completed(storage, **record) -> str:
    ref = make_application(storage, **record)
    storage.set_status(ref, "accepted", actor="staff:li")
    storage.set_status(ref, "completed", actor="staff:li")
    return ref


def suggest(client, **fields):
    page = client.get("/feedback/suggest").get_data(as_text=True)
    return client.post("/feedback/suggest", data={"csrf_token": csrf_token(page), **fields})


def rate(client, ref: str, score: int, phone: str = "13812345678", **extra):
    track(client, ref, phone)
    page = client.get(f"/feedback/rate/{ref}").get_data(as_text=True)
    return client.post(f"/feedback/rate/{ref}", data={"csrf_token": csrf_token(page), "score": str(score), **extra})


# ---------------------------------------------------------------- 1. alerts

def test_a_complaint_alerts_the_duty_address_in_the_same_transaction(client, storage):
    before = len(queued(storage))
    r = suggest(client, kind="complaint", service="metering", body="窗口人员推诿", phone="13900001111")
    assert r.status_code == 303
    alert = queued(storage, "staff_alert")
    assert len(alert) == 1 and len(queued(storage)) == before + 1
    assert alert[0]["to_addr"] == "staff@guide.test" and alert[0]["status"] == "pending"
    assert "【投诉】" in alert[0]["subject"] and "首次联系期限" in alert[0]["subject"]
    issue = storage.list_issues()[0][0]
    assert f"/staff/issues/{issue.id}" in alert[0]["body"] and "窗口人员推诿" in alert[0]["body"]
    # a suggestion (意见建议) opens an item but alerts nobody at once; the digest lists it
    suggest(client, kind="suggestion", body="希望延长窗口时间")
    assert len(queued(storage, "staff_alert")) == 1


def test_the_alert_and_the_item_are_one_transaction(storage):
    def broken(*args):
        raise RuntimeError("composing the alert failed")
    record = {"kind": "complaint", "body": "x", "phone": "13900001111"}
    with pytest.raises(RuntimeError):
        storage.add_suggestion(record, ref_prefix="YJ", yymm="2611", code_hash="h",
                               issue={"rectify_due": "2026-12-31"}, alert=broken)
    assert storage.list_issues(status=None)[1] == 0 and queued(storage) == []
    assert storage.db.execute("SELECT count(*) FROM suggestions").fetchone()[0] == 0


def test_a_bad_rating_alerts_the_handler_of_the_case_and_makes_them_owner(client, storage, accounts):
    ref = completed(storage)
    storage.set_user_email("li", "li@bureau.example")
    storage.assign(ref, "li", actor="staff:boss")
    assert rate(client, ref, 2, comment="太慢").status_code == 303
    alert = queued(storage, "staff_alert")
    assert [a["to_addr"] for a in alert] == ["li@bureau.example"]
    assert "【差评】" in alert[0]["subject"] and "负责人：li" in alert[0]["body"]
    assert storage.list_issues()[0][0].owner == "li"
    # a good rating alerts nobody
    other = completed(storage, n=1)
    rate(client, other, 5)
    assert len(queued(storage, "staff_alert")) == 1


def test_alerts_also_go_by_sms_when_configured(tmp_path):
    app = create_app(config(tmp_path, GUIDE_SMS_URL="http://127.0.0.1:9/sms", GUIDE_DUTY_PHONE="13700000000"))
    storage = app.extensions["guide"].storage
    suggest(app.test_client(), kind="complaint", body="态度差", email="a@example.com")
    sms = [m for m in storage.mail_rows() if m["channel"] == "sms"]
    assert [(m["kind"], m["to_addr"]) for m in sms] == [("staff_alert_sms", "13700000000")]
    assert len(sms[0]["body"]) <= 70 and "投诉" in sms[0]["body"]
    storage.close()


# ---------------------------------------------------------------- counts in the navigation

def nav(page: str) -> str:
    return re.search(r'<nav class="staff-nav".*?</nav>', page, re.S).group(0)


def test_the_navigation_counts_new_mine_open_due_and_overdue(staff, storage, client):
    today = local_today("Asia/Shanghai").isoformat()  # the guide's day, not the machine's
    refs = [make_application(storage, n) for n in range(4)]
    storage.set_status(refs[0], "accepted", actor="staff:li", due_on="2020-01-02")        # overdue
    storage.set_status(refs[1], "accepted", actor="staff:li", due_on=today)               # due today
    storage.assign(refs[1], "li", actor="staff:li")
    suggest(client, kind="complaint", body="一", phone="13900001111")
    suggest(client, kind="complaint", body="二", phone="13900001112")
    set_time(storage, "UPDATE issues SET first_contact_due = ?, rectify_due = ? WHERE id = 1", ("2020-01-02", "2020-01-20"))
    set_time(storage, "UPDATE issues SET first_contact_due = ? WHERE id = 2", (today,))
    links = nav(staff.get("/staff/").get_data(as_text=True))
    assert "申请队列 <span class=\"nav-count nav-count--late\">2 件待受理，1 件超期，1 件今日到期</span>" in links
    assert "我的办件 <span class=\"nav-count\">1 件在办</span>" in links
    assert "差评与投诉 <span class=\"nav-count nav-count--late\">2 件处理中，1 件逾期，1 件今日到期</span>" in links
    storage.close_issue(1, actor="staff:li", outcome="已处理", told_via="phone")
    links = nav(staff.get("/staff/issues").get_data(as_text=True))
    assert "1 件处理中，1 件今日到期" in links and "逾期" not in links


# ---------------------------------------------------------------- 2. invalid recipients

def test_a_placeholder_staff_address_is_never_marked_sent(tmp_path, caplog):
    app = create_app(config(tmp_path, GUIDE_STAFF_EMAIL="【待补充】"))
    storage = app.extensions["guide"].storage
    assert any("not an email address" in p for p in app.extensions["guide"].mail_problems)
    assert "GUIDE_STAFF_EMAIL" in caplog.text
    ref = Applicant(app.test_client(), "metering").apply(METERING)
    notice = queued(storage, "staff_notice")
    assert [(m["to_addr"], m["status"], m["attempts"]) for m in notice] == [("【待补充】", "failed", 0)]
    assert notice[0]["last_error"].startswith("refused:")
    assert deliver_due(storage, app.config) == (1, 0)  # the acknowledgement; the notice is not even tried
    rows = {m["kind"]: m["status"] for m in queued(storage)}
    assert rows == {"applicant_ack": "sent", "staff_notice": "failed"}
    mbox = "".join(p.read_text() for p in (tmp_path / "data" / "outbox").glob("*.mbox"))
    assert "【待补充】" not in mbox and "=?utf-8?b?" in mbox
    # the console shows it: a count in the navigation and the list with the reason
    storage.create_user("li", "staff", hash_password("a-long-password"))
    person = Staff(app.test_client())
    person.login("li", "a-long-password")
    page = person.get("/staff/").get_data(as_text=True)
    assert "未发出的邮件 <span class=\"nav-count nav-count--late\">1 封</span>" in page
    page = person.get("/staff/mail").get_data(as_text=True)
    assert ref in page and "收件地址不是有效的邮箱地址，未发送" in page and "GUIDE_STAFF_EMAIL" in page
    storage.close()


def test_a_notice_falls_back_to_a_working_address(tmp_path):
    # the service's provider has no email; the duty address set in the environment wins over site.yml
    app = create_app(config(tmp_path, GUIDE_STAFF_EMAIL="duty@bureau.example"))
    Applicant(app.test_client(), "metering").apply(METERING)
    assert [m["to_addr"] for m in queued(app.extensions["guide"].storage, "staff_notice")] == ["duty@bureau.example"]
    app.extensions["guide"].storage.close()


def test_production_refuses_to_start_without_a_working_staff_address(tmp_path):
    with pytest.raises(SettingsError, match="staff address"):
        create_app(config(tmp_path, GUIDE_ENV="production", GUIDE_BASE_URL="https://guide.example.org", GUIDE_STAFF_EMAIL="【待补充】"))
    app = create_app(config(tmp_path, GUIDE_ENV="production", GUIDE_BASE_URL="https://guide.example.org", GUIDE_STAFF_EMAIL="duty@bureau.example"))
    app.extensions["guide"].storage.close()
    with pytest.raises(SettingsError, match="GUIDE_ENV"):
        create_app(config(tmp_path, GUIDE_ENV="prod"))


def test_guide_serve_warns_about_the_staff_address_at_start_up(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from site_builder.cli import main

    from ..conftest import FIXTURE

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    monkeypatch.setenv("GUIDE_STAFF_EMAIL", "【待补充】")
    monkeypatch.setenv("GUIDE_MAIL_WORKER", "0")
    result = CliRunner().invoke(main, ["serve", "--project", str(FIXTURE), "--no-build", "--port", str(port),
                                       "--db", str(tmp_path / "g.db")])
    busy.close()
    assert "warning: the staff address (GUIDE_STAFF_EMAIL) '【待补充】' is not an email address" in result.output
    assert result.exit_code != 0  # the port was taken: it stopped right after the warnings


# ---------------------------------------------------------------- 3. handlers

def test_assigning_and_reassigning_keeps_history_and_filters_the_queue(staff, storage):
    refs = [make_application(storage, n) for n in range(3)]
    page = staff.get(f"/staff/applications/{refs[0]}").get_data(as_text=True)
    assert "未指定" in page
    assert staff.post(f"/staff/applications/{refs[0]}/assignee", {"a-assignee": "li"}).status_code == 303
    staff.post(f"/staff/applications/{refs[1]}/assignee", {"a-assignee": "boss"})
    assert staff.post(f"/staff/applications/{refs[0]}/assignee", {"a-assignee": "boss"}).status_code == 303
    assert staff.post(f"/staff/applications/{refs[2]}/assignee", {"a-assignee": "nobody"}).status_code == 400
    case = storage.get_case(refs[0])
    assert case.assignee == "boss"
    assert [(e.kind, e.note) for e in case.events if e.kind == "assign"] == [
        ("assign", "承办人：li"), ("assign", "承办人：boss（原承办人：li）")]
    page = staff.get(f"/staff/applications/{refs[0]}").get_data(as_text=True)
    assert '<dd class="summary-list__value" id="case-assignee">boss</dd>' in page
    # applicants never see who handles their case
    assert "承办人" not in track(staff.client, refs[0], "13812345678").get_data(as_text=True)

    def queue(**query):
        html = staff.get("/staff/", query_string=query).get_data(as_text=True)
        return re.findall(r'<th scope="row"><a href="/staff/applications/([^"]+)">', html)
    assert queue(handler="boss") == [refs[1], refs[0]]
    assert queue(handler="-") == [refs[2]]
    storage.assign(refs[2], "li", actor="staff:li")
    r = staff.get("/staff/mine")
    assert r.status_code == 303
    assert queue(**dict(p.split("=") for p in r.headers["Location"].split("?")[1].split("&"))) == [refs[2]]
    storage.set_status(refs[2], "rejected", actor="staff:li", note="不符合")
    assert queue(handler="li", status="open") == []


# ---------------------------------------------------------------- 4. result documents

def test_a_result_attached_at_completion_is_downloaded_by_the_applicant(staff, storage, app):
    ref = make_application(storage)
    storage.set_status(ref, "accepted", actor="staff:li")
    page = staff.get(f"/staff/applications/{ref}").get_data(as_text=True)
    body = {"csrf_token": page_token(page), "t-to_status": "completed", "t-expected": "accepted", "t-public": "y",
            "d-title": "检定证书", "d-file": (io.BytesIO(PDF), "证书<script>.html")}
    r = staff.client.post(f"/staff/applications/{ref}/status", data=body, content_type="multipart/form-data")
    assert r.status_code == 303
    case = storage.get_case(ref)
    docs = storage.results_of(case.id)
    assert case.status == "completed" and [(d.title, d.kind) for d in docs] == [("检定证书", "pdf")]
    assert (app.config["RESULT_DIR"] / docs[0].stored_name).read_bytes() == PDF
    assert any(e.kind == "result" and e.note == "办理结果文件：检定证书" for e in case.events)

    applicant = app.test_client()
    url = f"/track/results/{ref}/{docs[0].token}"
    assert applicant.get(url).status_code == 404            # not before the applicant proved who they are
    page = track(applicant, ref, "13812345678").get_data(as_text=True)
    assert url in page and "下载检定证书" in page
    r = applicant.get(url)
    assert r.status_code == 200 and r.data == PDF
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and ".pdf" in disposition and "html" not in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"{ref}-检定证书.pdf"
    assert r.headers["Content-Type"] == "application/octet-stream" and "sandbox" in r.headers["Content-Security-Policy"]
    assert applicant.get(f"/track/results/{ref}/nope").status_code == 404
    # staff download the same file from the case; the archive keeps it (housekeeping never touches it)
    assert staff.get(f"/staff/applications/{ref}/results/{docs[0].token}").data == PDF
    from forms_backend.jobs import housekeeping
    housekeeping(app)
    assert (app.config["RESULT_DIR"] / docs[0].stored_name).exists()
    page = staff.get(f"/staff/archive/enterprise/{case.uscc}").get_data(as_text=True)
    assert f'href="/staff/applications/{ref}#results">1 份</a>' in page


def test_a_result_that_is_not_an_accepted_kind_is_refused(staff, storage, app):
    ref = completed(storage)
    page = staff.get(f"/staff/applications/{ref}").get_data(as_text=True)
    r = staff.client.post(f"/staff/applications/{ref}/results", content_type="multipart/form-data", data={
        "csrf_token": page_token(page), "d-title": "检验报告", "d-file": (io.BytesIO(b"MZ\x90\x00binary"), "r.pdf")})
    assert r.status_code == 400 and "文件格式不符合要求" in r.get_data(as_text=True)
    r = staff.client.post(f"/staff/applications/{ref}/results", content_type="multipart/form-data", data={
        "csrf_token": page_token(page), "d-title": "检验报告"})
    assert r.status_code == 400 and "请选择要上传的结果文件" in r.get_data(as_text=True)
    assert storage.results_of(storage.get_case(ref).id) == []
    assert not app.config["RESULT_DIR"].exists() or list(app.config["RESULT_DIR"].iterdir()) == []
    r = staff.client.post(f"/staff/applications/{ref}/results", content_type="multipart/form-data", data={
        "csrf_token": page_token(page), "d-title": "告知书", "d-file": (io.BytesIO(PDF), "a.pdf")})
    assert r.status_code == 303 and len(storage.results_of(storage.get_case(ref).id)) == 1


# ---------------------------------------------------------------- 5. linked items, one outcome, 回访满意度

def test_a_rating_and_a_complaint_about_one_case_are_linked_and_told_once(staff, storage, client, app):
    ref = completed(storage)
    rate(client, ref, 1, comment="拖了很久")
    suggest(client, kind="complaint", related_ref=ref, body="同一件事，再投诉一次", email="zhang@example.com",
            phone="13812345678")
    (first, second), total = storage.list_issues()
    assert total == 2 and first.group_id == second.group_id == min(first.id, second.id)
    page = staff.get(f"/staff/issues/{second.id}").get_data(as_text=True)
    assert f'href="/staff/issues/{first.id}"' in page and "关联的事项一并办结" in page
    assert f'<a href="/staff/applications/{ref}">{ref}</a>' in page  # the complaint links its case
    r = staff.post(f"/staff/issues/{second.id}/close", {"x-outcome": "已核实并整改，办理时限缩短", "x-told_via": "email"})
    assert r.status_code == 303
    assert [i.status for i in storage.list_issues(status=None)[0]] == ["closed", "closed"]
    outcome = queued(storage, "issue_outcome")
    assert len(outcome) == 1 and outcome[0]["to_addr"] == "zhang@example.com"
    body = next(m["body"] for m in storage.mail_rows() if m["kind"] == "issue_outcome")
    # a complaint's outcome names the supervision line, not the institution complained about
    assert "0518-80000000" not in body and "/feedback/followup/" in body
    # 回访满意度 through the link in the email
    link = re.search(r"http://localhost(/feedback/followup/\S+)", body).group(1)
    page = client.get(link).get_data(as_text=True)
    assert "您对处理结果是否满意" in page
    r = client.post(link, data={"csrf_token": csrf_token(page), "score": "2", "comment": "基本解决"})
    assert r.status_code == 200 and "基本满意" in r.get_data(as_text=True)
    assert {(i.followup_score, i.followup_comment) for i in storage.list_issues(status=None)[0]} == {(2, "基本解决")}
    assert client.get("/feedback/followup/forged-token").status_code == 404
    report = staff.get(f"/staff/report/{local_today('Asia/Shanghai').year}").get_data(as_text=True)
    assert "满意 0 项、基本满意 1 项、不满意 0 项" in report  # the two linked items count once


def test_staff_merge_items_and_record_follow_up_satisfaction(staff, storage, client):
    suggest(client, kind="complaint", body="甲", email="a@example.com")
    suggest(client, kind="suggestion", body="乙", email="A@example.com")
    assert staff.post("/staff/issues/2/merge", {"m-into": "2"}).status_code == 400
    assert staff.post("/staff/issues/2/merge", {"m-into": "99"}).status_code == 400
    assert staff.post("/staff/issues/2/merge", {"m-into": "1"}).status_code == 303
    staff.post("/staff/issues/1/close", {"x-outcome": "已答复", "x-told_via": "email"})
    assert len(queued(storage, "issue_outcome")) == 1  # one address (case aside), one email
    assert "投诉、意见建议" in queued(storage, "issue_outcome")[0]["subject"]
    assert staff.post("/staff/issues/1/followup", {"f-score": "1", "f-comment": "电话回访：仍不满意"}).status_code == 303
    notes = storage.get_issue(2).notes
    assert [n.kind for n in notes][-3:] == ["merged", "closed", "followup"]
    assert notes[-1].note == "回访满意度：不满意。电话回访：仍不满意"


# ---------------------------------------------------------------- 6. reopen

def test_reopening_a_case_keeps_history_and_archive_number(staff, storage, client):
    ref = make_application(storage)
    storage.set_status(ref, "accepted", actor="staff:li")
    storage.set_status(ref, "in_progress", actor="staff:li")
    staff.set_status(ref, "completed")
    number = storage.get_case(ref).archive_no
    assert staff.post(f"/staff/applications/{ref}/reopen", {"r-reason": ""}).status_code == 400
    assert staff.post(f"/staff/applications/{ref}/reopen", {"r-reason": "误点办结，检定尚未完成"}).status_code == 303
    case = storage.get_case(ref)
    assert case.status == "in_progress" and case.closed_at is None
    assert [(e.kind, e.from_status, e.to_status) for e in case.events][-2:] == [
        ("status", "in_progress", "completed"), ("reopen", "completed", "in_progress")]
    assert case.events[-1].note == "误点办结，检定尚未完成" and case.events[-1].actor == "staff:li"
    assert "重新办理：" in track(client, ref, "13812345678").get_data(as_text=True)
    staff.set_status(ref, "completed")
    assert storage.get_case(ref).archive_no == number  # closed again: the same archive number
    assert staff.post(f"/staff/applications/{make_application(storage, 9)}/reopen",
                      {"r-reason": "x"}).status_code == 303  # open case: refused with a message, nothing changes


def test_reopening_a_follow_up_item_keeps_its_outcome_in_the_notes(staff, storage, client):
    suggest(client, kind="complaint", body="甲", phone="13900001111")
    staff.post("/staff/issues/1/close", {"x-outcome": "已处理", "x-told_via": "phone"})
    assert staff.post("/staff/issues/1/reopen", {"r-reason": "企业来电表示问题仍在"}).status_code == 303
    issue = storage.get_issue(1)
    assert issue.status == "open" and issue.outcome is None
    assert [(n.kind, n.note) for n in issue.notes][-2:] == [("closed", "已处理"), ("reopened", "企业来电表示问题仍在")]


# ---------------------------------------------------------------- the daily digest

def test_the_daily_digest_is_queued_once_a_day_after_its_hour(app, storage):
    make_application(storage)
    zone = dt.timezone(dt.timedelta(hours=8))
    assert not run_digest(app, now=dt.datetime(2026, 11, 30, 7, 59, tzinfo=zone))
    assert run_digest(app, now=dt.datetime(2026, 11, 30, 8, 1, tzinfo=zone))
    assert not run_digest(app, now=dt.datetime(2026, 11, 30, 17, 0, tzinfo=zone))
    digest = queued(storage, "staff_digest")
    assert len(digest) == 1 and digest[0]["to_addr"] == "staff@guide.test"
    assert "2026-11-30" in digest[0]["subject"]
    assert run_digest(app, now=dt.datetime(2026, 12, 1, 9, 0, tzinfo=zone))
    assert len(queued(storage, "staff_digest")) == 2


def test_digest_lists_due_and_overdue_work():
    rows = {"new": [{"ref": "ZY-2611-AAAAA", "service_name": "计量器具检定", "org_name": "甲", "submitted_at": "x"}],
            "cases": [{"ref": "ZY-2611-BBBBB", "service_name": "药品检验", "org_name": "乙", "due_at": "2026-11-01",
                       "assignee": None}],
            "issues": [{"id": 7, "kind": "complaint", "service_name": None, "due": "2026-11-30", "owner": "li"}]}
    body = compose_digest(site_title="测试", today="2026-11-30", rows=rows, to="d@x.example",
                                 console_url=None)[0]["body"]
    assert "ZY-2611-AAAAA" in body and "已逾期（2026-11-01） 承办人：未指定" in body
    assert "第 7 号 投诉 未指定事项 今日到期 负责人：li" in body


# ---------------------------------------------------------------- the migration keeps old rows

def test_migration_keeps_history_and_notes_of_an_existing_database(tmp_path):
    from forms_backend.storage import migrations as migs
    path = tmp_path / "old.db"
    store = Storage(path, migrate=False)
    with store._immediate() as db:
        migs.apply(db, stop_before="0005_staff_work")  # a database as the previous release left it
    with store._immediate() as db:
        db.execute("INSERT INTO applications (ref, service_id, service_name, org_name, uscc, contact_name, phone, "
                   "phone_norm, email, answers, submitted_at, updated_at) VALUES ('ZY-2611-OLD22', 'metering', '计量', "
                   "'甲', 'X', '张', '1', '1', 'a@example.com', '[]', 't', 't')")
        db.execute("INSERT INTO application_events (application_id, at, actor, kind, to_status, note) "
                   "VALUES (1, 't', 'staff:li', 'status', 'accepted', '老记录')")
    store.close()
    ref = "ZY-2611-OLD22"
    store = Storage(path)
    events = store.get_case(ref).events
    assert [(e.kind, e.note) for e in events] == [("status", "老记录")]
    # the new kinds are accepted by the rebuilt table:
    with store._immediate() as db:
        db.execute("INSERT INTO application_events (application_id, at, actor, kind) VALUES (1, 't', 'x', 'assign')")
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.close()


# ---------------------------------------------------------------- 7. numbers that mean something

def test_guide_check_warns_about_an_application_service_without_days():
    from click.testing import CliRunner

    from site_builder.cli import main

    from ..conftest import FIXTURE
    result = CliRunner().invoke(main, ["check", "--project", str(FIXTURE)])
    assert result.exit_code == 0  # a warning: --strict would fail
    lines = [line for line in result.output.splitlines() if "has no 'days'" in line]
    assert len(lines) == 1 and lines[0].endswith(
        "content/services/metering.yml:6:1: warning: service 'metering' takes online applications "
        "but its time limit has no 'days' — add 'days: N' to time_limit once the bureau confirms it; "
        "until then its cases have no due date and the statistics count them apart")
    assert CliRunner().invoke(main, ["check", "--strict", "--project", str(FIXTURE)]).exit_code != 0


def test_cases_without_a_time_limit_are_counted_apart(staff, storage):
    limited = make_application(storage, 1, service_id="drug-testing", service_name="药品检验检测")
    storage.set_status(limited, "accepted", actor="staff:li", due_on="2999-01-01")
    storage.set_status(limited, "completed", actor="staff:li")
    unlimited = completed(storage, n=2)            # metering: the guide gives no days
    open_unlimited = make_application(storage, 3)
    storage.set_status(open_unlimited, "accepted", actor="staff:li")
    page = staff.get("/staff/stats").get_data(as_text=True)
    assert ("有办理期限的已办结申请 1 件，其中按期办结 1 件（100.0%）；办事指南未规定办理天数的已办结申请 1 件，"
            "没有办理期限，不计入按期办结率") in page
    year = local_today("Asia/Shanghai").year
    report = staff.get(f"/staff/report/{year}").get_data(as_text=True)
    assert "另有 <strong>1</strong> 件已办结申请的办事指南未规定办理天数" in report
    rows = re.findall(r'<th scope="row"><a href="/staff/applications/([^"]+)">',
                      staff.get("/staff/", query_string={"overdue": "nolimit"}).get_data(as_text=True))
    assert rows == [open_unlimited] and unlimited not in rows


def test_per_service_export_has_one_column_per_form_field(staff, app, storage):
    from ..conftest import DRUG
    from ..conftest import pdf_file
    ref = Applicant(app.test_client(), "drug-testing").apply(DRUG, {"f_spec_sheet": pdf_file()})
    r = staff.get("/staff/exports/service/drug-testing.csv")
    assert r.status_code == 200 and "applications-drug-testing-" in r.headers["Content-Disposition"]
    import csv
    table = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    labels = [q.label for q in app.extensions["guide"].forms["drug-testing"].questions if q.section == "service"]
    assert table[0][12:] == labels and len(labels) >= 10
    answers = dict(zip(table[0], table[1]))
    assert table[1][0] == ref and answers["产品名称"] == "阿莫西林胶囊" and answers["样品数量"] == "3"
    assert answers["检验类别"] == "委托检验" and answers["报告形式"] == "纸质报告、电子报告"
    assert staff.get("/staff/exports/service/nope.csv").status_code == 404
    assert staff.get("/staff/exports/service/drug-testing.xlsx").status_code == 200
    assert 'href="/staff/exports/service/drug-testing.csv"' in staff.get("/staff/exports").get_data(as_text=True)
