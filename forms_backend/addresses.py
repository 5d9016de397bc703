"""Mail addresses: what counts as one before a message is queued, and where staff mail goes.

A message to something that is not an address (a placeholder such as 【待补充】, a name, an
empty value) is never sent and never counts as sent: the queue keeps it as refused, the console
shows it, and ``guide serve`` warns at start-up when the staff address itself is not one.
"""
from __future__ import annotations

import functools
import re

from email_validator import EmailNotValidError, validate_email

REFUSED_PREFIX = "refused:"
MOBILE = re.compile(r"1[3-9][0-9]{9}")  # a mainland mobile number, digits only


def is_address(value: object) -> bool:
    """True for a syntactically valid mail address (no DNS lookup; the reserved .test domain allowed)."""
    if not isinstance(value, str) or not value.strip() or len(value) > 254:
        return False
    return _valid_address(value)


# The plain addresses nearly everyone has (name@company.com.cn): a strict subset of what
# email_validator accepts, decided here in a microsecond instead of its 30 (every application
# checks its applicant's address again before queuing the receipt). Anything else (another
# top-level domain, quoting, non-ASCII, a label like "ab--c") goes to email_validator.
# tests/backend/mail/test_addresses.py checks the subset against the library itself.
_PLAIN = re.compile(r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
                    r"(?:com|cn|net|org|edu|gov)", re.ASCII | re.IGNORECASE)
_NOT_LDH = re.compile(r"(?:^|[@.])..--", re.ASCII)  # "ab--": reserved for IDNA labels


def _plain_address(value: str) -> bool:
    return (_PLAIN.fullmatch(value) is not None and len(value.partition("@")[0]) <= 64
            and _NOT_LDH.search(value) is None)


@functools.lru_cache(maxsize=1024)
def _valid_address(value: str) -> bool:
    # Cached: every application's mail checks the same staff address again.
    if _plain_address(value):
        return True
    try:
        validate_email(value.strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        return False
    return True


def is_recipient(channel: str, value: object) -> bool:
    """Can a message of this channel ('email' or 'sms') go to ``value`` at all?"""
    if channel == "sms":
        return isinstance(value, str) and MOBILE.fullmatch(value) is not None
    return is_address(value)


def refusal(value: object) -> str:
    """The error a refused message is recorded with (never the address itself)."""
    return f"{REFUSED_PREFIX} the recipient is not an email address"


def duty_address(config, project) -> str | None:
    """The guide's staff (duty) address: GUIDE_STAFF_EMAIL, else site.yml's staff_email."""
    configured = (config.get("GUIDE_STAFF_EMAIL") or "").strip()
    if configured:
        return configured
    site = getattr(project, "site", None)
    return site.staff_email if site and site.staff_email else None


def staff_address_problems(config, project) -> list[str]:
    """Why staff notices cannot be delivered as configured (empty when they can)."""
    problems = []
    duty = duty_address(config, project)
    if not duty:
        problems.append("no staff address: set GUIDE_STAFF_EMAIL (or staff_email in content/site.yml); "
                        "staff notices, alerts and the daily digest have nowhere to go")
    elif not is_address(duty):
        source = "GUIDE_STAFF_EMAIL" if (config.get("GUIDE_STAFF_EMAIL") or "").strip() else "site.yml staff_email"
        problems.append(f"the staff address ({source}) {duty!r} is not an email address; staff notices, alerts "
                        f"and the digest would be refused; set GUIDE_STAFF_EMAIL to the duty mailbox")
    for service in project.services.values():
        notify = service.application.notify if service.takes_applications else None
        if notify and not is_address(notify):
            problems.append(f"service {service.id}: application.notify {notify!r} is not an email address")
    return problems
