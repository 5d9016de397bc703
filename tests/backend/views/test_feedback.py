"""feedback.py: page feedback (with and without JavaScript), the 五级好差评 rating, the 意见箱."""
from __future__ import annotations

import json
import re

import pytest

from forms_backend import create_app

from ..conftest import config, csrf_token, errors_in, make_application, track

PAGE = "/services/metering/"


def votes(storage) -> list[tuple]:
    return [tuple(r) for r in storage.db.execute("SELECT page, helpful, comment FROM page_feedback ORDER BY id")]


# ---------------------------------------------------------------- page feedback without JavaScript

def test_no_link_opens_a_small_form_that_records_the_vote(client, storage):
    r = client.get("/feedback/page", query_string={"page": PAGE, "helpful": "no"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "本页是否有帮助？" in page
    assert "请不要填写姓名、电话、身份证号等个人信息" in page
    assert re.search(r'id="field-helpful-2" name="helpful" value="no" checked', page)
    assert votes(storage) == []  # opening the link records nothing
    r = client.post("/feedback/page", data={"csrf_token": csrf_token(page), "page": PAGE, "helpful": "no",
                                            "comment": "没有写清楚检定周期"})
    assert r.status_code == 200 and "感谢您的反馈" in r.get_data(as_text=True)
    assert votes(storage) == [(PAGE, 0, "没有写清楚检定周期")]


def test_fallback_form_needs_an_answer_and_keeps_the_text(client, storage):
    page = client.get("/feedback/page", query_string={"page": PAGE}).get_data(as_text=True)
    r = client.post("/feedback/page", data={"csrf_token": csrf_token(page), "page": PAGE, "comment": "写了一半"})
    assert errors_in(r.get_data(as_text=True)) == [("helpful", "请选择本页是否有帮助")]
    assert "写了一半" in r.get_data(as_text=True) and votes(storage) == []


@pytest.mark.parametrize("bad", ["https://evil.example/", "//evil.example/x", "services/metering/", "/a\nb",
                                 "/" + "x" * 400, "/../etc/passwd", "", "javascript:alert(1)", '/x"><script>'])
def test_page_must_be_a_path_of_the_guide(client, storage, bad):
    assert client.get("/feedback/page", query_string={"page": bad, "helpful": "yes"}).status_code == 400
    page = client.get("/feedback/page", query_string={"page": PAGE}).get_data(as_text=True)
    r = client.post("/feedback/page", data={"csrf_token": csrf_token(page), "page": bad, "helpful": "yes"})
    assert r.status_code == 400 and votes(storage) == []


def test_query_and_fragment_are_dropped_from_the_page(client, storage):
    page = client.get("/feedback/page", query_string={"page": PAGE}).get_data(as_text=True)
    client.post("/feedback/page", data={"csrf_token": csrf_token(page), "page": PAGE + "?q=x#faq", "helpful": "yes"})
    assert votes(storage) == [(PAGE, 1, None)]


def test_honeypot_is_refused(client, storage):
    page = client.get("/feedback/page", query_string={"page": PAGE}).get_data(as_text=True)
    r = client.post("/feedback/page", data={"csrf_token": csrf_token(page), "page": PAGE, "helpful": "no",
                                            "website": "http://spam.example"})
    assert r.status_code == 400 and votes(storage) == []


# ---------------------------------------------------------------- the same with JavaScript (JSON)

def js_token(client) -> str:
    r = client.get("/feedback/csrf")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    return r.get_json()["token"]


def post_json(client, url, token, body):
    return client.post(url, data=json.dumps(body), content_type="application/json",
                       headers={"X-CSRFToken": token} if token else {})


def test_widget_votes_then_adds_its_text(client, storage):
    token = js_token(client)
    r = post_json(client, "/feedback/page", token, {"page": PAGE, "helpful": "no"})
    assert r.status_code == 200 and r.get_json()["ok"] is True
    vote = r.get_json()["vote"]
    assert votes(storage) == [(PAGE, 0, None)]
    r = post_json(client, f"/feedback/page/{vote}", token, {"comment": "想找收费标准"})
    assert r.status_code == 200 and votes(storage) == [(PAGE, 0, "想找收费标准")]


def test_widget_requests_need_the_csrf_token(client, storage):
    js_token(client)
    assert post_json(client, "/feedback/page", None, {"page": PAGE, "helpful": "no"}).status_code == 400
    assert post_json(client, "/feedback/page", "forged", {"page": PAGE, "helpful": "no"}).status_code == 400
    assert votes(storage) == []


def test_a_second_click_changes_the_vote_instead_of_adding_one(client, storage):
    token = js_token(client)
    first = post_json(client, "/feedback/page", token, {"page": PAGE, "helpful": "yes"}).get_json()["vote"]
    second = post_json(client, "/feedback/page", token, {"page": PAGE, "helpful": "no"}).get_json()["vote"]
    assert first == second and votes(storage) == [(PAGE, 0, None)]
    post_json(client, "/feedback/page", token, {"page": "/", "helpful": "yes"})
    assert len(votes(storage)) == 2


def test_only_the_voter_may_add_the_text(app, client, storage):
    token = js_token(client)
    vote = post_json(client, "/feedback/page", token, {"page": PAGE, "helpful": "no"}).get_json()["vote"]
    other = app.test_client()
    r = post_json(other, f"/feedback/page/{vote}", js_token(other), {"comment": "不是我的投票"})
    assert r.status_code == 404 and votes(storage) == [(PAGE, 0, None)]


def test_widget_errors_come_back_as_json(client, storage):
    token = js_token(client)
    r = post_json(client, "/feedback/page", token, {"page": PAGE, "helpful": "maybe"})
    assert r.status_code == 400 and r.get_json()["errors"] == {"helpful": "请从给出的选项中选择本页是否有帮助"}
    r = post_json(client, "/feedback/page", token, {"page": "https://evil.example/", "helpful": "no"})
    assert r.status_code == 400 and r.get_json()["errors"] == {"page": "invalid"}


def test_votes_are_rate_limited(tmp_path):
    app = create_app(config(tmp_path))
    client = app.test_client()
    token = js_token(client)
    codes = [post_json(client, "/feedback/page", token, {"page": f"/p{n}/", "helpful": "no"}).status_code
             for n in range(21)]
    assert codes[:20] == [200] * 20 and codes[20] == 429
    app.extensions["guide"].storage.close()


# ---------------------------------------------------------------- 五级好差评

def completed(storage, phone="13812345678") -> str:
    ref = make_application(storage, phone=phone, phone_norm=phone)
    storage.set_status(ref, "accepted", actor="staff:li")
    storage.set_status(ref, "completed", actor="staff:li")
    return ref


def rating_page(client, ref):
    track(client, ref, "13812345678")
    return client.get(f"/feedback/rate/{ref}")


def test_rating_needs_proof_of_the_application(client, storage):
    ref = completed(storage)
    r = client.get(f"/feedback/rate/{ref}")
    assert r.status_code == 303 and r.headers["Location"].startswith(f"/track?ref={ref}")
    track(client, ref, "13900000000")  # the wrong phone number proves nothing
    assert client.get(f"/feedback/rate/{ref}").status_code == 303
    assert rating_page(client, ref).status_code == 200


def test_only_completed_applications_can_be_rated(client, storage):
    ref = make_application(storage)
    r = rating_page(client, ref)
    assert r.status_code == 409 and "申请办结后即可对本次服务进行评价" in r.get_data(as_text=True)
    assert "评价本次服务" not in track(client, ref, "13812345678").get_data(as_text=True)


def test_rating_form_has_five_levels_and_the_four_questions(client, storage):
    ref = completed(storage)
    page = rating_page(client, ref).get_data(as_text=True)
    assert re.findall(r'<label class="choice__label" for="field-score[^"]*">([^<]+)</label>', page) == [
        "非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    for question in ("服务指引是否清晰", "办事程序是否便利", "材料手续是否精简", "操作界面是否友好"):
        assert question in page
    r = client.post(f"/feedback/rate/{ref}", data={"csrf_token": csrf_token(page)})
    assert errors_in(r.get_data(as_text=True)) == [("score", "请选择总体评价")]


def test_rating_is_stored_and_a_later_one_replaces_it_with_history(client, storage):
    ref = completed(storage)
    page = rating_page(client, ref).get_data(as_text=True)
    r = client.post(f"/feedback/rate/{ref}", data={"csrf_token": csrf_token(page), "score": "4", "q_guide": "1",
                                                   "q_materials": "0", "comment": "流程清楚"})
    assert r.status_code == 303 and r.headers["Location"] == f"/feedback/rate/{ref}/thanks"
    assert "感谢您的评价" in client.get(r.headers["Location"]).get_data(as_text=True)
    page = client.get(f"/feedback/rate/{ref}").get_data(as_text=True)
    assert "再次提交将替换这次评价" in page and 'value="4" checked' in page and "流程清楚" in page
    client.post(f"/feedback/rate/{ref}", data={"csrf_token": csrf_token(page), "score": "5"})
    ratings = storage.ratings_of(storage.get_application(ref).id)
    assert [(r.score, r.current) for r in ratings] == [(5, True), (4, False)]
    assert (ratings[1].q_guide, ratings[1].q_process, ratings[1].q_materials) == (1, None, 0)
    assert "您的评价：<strong>满意</strong>" not in track(client, ref, "13812345678").get_data(as_text=True)
    assert "您的评价：<strong>非常满意</strong>" in track(client, ref, "13812345678").get_data(as_text=True)


@pytest.mark.parametrize("score, opens", [(5, False), (4, False), (3, False), (2, True), (1, True)])
def test_unsatisfied_ratings_open_a_follow_up_item(client, storage, score, opens):
    ref = completed(storage)
    page = rating_page(client, ref).get_data(as_text=True)
    if opens:  # a bad rating needs its reason
        r = client.post(f"/feedback/rate/{ref}", data={"csrf_token": csrf_token(page), "score": str(score)})
        assert errors_in(r.get_data(as_text=True)) == [
            ("comment", "选择“不满意”或“非常不满意”时，请在“意见或建议”中写明原因，便于我们核实和改进")]
        assert storage.list_issues()[1] == 0
    r = client.post(f"/feedback/rate/{ref}", data={"csrf_token": csrf_token(page), "score": str(score),
                                                   "comment": "等待时间太长" if opens else ""})
    issues, total = storage.list_issues()
    assert total == int(opens)
    if opens:
        assert issues[0].kind == "rating" and issues[0].ref == ref and issues[0].first_contact_due
        assert "1 个工作日内与您联系" in client.get(r.headers["Location"]).get_data(as_text=True)


def test_a_new_rating_while_an_item_is_open_adds_to_that_item(client, storage):
    ref = completed(storage)
    page = rating_page(client, ref).get_data(as_text=True)
    client.post(f"/feedback/rate/{ref}", data={"csrf_token": csrf_token(page), "score": "1", "comment": "太慢"})
    client.post(f"/feedback/rate/{ref}", data={"csrf_token": csrf_token(page), "score": "2", "comment": "还是慢"})
    client.post(f"/feedback/rate/{ref}", data={"csrf_token": csrf_token(page), "score": "4"})
    (issue,), total = storage.list_issues()
    notes = storage.get_issue(issue.id).notes
    assert total == 1 and [n.kind for n in notes] == ["opened", "updated", "updated"]
    assert notes[1].note == "评价：不满意。意见：还是慢" and notes[2].note == "评价：满意"


# ---------------------------------------------------------------- 意见箱

def suggest(client, **fields):
    page = client.get("/feedback/suggest").get_data(as_text=True)
    return client.post("/feedback/suggest", data={"csrf_token": csrf_token(page), **fields})


def test_anonymous_complaint_gets_a_reference_and_a_query_code(client, storage):
    r = suggest(client, kind="complaint", service="metering", body="窗口工作人员态度生硬")
    assert r.status_code == 303
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    ref = re.search(r'id="reference">(YJ-\d{4}-[0-9A-Z]{5})<', page).group(1)
    code = re.search(r'id="code">([0-9A-Z]{6})<', page).group(1)
    (issue,), _ = storage.list_issues()
    assert issue.kind == "complaint" and issue.service_name == "计量器具检定" and issue.who is None
    assert issue.first_contact_due is None and issue.rectify_due  # nobody to call; a deadline all the same
    # Followed on the tracking page with the code in the phone box.
    visitor = client.application.test_client()
    found = track(visitor, ref, code.lower()).get_data(as_text=True)
    assert f"编号 {ref}" in found and "已收到" in found and "投诉" in found
    assert "没有找到" in track(visitor, ref, "ABCDEF").get_data(as_text=True)
    storage.close_issue(issue.id, actor="staff:li", outcome="已约谈当事人并整改", told_via="track")
    found = track(visitor, ref, code).get_data(as_text=True)
    assert "已办结" in found and "已约谈当事人并整改" in found


def test_suggestion_with_contact_details_can_be_followed_by_phone(client, storage):
    r = suggest(client, kind="suggestion", body="希望增加周末窗口", name="王先生", phone="0518-85123456",
                email="wang@example.com", related_ref="zy2611abcde")
    ref = re.search(r'id="reference">([^<]+)<', client.get(r.headers["Location"]).get_data(as_text=True)).group(1)
    (issue,), _ = storage.list_issues()
    assert issue.first_contact_due and issue.who == "王先生"
    suggestion = storage.get_suggestion(issue.suggestion_id)
    assert suggestion.related_ref == "ZY-2611-ABCDE" and suggestion.email == "wang@example.com"
    assert "处理状态" in track(client.application.test_client(), ref, "051885123456").get_data(as_text=True)


def test_suggestion_form_checks_its_fields(client, storage):
    r = suggest(client, kind="praise", body="", phone="123", email="not-an-email", related_ref="x")
    assert errors_in(r.get_data(as_text=True)) == [
        ("kind", "请从给出的选项中选择类型"), ("related_ref", "申请编号的格式不正确，例如 ZY-2611-7K3Q9；没有可不填"),
        ("body", "请填写内容"), ("phone", "请输入正确的手机号码或带区号的固定电话，例如 13812345678 或 0518-85123456"),
        ("email", "请输入正确的电子邮箱地址，例如 name@example.com")]
    assert storage.list_issues()[1] == 0


def test_suggestion_honeypot_is_refused(client, storage):
    assert suggest(client, kind="complaint", body="广告", website="x").status_code == 400
    assert storage.list_issues()[1] == 0


def test_guide_pages_link_targets_exist(client):
    assert client.get("/feedback/suggest").status_code == 200
    assert client.get("/track").status_code == 200


def test_the_suggestion_box_names_no_placeholder_as_a_channel(tmp_path):
    """The 意见箱's other channels leave out a phone or email still 【待补充】, and a channel whose
    every phone and email is still 【待补充】 (it read "服务监督电话 【待补充】 【待补充】")."""
    from ...conftest import copy_project
    from ..conftest import FIXTURE

    guide = copy_project(FIXTURE, tmp_path / "guide")
    site = guide / "content" / "site.yml"
    site.write_text(site.read_text(encoding="utf-8").replace("documents:\n", """supervision:
  - name: 意见箱（在线留言）
  - name: 服务监督电话
    phone: "【待补充】"
    email: "【待补充】"
  - name: 监督邮箱
    phone: "【待补充】"
    email: jiandu@guide.test
  - name: 全国12315平台
    phone: "12315"
documents:
""", 1), encoding="utf-8")
    app = create_app(config(tmp_path, GUIDE_PROJECT=guide))
    try:
        page = app.test_client().get("/feedback/suggest").get_data(as_text=True)
    finally:
        app.extensions["guide"].storage.close()
    assert "也可以通过以下方式反映：监督邮箱 jiandu@guide.test；全国12315平台 12315。" in page
    # neither a channel still 【待补充】 nor the 意见箱 itself is offered as another way
    assert "【待补充】" not in page and "服务监督电话" not in page and "意见箱（在线留言）" not in page
