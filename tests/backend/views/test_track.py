"""track.py: reference + phone → status and history; the same answer for wrong and missing."""
from __future__ import annotations

import re

import pytest

from forms_backend import create_app

from ..conftest import METERING, Applicant, config, csrf_token, errors_in, track

NOT_FOUND = "没有找到与该申请编号和联系电话相符的申请"


@pytest.fixture
def ref(client):
    return Applicant(client, "metering").apply({**METERING, "phone": "0518-85123456"})


def test_track_page_has_the_form(client):
    page = client.get("/track").get_data(as_text=True)
    assert '<label class="form-label" for="field-ref">申请编号</label>' in page
    assert '<label class="form-label" for="field-phone">联系电话或查询码</label>' in page


def test_track_link_from_confirmation_fills_in_the_reference(client, ref):
    page = client.get(f"/track?ref={ref.lower()}").get_data(as_text=True)
    assert f'value="{ref}"' in page


def test_right_pair_shows_status_and_dated_history(app, ref, storage):
    storage.set_status(ref, "accepted", actor="staff:li", note="材料齐全，已受理")
    storage.set_status(ref, "needs_info", actor="staff:li", note="请补充检定证书复印件")
    storage.set_status(ref, "in_progress", actor="staff:li", note="内部备注", public=False)
    page = track(app.test_client(), ref, "0518 85123456").get_data(as_text=True)
    assert f"申请编号 {ref}" in page
    assert '<strong class="status status--in_progress">办理中</strong>' in page
    history = re.findall(r'<span class="history__what">([^<]+)</span>', page)
    assert history == ["已提交", "已受理", "需补正材料"]  # the private step is not shown
    assert "请补充检定证书复印件" in page and "内部备注" not in page
    assert re.search(r'<time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d</time>', page)


@pytest.mark.parametrize("typed", ["{ref}", "{lower}", "{bare}"])
def test_reference_may_be_typed_loosely(app, ref, typed):
    text = typed.format(ref=ref, lower=ref.lower(), bare=ref.replace("-", ""))
    page = track(app.test_client(), text, "051885123456").get_data(as_text=True)
    assert "track-result" in page


def test_wrong_phone_and_missing_reference_get_the_same_answer(app, ref):
    wrong_phone = track(app.test_client(), ref, "13900000000")
    missing = track(app.test_client(), "ZY-2611-AAAAA", "0518-85123456")
    assert wrong_phone.status_code == missing.status_code == 200
    for r in (wrong_phone, missing):
        page = r.get_data(as_text=True)
        assert NOT_FOUND in page and "track-result" not in page

    def strip(page):  # everything but the echoed input and the CSRF token must be identical
        page = re.sub(r'value="[^"]*"', "", page)
        return page
    assert strip(wrong_phone.get_data(as_text=True)) == strip(missing.get_data(as_text=True))


@pytest.mark.parametrize("ref_value, phone, expected", [
    ("", "13812345678", [("ref", "请填写申请编号")]),
    ("ZY-2611-AAAAA", "", [("phone", "请填写联系电话")]),
    ("", "", [("ref", "请填写申请编号"), ("phone", "请填写联系电话")]),
])
def test_track_form_validation(client, ref_value, phone, expected):
    page = track(client, ref_value, phone).get_data(as_text=True)
    assert errors_in(page) == expected


def test_tracking_is_rate_limited(tmp_path):
    app = create_app(config(tmp_path, GUIDE_RATELIMIT_ENABLED=True))
    client = app.test_client()
    token = csrf_token(client.get("/track").get_data(as_text=True))
    codes = [client.post("/track", data={"csrf_token": token, "ref": "ZY-2611-AAAAA", "phone": "13812345678"}
                         ).status_code for _ in range(11)]
    assert codes[:10] == [200] * 10 and codes[10] == 429
    r = client.post("/track", data={"csrf_token": token, "ref": "x", "phone": "y"})
    assert "操作太频繁" in r.get_data(as_text=True)
    assert client.get("/track").status_code == 200  # reading the form is not limited
