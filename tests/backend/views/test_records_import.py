"""Importing service records from a spreadsheet: documented columns, every row checked like the
console form, each problem by sheet/row/column, all or nothing."""
from __future__ import annotations

import io
import re

from openpyxl import Workbook

from ..conftest import VALID_USCC

HEADER = ["服务类型", "咨询渠道", "服务日期", "统一社会信用代码", "企业名称", "产品名称", "服务事项", "服务人员",
          "服务内容摘要", "下一步安排", "下次跟进日期", "主题", "参加人数"]


def xlsx(sheets: dict[str, list[list]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(staff, data: bytes, name: str):
    staff.get("/staff/records/import")
    return staff.client.post("/staff/records/import", content_type="multipart/form-data",
                             data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', staff.page).group(1),
                                   "file": (io.BytesIO(data), name)})


def problems(response) -> list[tuple[str, str, str, str]]:
    html = response.get_data(as_text=True)
    table = html.split('class="data-table import-problems"', 1)[1].split("</table>", 1)[0]
    return [tuple(re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row))
            for row in re.findall(r"<tr><td.*?</tr>", table)]


GOOD = [HEADER,
        ["咨询接待", "电话", "2026-03-05", VALID_USCC, "连云港测试医药有限公司", "血糖仪", "计量器具检定", "li",
         "电话咨询注册检验", "电话回访", "2026-03-19", None, None],
        ["走访调研", None, "2026-03-06", VALID_USCC, None, None, None, "wang", "走访生产现场", None, None, None, None]]


def test_a_good_workbook_is_imported_whole(staff, storage):
    import datetime as dt
    training = [["服务类型", "服务日期", "服务人员", "服务内容摘要", "主题", "参加人数", "参加企业"],
                ["法规宣贯/培训", dt.datetime(2026, 4, 1), "li", "宣贯会", "注册人制度", 40, "甲公司\n乙公司"]]
    r = upload(staff, xlsx({"咨询与走访": GOOD, "宣贯": training}), "服务记录.xlsx")
    assert r.status_code == 303, problems(r)
    rows, total = storage.list_records(limit=10)
    assert total == 3
    by_kind = {row["kind"]: row for row in rows}
    assert by_kind["consultation"]["channel"] == "phone" and by_kind["consultation"]["service_ids"] == ["metering"]
    assert by_kind["consultation"]["next_date"] == "2026-03-19" and by_kind["consultation"]["product_name"] == "血糖仪"
    assert by_kind["visit"]["org_name"] == "连云港测试医药有限公司"   # named in an earlier row of the file
    assert by_kind["training"]["date"] == "2026-04-01" and by_kind["training"]["headcount"] == 40
    assert all(row["source"] == "import" for row in rows)


def test_every_problem_by_sheet_row_and_column_and_nothing_stored(staff, storage):
    bad = [HEADER,
           GOOD[1],
           ["咨询接待", "传真", "2026-13-05", "91350100M000100Y44", "某公司", None, "不存在的事项", "li", "", None,
            None, None, None],
           [None] * len(HEADER),                       # an empty row is skipped
           ["法规宣贯/培训", None, "2026-03-07", None, None, None, None, "li", "宣贯", None, None, None, "很多"]]
    r = upload(staff, xlsx({"三月": bad}), "bad.xlsx")
    assert r.status_code == 400
    assert problems(r) == [
        ("三月", "3", "服务事项", "办事指南中没有服务事项“不存在的事项”"),
        ("三月", "3", "咨询渠道", "请从给出的选项中选择咨询渠道"),
        ("三月", "3", "服务日期", "请按“年-月-日”填写服务日期，例如 2026-11-25"),
        ("三月", "3", "统一社会信用代码", "统一社会信用代码的校验位（最后一位）与前 17 位不符，请对照营业执照逐位核对"),
        ("三月", "3", "服务内容摘要", "请填写服务内容摘要"),
        ("三月", "5", "主题", "法规宣贯/培训需要填写主题"),
        ("三月", "5", "参加人数", "参加人数应为整数，例如 3"),
    ]
    assert "没有导入任何记录" in r.get_data(as_text=True)
    assert storage.list_records()[1] == 0 and storage.products_of(VALID_USCC) == []


def test_csv_in_gbk_and_header_problems(staff, storage):
    text = "服务类型,服务日期,服务人员,服务内容摘要,统一社会信用代码,企业名称\n走访,2026/3/8,li,走访,%s,某医疗器械公司\n" % VALID_USCC
    r = upload(staff, text.encode("gb18030"), "records.csv")
    assert r.status_code == 303
    assert storage.list_records()[0][0]["date"] == "2026-03-08"
    r = upload(staff, "服务类型,日期,备注\n走访,2026-03-08,x\n".encode(), "x.csv")
    assert r.status_code == 400
    assert problems(r) == [("x.csv", "1", "—", "表头有无法识别的列：日期、备注"),
                           ("x.csv", "1", "—", "表头缺少必填列：服务日期、服务人员、服务内容摘要")]
    r = upload(staff, b"PK\x03\x04 not really a workbook", "x.xlsx")
    assert r.status_code == 400 and problems(r)[0][3].startswith("表格文件无法读取")
    r = upload(staff, b"%PDF-1.4", "x.pdf")
    assert r.status_code == 400 and problems(r)[0][3] == "请上传 .xlsx 或 .csv 格式的表格文件"
    assert storage.list_records()[1] == 1


def test_import_needs_login_and_csrf(app, staff, storage):
    data = xlsx({"s": GOOD})
    anonymous = app.test_client()
    r = anonymous.post("/staff/records/import", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), "a.xlsx")})
    assert r.status_code in (303, 400) and storage.list_records()[1] == 0
    r = staff.client.post("/staff/records/import", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(data), "a.xlsx")})
    assert r.status_code == 400 and storage.list_records()[1] == 0


def test_the_template_has_the_documented_headers(staff):
    from openpyxl import load_workbook
    r = staff.get("/staff/records/import/template.xlsx")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.get_data())).active
    headers = [c.value for c in next(sheet.iter_rows(max_row=1))]
    from forms_backend.forms.records_import import IMPORT_COLUMNS
    assert headers == [h for h, _, _ in IMPORT_COLUMNS]
    readme = (__import__("pathlib").Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    for header in headers:
        assert f"`{header}`" in readme


def test_an_export_imports_again(staff, storage):
    assert upload(staff, xlsx({"s": GOOD}), "a.xlsx").status_code == 303
    r = staff.get("/staff/exports/records.xlsx")
    assert r.status_code == 200
    again = upload(staff, r.get_data(), "export.xlsx")
    assert again.status_code == 303, problems(again)
    rows = storage.all_records()
    assert len(rows) == 4
    first, again = [r for r in rows if r["kind"] == "consultation"]
    keep = ("kind", "channel", "date", "uscc", "org_name", "product_id", "service_ids", "staff", "summary",
            "next_step", "next_date")
    assert {k: first[k] for k in keep} == {k: again[k] for k in keep}
