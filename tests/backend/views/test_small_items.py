"""Smaller items of issue 15: names stored as typed and matched either way; the tracking page
says where the 意见箱 query code goes."""
from __future__ import annotations

from ..conftest import METERING, Applicant, VALID_USCC


def test_company_name_is_stored_as_typed_and_found_with_either_bracket(app, client, storage, staff):
    typed = "连云港恒瑞（医药）有限公司"
    ref = Applicant(client, "metering").apply({**METERING, "org_name": f"  {typed} "})
    assert storage.get_application(ref).org_name == typed  # full-width brackets kept
    for query in ("恒瑞(医药)", "恒瑞（医药）"):
        assert [e["uscc"] for e in storage.enterprises(query)] == [VALID_USCC]
        page = staff.get("/staff/", query_string={"enterprise": query}).get_data(as_text=True)
        assert ref in page
    assert staff.get("/staff/archive", query_string={"q": "恒瑞(医药)"}).status_code == 200


def test_tracking_page_names_the_query_code_field(client):
    page = client.get("/track").get_data(as_text=True)
    assert "联系电话或查询码" in page and "查询意见箱编号（YJ 开头）时填写提交时给出的查询码" in page
