"""The 台账 import: every problem located (sheet, row, column), nothing stored while any row is
bad, a preview of added/updated/unchanged before anything is applied, idempotent re-import,
spreadsheet bombs and oversized files refused, formulas never evaluated."""
from __future__ import annotations

import io
import re
import zipfile

from openpyxl import Workbook, load_workbook

from forms_backend.forms import equipment_import
from forms_backend.forms.equipment_import import IMPORT_COLUMNS

from ..conftest import VALID_USCC, page_token

HEADERS = [h for h, _, _ in IMPORT_COLUMNS]
OTHER_USCC = "91320700MA1Y2X3A4K"


def row(**fields) -> list:
    base = {"统一社会信用代码": VALID_USCC, "企业名称": "连云港测试医药有限公司", "设备类别": "压力容器",
            "设备代码": "RQ-0001", "使用登记证编号": "容3207苏G00001(26)", "设备名称": "灭菌柜", "型号规格": "XG1.D",
            "安装地点": "一车间", "上次检验日期": "2025-12-10", "检验周期（月）": "12", "下次检验日期": "",
            "安全管理员": "王安全", "安全管理员手机": "13812345678", "安全管理员邮箱": "wang@example.com",
            "主要负责人": "赵总", "主要负责人手机": "", "主要负责人邮箱": "", "设备状态": "在用"}
    base.update(fields)
    return [base[h] for h in HEADERS]


