"""forms/: every validation rule, as a pure function and through the real form over HTTP."""
from __future__ import annotations

import pytest

from forms_backend.forms.messages import MESSAGES, message
from forms_backend.forms.values import clean_ref, clean_uscc, phone_key, uscc_check_char

from ..conftest import DRUG, METERING, PDF, PNG, VALID_USCC, Applicant, errors_in, pdf_file


# ---------------------------------------------------------------- 统一社会信用代码 (GB 32100)

@pytest.mark.parametrize("code", [
    VALID_USCC,
    "91320700MA1MXXXX08",
    "12100000400000624D",
    "52320700MJ5678901D",
    " 9132 0706 MA1N 2E3F 4E ",       # spaces as printed on some licences
    "９１３５０１００Ｍ０００１００Ｙ４３",  # full-width, pasted from a Word file
    "91350100m000100y43",              # lower case
])
def test_valid_uscc_is_accepted_and_canonicalised(code):
    cleaned = clean_uscc(code)
    assert len(cleaned) == 18 and cleaned == cleaned.upper()
    assert uscc_check_char(cleaned[:17]) == cleaned[17]


@pytest.mark.parametrize("code, key", [
    ("91350100M000100Y44", "uscc_check"),    # last character wrong
    ("91350100M000100Y34", "uscc_check"),    # two characters swapped
    ("91350100M00010Y43", "uscc_length"),    # 17 characters
    ("91350100M000100Y433", "uscc_length"),  # 19 characters
    ("91350100M00O100Y43", "uscc_chars"),    # letter O is not used
    ("9135A100M000100Y43", "uscc_chars"),    # administrative division must be digits
])
def test_invalid_uscc_says_what_is_wrong(code, key):
    with pytest.raises(ValueError) as exc:
        clean_uscc(code)
    assert str(exc.value) == message(key, n=len(code.strip()))


def test_check_character_can_be_zero():
    # (31 - sum % 31) % 31 == 0 must give '0', not index 31.
    body = next(b for b in (f"9132070{n:010d}" for n in range(10_000)) if uscc_check_char(b) == "0")
    assert clean_uscc(body + "0") == body + "0"


# ---------------------------------------------------------------- phone numbers and references

@pytest.mark.parametrize("raw, key", [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("+86 138-1234-5678", "13812345678"),
    ("0518-85123456", "051885123456"),
    ("(0518)85123456", "051885123456"),
    ("010-12345678 转 123", "01012345678"),
    ("０５１８－８５１２３４５６", "051885123456"),
])
def test_phone_numbers_normalise_to_the_same_key(raw, key):
    assert phone_key(raw) == key


@pytest.mark.parametrize("raw", ["1381234567", "23812345678", "85123456", "phone", "0518-123", ""])
def test_not_a_phone_number(raw):
    assert phone_key(raw) is None


@pytest.mark.parametrize("raw", ["ZY-2611-7K3Q9", "zy-2611-7k3q9", "ZY26117K3Q9", " zy 2611 7k3q9 ", "ＺＹ－２６１１－７Ｋ３Ｑ９"])
def test_reference_numbers_however_typed(raw):
    assert clean_ref(raw) == "ZY-2611-7K3Q9"


# ---------------------------------------------------------------- the form over HTTP

def _post(client, service_id, data, files=None):
    person = Applicant(client, service_id)
    r = person.fill(data, files)
    return r, dict(errors_in(person.page)) if r.status_code == 200 else {}


@pytest.mark.parametrize("field, value, expected", [
    ("org_name", "", "请填写单位名称"),
    ("org_name", "   ", "请填写单位名称"),
    ("org_name", "公" * 201, "单位名称不能超过 200 个字，现在是 201 个字"),
    ("uscc", "", "请填写统一社会信用代码"),
    ("uscc", "91350100M000100Y44", MESSAGES["uscc_check"]),
    ("uscc", "12345", "统一社会信用代码应为 18 位，现在是 5 位"),
    ("uscc", "91350100M00O100Y43", MESSAGES["uscc_chars"]),
    ("contact_name", "", "请填写联系人"),
    ("phone", "", "请填写联系电话"),
    ("phone", "12345", MESSAGES["phone"]),
    ("email", "", "请填写电子邮箱"),
    ("email", "zhang@", MESSAGES["email"]),
    ("email", "zhang.example.com", MESSAGES["email"]),
    ("f_instruments", "", "请填写器具名称及数量"),
])
def test_applicant_and_textarea_rules(client, field, value, expected):
    r, errors = _post(client, "metering", {**METERING, field: value})
    assert r.status_code == 200
    assert errors == {field: expected}


