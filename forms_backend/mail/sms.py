"""Notification channels: email (``mail.transport``) and SMS through an HTTP gateway.

Every notice is a row of the ``mail_queue`` table with a ``channel`` ('email' or 'sms'),
written in the same transaction as the change it tells about; ``mail.delivery.deliver_due`` claims due
rows, hands each channel's rows to that channel's ``send_all`` and applies one retry schedule
(``mail.delivery.RETRY_DELAYS``) to every failure, so an SMS is kept and retried exactly like a mail.

SMS is off unless ``GUIDE_SMS_URL`` is set. The gateway receives one request per message::

    POST <GUIDE_SMS_URL>
    Content-Type: application/json; charset=utf-8
    Authorization: Bearer <GUIDE_SMS_TOKEN>          (only when the token is set)

    {"id": "guide-42", "to": "13812345678", "text": "申请已收到，编号ZY-2611-7K3Q9……"}

Any 2xx answer means accepted; anything else (or no answer within ``GUIDE_SMS_TIMEOUT``
seconds) is a failed attempt that is retried. ``id`` stays the same across retries, so a gateway
can drop a repeat. Texts are kept within one 70-character segment (``SEGMENT``), the
signature (``GUIDE_SMS_SIGN``, e.g. 【某某局】; empty when the gateway adds its own) included.
Logs name message ids, never numbers or texts.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Protocol

from ..forms.values import MOBILE, phone_key
from ..storage import QueuedMail

SEGMENT = 70  # characters of one SMS segment with Chinese text (UCS-2)
CHANNELS = ("email", "sms")


class Channel(Protocol):
    """What delivers one channel's queued messages."""

    def send_all(self, messages: list[QueuedMail]) -> tuple[list[int], dict[int, str]]:
        """Send each message; return the ids sent and an error per id that failed."""


def sms_enabled(config: dict[str, Any]) -> bool:
    return bool((config.get("GUIDE_SMS_URL") or "").strip())


def mobile_number(phone: str | None) -> str | None:
    """The number an SMS can go to (a mainland mobile), or None for a landline or nothing."""
    key = phone_key(phone or "")
    return key if key and MOBILE.fullmatch(key) else None


def fit(text: str, *, sign: str = "", tail: str = "") -> str:
    """``sign + text + tail`` if it fits one segment, else without the tail; never longer than it."""
    whole = f"{sign}{text}{tail}"
    if len(whole) <= SEGMENT:
        return whole
    short = f"{sign}{text}"
    return short if len(short) <= SEGMENT else short[:SEGMENT - 1] + "…"


def sms(config: dict[str, Any], *, kind: str, phone: str | None, text: str, tail: str = "") -> list[dict]:
    """The queue row of one SMS (kind, number, text), or none when SMS is off or the number is no mobile.

    ``tail`` (e.g. the tracking address) is added only when the whole still fits one segment.
    """
    to = mobile_number(phone)
    if not sms_enabled(config) or to is None:
        return []
    body = fit(text, sign=(config.get("GUIDE_SMS_SIGN") or "").strip(), tail=tail)
    return [{"kind": kind, "channel": "sms", "to": to, "subject": "", "body": body}]


def ack_sms(config: dict[str, Any], *, ref: str, phone: str, track_url: str) -> list[dict]:
    """The applicant's SMS when an application arrives."""
    return sms(config, kind="applicant_ack_sms", phone=phone,
               text=f"您的申请已收到，申请编号{ref}，凭编号和本手机号查询进度", tail=f"：{track_url}")


def status_sms(config: dict[str, Any], *, ref: str, phone: str, status_label: str, track_url: str,
               extra: str = "") -> list[dict]:
    """The applicant's SMS when staff change the status (``extra``: e.g. the 补正 deadline)."""
    return sms(config, kind="status_notice_sms", phone=phone,
               text=f"您的申请{ref}状态更新为：{status_label}。{extra}详见邮件或查询", tail=f"：{track_url}")


class SmsGateway:
    """The configured HTTP gateway (see the module's docstring for the request format)."""

    def __init__(self, config: dict[str, Any]):
        self.url = (config.get("GUIDE_SMS_URL") or "").strip()
        self.token = config.get("GUIDE_SMS_TOKEN") or ""
        self.timeout = float(config.get("GUIDE_SMS_TIMEOUT") or 10)

    def send_all(self, messages: list[QueuedMail]) -> tuple[list[int], dict[int, str]]:
        sent, failed = [], {}
        for message in messages:
            if not self.url:
                failed[message.id] = "SmsNotConfigured: GUIDE_SMS_URL is empty"
                continue
            try:
                self._post(message)
                sent.append(message.id)
            except urllib.error.HTTPError as exc:
                failed[message.id] = f"HTTPError: gateway answered {exc.code}"
            except (OSError, ValueError) as exc:  # refused, timed out, bad URL
                failed[message.id] = f"{type(exc).__name__}: {exc}"
        return sent, failed

    def _post(self, message: QueuedMail) -> None:
        body = json.dumps({"id": f"guide-{message.id}", "to": message.to_addr, "text": message.body},
                          ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
            response.read(4096)


def warning_sms(config: dict[str, Any], *, phone: str | None, level_name: str, device_code: str, due_date: str,
                overdue: bool) -> list[dict]:
    """The SMS of an equipment warning to one contact."""
    state = "已超期，请停止使用并尽快申报检验" if overdue else "，请及时申报定期检验"
    return sms(config, kind="equipment_warning_sms", phone=phone,
               text=f"【{level_name}】贵单位设备{device_code}检验有效期至{due_date}{state}")
