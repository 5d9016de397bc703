"""Delivery of the notice queue: claim what is due, hand each channel its messages (email by
``transport``, SMS by ``sms``), and apply one retry schedule to every failure."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from ..storage import Storage, utcnow
from .sms import Channel, SmsGateway
from .transport import Transport

log = logging.getLogger(__name__)

RETRY_DELAYS = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600)  # seconds, then give up


def channels(config: dict[str, Any]) -> dict[str, Channel]:
    """Each channel's sender for this configuration."""
    return {"email": Transport(config), "sms": SmsGateway(config)}


def deliver_due(storage: Storage, config: dict[str, Any], *, limit: int = 50) -> tuple[int, int]:
    """Send every message that is due now, each through its channel; return (sent, failed) counts."""
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