def xlsx(sheets: dict[str, list[list]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        ws.append(HEADERS)
        for r in rows:
            ws.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list], encoding="utf-8-sig") -> bytes:
    lines = [",".join(HEADERS)] + [",".join(str(c) for c in r) for r in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def upload(staff, data: bytes, name: str = "台账.xlsx"):
    staff.get("/staff/equipment/import")
    return staff.client.post("/staff/equipment/import", data={"csrf_token": page_token(staff.page),
                                                                "file": (io.BytesIO(data), name)},
                             content_type="multipart/form-data")


def apply(staff, preview_html: str):
    token = re.search(r'name="token" value="([^"]+)"', preview_html).group(1)
    return staff.client.post("/staff/equipment/import/apply", data={"csrf_token": page_token(preview_html),
                                                                      "token": token})


def problems(html: str) -> list[tuple[str, str, str, str]]:
    return re.findall(r"<tr><td>([^<]*)</td><td class=\"num\">([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", html)


def test_every_bad_row_is_located_and_nothing_is_imported(staff, storage):
    data = xlsx({"一号厂区": [row(), row(设备代码="RQ-0002", 统一社会信用代码="91350100M000100Y44"),
                             row(设备代码="RQ-0003", 设备类别="火箭")],
                 "二号厂区": [row(设备代码="RQ-0004", 下次检验日期="2026-02-30", 上次检验日期=""),
                             row(设备代码="RQ-0001"),
                             row(设备代码="RQ-0005", 安全管理员手机="", 安全管理员邮箱="")]})
    r = upload(staff, data)
    assert r.status_code == 400
    found = problems(r.get_data(as_text=True))
    by_place = {(s, n, c): m for s, n, c, m in found}
    assert "校验位" in by_place[("一号厂区", "3", "统一社会信用代码")]
    assert "无法识别的设备类别“火箭”" in by_place[("一号厂区", "4", "设备类别")]
    assert "下次检验日期" in by_place[("二号厂区", "2", "下次检验日期")]
    assert "重复" in by_place[("二号厂区", "3", "设备代码")] and "一号厂区 第 2 行" in by_place[("二号厂区", "3", "设备代码")]
    assert "安全管理员的手机或邮箱" in by_place[("二号厂区", "4", "安全管理员")]
    assert len(found) == 5
    assert storage.list_equipment()[1] == 0


def test_preview_then_apply_then_reimport_changes_nothing(staff, storage):
    data = xlsx({"台账": [row(), row(设备代码="DT-0001", 设备类别="电梯", 设备名称="货梯", 下次检验日期="2027-01-20"),
                         row(设备代码="JL-0001", 设备类别="计量器具", 设备名称="压力表", **{"检验周期（月）": "6"})]})
    r = upload(staff, data)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "新增 <strong>3</strong> 台，更新 <strong>0</strong> 台，无变化 <strong>0</strong> 台" in page
    assert storage.list_equipment()[1] == 0          # a preview stores nothing
    r = apply(staff, page)
    assert r.status_code == 303
    stored = {e["device_code"]: e for e in storage.list_equipment()[0]}
    assert set(stored) == {"RQ-0001", "DT-0001", "JL-0001"}
    assert stored["JL-0001"]["kind"] == "measuring" and stored["JL-0001"]["due_date"] == "2026-06-10"
    assert stored["RQ-0001"]["due_date"] == "2026-12-10"
    # The same file again: nothing to do.
    page = upload(staff, data).get_data(as_text=True)
    assert "无变化 <strong>3</strong> 台" in page and "表格与台账一致，无需导入" in page and 'name="token"' not in page
    # One changed row: one update, shown with the old and the new value.
    data2 = xlsx({"台账": [row(安装地点="二车间"), row(设备代码="DT-0001", 设备类别="电梯", 设备名称="货梯",
                                                  下次检验日期="2027-01-20"),
                          row(设备代码="JL-0001", 设备类别="计量器具", 设备名称="压力表", **{"检验周期（月）": "6"})]})
    page = upload(staff, data2).get_data(as_text=True)
    assert "更新 <strong>1</strong> 台" in page and "安装地点：一车间 → 二车间" in page
    assert apply(staff, page).status_code == 303
    rec = storage.get_equipment(stored["RQ-0001"]["id"])
    assert rec["location"] == "二车间" and rec["events"][-1]["kind"] == "imported"


def test_csv_in_gbk_is_read(staff, storage):
    r = upload(staff, csv_bytes([row(设备代码="CS-1")], encoding="gb18030"), name="台账.csv")
    assert r.status_code == 200 and "新增 <strong>1</strong> 台" in r.get_data(as_text=True)


def test_a_code_registered_to_another_enterprise_is_refused(staff, storage):
    page = upload(staff, xlsx({"台账": [row()]})).get_data(as_text=True)
    apply(staff, page)
    r = upload(staff, xlsx({"台账": [row(统一社会信用代码=OTHER_USCC, 企业名称="乙公司")]}))
    assert r.status_code == 400 and "已登记在另一家企业名下" in r.get_data(as_text=True)


def test_formulas_are_read_as_saved_values_never_evaluated(staff, storage):
    book = Workbook()
    ws = book.active
    ws.append(HEADERS)
    ws.append(row(安装地点="=1+1"))
    ws.append(row(设备代码="RQ-0002", 设备名称="=HYPERLINK(\"http://evil.example\",\"x\")"))
    out = io.BytesIO()
    book.save(out)
    r = upload(staff, out.getvalue())
    # openpyxl saves no computed value: the formulas read as empty cells, never as 2 or a link.
    found = problems(r.get_data(as_text=True))
    assert found == [("Sheet", "3", "设备名称", "请填写设备名称")]


def test_a_spreadsheet_bomb_is_refused_before_it_is_parsed(staff, storage):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", " " * (8 * 1024 * 1024))
    r = upload(staff, out.getvalue())
    assert r.status_code == 400 and "疑似压缩炸弹" in r.get_data(as_text=True)


def test_an_oversized_file_is_refused(staff, storage, monkeypatch):
    monkeypatch.setattr(equipment_import, "MAX_BYTES", 1024)
    r = upload(staff, csv_bytes([row(设备代码=f"X-{i}") for i in range(20)]), name="台账.csv")
    assert r.status_code == 400 and "表格文件太大" in r.get_data(as_text=True)


def test_other_files_and_headers_are_refused(staff):
    r = upload(staff, b"%PDF-1.4", name="台账.pdf")
    assert r.status_code == 400 and ".xlsx 或 .csv" in r.get_data(as_text=True)
    r = upload(staff, "设备代码,颜色\nA,红\n".encode(), name="台账.csv")
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "无法识别的列：颜色" in page and "缺少必填列" in page


def test_the_template_has_the_documented_columns(staff):
    r = staff.get("/staff/equipment/import/template.xlsx")
    ws = load_workbook(io.BytesIO(r.data)).active
    assert [c.value for c in ws[1]] == HEADERS
    r = staff.get("/staff/equipment/import/template.csv")
    assert r.get_data(as_text=True).lstrip("\ufeff").splitlines()[0] == ",".join(HEADERS)


def test_apply_needs_the_preview_of_this_session(staff, client, storage):
    page = upload(staff, xlsx({"台账": [row()]})).get_data(as_text=True)
    r = staff.client.post("/staff/equipment/import/apply", data={"csrf_token": page_token(page), "token": "forged"})
    assert r.status_code == 303 and storage.list_equipment()[1] == 0
