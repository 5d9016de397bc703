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


def test_the_shipped_testing_form_asks_for_a_non_public_standard_only(tmp_path):
    """Issue 15: the shipped 药品检验检测申请 needs the 检验依据 upload when the standard is not public."""
    from forms_backend import create_app

    from ...conftest import ROOT
    from ..conftest import APPLICANT, config
    app = create_app(config(tmp_path, GUIDE_PROJECT=ROOT))
    try:
        applicant = Applicant(app.test_client(), "drug-testing-application")
        answers = {**APPLICANT, "f_sample_name": "阿莫西林胶囊", "f_sample_type": "化学药品制剂", "f_specification": "0.25g",
                   "f_batch_number": "20261101", "f_sample_quantity": "20", "f_test_basis": "企业内控标准 QS-01",
                   "f_test_items": "全检", "f_purpose": "质量研究", "f_basis_public": "非公开标准"}
        assert applicant.fill(answers).status_code == 200
        assert ("f_standard_document", "请上传质量标准或检验方法") in errors_in(applicant.page)
        assert "企业内控标准 QS-01" in applicant.page
        assert applicant.fill(answers, {"f_standard_document": pdf_file("质量标准.pdf")}).status_code == 303
        public = Applicant(app.test_client(), "drug-testing-application")
        assert public.fill({**answers, "f_basis_public": "公开标准", "f_test_basis": "《中国药典》"}).status_code == 303
    finally:
        app.extensions["guide"].storage.close()
