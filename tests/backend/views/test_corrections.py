"""补正 online: staff list every missing item with its reason and a deadline; the applicant answers
on the tracking page on the same reference number; the case returns to the queue with its history."""
from __future__ import annotations

import datetime as dt
import io

from forms_backend.mail import delivery as mail
from forms_backend.forms.corrections import parse_items

from ..conftest import METERING, PDF, Applicant, csrf_token, errors_in, set_time, track

ITEMS = "检定证书复印件：原件已过有效期\n器具照片：看不清铭牌上的出厂编号"


def ask_for_correction(staff, ref, *, items=ITEMS, due=None):
    r = staff.set_status(ref, "accepted")
    assert r.status_code == 303
    r = staff.set_status(ref, "needs_info", items=items, due=due, note="请一次补齐")
    assert r.status_code == 303, r.get_data(as_text=True)[:400]


def correction_url(page: str) -> str:
    import re
    return re.search(r'action="(/track/case/[^"]+/correction/\d+)"', page).group(1)


def test_parse_items_keeps_each_item_with_its_reason():
    assert parse_items("- 检定证书复印件：原件已过有效期\n\n器具照片: 看不清") == [
        {"name": "检定证书复印件", "reason": "原件已过有效期"}, {"name": "器具照片", "reason": "看不清"}]


def test_round_trip_on_the_same_reference(app, staff, storage):
    applicant = app.test_client()
    ref = Applicant(applicant, "metering").apply(METERING)
    ask_for_correction(staff, ref)
    case = storage.get_case(ref)
    assert case.status == "needs_info"

    # The notice lists every item with its reason, the deadline and the way to answer online.
    notice = [m for m in storage.mail_rows() if m["kind"] == "status_notice"][-1]
    assert "1. 检定证书复印件：原件已过有效期" in notice["body"] and "2. 器具照片：看不清铭牌上的出厂编号" in notice["body"]
    assert "补正期限：" in notice["body"] and "/track/link/" in notice["body"]

    # The tracking page shows the list and a form per item.
    page = track(applicant, ref, "13812345678").get_data(as_text=True)
    assert "需补正的材料（一次性告知）" in page and "原因：原件已过有效期" in page
    url = correction_url(page)

    # An item left without an answer: the form again, with that item's error.
    r = applicant.post(url, data={"csrf_token": csrf_token(page), "text_0": "", "text_1": "已重新拍照",
                                  "file_0": (io.BytesIO(b""), "")}, content_type="multipart/form-data")
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    assert ("file_0", "请为“检定证书复印件”上传文件或填写说明") in errors_in(body)
    assert "已重新拍照" in body  # what was typed stays
    assert storage.get_case(ref).status == "needs_info"

    r = applicant.post(url, data={"csrf_token": csrf_token(body), "text_1": "已重新拍照，见附件说明",
                                  "file_0": (io.BytesIO(PDF), "检定证书.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/track/case/{ref}")
    after = applicant.get(r.headers["Location"]).get_data(as_text=True)
    assert "补正材料已提交" in after and "需补正的材料（一次性告知）" not in after

    # Back in the queue where it was, with the history kept; staff were told; the file is on the case.
    case = storage.get_case(ref)
    assert case.status == "accepted"
    assert [(e.from_status, e.to_status, e.actor) for e in case.events if e.kind == "status"][-2:] == [
        ("accepted", "needs_info", "staff:li"), ("needs_info", "accepted", "applicant")]
    [done] = storage.corrections_of(case.id)
    assert done.answered_at and done.answers[0]["file"]["name"] == "检定证书.pdf"
    assert done.answers[1] == {"text": "已重新拍照，见附件说明", "file": None}
    staff_mail = [m for m in storage.mail_rows() if m["kind"] == "correction_answered"]
    assert staff_mail and ref in staff_mail[0]["subject"]
    case_page = staff.get(f"/staff/applications/{ref}").get_data(as_text=True)
    assert "下载 检定证书.pdf" in case_page and "已重新拍照，见附件说明" in case_page
    token = done.answers[0]["file"]["token"]
    download = staff.get(f"/staff/applications/{ref}/files/{token}")
    assert download.status_code == 200 and download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]

    # A second answer to the same request changes nothing.
    r = applicant.post(url, data={"csrf_token": csrf_token(after), "text_0": "again", "text_1": "again"},
                       content_type="multipart/form-data")
    assert r.status_code == 303 and len(storage.corrections_of(case.id)) == 1
    assert storage.get_case(ref).status == "accepted"
    assert mail.deliver_due(storage, app.config)[1] == 0


def test_only_the_browser_that_tracked_it_may_answer(app, staff, storage):
    ref = Applicant(app.test_client(), "metering").apply(METERING)
    ask_for_correction(staff, ref)
    [c] = storage.corrections_of(storage.get_case(ref).id)
    stranger = app.test_client()
    page = stranger.get("/track").get_data(as_text=True)
    r = stranger.post(f"/track/case/{ref}/correction/{c.id}",
                      data={"csrf_token": csrf_token(page), "text_0": "x", "text_1": "y"})
    assert r.status_code == 404
    r = stranger.get(f"/track/case/{ref}")
    assert r.status_code == 404 and "没有找到" in r.get_data(as_text=True)
    assert storage.get_case(ref).status == "needs_info"


def test_overdue_correction_shows_in_the_staff_queue(app, staff, storage):
    ref = Applicant(app.test_client(), "metering").apply(METERING)
    ask_for_correction(staff, ref)
    yesterday = (dt.date.today() - dt.timedelta(days=2)).isoformat()
    set_time(storage, "UPDATE corrections SET due_on = ?", (yesterday,))
    page = staff.get("/staff/?overdue=correction").get_data(as_text=True)
    assert ref in page and "补正逾期" in page
    # The applicant is told it is late but may still answer.
    tracked = track(app.test_client(), ref, "13812345678").get_data(as_text=True)
    assert "已超过补正期限" in tracked
