"""The console at scale (issue 18): aggregates in SQL agree with a count by hand, exports stream
and filter, large XLSX exports are built in the background for their owner, long lists are paged."""
from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import time
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from forms_backend.reports import stats
from forms_backend.views.staff import reports as report_views
from forms_backend.workdays import Calendar

from ..conftest import Staff, make_application, set_time

ZONE = ZoneInfo("Asia/Shanghai")


def test_workday_ordinals_give_the_calendars_working_days():
    calendar = Calendar(holidays=frozenset({dt.date(2026, 10, 1), dt.date(2026, 10, 2)}),
                        workdays=frozenset({dt.date(2026, 10, 10)}))
    first, last = dt.date(2026, 9, 20), dt.date(2026, 11, 10)
    n = stats.workday_ordinals(calendar, first, last)
    rnd = random.Random(3)
    for _ in range(300):
        a = first + dt.timedelta(days=rnd.randrange(52))
        b = first + dt.timedelta(days=rnd.randrange(52))
        assert max(0, n[b.isoformat()] - n[a.isoformat()]) == calendar.workdays_between(a, b), (a, b)


@pytest.mark.parametrize("values", [[3], [1, 2], [5, 1, 9, 2], [4, 4, 4, 10, 0], list(range(11))])
def test_histogram_median_is_the_median(values):
    import statistics
    h = {}
    for v in values:
        h[v] = h.get(v, 0) + 1
    assert stats.histogram_median(h) == statistics.median(values)
    assert stats.histogram_median({}) is None


def test_day_shift_is_fixed_for_china_and_none_across_daylight_saving():
    assert stats.day_shift(ZONE, dt.date(2025, 1, 1), dt.date(2026, 12, 31)) == "+480 minutes"
    assert stats.day_shift(ZoneInfo("Europe/Berlin"), dt.date(2026, 1, 1), dt.date(2026, 12, 31)) is None


@pytest.fixture
def history(storage):
    """Applications with known submission/closing local dates, statuses, due dates and ratings."""
    cases = [  # (service, submitted local, closed local or None, status, due)
        ("metering", "2026-03-02T09:00", "2026-03-06T17:00", "completed", "2026-03-10"),   # 4 wd, on time
        ("metering", "2026-03-30T23:30", "2026-04-13T08:00", "completed", "2026-04-10"),   # late; crosses a month
        ("drug-testing", "2026-04-01T00:10", "2026-04-01T10:00", "completed", None),        # no time limit
        ("drug-testing", "2026-05-05T10:00", "2026-05-06T10:00", "rejected", "2026-05-20"),
        ("drug-testing", "2026-06-01T10:00", None, "accepted", "2026-06-20"),
    ]
    refs = []
    for n, (service, sub, closed, status, due) in enumerate(cases):
        ref = make_application(storage, n, service_id=service, service_name={"metering": "计量器具检定",
                                                                             "drug-testing": "药品检验检测"}[service],
                               uscc=f"9132070000000000{n % 2}X")
        if status in ("completed", "accepted"):
            storage.set_status(ref, "accepted", actor="staff:li")
        if status == "completed":
            storage.set_status(ref, "in_progress", actor="staff:li")
        if status in ("completed", "rejected"):
            storage.set_status(ref, status, actor="staff:li", note="办结")
        utc = lambda s: dt.datetime.fromisoformat(s).replace(tzinfo=ZONE).astimezone(dt.timezone.utc).isoformat()
        set_time(storage, "UPDATE applications SET submitted_at = ?, closed_at = ?, due_at = ? WHERE ref = ?",
                 (utc(sub), utc(closed) if closed else None, due, ref))
        refs.append(ref)
    storage.save_rating(refs[0], score=5, answers={"q_guide": 1, "q_process": 0}, comment=None, open_issue=None,
                        summary="x")
    storage.save_rating(refs[1], score=2, answers={"q_guide": 0}, comment="慢", summary="x",
                        open_issue={"first_contact_due": "2026-04-15", "rectify_due": "2026-05-01"})
    storage.save_rating(refs[2], score=4, answers={}, comment=None, open_issue=None, summary="x")
    return refs


