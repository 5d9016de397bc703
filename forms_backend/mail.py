"""Mail: a notice to the service's staff and an acknowledgement to the applicant.

Messages are written to the ``mail_queue`` table in the same transaction as the application,
so a failed send never loses anything: a background thread in each process claims due
messages, sends them through SMTP (``GUIDE_SMTP_*``) or, when no SMTP host is configured,
appends them to ``<data dir>/outbox/<date>.mbox``, and retries failures with growing delays.
Logs name the message id and kind, never an address or an answer.
"""
from __future__ import annotations

import base64
import datetime as dt
import logging
import os
import re
import smtplib
import ssl
import threading
import time
import uuid
from email.utils import formatdate
from pathlib import Path
from typing import Any

from .storage import QueuedMail, Storage, utcnow

try:
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

log = logging.getLogger(__name__)

FROM_LINE = re.compile(rb"(?m)^(>*From )")
RETRY_DELAYS = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600)  # seconds, then give up
POLL_SECONDS = 30.0
BATCH_SECONDS = 0.5  # after a wake-up, gather what else arrives: one claim per batch, not per message
HOUSEKEEPING_SECONDS = 3600.0


class MailError(Exception):
    """A message could not be handed to the SMTP server or written to the outbox."""


def staff_address(project, service) -> str | None:
    """Who hears about a new application: the form's notify, the provider, else the guide's staff."""
    if service.application and service.application.notify:
        return service.application.notify
    for pid in service.providers:
        provider = project.providers.get(pid)
        if provider and provider.email:
            return provider.email
    return project.site.staff_email if project.site else None


def compose(*, site_title: str, service, ref: str, submitted: str, record: dict, summary: list[dict],
            staff_to: str | None, track_url: str, contact: str) -> list[dict]:
    """The two messages of a new application (as mail_queue rows, without ids)."""
    next_steps = (service.application.next_steps or "").strip() if service.application else ""
    ack = "\n".join([
        f"{record['contact_name']}，您好：",
        "",
        f"{record['org_name']}提交的“{service.name}”在线申请已收到。",
        f"申请编号：{ref}",
        f"提交时间：{submitted}",
        "",
        *(["接下来：", next_steps, ""] if next_steps else []),
        f"查询办理进度：打开 {track_url} ，输入申请编号和申请时填写的联系电话。",
        "",
        *([f"如有疑问，请联系：{contact}", ""] if contact else []),
        f"本邮件由{site_title}在线申请系统自动发送，请勿直接回复。",
    ])
    messages = [{"kind": "applicant_ack", "to": record["email"],
                 "subject": f"申请已收到：{service.name}（申请编号 {ref}）", "body": ack}]
    if staff_to:
        lines = ["收到一份新的在线申请。", "", f"申请编号：{ref}", f"服务事项：{service.name}（{service.id}）",
                 f"提交时间：{submitted}", ""]
        for row in summary:
            lines.append(f"{row['label']}：{row['display']}")
        lines += ["", "附件保存在服务器的上传目录中，不随邮件发送。"]
        messages.append({"kind": "staff_notice", "to": staff_to,
                         "subject": f"新的在线申请：{service.name} {ref}", "body": "\n".join(lines)})
    return messages


def compose_status(*, site_title: str, application, status_label: str, status_help: str, note: str | None,
                   link_url: str, track_url: str, contact: str, rate: bool) -> list[dict]:
    """The applicant's notice of a status change; on completion it invites a rating."""
    a = application
    lines = [
        f"{a.contact_name}，您好：",
        "",
        f"{a.org_name}提交的“{a.service_name}”在线申请（申请编号 {a.ref}）状态已更新为：{status_label}。",
        status_help,
        *(["", f"说明：{note}"] if note else []),
        "",
        f"查看办理进度和办理记录：{link_url}",
        f"（也可以打开 {track_url} ，输入申请编号和申请时填写的联系电话查询。）",
    ]
    if rate:
        lines += ["", "欢迎对本次服务进行评价（非常满意、满意、基本满意、不满意、非常不满意），打开上面的链接即可评价。",
                  "您的评价将帮助我们改进服务。"]
    lines += ["", *([f"如有疑问，请联系：{contact}", ""] if contact else []),
              f"本邮件由{site_title}在线申请系统自动发送，请勿直接回复。"]
    return [{"kind": "status_notice", "to": a.email, "subject": f"办理进度更新：{a.service_name}（申请编号 {a.ref}）{status_label}",
             "body": "\n".join(lines)}]


