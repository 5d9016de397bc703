"""撤回 before acceptance (with a reason), 我的办件 by 统一社会信用代码 + phone, the receipt's QR code,
and the migration that adds the 'withdrawn' status to an existing database without losing a row."""
from __future__ import annotations

import re

from forms_backend.storage import BadTransition, Storage, migrations

from ..conftest import METERING, VALID_USCC, Applicant, csrf_token, make_application, track



def test_withdraw_before_acceptance_with_a_reason(app, storage, staff):
    applicant = app.test_client()
    ref = Applicant(applicant, "metering").apply(METERING)
    page = track(applicant, ref, "13812345678").get_data(as_text=True)
    assert "撤回申请" in page
    r = applicant.post(f"/track/case/{ref}/withdraw", data={"csrf_token": csrf_token(page), "reason": "  "})
    assert r.status_code == 400 and "请填写撤回原因" in r.get_data(as_text=True)
    r = applicant.post(f"/track/case/{ref}/withdraw", data={"csrf_token": csrf_token(page), "reason": "器具已报废"})
    assert r.status_code == 303
    after = applicant.get(f"/track/case/{ref}").get_data(as_text=True)
    assert "申请已撤回" in after and "撤回原因：器具已报废" in after and "撤回申请</summary>" not in after
    case = storage.get_case(ref)
    assert case.status == "withdrawn" and case.closed_at and case.archive_no is None
    assert {m["kind"] for m in storage.mail_rows()} >= {"withdrawn_ack", "withdrawn_notice"}
    # Staff see it closed (only issue 16's reopen remains possible).
    case_page = staff.get(f"/staff/applications/{ref}").get_data(as_text=True)
    assert "已撤回" in case_page and 'name="t-to_status"' not in case_page


def test_no_withdrawal_once_accepted_or_by_a_stranger(app, storage, staff):
    applicant = app.test_client()
    ref = Applicant(applicant, "metering").apply(METERING)
    page = track(applicant, ref, "13812345678").get_data(as_text=True)
    stranger = app.test_client()
    token = csrf_token(stranger.get("/track").get_data(as_text=True))
    assert stranger.post(f"/track/case/{ref}/withdraw", data={"csrf_token": token, "reason": "x"}).status_code == 404
    staff.set_status(ref, "accepted")
    r = applicant.post(f"/track/case/{ref}/withdraw", data={"csrf_token": csrf_token(page), "reason": "不需要了"})
    assert r.status_code == 303 and storage.get_case(ref).status == "accepted"
    assert "不能在线撤回" in applicant.get(f"/track/case/{ref}").get_data(as_text=True)
    try:
        storage.withdraw(ref, reason="x")
    except BadTransition:
        pass
    else:  # pragma: no cover
        raise AssertionError("withdrawing an accepted application must be refused")


def test_my_applications_by_code_and_phone(app, storage):
    refs = [make_application(storage, n) for n in range(3)]
    make_application(storage, 9, phone="13900000000", phone_norm="13900000000")  # same firm, other phone
    client = app.test_client()
    form = client.get("/track/mine").get_data(as_text=True)
    r = client.post("/track/mine", data={"csrf_token": csrf_token(form), "uscc": VALID_USCC.lower(),
                                         "phone": "138-1234-5678"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "共 3 件申请" in page
    assert re.findall(r'<a href="/track/case/([^"]+)">', page) == refs[::-1]  # newest first, each openable
    assert client.get(f"/track/case/{refs[0]}").status_code == 200
    # A wrong phone and an unknown code get the same answer; a malformed code is a field error.
    for uscc, phone in ((VALID_USCC, "13700000000"), ("91350100M000100Y43"[:-1] + "4", "13812345678")):
        r = client.post("/track/mine", data={"csrf_token": csrf_token(form), "uscc": uscc, "phone": phone})
        text = r.get_data(as_text=True)
        if r.status_code == 400:
            assert "校验位" in text
        else:
            assert "没有找到与该统一社会信用代码和联系电话相符的申请" in text and "ZY-" not in text


def test_the_receipt_carries_the_tracking_address_and_a_qr_code(app):
    client = app.test_client()
    ref = Applicant(client, "metering").apply(METERING)
    page = client.get(f"/apply/done/{ref}").get_data(as_text=True)
    assert f"http://localhost/track?ref={ref}" in page
    svg = re.search(r'<figure class="receipt__qr"[^>]*>(<svg.*?</svg>)', page, re.S).group(1)
    assert 'class="qr"' in svg and "<path" in svg and f"查询申请 {ref} 办理进度的二维码" in svg


def test_the_withdrawn_migration_keeps_every_row_of_an_older_database(tmp_path):
    path = tmp_path / "old.db"
    old = Storage(path, migrate=False)
    with old._immediate() as db:
        migrations.apply(db, stop_before="0010_withdrawn")
    ref = _application_of_an_older_version(old)
    old.set_status(ref, "accepted", actor="staff:li", note="已受理")
    app_id = old.get_application(ref).id
    old.db.execute("INSERT INTO contacts (application_id, at, channel, note, actor, created_at) "
                   "VALUES (?, '2026-11-01', 'phone', '电话回访', 'staff:li', '2026-11-01')", (app_id,))
    old.close()

    store = Storage(path)  # migrates
    try:
        case = store.get_case(ref)
        assert case.status == "accepted" and [e.to_status for e in case.events] == ["submitted", "accepted"]
        assert len(store.contacts_of(app_id)) == 1
        assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        indexes = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"applications_uscc", "application_events_app", "applications_archive"} <= indexes
        other = make_application(store, 2)
        store.withdraw(other, reason="不需要了")
        assert store.get_case(other).status == "withdrawn"
        assert store.quick_check() == []
    finally:
        store.close()


def _application_of_an_older_version(storage) -> str:
    """A submitted application written the way the code of that schema wrote it (today's submit
    reads columns later migrations added)."""
    now = "2026-10-30T08:00:00.000+00:00"
    with storage._immediate() as db:
        app_id = db.execute(
            "INSERT INTO applications (ref, service_id, service_name, status, org_name, uscc, contact_name, "
            "phone, phone_norm, email, answers, submitted_at, updated_at) "
            "VALUES ('ZY-2610-OLD01', 'metering', '计量器具检定', 'submitted', '测试单位1', ?, '张三', "
            "'13812345678', '13812345678', 'zhang@example.com', '[]', ?, ?)", (VALID_USCC, now, now)).lastrowid
        db.execute("INSERT INTO application_events (application_id, at, actor, kind, to_status) "
                   "VALUES (?, ?, 'applicant', 'status', 'submitted')", (app_id, now))
    return "ZY-2610-OLD01"
