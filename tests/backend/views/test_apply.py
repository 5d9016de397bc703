"""apply.py: form → check answers → submit → confirmation, through the Flask test client."""
from __future__ import annotations

import re

import pytest

from forms_backend.storage import REF_ALPHABET

from ..conftest import DRUG, METERING, Applicant, csrf_token, errors_in, pdf_file, submission_token


def test_index_lists_services_that_take_applications(client):
    page = client.get("/apply/").get_data(as_text=True)
    assert "药品检验检测" in page and "计量器具检定" in page
    assert "质量咨询" not in page and "暂停受理的服务" not in page


@pytest.mark.parametrize("service_id", ["consulting", "paused", "no-such-service"])
def test_services_without_an_enabled_form_are_not_found(client, service_id):
    r = client.get(f"/apply/{service_id}")
    assert r.status_code == 404
    assert "页面不存在" in r.get_data(as_text=True)


def test_form_has_applicant_and_service_fields_with_labels(client):
    page = client.get("/apply/drug-testing").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "测试服务指南" in page  # the guide's title in the header
    for name, label in [("org_name", "单位名称"), ("uscc", "统一社会信用代码"), ("contact_name", "联系人"),
                        ("phone", "联系电话"), ("email", "电子邮箱"), ("f_product_name", "产品名称"),
                        ("f_spec_sheet", "产品说明书")]:
        assert f'<label class="form-label" for="field-{name}">{label}' in page
    assert 'enctype="multipart/form-data"' in page and "novalidate" in page
    assert '<legend class="form-label">是否加急</legend>' in page
    assert 'accept=".pdf,.jpg,.png"' in page
    assert "<script>" not in page  # no inline script


def test_errors_come_back_with_summary_links_messages_and_everything_typed(client):
    person = Applicant(client, "drug-testing")
    typed = {**DRUG, "uscc": "91350100M000100Y44", "f_sample_count": "abc", "f_description": "第一行\n第二行"}
    r = person.fill(typed, {"f_spec_sheet": pdf_file()})
    assert r.status_code == 200
    page = person.page
    assert page.count('class="error-summary"') == 1
    assert "<title>错误：" in page
    assert errors_in(page) == [("uscc", "统一社会信用代码的校验位（最后一位）与前 17 位不符，请对照营业执照逐位核对"),
                               ("f_sample_count", "样品数量应为整数，例如 3")]
    # each message sits next to its field, tied to it for screen readers
    assert 'id="field-uscc-error"' in page and 'aria-describedby="field-uscc-hint field-uscc-error"' in page
    assert re.search(r'id="field-uscc"[^>]*aria-invalid="true"', page)
    # what was typed is kept, including the wrong values
    assert 'value="91350100M000100Y44"' in page and 'value="abc"' in page
    assert 'value="连云港测试医药有限公司"' in page and ">第一行\n第二行</textarea>" in page
    assert re.search(r'value="entrust" selected', page)
    assert re.search(r'id="field-f_urgency" name="f_urgency" value="normal" checked', page)
    assert re.search(r'name="f_report_forms" value="paper" checked', page)
    assert re.search(r'name="f_agree_sampling" value="y" checked', page)
    # the file that passed is kept, so it need not be chosen again
    assert "已上传：说明书.pdf" in page


def test_file_kept_from_an_earlier_attempt_satisfies_a_required_upload(client, storage):
    person = Applicant(client, "drug-testing")
    person.fill({**DRUG, "org_name": ""}, {"f_spec_sheet": pdf_file()})
    r = person.fill(DRUG)  # no file this time
    assert r.status_code == 303
    person.check()
    assert "说明书.pdf" in person.page


def test_valid_answers_lead_to_check_page_with_change_links_and_declaration(client):
    person = Applicant(client, "drug-testing")
    r = person.fill(DRUG, {"f_spec_sheet": pdf_file()})
    assert r.status_code == 303 and r.headers["Location"].endswith("/apply/drug-testing/check")
    page = person.check().get_data(as_text=True)
    assert "核对申请信息" in page
    for shown in ["连云港测试医药有限公司", "91350100M000100Y43", "阿莫西林胶囊", "2026年12月1日", "委托检验",
                  "普通", "纸质报告、电子报告", "说明书.pdf", "是"]:
        assert shown in page
    assert 'href="/apply/drug-testing?change=uscc#field-uscc"' in page
    assert '更改<span class="visually-hidden">统一社会信用代码</span>' in page
    assert "<strong>真实、有效</strong>" in page  # the declaration, Markdown rendered
    assert submission_token(page)


def test_change_link_returns_the_filled_form_focused_on_that_field(client):
    person = Applicant(client, "drug-testing")
    person.fill(DRUG, {"f_spec_sheet": pdf_file()})
    page = person.open_form(change="f_sample_count").get_data(as_text=True)
    assert re.search(r'id="field-f_sample_count"[^>]*value="3"[^>]*autofocus', page)
    assert 'value="2026-12-01"' in page and "已上传：说明书.pdf" in page
    r = person.fill({**DRUG, "f_sample_count": "7"})
    assert r.status_code == 303
    assert "<dd class=\"summary-list__value\">7</dd>" in person.check().get_data(as_text=True)