def compose_outcome(*, site_title: str, to: str, ref: str | None, what: str, outcome: str, contact: str) -> list[dict]:
    """The outcome of a follow-up item (a bad rating, a complaint, a suggestion), told by email."""
    lines = [
        "您好：",
        "",
        f"您反映的{what}" + (f"（编号 {ref}）" if ref else "") + "已处理完毕。处理结果如下：",
        "",
        outcome,
        "",
        *([f"如对处理结果有疑问，请联系：{contact}", ""] if contact else []),
        f"感谢您对{site_title}工作的监督。本邮件由系统自动发送，请勿直接回复。",
    ]
    return [{"kind": "issue_outcome", "to": to, "subject": f"处理结果：您反映的{what}" + (f"（{ref}）" if ref else ""),
             "body": "\n".join(lines)}]


def encoded_words(text: str) -> str:
    """A header value as RFC 2047 encoded words (UTF-8, base64), folded at 75 characters."""
    if text.isascii():
        return text
    words, chunk = [], ""
    for ch in text:
        if len((chunk + ch).encode()) > 45:  # 45 bytes -> 60 base64 chars -> a 72-char word
            words.append(chunk)
            chunk = ""
        chunk += ch
    words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w.encode()).decode()}?=" for w in words)


def build_message(mail: QueuedMail, sender: str) -> bytes:
    """The message as RFC 5322 bytes: text/plain, UTF-8, base64.

    Written by hand rather than with the email package, whose header folding costs about a
    millisecond per message; every application sends two, from the web workers' processes.
    """
    domain = sender.rpartition("@")[2] or "localhost"
    head = [
        f"From: {sender}",
        f"To: {mail.to_addr}",
        f"Subject: {encoded_words(mail.subject)}",
        f"Date: {formatdate(localtime=False)}",
        f"Message-ID: <{uuid.uuid4().hex}@{domain}>",
        "Auto-Submitted: auto-generated",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: base64",
    ]
    body = base64.encodebytes(mail.body.encode()).replace(b"\n", b"\r\n")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class Transport:
    """Where messages go: an SMTP server, or the outbox folder when none is configured."""

    def __init__(self, config: dict[str, Any]):
        self.host = config.get("GUIDE_SMTP_HOST") or ""
        self.port = int(config.get("GUIDE_SMTP_PORT") or 25)
        self.user = config.get("GUIDE_SMTP_USER") or ""
        self.password = config.get("GUIDE_SMTP_PASSWORD") or ""
        self.starttls = bool(config.get("GUIDE_SMTP_STARTTLS"))
        self.sender = config.get("GUIDE_MAIL_FROM") or "noreply@localhost"
        self.outbox = Path(config["OUTBOX_DIR"])

    def send_all(self, mails: list[QueuedMail]) -> tuple[list[int], dict[int, str]]:
        """Send each message; return the ids sent and an error per id that failed."""
        if not self.host:
            return self._to_outbox(mails)
        sent, failed = [], {}
        try:
            with smtplib.SMTP(self.host, self.port, timeout=15) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password)
                for mail in mails:
                    try:
                        smtp.sendmail(self.sender, [mail.to_addr], build_message(mail, self.sender))
                        sent.append(mail.id)
                    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError,
                            smtplib.SMTPSenderRefused) as exc:
                        failed[mail.id] = f"{type(exc).__name__}: {exc}"
        except (OSError, smtplib.SMTPException) as exc:
            for mail in mails:
                if mail.id not in sent:
                    failed.setdefault(mail.id, f"{type(exc).__name__}: {exc}")
        return sent, failed

    def _to_outbox(self, mails: list[QueuedMail]) -> tuple[list[int], dict[int, str]]:
        """Append the batch to today's mbox file in the outbox (any mail client can open it).

        One append per batch rather than one file per message: creating files is what costs
        most here, and every application sends two messages.
        """
        stamp = time.asctime(time.gmtime()).encode()
        chunks = []
        for mail in mails:
            data = build_message(mail, self.sender).replace(b"\r\n", b"\n")
            data = FROM_LINE.sub(rb">\1", data)  # mboxrd quoting
            chunks.append(b"From guide@localhost " + stamp + b"\n" + data.rstrip(b"\n") + b"\n\n")
        path = self.outbox / f"{utcnow():%Y-%m-%d}.mbox"
        try:
            self.outbox.mkdir(parents=True, exist_ok=True)
            with open(path, "ab") as fh:
                if fcntl:
                    fcntl.flock(fh, fcntl.LOCK_EX)  # one process appends at a time
                fh.write(b"".join(chunks))
                fh.flush()
        except OSError as exc:
            return [], {m.id: f"{type(exc).__name__}: {exc}" for m in mails}
        return [m.id for m in mails], {}


