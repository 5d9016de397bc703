"""mail/sms.py: SMS notices through a real HTTP gateway on loopback, with the mail queue's rules."""
from __future__ import annotations

import datetime as dt

import pytest

from forms_backend import create_app
from forms_backend.mail import sms as notify
from forms_backend.mail import delivery as mail

from ..conftest import METERING, Applicant, Staff, config, make_application
from .sms_gateway import Gateway
from .test_mail import free_port

PAST = "2000-01-01T00:00:00.000+00:00"


@pytest.fixture
def gateway():
    with Gateway() as gw:
        yield gw


def sms_app(tmp_path, url, **extra):
    return create_app(config(tmp_path, GUIDE_SMS_URL=url, GUIDE_SMS_TOKEN="s3cret", **extra))


def sms_rows(storage):
    return [r for r in storage.mail_rows() if r["channel"] == "sms"]


def test_submission_queues_an_sms_and_the_gateway_gets_it(tmp_path, gateway, caplog):
    app = sms_app(tmp_path, gateway.url, GUIDE_SMS_SIGN="【测试局】")
    storage = app.extensions["guide"].storage
    ref = Applicant(app.test_client(), "metering").apply(METERING)
    rows = sms_rows(storage)
    assert [(r["kind"], r["to_addr"], r["status"]) for r in rows] == [("applicant_ack_sms", "13812345678", "pending")]
    assert mail.deliver_due(storage, app.config) == (3, 0)  # two mails and the SMS
    [got] = gateway.received
    assert got["to"] == "13812345678" and got["id"] == f"guide-{rows[0]['id']}"
    assert got["text"].startswith("【测试局】") and ref in got["text"]
    assert len(got["text"]) <= notify.SEGMENT
    assert gateway.headers[0]["Authorization"] == "Bearer s3cret"
    assert "13812345678" not in caplog.text  # logs name ids, never numbers


def test_failed_sms_is_kept_and_retried_like_mail(tmp_path, gateway, caplog):
    app = sms_app(tmp_path, gateway.url)
    storage = app.extensions["guide"].storage
    Applicant(app.test_client(), "metering").apply(METERING)
    gateway.fail_next = 1
    assert mail.deliver_due(storage, app.config) == (2, 1)
    [row] = sms_rows(storage)
    assert (row["status"], row["attempts"]) == ("pending", 1) and "500" in row["last_error"]
    due = dt.datetime.fromisoformat(row["next_attempt_at"])
    assert dt.timedelta(seconds=50) < due - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(seconds=60)
    assert mail.deliver_due(storage, app.config) == (0, 0)  # not due yet
    storage.db.execute("UPDATE mail_queue SET next_attempt_at = ?", (PAST,))
    assert mail.deliver_due(storage, app.config) == (1, 0)
    assert len(gateway.received) == 1 and sms_rows(storage)[0]["status"] == "sent"
    assert "13812345678" not in caplog.text


def test_gateway_down_then_gives_up_after_the_last_retry(tmp_path):
    app = sms_app(tmp_path, f"http://127.0.0.1:{free_port()}/sms")
    storage = app.extensions["guide"].storage
    Applicant(app.test_client(), "metering").apply(METERING)
    for _ in range(len(mail.RETRY_DELAYS) + 1):
        storage.db.execute("UPDATE mail_queue SET next_attempt_at = ?", (PAST,))
        mail.deliver_due(storage, app.config)
    [row] = sms_rows(storage)
    assert row["status"] == "failed" and row["attempts"] == len(mail.RETRY_DELAYS) + 1
    assert "Connection" in row["last_error"] or "refused" in row["last_error"]


def test_sms_is_off_unless_configured_and_only_to_mobiles(tmp_path, gateway):
    app = create_app(config(tmp_path))
    storage = app.extensions["guide"].storage
    Applicant(app.test_client(), "metering").apply(METERING)
    assert sms_rows(storage) == []
    app2 = sms_app(tmp_path / "b", gateway.url)
    Applicant(app2.test_client(), "metering").apply({**METERING, "phone": "0518-85123456"})
    assert sms_rows(app2.extensions["guide"].storage) == []  # a landline gets no SMS


def test_status_change_sends_an_sms(tmp_path, gateway, password_hash):
    app = sms_app(tmp_path, gateway.url)
    storage = app.extensions["guide"].storage
    storage.create_user("li", "staff", password_hash)
    ref = make_application(storage)
    staff = Staff(app.test_client())
    staff.login()
    assert staff.set_status(ref, "accepted").status_code == 303
    mail.deliver_due(storage, app.config)
    [got] = gateway.received
    assert ref in got["text"] and "已受理" in got["text"] and len(got["text"]) <= notify.SEGMENT


@pytest.mark.parametrize("sign", ["", "【连云港经济技术开发区市场监督管理局】"])
def test_texts_fit_one_segment(sign):
    cfg = {"GUIDE_SMS_URL": "http://gw.invalid/", "GUIDE_SMS_SIGN": sign}
    long_url = "https://guide.example.org/" + "x" * 40 + "/track"
    for rows in (notify.ack_sms(cfg, ref="ZY-2611-7K3Q9", phone="+86 138-1234-5678", track_url=long_url),
                 notify.status_sms(cfg, ref="ZY-2611-7K3Q9", phone="13812345678", status_label="需补正材料",
                                   track_url=long_url, extra="请于2026年12月31日前在线补正。")):
        [row] = rows
        assert len(row["body"]) <= notify.SEGMENT and "ZY-2611-7K3Q9" in row["body"]
        assert row["to"] == "13812345678"
    short = notify.ack_sms(cfg, ref="ZY-2611-7K3Q9", phone="13812345678", track_url="http://g.cn/track")[0]
    # The address is added only when it fits: with the long signature it does not.
    assert short["body"].endswith("http://g.cn/track") == (sign == "")
