"""The workflow: submitted → accepted → in progress → completed, or needs more information / rejected.

Every change goes through the console, is recorded with who and when, notifies the applicant by
email, updates the tracking page; impossible changes are refused and change nothing."""
from __future__ import annotations

import base64
import email
import re

import pytest

from forms_backend.storage import BadTransition, StatusChanged
from forms_backend.vocabulary import TRANSITIONS
from forms_backend.workdays import WEEKENDS_ONLY, local_today

from ..conftest import METERING, Applicant, make_application, track

PATHS = {
    "submitted": [],
    "accepted": ["accepted"],
    "in_progress": ["accepted", "in_progress"],
    "needs_info": ["needs_info"],
    "completed": ["accepted", "completed"],
    "rejected": ["rejected"],
}
ALL = ["submitted", "accepted", "in_progress", "completed", "needs_info", "rejected"]


def bring_to(staff, ref: str, status: str) -> None:
    for to in PATHS[status]:
        r = staff.set_status(ref, to, note="说明" if to in ("needs_info", "rejected") else "")
        assert r.status_code == 303, r.get_data(as_text=True)[:500]


@pytest.mark.parametrize("start, to", [(s, t) for s in ALL for t in ALL if t != "submitted"])
def test_transitions_follow_the_workflow(staff, storage, start, to):
    ref = make_application(storage)
    bring_to(staff, ref, start)
    before = len(storage.get_case(ref).events)
    r = staff.set_status(ref, to, note="理由")
    if to in TRANSITIONS[start]:
        assert r.status_code == 303
        assert storage.get_case(ref).status == to
    else:
        assert r.status_code == 409
        assert "不能改为" in r.get_data(as_text=True)
        case = storage.get_case(ref)
        assert case.status == start and len(case.events) == before


def test_every_change_is_recorded_with_who_and_when_and_told_to_the_applicant(app, staff, storage):
    ref = Applicant(app.test_client(), "metering").apply(METERING)
    staff.set_status(ref, "accepted", note="材料齐全，已受理")
    staff.set_status(ref, "needs_info", note="请补充检定证书复印件")
    staff.set_status(ref, "in_progress", note="内部：已分派给检定组", public=False)
    staff.set_status(ref, "completed", note="检定完成，证书已寄出")
    events = storage.get_case(ref).events
    assert [(e.kind, e.from_status, e.to_status, e.actor) for e in events] == [
        ("status", None, "submitted", "applicant"), ("status", "submitted", "accepted", "staff:li"),
        ("status", "accepted", "needs_info", "staff:li"), ("status", "needs_info", "in_progress", "staff:li"),
        ("note", None, None, "staff:li"),  # the internal note, beside its public step
        ("status", "in_progress", "completed", "staff:li")]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", e.at) for e in events)
    page = staff.get(f"/staff/applications/{ref}").get_data(as_text=True)
    assert "已受理 → 需补正材料" in page and "（li）" in page and "内部：已分派给检定组" in page

    notices = [m for m in storage.mail_rows() if m["kind"] == "status_notice"]
    assert [m["to_addr"] for m in notices] == ["zhang@example.com"] * 4
    assert [m["subject"].rsplit("）", 1)[1] for m in notices] == ["已受理", "需补正材料", "办理中", "已办结"]
    bodies = [r[0] for r in storage.db.execute("SELECT body FROM mail_queue WHERE kind = 'status_notice'")]
    assert "说明：请补充检定证书复印件" in bodies[1] and not any("内部" in b for b in bodies)

    # The tracking page shows the public steps and notes, not the internal one.
    page = track(app.test_client(), ref, "13812345678").get_data(as_text=True)
    assert re.findall(r'<span class="history__what">([^<]+)</span>', page) == ["已提交", "已受理", "需补正材料", "办理中",
                                                                              "已办结"]
    assert "请补充检定证书复印件" in page and "内部：已分派给检定组" not in page
    assert "评价本次服务" in page


def body_of(storage, kind: str) -> str:
    rows = storage.db.execute("SELECT body FROM mail_queue WHERE kind = ? ORDER BY id", (kind,)).fetchall()
    return rows[-1][0]


