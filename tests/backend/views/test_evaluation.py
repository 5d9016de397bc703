"""The yearly evaluation (seed 001, 10) from a fixture of known offline records: the figures per
heading on the printable report and in its CSV export."""
from __future__ import annotations

import csv
import io

from ..conftest import VALID_USCC

OTHER = "91320700MA1Y2X3A4K"


def rec(kind: str, date: str, **extra) -> dict:
    base = {"kind": kind, "date": date, "uscc": VALID_USCC, "org_name": "甲医疗器械有限公司", "staff": "li",
            "summary": f"{kind} {date}"}
    base.update(extra)
    return base


def fixture_records() -> list[dict]:
    rows = [rec("consultation", "2025-03-01", channel="phone", duration_minutes=10),
            rec("consultation", "2025-03-02", channel="phone", duration_minutes=20),
            rec("consultation", "2025-03-03", channel="phone"),
            rec("consultation", "2025-04-01", channel="walk_in", duration_minutes=30),
            rec("consultation", "2025-04-02", channel="walk_in"),
            rec("consultation", "2025-05-01", channel="online"),
            rec("visit", "2025-06-01"), rec("visit", "2025-06-15"),
            rec("visit", "2025-07-01", uscc=OTHER, org_name="乙生物科技有限公司"),
            rec("training", "2025-08-01", uscc=None, org_name=None, topic="医疗器械注册人制度宣贯", headcount=30),
            rec("training", "2025-09-01", uscc=None, org_name=None, topic="体系核查要点", headcount=45),
            rec("staff_training", "2025-10-01", uscc=None, org_name=None, topic="审评要点培训", headcount=3,
                duration_minutes=120),
            rec("mock_inspection", "2025-10-10"), rec("pre_review", "2025-10-11"), rec("pre_review", "2025-10-12"),
            # product contacts: 血糖仪 every <= 14 days to the year's end, 体温计 with a 19-day gap,
            # 血压计 once, 11 days before the year's end
            *[rec("consultation", d, channel="phone", product_name="血糖仪")
              for d in ("2025-12-01", "2025-12-10", "2025-12-20", "2025-12-31")],
            *[rec("visit", d, product_name="体温计") for d in ("2025-11-01", "2025-11-20")],
            rec("visit", "2025-12-20", uscc=OTHER, org_name="乙生物科技有限公司", product_name="血压计"),
            # other years do not count
            rec("visit", "2024-12-31"), rec("training", "2026-01-01", topic="次年", headcount=99)]
    return rows


def test_evaluation_figures_from_known_records(staff, storage):
    storage.import_records(fixture_records(), actor="staff:li")
    products = {p["name"]: p["id"] for p in storage.products_of(VALID_USCC)}
    storage.save_product(VALID_USCC, "血糖仪", product_class="第二类医疗器械", flag="innovation",
                         flagged_on="2025-05-01", product_id=products["血糖仪"])
    storage.save_product(VALID_USCC, "体温计", flag="priority", flagged_on="2024-12-01", product_id=products["体温计"])

    r = staff.get("/staff/report/2025/evaluation.csv")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["年度", "评估项目", "指标", "数值"]
    figures = {(h, k): v for _, h, k, v in rows[1:]}
    assert figures[("咨询接待", "线下咨询接待（次）")] == "10"
    assert figures[("咨询接待", "其中电话（次）")] == "7"
    assert figures[("咨询接待", "其中来访（次）")] == "2"
    assert figures[("咨询接待", "其中线上（次）")] == "1"
    assert figures[("走访调研", "走访调研（次）")] == "6"
    assert figures[("走访调研", "走访企业（家）")] == "2"
    assert figures[("法规宣贯", "宣贯/培训场次")] == "2"
    assert figures[("法规宣贯", "参加人次")] == "75"
    assert figures[("人员参训", "参训人次")] == "3"
    assert figures[("人员参训", "培训学时（小时）")] == "2.0"
    assert figures[("依申请服务", "现场模拟检查（次）")] == "1"
    assert figures[("依申请服务", "注册资料预审（次）")] == "2"
    assert figures[("区域内创新及优先产品信息收集", "认定的创新产品（个）")] == "1"
    assert figures[("区域内创新及优先产品信息收集", "认定的优先审批产品（个）")] == "0"
    assert figures[("定期服务追踪", "有服务记录的产品（个）")] == "3"
    assert figures[("定期服务追踪", "至少每 14 天联系一次的产品（个）")] == "2"
    assert figures[("定期服务追踪", "占比（%）")] == "66.7"

    page = staff.get("/staff/report/2025").get_data(as_text=True)
    section = page.split('id="r7"', 1)[1]
    assert "全年记录线下服务 <strong>22</strong> 次" in section
    assert "医疗器械注册人制度宣贯" in section and "次年" not in section
    irregular = section.split("联系间隔超过 14 天的产品", 1)[1].split("</table>", 1)[0]
    assert "体温计" in irregular and "血糖仪" not in irregular and "血压计" not in irregular
    assert "血糖仪" in section.split("表 11", 1)[1].split("</table>", 1)[0]   # the innovation product
    # the online figures stay next to them; the manual table keeps only what records cannot say
    assert "一、咨询接待与服务办理" in page and "工作制度建立" in page and "基础保障建设" in page


def test_an_online_contact_on_a_filed_application_counts_for_its_product(staff, storage):
    from ..conftest import make_application, set_time
    storage.import_records([rec("visit", "2025-12-01", product_name="血糖仪")], actor="staff:li")
    pid = storage.products_of(VALID_USCC)[0]["id"]
    ref = make_application(storage)
    storage.file_application(ref, VALID_USCC, pid)
    storage.add_contact(ref, actor="staff:li", channel="phone", at="2025-12-14T02:00:00.000+00:00", note="进展")
    figures = {(h, k): v for _, h, k, v in csv.reader(io.StringIO(
        staff.get("/staff/report/2025/evaluation.csv").get_data(as_text=True).lstrip("\ufeff")))}
    # 12-01 -> 12-14 (contact, local date) -> 12-31: gaps 13 and 17: not regular
    assert figures[("定期服务追踪", "至少每 14 天联系一次的产品（个）")] == "0"
    storage.import_records([rec("visit", "2025-12-24", product_name="血糖仪")], actor="staff:li")
    figures = {(h, k): v for _, h, k, v in csv.reader(io.StringIO(
        staff.get("/staff/report/2025/evaluation.csv").get_data(as_text=True).lstrip("\ufeff")))}
    assert figures[("定期服务追踪", "至少每 14 天联系一次的产品（个）")] == "1"
