"""mail/: queue in the submit transaction; SMTP through a real local server, or the outbox."""
from __future__ import annotations

import email
import email.policy
import mailbox
import socket
import time

import pytest
from aiosmtpd.controller import Controller

from forms_backend import create_app
from forms_backend.mail import delivery as mail
from forms_backend.mail.compose import staff_address

from ..conftest import DRUG, METERING, Applicant, config, pdf_file


class Inbox:
    """aiosmtpd handler keeping every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, msg))
        return "250 OK"


def outbox(folder) -> list:
    """Every message in the outbox's mbox files, parsed as a mail client would."""
    found = []
    for path in sorted(folder.glob("*.mbox")):
        for msg in mailbox.mbox(path):
            found.append(email.message_from_bytes(msg.as_bytes(), policy=email.policy.default))
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def test_without_smtp_messages_go_to_the_outbox(app, client, storage):
    ref = Applicant(client, "drug-testing").apply(DRUG, {"f_spec_sheet": pdf_file()})
    assert mail.deliver_due(storage, app.config) == (2, 0)
    msgs = outbox(app.config["OUTBOX_DIR"])
    assert len(msgs) == 2
    ack, notice = msgs
    assert ack["To"] == "zhang@example.com" and ref in ack["Subject"]
    body = ack.get_content()
    assert ref in body and "工作人员将在 2 个工作日内审核申请" in body and "/track" in body
    assert notice["To"] == "testing-staff@guide.test"  # the service's notify address
    assert "阿莫西林胶囊" in notice.get_content() and "说明书.pdf" in notice.get_content()
    assert all(r["status"] == "sent" for r in storage.mail_rows())


def test_outbox_keeps_every_message_of_every_batch(app, client, storage):
    for _ in range(3):
        Applicant(client, "metering").apply(METERING)
        mail.deliver_due(storage, app.config)
    msgs = outbox(app.config["OUTBOX_DIR"])
    assert len(msgs) == 6 and len({m["Message-ID"] for m in msgs}) == 6
    assert all(m.get_content().strip() for m in msgs)


def test_staff_address_falls_back_to_provider_then_guide(app):
    project = app.extensions["guide"].project
    assert staff_address(project, project.services["drug-testing"]) == "testing-staff@guide.test"
    # metering's provider has no email: the guide's staff_email
    assert staff_address(project, project.services["metering"]) == "staff@guide.test"


def test_smtp_server_receives_notice_and_acknowledgement(tmp_path, smtp_server):
    controller, inbox = smtp_server
    app = create_app(config(tmp_path, GUIDE_SMTP_HOST="127.0.0.1", GUIDE_SMTP_PORT=controller.port,
                            GUIDE_MAIL_FROM="guide@bureau.test"))
    ref = Applicant(app.test_client(), "metering").apply(METERING)
    assert mail.deliver_due(app.extensions["guide"].storage, app.config) == (2, 0)
    recipients = sorted(r[0] for r, _ in inbox.messages)
    assert recipients == ["staff@guide.test", "zhang@example.com"]
    for _, msg in inbox.messages:
        assert msg["From"] == "guide@bureau.test" and ref in msg["Subject"]


def test_failed_send_keeps_the_application_and_is_retried(tmp_path, smtp_server, caplog):
    controller, inbox = smtp_server
    dead_port = free_port()  # nothing listens here
    cfg = config(tmp_path, GUIDE_SMTP_HOST="127.0.0.1", GUIDE_SMTP_PORT=dead_port)
    app = create_app(cfg)
    storage = app.extensions["guide"].storage
    ref = Applicant(app.test_client(), "metering").apply(METERING)
    assert mail.deliver_due(storage, app.config) == (0, 2)
    assert storage.get_application(ref) is not None
    rows = storage.mail_rows()
    assert [(r["status"], r["attempts"]) for r in rows] == [("pending", 1), ("pending", 1)]
    assert "zhang@example.com" not in caplog.text  # logs name ids, not addresses
    # Not due yet: nothing is tried before the retry time.
    assert mail.deliver_due(storage, app.config) == (0, 0)
    # The server comes back; when the retry is due the messages go out.
    storage.db.execute("UPDATE mail_queue SET next_attempt_at = '2000-01-01T00:00:00.000+00:00'")
    app.config["GUIDE_SMTP_PORT"] = controller.port
    assert mail.deliver_due(storage, app.config) == (2, 0)
    assert len(inbox.messages) == 2
    assert [r["status"] for r in storage.mail_rows()] == ["sent", "sent"]


def test_gives_up_after_the_last_retry(tmp_path):
    app = create_app(config(tmp_path, GUIDE_SMTP_HOST="127.0.0.1", GUIDE_SMTP_PORT=free_port()))
    storage = app.extensions["guide"].storage
    Applicant(app.test_client(), "metering").apply(METERING)
    for _ in range(len(mail.RETRY_DELAYS) + 1):
        storage.db.execute("UPDATE mail_queue SET next_attempt_at = '2000-01-01T00:00:00.000+00:00'")
        mail.deliver_due(storage, app.config)
    assert {r["status"] for r in storage.mail_rows()} == {"failed"}


def test_background_thread_sends_after_submission(tmp_path):
    # No digest: after GUIDE_DIGEST_HOUR (08:00 local) the thread would queue it to the duty address too.
    app = create_app(config(tmp_path, GUIDE_MAIL_WORKER=True, GUIDE_DIGEST_HOUR=-1))
    try:
        Applicant(app.test_client(), "metering").apply(METERING)
        deadline = time.time() + 5
        while time.time() < deadline and len(outbox(app.config["OUTBOX_DIR"])) < 2:
            time.sleep(0.05)
        assert len(outbox(app.config["OUTBOX_DIR"])) == 2
    finally:
        app.extensions["guide"].background.stop()


def test_a_claim_left_by_a_dead_process_expires(app, client, storage):
    Applicant(client, "metering").apply(METERING)
    claimed = storage.claim_due_mail()
    assert len(claimed) == 2 and storage.claim_due_mail() == []
    import datetime as dt
    assert len(storage.claim_due_mail(stale_after=dt.timedelta(seconds=-1))) == 2