@pytest.mark.parametrize("field, value, expected", [
    ("f_product_name", "", "请填写产品名称"),
    ("f_product_name", "药" * 51, "产品名称不能超过 50 个字，现在是 51 个字"),
    ("f_description", "说" * 501, "检验需求说明不能超过 500 个字，现在是 501 个字"),
    ("f_sample_count", "", "请填写样品数量"),
    ("f_sample_count", "三个", "样品数量应为整数，例如 3"),
    ("f_sample_count", "2.5", "样品数量应为整数，例如 3"),
    ("f_sample_count", "0", "样品数量不能小于 1"),
    ("f_sample_count", "51", "样品数量不能大于 50"),
    ("f_delivery_date", "", "请填写预计送样日期"),
    ("f_delivery_date", "明天", "请按“年-月-日”填写预计送样日期，例如 2026-11-25"),
    ("f_delivery_date", "2026-02-30", "请按“年-月-日”填写预计送样日期，例如 2026-11-25"),
    ("f_test_type", "", "请选择检验类别"),
    ("f_test_type", "other", "请从给出的选项中选择检验类别"),
    ("f_urgency", None, "请选择是否加急"),
    ("f_urgency", "tomorrow", "请从给出的选项中选择是否加急"),
    ("f_report_forms", ["paper", "fax"], "请从给出的选项中选择报告形式"),
    ("f_agree_sampling", None, "请勾选同意按规定抽取留样"),
    ("f_invoice_email", "not-an-email", MESSAGES["email"]),
    ("f_lab_phone", "110", MESSAGES["phone"]),
    ("f_manufacturer_uscc", "91350100M000100Y44", MESSAGES["uscc_check"]),
])
def test_service_field_rules(client, field, value, expected):
    data = {**DRUG, field: value}
    if value is None:
        del data[field]
    r, errors = _post(client, "drug-testing", data, {"f_spec_sheet": pdf_file()})
    assert r.status_code == 200
    assert errors == {field: expected}


@pytest.mark.parametrize("files, expected", [
    ({}, "请上传产品说明书"),
    ({"f_spec_sheet": (b"", "empty.pdf")}, MESSAGES["file_empty"]),
    ({"f_spec_sheet": (b"MZ\x90\x00" + b"\x00" * 200, "virus.pdf")}, "文件格式不符合要求，请上传 PDF、JPG、PNG 格式的文件"),
    ({"f_spec_sheet": ("<html><script>alert(1)</script></html>".encode(), "page.pdf")},
     "文件格式不符合要求，请上传 PDF、JPG、PNG 格式的文件"),
    ({"f_spec_sheet": (PDF + b"0" * (1024 * 1024), "big.pdf")}, "文件不能超过 1 MB，所选文件约 1.1 MB，请压缩或拆分后重新上传"),
])
def test_upload_rules(client, files, expected):
    import io
    files = {k: (io.BytesIO(v[0]), v[1]) for k, v in files.items()}
    r, errors = _post(client, "drug-testing", DRUG, files)
    assert r.status_code == 200
    assert errors == {"f_spec_sheet": expected}


@pytest.mark.parametrize("name, content", [("说明书.pdf", PDF), ("photo.PNG", PNG), ("scan.jpg", PNG)])
def test_upload_kind_is_read_from_content_not_name(client, name, content):
    # A PNG named scan.jpg is still a PNG, and PNG is allowed here: accepted as png.
    import io
    r, errors = _post(client, "drug-testing", DRUG, {"f_spec_sheet": (io.BytesIO(content), name)})
    assert r.status_code == 303, errors


def test_every_error_is_listed_in_question_order(client):
    r, errors = _post(client, "drug-testing", {"org_name": ""}, {})
    order = list(errors)
    assert order[:5] == ["org_name", "uscc", "contact_name", "phone", "email"]
    assert order.index("f_product_name") < order.index("f_spec_sheet") < order.index("f_agree_sampling")