def test_submit_gives_a_reference_number_and_confirmation(client, storage):
    person = Applicant(client, "drug-testing")
    ref = person.apply(DRUG, {"f_spec_sheet": pdf_file()})
    assert re.fullmatch(rf"ZY-\d{{4}}-[{REF_ALPHABET}]{{5}}", ref)
    assert not set(ref.split("-")[2]) & set("0O1IL")
    page = client.get(f"/apply/done/{ref}").get_data(as_text=True)
    assert "申请编号" in page and ref in page
    assert "工作人员将在 2 个工作日内审核申请" in page  # next_steps from the YAML
    assert f'href="/track?ref={ref}"' in page
    assert "受理回执" in page
    app = storage.get_application(ref)
    assert app.status == "submitted" and app.phone == "13812345678"
    assert {a["id"]: a["display"] for a in app.answers}["f_report_forms"] == "纸质报告、电子报告"
    assert [u["original_name"] for u in storage.uploads_of(app.id)] == ["说明书.pdf"]


def test_double_submit_or_replay_yields_one_application(client, storage):
    person = Applicant(client, "metering")
    person.fill(METERING)
    person.check()
    first = person.submit()
    again = person.submit()
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert storage.count_applications() == 1
    # the check page after submitting leads to the same confirmation
    assert client.get("/apply/metering/check").headers["Location"] == first.headers["Location"]


def test_a_new_application_after_submitting_starts_empty(client, storage):
    person = Applicant(client, "metering")
    first = person.apply(METERING)
    page = person.open_form().get_data(as_text=True)
    assert "电子天平" not in page
    second = Applicant(client, "metering").apply({**METERING, "f_instruments": "压力表 1 块"})
    assert first != second and storage.count_applications() == 2


def test_answers_changed_after_checking_must_be_checked_again(client, storage):
    person = Applicant(client, "metering")
    person.fill(METERING)
    stale = submission_token(person.check().get_data(as_text=True))
    person.fill({**METERING, "f_instruments": "换成别的"})
    person.check()
    r = person.submit(token=stale)
    assert r.status_code == 303 and r.headers["Location"].endswith("/apply/metering/check")
    assert storage.count_applications() == 0


def test_confirmation_is_only_shown_to_the_session_that_submitted(client, app):
    ref = Applicant(client, "metering").apply(METERING)
    other = app.test_client()
    assert other.get(f"/apply/done/{ref}").status_code == 404


def test_check_page_without_answers_goes_back_to_the_form(client):
    r = client.get("/apply/metering/check")
    assert r.status_code == 303 and r.headers["Location"].endswith("/apply/metering")


def test_submit_without_a_draft_explains_and_returns_to_the_form(client):
    page = client.get("/apply/metering").get_data(as_text=True)
    r = client.post("/apply/metering/submit", data={"csrf_token": csrf_token(page), "submission": "x"})
    assert r.status_code == 303
    assert "申请已过期" in client.get(r.headers["Location"]).get_data(as_text=True)


def test_honeypot_refuses_the_post_and_keeps_no_file(client, app, storage):
    person = Applicant(client, "drug-testing")
    r = person.fill({**DRUG, "website": "http://spam.example"}, {"f_spec_sheet": pdf_file()})
    assert r.status_code == 400
    assert storage.counts()["drafts"] == 0
    assert not any((app.config["UPLOAD_DIR"]).glob("*")) if app.config["UPLOAD_DIR"].exists() else True


def test_backend_pages_carry_the_edition_line_of_a_draft_guide(client, tmp_path):
    from forms_backend import create_app

    from ...conftest import copy_project
    from ..conftest import FIXTURE, config

    # The fixture guide is fully confirmed: no edition line.
    assert "征求意见稿" not in client.get("/apply/").get_data(as_text=True)
    draft = copy_project(FIXTURE, tmp_path / "draft")
    svc = draft / "content" / "services" / "consulting.yml"
    text = svc.read_text(encoding="utf-8")
    svc.write_text(text[: text.index("  confirmed:")], encoding="utf-8")
    app = create_app(config(tmp_path, GUIDE_PROJECT=draft))
    try:
        for url in ("/apply/", "/track"):
            page = app.test_client().get(url).get_data(as_text=True)
            assert 'class="guide-edition"' in page and "征求意见稿（" in page, url
    finally:
        app.extensions["guide"].storage.close()


def test_the_receipt_names_no_placeholder_as_a_contact(tmp_path):
    """A provider's phone or email still 【待补充】 is left out of the receipt's "如有疑问，请联系"
    (it read "测试计量中心 【待补充】"); with nothing known the line is left out."""
    from forms_backend import create_app

    from ...conftest import copy_project
    from ..conftest import FIXTURE, config

    draft = copy_project(FIXTURE, tmp_path / "draft")
    providers = draft / "content" / "providers.yml"
    text = providers.read_text(encoding="utf-8")
    text = text.replace("phone: 0518-81111111", "phone: 【待补充】").replace("phone: 0518-82222222", "phone: 【待补充】")
    providers.write_text(text, encoding="utf-8")
    app = create_app(config(tmp_path, GUIDE_PROJECT=draft))
    try:
        client = app.test_client()
        ref = Applicant(client, "drug-testing").apply(DRUG, {"f_spec_sheet": pdf_file()})
        page = client.get(f"/apply/done/{ref}").get_data(as_text=True)
        assert "如有疑问，请联系：测试检验检测中心 centre@guide.test</p>" in page
        other = app.test_client()
        ref = Applicant(other, "metering").apply(METERING)
        page = other.get(f"/apply/done/{ref}").get_data(as_text=True)
        assert "受理回执" in page and "如有疑问" not in page and "【待补充】" not in page
    finally:
        app.extensions["guide"].storage.close()
