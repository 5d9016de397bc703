"""The guide and the online form agree: `guide check` reports (file:line) a required material with
no upload, an optional upload of a required material, and conditional questions that point nowhere."""
from __future__ import annotations

from .test_validation import SVC, messages, mutate

MATERIAL = "  - name: 检验委托书\n    required: true\n"
UPLOAD = "    - id: report_file\n      label: 检验委托书扫描件\n      type: file\n      required: true\n"


def test_a_required_material_without_an_upload_is_a_warning(mini):
    assert messages(mini) == []
    assert (f"{SVC}:11:5: warning: required material '检验委托书' has no upload in the online form — link its "
            "file field with 'upload: <field id>', or say why not with 'no_upload: <reason>'") in messages(mini, "warning")


def test_a_reason_or_a_link_settles_it(mini):
    mutate(mini, SVC, MATERIAL, MATERIAL + "    no_upload: 原件在送样时当面提交\n")
    assert not any("检验委托书" in w for w in messages(mini, "warning"))
    mutate(mini, SVC, "    no_upload: 原件在送样时当面提交\n", "    upload: report_file\n")
    assert messages(mini) == [] and not any("检验委托书" in w for w in messages(mini, "warning"))


def test_an_optional_upload_of_a_required_material_is_an_error(mini):
    mutate(mini, SVC, MATERIAL, MATERIAL + "    upload: report_file\n")
    mutate(mini, SVC, UPLOAD, UPLOAD.replace("required: true", "required: false"))
    assert (f"{SVC}:62:7: error: the guide lists '检验委托书' as required, but its upload 'report_file' is optional — "
            "remove 'required: false' (the upload follows the material), or make the material 'required: false'"
            ) in messages(mini)


def test_an_upload_link_to_no_file_field_is_an_error(mini):
    mutate(mini, SVC, MATERIAL, MATERIAL + "    upload: report_fil\n")
    assert (f"{SVC}:13:5: error: material '检验委托书' names upload field 'report_fil', which is not a file field "
            "of the form — did you mean 'report_file'?") in messages(mini)


def test_conditional_questions_must_point_at_an_earlier_choice_and_its_option(mini):
    choice = ("    - id: sending\n      label: 送样方式\n      type: radio\n      options: [自送, 邮寄]\n"
              "    - id: address\n      label: 寄回地址\n      type: text\n      show_if: {field: sending, value: 快递}\n")
    mutate(mini, SVC, "    - id: report_file\n", choice + "    - id: report_file\n")
    assert (f"{SVC}:65:33: error: '快递' is not an option of 'sending' — use one of: 自送, 邮寄") in messages(mini)
    mutate(mini, SVC, "value: 快递", "value: 邮寄")
    assert messages(mini) == []
    mutate(mini, SVC, "field: sending", "field: batches")
    assert any("'show_if' of 'address' points at 'batches', which is not an earlier choice question" in e
               for e in messages(mini))


def test_not_past_is_for_dates_only(mini):
    mutate(mini, SVC, "      max_length: 100\n", "      max_length: 100\n      not_past: true\n")
    assert any("'not_past' only applies to date fields" in e for e in messages(mini))


def test_the_shipped_guide_links_or_explains_every_required_material():
    """Issue 15: every required material of a shipped online form is an upload or says why not."""
    from site_builder.content import load_project

    from forms_backend.forms.applicant import question_from_spec

    from ..conftest import ROOT, TODAY
    project = load_project(ROOT, today=TODAY)
    assert not [d.format() for d in project.diagnostics if "has no upload in the online form" in d.message]
    linked = 0
    for svc in project.services.values():
        if not (svc.application and svc.application.enabled):
            continue
        fields = {f.id: f for f in svc.application.fields}
        for m in svc.materials:
            if m.required and m.upload:
                question = question_from_spec(fields[m.upload], svc.materials, svc.application.fields)
                assert question.required and question.type == "file", (svc.id, m.name)
                linked += 1
            elif m.required:
                assert m.no_upload and m.no_upload.strip(), (svc.id, m.name)
    assert linked >= 20
    # Copies of certificates and licences are uploads; a document needed only in some cases is a
    # conditional upload, required once the applicant says the case applies.
    registration = project.services["special-equipment-registration"]
    assert {m.upload for m in registration.materials if m.required} == {
        "registration_form", "business_license", "certificate_of_conformity", "supervision_inspection_cert"}
    supervision = {f.id: f for f in registration.application.fields}["supervision_inspection_cert"]
    assert (supervision.show_if.field, supervision.show_if.value) == ("supervision_required", "是")
    testing = {m.name: m for m in project.services["drug-testing-application"].materials}
    assert testing["检验用样品"].no_upload and testing["检验依据（质量标准、检验方法）"].upload == "standard_document"
