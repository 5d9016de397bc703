"""Mail transport: queued messages -> SMTP or the outbox mbox, with retries.

Messages (composed by ``mail.compose``) are written to the ``mail_queue`` table in the same transaction as the application,
so a failed send never loses anything: a background thread in each process claims due
messages, sends them through SMTP (``GUIDE_SMTP_*``) or, when no SMTP host is configured,
appends them to ``<data dir>/outbox/<date>.mbox``, and retries failures with growing delays.
Logs name the message id and kind, never an address or an answer.
"""
from __future__ import annotations

import base64
import logging
import re
import smtplib
import ssl
import time
import uuid
from email.utils import formatdate
from pathlib import Path
from typing import Any

from ..private_files import opener, private_dir
from ..storage import QueuedMail, utcnow

try:
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

log = logging.getLogger(__name__)

FROM_LINE = re.compile(rb"(?m)^(>*From )")


class MailError(Exception):
    """A message could not be handed to the SMTP server or written to the outbox."""


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
            private_dir(self.outbox)
            with open(path, "ab", opener=opener) as fh:
                if fcntl:
                    fcntl.flock(fh, fcntl.LOCK_EX)  # one process appends at a time
                fh.write(b"".join(chunks))
                fh.flush()
        except OSError as exc:
            return [], {m.id: f"{type(exc).__name__}: {exc}" for m in mails}
        return [m.id for m in mails], {}