def test_completion_email_carries_a_signed_link_to_track_and_rate(app, staff, storage):
    ref = make_application(storage)
    bring_to(staff, ref, "completed")
    body = body_of(storage, "status_notice")
    assert "欢迎对本次服务进行评价" in body and "内部" not in body
    link = re.search(r"http://localhost(/track/link/\S+)", body).group(1)
    visitor = app.test_client()
    page = visitor.get(link).get_data(as_text=True)
    assert f"申请编号 {ref}" in page and "评价本次服务" in page
    assert visitor.get(f"/feedback/rate/{ref}").status_code == 200  # the link proved who they are
    # A changed token shows nothing and says why.
    r = app.test_client().get(link[:-3] + "xyz")
    assert r.status_code == 404 and "该链接已失效" in r.get_data(as_text=True) and ref not in r.get_data(as_text=True)


def test_a_reason_is_required_to_reject_or_ask_for_more(staff, storage):
    ref = make_application(storage)
    r = staff.set_status(ref, "rejected", note="  ")
    assert r.status_code == 400 and "不予受理时请填写不予受理的理由" in r.get_data(as_text=True)
    # 补正 needs the list (each item with its reason) and a deadline that is not past.
    for items, due, message in (("  ", None, "请列出需要补正的全部材料或问题"),
                                ("检定证书复印件", None, "第 1 行“检定证书复印件”缺少原因"),
                                ("检定证书复印件：已过期", "", "请填写补正期限"),
                                ("检定证书复印件：已过期", "2020-01-01", "补正期限不能早于今天")):
        r = staff.set_status(ref, "needs_info", items=items, due=due)
        assert r.status_code == 400 and message in r.get_data(as_text=True)
    assert storage.get_case(ref).status == "submitted"


def test_a_change_made_meanwhile_by_someone_else_is_not_overwritten(staff, storage):
    ref = make_application(storage)
    storage.set_status(ref, "accepted", actor="staff:wang")  # in another browser, after li opened the page
    r = staff.set_status(ref, "rejected", note="材料不全", expected="submitted")
    assert r.status_code == 409 and "刚被其他人更改" in r.get_data(as_text=True)
    assert storage.get_case(ref).status == "accepted"


def test_acceptance_sets_the_due_date_from_the_time_limit(staff, storage):
    ref = make_application(storage, service_id="drug-testing", service_name="药品检验检测")  # 20 working days
    staff.set_status(ref, "accepted")
    assert storage.get_case(ref).due_at == WEEKENDS_ONLY.add_workdays(local_today("Asia/Shanghai"), 20).isoformat()
    other = make_application(storage)  # 计量器具检定: a time limit without days
    staff.set_status(other, "accepted")
    assert storage.get_case(other).due_at is None


def test_closing_gives_the_next_archive_number_of_the_year(storage):
    refs = [make_application(storage, n) for n in range(4)]
    storage.set_status(refs[0], "rejected", actor="staff:li", archive_year=2026)
    storage.set_status(refs[1], "accepted", actor="staff:li")
    storage.set_status(refs[1], "completed", actor="staff:li", archive_year=2026)
    storage.set_status(refs[2], "rejected", actor="staff:li", archive_year=2027)
    assert [storage.get_case(r).archive_no for r in refs] == ["2026-0001", "2026-0002", "2027-0001", None]
    assert storage.get_case(refs[1]).closed_at


def test_storage_refuses_what_the_workflow_forbids(storage):
    ref = make_application(storage)
    with pytest.raises(BadTransition):
        storage.set_status(ref, "completed", actor="staff:li")
    with pytest.raises(StatusChanged):
        storage.set_status(ref, "accepted", actor="staff:li", expected="accepted")
    assert storage.mail_rows() == []


def test_status_notice_is_a_readable_utf8_message(app, staff, storage, tmp_path):
    from forms_backend.mail.delivery import deliver_due
    from ..mail.test_mail import outbox
    ref = make_application(storage)
    staff.set_status(ref, "accepted", note="已受理")
    deliver_due(storage, app.config)
    (msg,) = [m for m in outbox(app.config["OUTBOX_DIR"]) if "办理进度更新" in str(email.header.make_header(
        email.header.decode_header(m["Subject"])))]
    text = base64.b64decode(msg.get_payload()).decode()
    assert "状态已更新为：已受理" in text and "说明：已受理" in text and "/track/link/" in text
