"""Conditional questions (show_if), date rules (not_past) and uploads that follow the guide's
required materials, in the form the backend builds from YAML."""
from __future__ import annotations

import datetime as dt

from site_builder.content import model

from forms_backend.forms.applicant import question_from_spec

from ..conftest import DRUG, Applicant, errors_in, pdf_file


def test_a_conditional_question_is_required_only_when_its_answer_is_chosen(client):
    applicant = Applicant(client, "drug-testing")
    r = applicant.fill({**DRUG, "f_urgency": "urgent"}, {"f_spec_sheet": pdf_file()})
    assert r.status_code == 200 and ("f_urgent_reason", "请填写加急理由") in errors_in(applicant.page)
    assert "选择“加急”时填写" in applicant.page
    # Not urgent: the reason (typed earlier, still sent by a browser without JavaScript) is ignored.
    r = applicant.fill({**DRUG, "f_urgency": "normal", "f_urgent_reason": "赶注册申报"})
    assert r.status_code == 303
    check = applicant.check().get_data(as_text=True)
    assert "加急理由" not in check and "赶注册申报" not in check
    r = applicant.fill({**DRUG, "f_urgency": "urgent", "f_urgent_reason": "赶注册申报"})
    assert r.status_code == 303 and "赶注册申报" in applicant.check().get_data(as_text=True)


def test_a_date_in_the_past_is_refused_with_a_clear_message(client):
    applicant = Applicant(client, "drug-testing")
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    r = applicant.fill({**DRUG, "f_pickup_date": yesterday}, {"f_spec_sheet": pdf_file()})
    assert r.status_code == 200
    [(name, text)] = [e for e in errors_in(applicant.page) if e[0] == "f_pickup_date"]
    assert text.startswith("希望取报告日期不能早于今天（")
    in_a_week = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    assert applicant.fill({**DRUG, "f_pickup_date": in_a_week}).status_code == 303


def test_an_upload_of_a_required_material_is_required():
    spec = model.FormField(id="equipment_list", label="申报清单", type="file", accept=["xlsx"])
    material = model.Material(name="定期检验申报清单", required=True, upload="equipment_list")
    q = question_from_spec(spec, [material])
    assert q.required and q.materials == ("定期检验申报清单",)
    optional = model.Material(name="上一次检验报告", required=False, upload="equipment_list")
    assert not question_from_spec(spec, [optional]).required


def test_the_form_offers_the_materials_blank_form_and_sample(client):
    page = client.get("/apply/drug-testing").get_data(as_text=True)
    assert "办事指南所列材料：产品说明书" in page
    assert '<a href="/files/spec-template.xlsx" download>下载空白表格</a>' in page
    assert '<a href="/files/spec-sample.xlsx" download>下载示例样表</a>' in page