def test_sql_aggregates_agree_with_counting_by_hand(storage, history):
    since, until = "2026-01-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00"
    shift = "+480 minutes"
    months = dict(((s, m), n) for s, m, n in storage.applications_by_service_month(since, until, shift))
    # 2026-03-30T23:30 local is 15:30 UTC the same day; 2026-04-01T00:10 local is 2026-03-31 UTC: local month counts
    assert months == {("计量器具检定", "2026-03"): 2, ("药品检验检测", "2026-04"): 1,
                      ("药品检验检测", "2026-05"): 1, ("药品检验检测", "2026-06"): 1}
    assert storage.applications_by_status(since, until) == {"completed": 3, "rejected": 1, "accepted": 1}
    assert storage.applications_summary(since, until, shift) == {
        "applications": 5, "enterprises": 2, "with_due": 3, "within": 2, "without_due": 1}
    calendar = Calendar()
    ordinals = stats.workday_ordinals(calendar, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    days = stats.completion_days(storage.completion_histogram(since, until, shift, ordinals))
    assert days == {"计量器具检定": {4: 1, calendar.workdays_between(dt.date(2026, 3, 30), dt.date(2026, 4, 13)): 1},
                    "药品检验检测": {0: 1}}
    ratings = storage.ratings_by_service_score(since, until)
    assert sorted(ratings) == [("药品检验检测", 4, 1), ("计量器具检定", 2, 1), ("计量器具检定", 5, 1)]
    totals = stats.rating_totals(ratings)
    assert totals["ratings"] == 3 and totals["average"] == pytest.approx(11 / 3)
    assert totals["good_rate"] == pytest.approx(200 / 3)
    assert storage.rating_answers(since, until, ["q_guide", "q_process"]) == {"q_guide": (2, 1), "q_process": (1, 0)}
    summary = storage.issues_summary(since, until, "2026-12-01", shift)
    assert summary["total"] == 1 and summary["kinds"] == {"rating": 1} and summary["overdue_open"] == 1


def test_report_counts_cases_without_a_time_limit_apart(staff, history):
    page = staff.get("/staff/report/2026").get_data(as_text=True)
    assert "全年收到在线申请 <strong>5</strong> 件，涉及企业 <strong>2</strong> 家" in page
    assert "有办理时限的 3 件中，2 件按期办结" in page
    assert "另有 <strong>1</strong> 件已办结申请的办事指南未规定办理天数" in page
    assert "全年归档 <strong>4</strong> 件" in page


def test_statistics_page_uses_the_chosen_range(staff, history):
    page = staff.get("/staff/stats?date_from=2026-03-01&date_to=2026-03-31").get_data(as_text=True)
    table = page[page.index("申请状态分布"):]
    assert re.search(r"已办结</th>\s*<td[^>]*>2<", table), table[:800]


# ---------------------------------------------------------------- exports

def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_csv_export_is_streamed_in_batches(staff, storage):
    for n in range(1200):
        make_application(storage, n, org_name=f"公司{n}")
    r = staff.client.get("/staff/exports/applications.csv", buffered=False)
    assert r.is_streamed
    chunks = [c for c in r.response]
    r.close()
    assert len(chunks) >= 3  # 500 rows a chunk: the rows were written as they were read
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert len(rows) == 1201 and rows[1][3] == "公司0" and rows[-1][3] == "公司1199"


def test_exports_filter_by_service_and_date_range(staff, storage, history):
    r = staff.get("/staff/exports/applications.csv?service=drug-testing&date_from=2026-04-01&date_to=2026-05-31")
    assert [row[0] for row in _csv(r)[1:]] == [history[2], history[3]]
    rows = _csv(staff.get("/staff/exports/ratings.csv?service=metering"))
    assert sorted(row[0] for row in rows[1:]) == sorted(history[:2])
    rows = _csv(staff.get("/staff/exports/ratings.csv?date_from=2030-01-01"))
    assert len(rows) == 1
    page = staff.get("/staff/exports?service=metering&date_from=2026-01-01").get_data(as_text=True)
    assert "exports/ratings.csv?service=metering&amp;date_from=2026-01-01" in page
    page = staff.get("/staff/exports?date_from=2026-13-01").get_data(as_text=True)
    assert 'href="#field-date_from"' in page


def test_large_xlsx_is_built_in_the_background_for_its_owner_only(app, staff, storage, accounts, monkeypatch):
    monkeypatch.setattr(report_views, "XLSX_IN_REQUEST_ROWS", 10)
    for n in range(40):
        make_application(storage, n, org_name=f"公司{n}")
    r = staff.get("/staff/exports/applications.xlsx")
    assert r.status_code == 303
    job_url = r.headers["Location"]
    assert "/staff/exports/jobs/" in job_url
    for _ in range(100):
        page = staff.get(job_url).get_data(as_text=True)
        if "文件已生成" in page:
            break
        assert "正在后台生成" in page and 'http-equiv="refresh"' in page
        time.sleep(0.1)
    assert "共 40 行" in page
    link = re.search(r'href="(/staff/exports/jobs/[^"]+/file)"', page).group(1)
    r = staff.get(link)
    assert r.status_code == 200 and r.headers["Content-Disposition"].startswith("attachment")
    ws = load_workbook(io.BytesIO(r.get_data()), read_only=True).active
    assert sum(1 for _ in ws.iter_rows(min_row=2)) == 40
    # Another (non-admin) account neither sees the job nor gets the file; a made-up token is a 404.
    storage.create_user("wang", "staff", storage.get_user("li").password_hash)
    other = Staff(app.test_client())
    assert other.login("wang").status_code == 303
    assert other.get(job_url).status_code == 404 and other.get(link).status_code == 404
    assert staff.get("/staff/exports/jobs/" + "A" * 32).status_code == 404
    assert staff.get("/staff/exports/jobs/..%2Fsecret_key/file").status_code == 404


def test_small_xlsx_is_sent_at_once(staff, storage):
    make_application(storage, 1)
    r = staff.get("/staff/exports/applications.xlsx")
    assert r.status_code == 200
    assert load_workbook(io.BytesIO(r.get_data())).active.max_row == 2


def test_old_export_files_are_purged(tmp_path):
    from forms_backend.export_jobs import ExportJobs
    jobs = ExportJobs(tmp_path / "exports")
    token = jobs.start(owner="li", name="x.xlsx", write=lambda p: p.write_bytes(b"PK") or 1)
    for _ in range(50):
        if jobs.get(token).state == "ready":
            break
        time.sleep(0.05)
    assert jobs.purge(older_than=dt.timedelta(hours=1)) == 0 and jobs.get(token).state == "ready"
    assert jobs.purge(older_than=dt.timedelta(seconds=-1)) == 2 and jobs.get(token) is None


def test_failed_background_export_says_so(tmp_path):
    from forms_backend.export_jobs import ExportJobs
    jobs = ExportJobs(tmp_path / "exports")

    def broken(path):
        raise OSError("disk full")
    token = jobs.start(owner="li", name="x.xlsx", write=broken)
    for _ in range(50):
        if jobs.get(token).state != "running":
            break
        time.sleep(0.05)
    assert jobs.get(token).state == "failed" and not list((tmp_path / "exports").glob("*.part"))


# ---------------------------------------------------------------- paging

def test_follow_up_list_is_paged(staff, storage):
    for n in range(30):
        make_application(storage, n)
    set_time(storage, "UPDATE applications SET submitted_at = '2026-01-01T00:00:00+00:00'")
    first = staff.get("/staff/followup").get_data(as_text=True)
    assert "下列 30 件申请" in first and first.count('#contacts">') == 25
    second = staff.get("/staff/followup?page=2").get_data(as_text=True)
    assert second.count('#contacts">') == 5


def test_catalogue_is_paged_and_keeps_its_numbering(staff, storage, monkeypatch):
    from forms_backend.views.staff import archive
    monkeypatch.setattr(archive, "CATALOGUE_PAGE", 4)
    for n in range(6):
        ref = make_application(storage, n)
        storage.set_status(ref, "rejected", actor="staff:li", note="不符合", archive_year=2026)
    page1 = staff.get("/staff/archive/catalogue/2026").get_data(as_text=True)
    assert "2026-0001 至 2026-0006" in page1 and "<dd>6</dd>" in page1
    assert page1.count('<th scope="row">2026-') == 4
    page2 = staff.get("/staff/archive/catalogue/2026?page=2").get_data(as_text=True)
    assert re.findall(r'<td class="num">(\d+)</td><th scope="row">(2026-\d+)', page2) == [
        ("5", "2026-0005"), ("6", "2026-0006")]
    assert staff.get("/staff/archive/catalogue/99999").status_code == 404
