"""views/staff/: every page behind the login, the queue, a case, follow-up, issues, archive, statistics."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from forms_backend import create_app

from ..conftest import DRUG, Applicant, config, make_application, pdf_file, set_time, track

SAMPLE_ARGS = {"ref": "ZY-2611-AAAAA", "token": "t0k3n", "service_id": "metering", "issue_id": 1, "uscc": "91350100M000100Y43",
               "year": 2026, "name": "li", "what": "applications", "fmt": "csv", "product_id": 1, "record_id": 1,
               "equipment_id": 1, "link_id": 1}


def staff_rules(app):
    """(url, methods) of every rule under /staff except the login page itself."""
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/staff") or rule.endpoint in ("auth.login_form", "auth.login"):
            continue
        args = {name: SAMPLE_ARGS[name] for name in rule.arguments}
        with app.test_request_context():
            from flask import url_for
            url = url_for(rule.endpoint, **args)
        out.append((rule.endpoint, url, sorted(rule.methods - {"HEAD", "OPTIONS"})))
    return out


def test_the_console_has_the_pages_the_issue_asks_for(app):
    endpoints = {e for e, _, _ in staff_rules(app)}
    for needed in ("staff.queue", "staff.case", "staff.download", "staff.transition", "staff.add_contact",
                   "staff.followup", "staff.issues", "staff.issue", "staff.issue_close", "staff.archive",
                   "staff.enterprise", "staff.catalogue", "staff.export", "staff.statistics", "staff.report",
                   "staff.users", "staff.user_action", "auth.logout", "auth.password"):
        assert needed in endpoints


def test_every_staff_url_refuses_an_anonymous_request(tmp_path, storage):
    # CSRF off, so that POSTs reach the login check itself (with CSRF on they stop earlier, at 400).
    app = create_app(config(tmp_path / "nocsrf", WTF_CSRF_ENABLED=False))
    client = app.test_client()
    rules = staff_rules(app)
    assert len(rules) >= 25
    for endpoint, url, methods in rules:
        for method in methods:
            r = client.open(url, method=method, data={"t-to_status": "accepted"})
            assert r.status_code in (302, 303, 401, 403), (endpoint, method, r.status_code)
            if r.status_code in (302, 303):
                assert r.headers["Location"].startswith("/staff/login"), (endpoint, r.headers["Location"])
    app.extensions["guide"].storage.close()


def test_every_staff_page_is_served_to_staff_and_never_cached(app, staff, storage):
    ref = make_application(storage)
    for path in ("/staff/", f"/staff/applications/{ref}", "/staff/followup", "/staff/issues", "/staff/ratings",
                 "/staff/page-feedback", "/staff/archive", "/staff/archive?q=测试", "/staff/exports", "/staff/stats",
                 "/staff/report/2026", "/staff/password", "/staff/archive/catalogue/2026",
                 "/staff/archive/enterprise/91350100M000100Y43"):
        r = staff.get(path)
        assert r.status_code == 200, path
        assert r.headers["Cache-Control"] == "no-store" and "noindex" in r.headers["X-Robots-Tag"]
        assert "unsafe-inline" not in r.headers["Content-Security-Policy"]
    assert staff.get("/staff/report").status_code == 303
    assert staff.get("/staff/applications/ZY-2611-NOPE2").status_code == 404


# ---------------------------------------------------------------- the queue

@pytest.fixture
def queue(storage):
    """Eight applications in two services, for two enterprises, some old, some overdue."""
    refs = []
    for n in range(6):
        refs.append(make_application(storage, n, org_name=f"甲医药{n}"))
    for n in range(6, 8):
        refs.append(make_application(storage, n, org_name="乙器械有限公司", uscc="91320700MA1X0000X1"[:17] + "1",
                                     service_id="drug-testing", service_name="药品检验检测"))
    storage.set_status(refs[0], "accepted", actor="staff:li", due_on="2026-01-05")  # long overdue
    storage.set_status(refs[1], "accepted", actor="staff:li", due_on="2999-01-01")
    storage.set_status(refs[2], "rejected", actor="staff:li", note="不符合条件")
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=40)).isoformat()
    set_time(storage, "UPDATE applications SET submitted_at = ? WHERE ref IN (?, ?)", (old, refs[3], refs[6]))
    return refs


def rows_of(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/staff/applications/([^"]+)">', page)


@pytest.mark.parametrize("query, expected", [
    ({}, [7, 6, 5, 4, 3, 2, 1, 0]),
    ({"service": "drug-testing"}, [7, 6]),
    ({"status": "accepted"}, [1, 0]),
    ({"status": "rejected"}, [2]),
    ({"enterprise": "乙器械"}, [7, 6]),
    ({"enterprise": "甲医药3"}, [3]),
    ({"overdue": "time"}, [0]),
    ({"overdue": "followup"}, [6, 3]),
    ({"sort": "submitted", "order": "asc"}, [0, 1, 2, 3, 4, 5, 6, 7]),
    ({"sort": "org", "order": "asc"}, [7, 6, 0, 1, 2, 3, 4, 5]),
])
def test_queue_filters_and_sorts(staff, queue, query, expected):
    page = staff.get("/staff/", query_string=query).get_data(as_text=True)
    assert rows_of(page) == [queue[i] for i in expected]


def test_queue_filters_by_submission_date(staff, queue):
    today = dt.date.today()
    page = staff.get("/staff/", query_string={"date_to": (today - dt.timedelta(days=30)).isoformat()}).get_data(
        as_text=True)
    assert sorted(rows_of(page)) == sorted([queue[3], queue[6]])
    page = staff.get("/staff/", query_string={"date_from": (today - dt.timedelta(days=1)).isoformat()}).get_data(
        as_text=True)
    assert queue[3] not in rows_of(page) and len(rows_of(page)) == 6


def test_bad_filter_values_are_reported_not_applied(staff, queue):
    r = staff.get("/staff/", query_string={"date_from": "2026-02-30", "status": "lost", "date_to": "2020-01-01"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "请按“年-月-日”填写开始日期" in page and "请从给出的选项中选择状态" in page


def test_queue_pages_through_long_lists(staff, storage):
    for n in range(30):
        make_application(storage, n)
    first = rows_of(staff.get("/staff/").get_data(as_text=True))
    second_page = staff.get("/staff/?page=2").get_data(as_text=True)
    assert len(first) == 25 and len(rows_of(second_page)) == 5
    assert "第 2 页，共 2 页" in second_page and 'rel="prev"' in second_page
    assert not set(first) & set(rows_of(second_page))


def test_queue_escapes_what_applicants_typed(staff, storage):
    make_application(storage, org_name='<script>alert("x")</script>')
    page = staff.get("/staff/").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


# ---------------------------------------------------------------- one case

def test_case_shows_answers_files_and_history(app, staff, storage):
    ref = Applicant(app.test_client(), "drug-testing").apply(DRUG, {"f_spec_sheet": pdf_file()})
    page = staff.get(f"/staff/applications/{ref}").get_data(as_text=True)
    for shown in ("阿莫西林胶囊", "2026年12月1日", "纸质报告、电子报告", "下载 说明书.pdf", "已提交", "申请人"):
        assert shown in page
    link = re.search(r'href="(/staff/applications/[^"]+/files/[^"]+)"', page).group(1)
    r = staff.get(link)
    assert r.status_code == 200 and r.get_data().startswith(b"%PDF")
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert "sandbox" in r.headers["Content-Security-Policy"] and r.headers["Cache-Control"] == "no-store"
    other = make_application(storage)
    assert staff.get(link.replace(ref, other)).status_code == 404  # a file of another application


def test_contacts_are_recorded_and_clear_the_follow_up_list(staff, storage):
    ref = make_application(storage)
    staff.set_status(ref, "accepted")
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=15)).isoformat()
    set_time(storage, "UPDATE applications SET submitted_at = ?", (old,))
    page = staff.get("/staff/followup").get_data(as_text=True)
    assert ref in page and "从未联系" in page
    r = staff.post(f"/staff/applications/{ref}/contacts", {"c-channel": "visit", "c-at": "", "c-note": "走访企业，了解注册进展"})
    assert r.status_code == 303
    page = staff.get(f"/staff/applications/{ref}").get_data(as_text=True)
    assert "走访企业，了解注册进展" in page and "走访" in page
    assert ref not in staff.get("/staff/followup").get_data(as_text=True)
    # A contact 20 days ago (typed in) puts it back on the list.
    set_time(storage, "DELETE FROM contacts")
    typed = (dt.datetime.now() - dt.timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
    staff.post(f"/staff/applications/{ref}/contacts", {"c-channel": "phone", "c-at": typed, "c-note": "电话回访"})
    assert ref in staff.get("/staff/followup").get_data(as_text=True)


def test_contact_form_checks_its_fields(staff, storage):
    ref = make_application(storage)
    staff.get(f"/staff/applications/{ref}")
    future = (dt.datetime.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    r = staff.post(f"/staff/applications/{ref}/contacts", {"c-channel": "fax", "c-at": future, "c-note": ""})
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    for text in ("请从给出的选项中选择联系方式", "联系时间不能晚于现在", "请填写联系情况"):
        assert text in page
    assert storage.contacts_of(1) == []


def test_closed_cases_are_not_followed_up(staff, storage):
    ref = make_application(storage)
    staff.set_status(ref, "rejected", note="材料不全")
    set_time(storage, "UPDATE applications SET submitted_at = '2020-01-01T00:00:00+00:00'")
    assert ref not in staff.get("/staff/followup").get_data(as_text=True)


# ---------------------------------------------------------------- ratings and complaints: follow-up items

def rate(app, ref, score, comment="", phone="13812345678"):
    person = app.test_client()
    track(person, ref, phone)
    page = person.get(f"/feedback/rate/{ref}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return person.post(f"/feedback/rate/{ref}", data={"csrf_token": token, "score": str(score), "comment": comment,
                                                       "q_guide": "1", "q_process": "0"})


def completed(staff, storage) -> str:
    ref = make_application(storage)
    for to in ("accepted", "completed"):
        staff.set_status(ref, to)
    return ref


def test_bad_rating_opens_an_item_that_is_worked_and_closed(app, staff, storage):
    ref = completed(staff, storage)
    assert rate(app, ref, 1, "等了太久").status_code == 303
    page = staff.get("/staff/issues").get_data(as_text=True)
    assert "差评" in page and ref in page
    issue_id = int(re.search(r'/staff/issues/(\d+)', page).group(1))
    issue = storage.get_issue(issue_id)
    assert issue.first_contact_due and issue.rectify_due > issue.first_contact_due and issue.owner is None
    page = staff.get(f"/staff/issues/{issue_id}").get_data(as_text=True)
    assert "非常不满意" in page and "等了太久" in page
    staff.post(f"/staff/issues/{issue_id}/owner", {"o-owner": "li"})
    staff.post(f"/staff/issues/{issue_id}/notes", {"n-channel": "phone", "n-note": "电话联系企业，了解到等待时间过长"})
    staff.post(f"/staff/issues/{issue_id}/notes", {"n-channel": "", "n-note": "调整了排班"})
    issue = storage.get_issue(issue_id)
    assert issue.owner == "li" and issue.first_contact_at
    assert [n.kind for n in issue.notes] == ["opened", "owner", "contact", "note"]
    r = staff.post(f"/staff/issues/{issue_id}/close", {"x-outcome": "", "x-told_via": "email"})
    assert r.status_code == 400 and "请填写处理结果" in r.get_data(as_text=True)
    r = staff.post(f"/staff/issues/{issue_id}/close", {"x-outcome": "已增加窗口人员，办理时间缩短至 5 个工作日。",
                                                      "x-told_via": "email"})
    assert r.status_code == 303
    assert storage.get_issue(issue_id).status == "closed"
    outcome_mail = [m for m in storage.mail_rows() if m["kind"] == "issue_outcome"]
    assert len(outcome_mail) == 1 and outcome_mail[0]["to_addr"] == "zhang@example.com"
    # The enterprise reads the outcome on the tracking page.
    page = track(app.test_client(), ref, "13812345678").get_data(as_text=True)
    assert "已增加窗口人员" in page
    # A closed item takes no more notes.
    staff.post(f"/staff/issues/{issue_id}/notes", {"n-channel": "", "n-note": "迟到的记录"})
    assert len(storage.get_issue(issue_id).notes) == 5


def test_good_rating_opens_no_item(app, staff, storage):
    ref = completed(staff, storage)
    rate(app, ref, 4)
    assert storage.list_issues()[1] == 0


def test_overdue_items_are_flagged_and_filtered(app, staff, storage):
    ref = completed(staff, storage)
    rate(app, ref, 2, "态度不好")
    set_time(storage, "UPDATE issues SET first_contact_due = '2026-01-02', rectify_due = '2026-01-20'")
    page = staff.get("/staff/issues", query_string={"overdue": "y"}).get_data(as_text=True)
    assert page.count("已逾期") == 2
    assert staff.get("/staff/stats").status_code == 200


def test_closing_by_email_needs_an_address(app, staff, storage):
    storage.add_suggestion({"kind": "complaint", "body": "窗口人员不在岗"}, ref_prefix="YJ", yymm="2611",
                           code_hash="h", issue={"rectify_due": "2026-12-31"})
    issue_id = storage.list_issues()[0][0].id
    r = staff.post(f"/staff/issues/{issue_id}/close", {"x-outcome": "已批评教育", "x-told_via": "email"})
    assert r.status_code == 400 and "对方没有留下电子邮箱" in r.get_data(as_text=True)
    r = staff.post(f"/staff/issues/{issue_id}/close", {"x-outcome": "已批评教育", "x-told_via": "track"})
    assert r.status_code == 303


# ---------------------------------------------------------------- archive, statistics, report

def test_enterprise_archive_lists_every_application_with_yearly_numbers(staff, storage):
    a = make_application(storage, 1)
    b = make_application(storage, 2)
    other = make_application(storage, 3, uscc="91320700MA1X00001T")
    storage.set_status(b, "rejected", actor="staff:li", note="x", archive_year=2025)
    storage.set_status(a, "rejected", actor="staff:li", note="x", archive_year=2026)
    storage.set_status(other, "rejected", actor="staff:li", note="x", archive_year=2026)
    page = staff.get("/staff/archive", query_string={"q": "91350100M000100Y43"}).get_data(as_text=True)
    assert "/staff/archive/enterprise/91350100M000100Y43" in page and "91320700MA1X00001T" not in page
    page = staff.get("/staff/archive/enterprise/91350100M000100Y43").get_data(as_text=True)
    assert a in page and b in page and other not in page
    assert "2025-0001" in page and "2026-0001" in page
    assert storage.get_case(other).archive_no == "2026-0002"
    page = staff.get("/staff/archive/catalogue/2026").get_data(as_text=True)
    assert "归档文件目录" in page and "2026-0001 至 2026-0002" in page
    assert staff.get("/staff/archive/enterprise/91000000000000000X").status_code == 404


def test_statistics_page_draws_every_chart_with_its_table(app, staff, storage):
    ref = completed(staff, storage)
    rate(app, ref, 5)
    storage.add_page_vote("/services/metering/", False)
    storage.add_page_vote("/services/metering/", True)
    page = staff.get("/staff/stats").get_data(as_text=True)
    titles = re.findall(r'<title id="[^"]+-title">([^<]+)</title>', page)
    assert titles == ["每月申请数（按服务事项，每项一图）", "申请状态分布", "办结用时（工作日，中位数）", "办结用时分布",
                      "满意度分布（五级好差评）", "各服务事项平均得分（满分 5 分）", "页面反馈“否”的比例（最高的 15 个页面）",
                      "逾期的跟进事项（当前）"]
    assert page.count('role="img"') == 8 and page.count('<table class="data-table">') >= 7
    assert "/services/metering/" in page and "50%" in page
    assert "style=" not in page


def test_yearly_report_sums_the_year_and_prints(app, staff, storage):
    ref = completed(staff, storage)
    rate(app, ref, 2, "需要改进")
    staff.post(f"/staff/applications/{make_application(storage)}/contacts", {"c-channel": "visit", "c-note": "走访"})
    year = dt.date.today().year
    page = staff.get(f"/staff/report/{year}").get_data(as_text=True)
    for text in (f"{year} 年度服务工作评估报告", "全年收到在线申请 <strong>2</strong> 件", "走访 1 次",
                 "全年收到评价 <strong>1</strong> 条", "差评 1 项", "由工作站填写的评估项目", "人员参训"):
        assert text in page
    assert "staff.css" in page
    css = app.test_client().get("/backend-static/staff.css").get_data(as_text=True)
    assert "@media print" in css and "@page" in css
    assert staff.get("/staff/report/1800").status_code == 404