def deliver_due(storage: Storage, config: dict[str, Any], *, limit: int = 50) -> tuple[int, int]:
    """Send every message that is due now, each through its channel; return (sent, failed) counts."""
    from .notify import channels

    mails = storage.claim_due_mail(limit=limit)
    if not mails:
        return 0, 0
    senders = channels(config)
    sent, failed = [], {}
    for name, sender in senders.items():
        batch = [m for m in mails if m.channel == name]
        if batch:
            ok, bad = sender.send_all(batch)
            sent += ok
            failed.update(bad)
    for m in mails:
        if m.channel not in senders:
            failed[m.id] = f"UnknownChannel: {m.channel}"
    storage.mail_sent(sent)
    by_id = {m.id: m for m in mails}
    for mail_id, error in failed.items():
        attempts = by_id[mail_id].attempts + 1
        retry_at = (utcnow() + dt.timedelta(seconds=RETRY_DELAYS[attempts - 1])
                    if attempts <= len(RETRY_DELAYS) else None)
        storage.mail_failed(mail_id, error, retry_at=retry_at)
        log.warning("%s %s (%s) not sent, attempt %s: %s%s", by_id[mail_id].channel, mail_id, by_id[mail_id].kind,
                    attempts, error.split(":")[0], "" if retry_at else "; giving up, staff must follow up")
    if sent:
        log.info("notices: %d message(s) sent (ids %s-%s)", len(sent), min(sent), max(sent))
    return len(sent), len(failed)


class Background:
    """One thread per process: sends queued mail when woken (or every 30 s), tidies hourly."""

    def __init__(self, app):
        self.app = app
        self._event = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = None
        self._stop = False
        self._lock = threading.Lock()

    def wake(self) -> None:
        with self._lock:
            # After a fork (gunicorn --preload) the parent's thread does not exist in the child.
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._event = threading.Event()
                self._thread = threading.Thread(target=self._run, name="guide-background", daemon=True)
                self._thread.start()
        self._event.set()

    def stop(self) -> None:
        self._stop = True
        self._event.set()

    def _run(self) -> None:
        from . import housekeeping

        last_tidy = 0.0
        clock = threading.Event()
        while not self._stop:
            if self._event.wait(POLL_SECONDS):
                clock.wait(BATCH_SECONDS)
            self._event.clear()
            if self._stop:
                break
            try:
                with self.app.app_context():
                    deliver_due(self.app.extensions["guide"].storage, self.app.config)
                    now = dt.datetime.now().timestamp()
                    if now - last_tidy > HOUSEKEEPING_SECONDS:
                        housekeeping(self.app)
                        last_tidy = now
            except Exception:  # keep the thread alive; the queue keeps the work
                log.exception("background mail/housekeeping run failed")
                clock.wait(5)
