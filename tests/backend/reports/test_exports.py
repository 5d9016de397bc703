"""reports/exports.py and the export routes: CSV/XLSX, formula injection neutralised, staff only."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from forms_backend.reports.exports import neutralise, to_csv, to_xlsx

from ..conftest import make_application

INJECTIONS = ["=HYPERLINK(\"http://evil.example\",\"点我\")", "+1+2", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1",
              "=cmd|' /C calc'!A0", "＝1+1"]


@pytest.mark.parametrize("value", INJECTIONS)
def test_formula_starts_get_an_apostrophe(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value, expected", [
    ("连云港测试医药有限公司", "连云港测试医药有限公司"), ("a=b", "a=b"), (12, 12), (-3, -3), (2.5, 2.5),
    (None, ""), (True, "是"), ("", ""),
])
def test_other_values_are_kept(value, expected):
    assert neutralise(value) == expected


def test_csv_has_a_bom_and_neutralised_cells():
    data = to_csv(["名称", "值"], [["=1+1", 5], ["普通", "x"]])
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["名称", "值"], ["'=1+1", "5"], ["普通", "x"]]


def test_xlsx_holds_text_never_formulas():
    book = load_workbook(io.BytesIO(to_xlsx(["名称"], [[v] for v in INJECTIONS])))
    ws = book.active
    cells = [row[0] for row in ws.iter_rows(min_row=2)]
    # (a carriage return comes back as a line feed or as itself, depending on whether openpyxl
    # reads with lxml — pikepdf brings lxml — or the standard library's parser)
    assert [c.value.replace("\r", "\n") for c in cells] == ["'" + v.replace("\r", "\n") for v in INJECTIONS]
    assert all(c.data_type == "s" for c in cells)


@pytest.fixture
def nasty(storage):
    """An application, a rating, page feedback and a 意见箱 entry, each starting with a formula."""
    ref = make_application(storage, org_name="=HYPERLINK(\"http://evil.example\",\"x\")", contact_name="@admin")
    storage.set_status(ref, "accepted", actor="staff:li")
    storage.set_status(ref, "completed", actor="staff:li")
    storage.save_rating(ref, score=1, answers={}, comment="-1+1 太慢", open_issue={"rectify_due": "2026-12-31"},
                        summary="x")
    storage.add_page_vote("/services/metering/", False, "=1+1")
    storage.add_suggestion({"kind": "complaint", "body": "+cmd", "name": "=x"}, ref_prefix="YJ", yymm="2611",
                           code_hash="h", issue={"rectify_due": "2026-12-31"})
    return ref


@pytest.mark.parametrize("what, cells", [
    ("applications", ["'=HYPERLINK(\"http://evil.example\",\"x\")", "'@admin"]),
    ("ratings", ["'-1+1 太慢"]),
    ("feedback", ["'=1+1"]),
    ("suggestions", ["'+cmd", "'=x"]),
    ("catalogue", ["'=HYPERLINK(\"http://evil.example\",\"x\")"]),
])
def test_every_csv_export_neutralises_injected_cells(staff, nasty, what, cells):
    r = staff.get(f"/staff/exports/{what}.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"].startswith(f'attachment; filename="{what}-')
    assert r.headers["Cache-Control"] == "no-store"
    values = [v for row in csv.reader(io.StringIO(r.get_data().decode("utf-8-sig"))) for v in row]
    for cell in cells:
        assert cell in values
    assert not any(v.startswith(("=", "+", "@")) or (v.startswith("-") and not v[1:].isdigit()) for v in values)


@pytest.mark.parametrize("what", ["applications", "ratings", "feedback", "suggestions", "catalogue"])
def test_every_xlsx_export_opens_and_has_no_formula(staff, nasty, what):
    r = staff.get(f"/staff/exports/{what}.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.get_data())).active
    values = [c for row in ws.iter_rows(min_row=2) for c in row]
    assert values and not any(c.data_type == "f" for c in values)
    assert not any(isinstance(c.value, str) and c.value.startswith(("=", "+", "@")) for c in values)


def test_application_export_follows_the_queue_filters(staff, storage):
    make_application(storage, 1, org_name="甲公司")
    make_application(storage, 2, org_name="乙公司", service_id="drug-testing", service_name="药品检验检测")
    r = staff.get("/staff/exports/applications.csv", query_string={"service": "drug-testing"})
    text = r.get_data().decode("utf-8-sig")
    assert "乙公司" in text and "甲公司" not in text


def test_catalogue_export_of_one_year_is_in_archive_number_order(staff, storage):
    refs = [make_application(storage, n) for n in range(3)]
    for ref in reversed(refs):
        storage.set_status(ref, "rejected", actor="staff:li", note="不符合条件", archive_year=2026)
    rows = list(csv.reader(io.StringIO(staff.get("/staff/exports/catalogue.csv?year=2026").get_data()
                                      .decode("utf-8-sig"))))
    assert rows[0][:3] == ["序号", "档号", "年度"]
    assert [r[1] for r in rows[1:]] == ["2026-0001", "2026-0002", "2026-0003"]
    assert [r[3] for r in rows[1:]] == list(reversed(refs))
    assert staff.get("/staff/exports/catalogue.csv?year=2025").get_data().decode("utf-8-sig").count("\n") == 1


def test_exports_need_a_logged_in_staff_member(client, nasty):
    for what in ("applications", "ratings", "feedback", "suggestions", "catalogue"):
        r = client.get(f"/staff/exports/{what}.csv")
        assert r.status_code == 303 and "/staff/login" in r.headers["Location"]


def test_unknown_export_is_not_found(staff):
    assert staff.get("/staff/exports/users.csv").status_code == 404
    assert staff.get("/staff/exports/applications.json").status_code == 404
