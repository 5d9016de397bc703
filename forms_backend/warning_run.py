"""The daily warning run of the equipment register (``guide warnings run`` and the background job).

For every record in use due on or before the latest due date of level 1 (a range of the due-date
index, so the run reads only the records that can be warned), it computes the level for today
from the guide's YAML (``duedates.Schedule``); when that level is higher than the highest one
already sent in the record's current cycle it queues the notices of that level — one per contact
and channel the level names — and, for a level that escalates, opens a follow-up item for the
staff. A record that enters at level 2 or 3 (imported late, a run missed) gets the notice of its
current level only: one notice per record per level per cycle, never a burst of the skipped ones.

The warnings are written in batches, each in ONE transaction with its notices, its follow-up
items and the staff's notice of the batch (``Storage.record_warnings``); a warning already
written for the record, cycle and level is skipped. So a second run sends nothing, and a run
killed at any point sends, when run again, exactly what the first did not.

Overdue records (past their due date, must stop) are listed apart.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask import Flask

from .addresses import duty_address
from .duedates import Schedule, schedule_of
from .links import equipment_apply_token, external_url
from .mail.compose import compose_equipment_warning, compose_warning_summary
from .mail.sms import warning_sms
from .storage import Warning, utcnow
from .vocabulary import EQUIPMENT_KIND_LABELS, SPECIAL_EQUIPMENT_KINDS

log = logging.getLogger(__name__)

JOB = "equipment_warnings"
BATCH = 1000
OVERDUE_LISTED = 1000      # the overdue records a run keeps to print; the count is exact


class NoWarningLevels(Exception):
    """The guide has no flow with a ``warnings`` block."""


@dataclass
class Planned:
    level: int
    level_name: str
    equipment_id: int
    device_code: str
    org_name: str
    due_date: str
    to: list[str]
    escalate: bool


@dataclass
class RunResult:
    today: dt.date
    candidates: int = 0
    sent: dict[int, int] = field(default_factory=dict)        # level -> records warned
    messages: int = 0
    escalated: int = 0
    overdue: int = 0
    overdue_rows: list[dict] = field(default_factory=list)
    planned: list[Planned] = field(default_factory=list)      # --dry-run: what would be sent


def _columns(row: tuple) -> dict:
    keys = ("id", "cycle", "due_date", "kind", "sent", "uscc", "org_name", "device_code", "name", "manager_name",
            "manager_phone", "manager_email", "head_name", "head_phone", "head_email")
    return dict(zip(keys, row))


def _contacts(rec: dict, notify: list[str]) -> tuple[list[str], list[str]]:
    """(email addresses, phone numbers) of the contacts a level tells."""
    emails, phones = [], []
    for who in notify:
        prefix = {"safety_manager": "manager", "enterprise_head": "head"}.get(who)
        if prefix is None:
            continue
        if rec[f"{prefix}_email"]:
            emails.append(rec[f"{prefix}_email"])
        if rec[f"{prefix}_phone"]:
            phones.append(rec[f"{prefix}_phone"])
    return list(dict.fromkeys(emails)), list(dict.fromkeys(phones))


def local_today(app: Flask, now: dt.datetime | None = None) -> dt.date:
    return (now or utcnow()).astimezone(ZoneInfo(app.config["GUIDE_TIMEZONE"])).date()


def run_warnings(app: Flask, today: dt.date, *, dry_run: bool = False, batch: int = BATCH) -> RunResult:
    """Send today's warnings (see the module's docstring); ``dry_run`` only says what it would send."""
    guide = app.extensions["guide"]
    project = guide.project
    calendar = guide.calendar.get()
    schedule = schedule_of(project, calendar)
    if schedule is None:
        raise NoWarningLevels("no flow of the guide has 'warnings' (the warning levels)")
    flow = project.warning_flow()
    plan = flow.warnings
    cfg = app.config
    base = (cfg.get("GUIDE_BASE_URL") or "").rstrip("/")
    staff_to = duty_address(cfg, project)
    service = project.services.get(plan.application) if plan.application else None
    contact = _contact(project, service)
    result = RunResult(today=today)
    latest = max(schedule.thresholds(today).values())
    for rows in guide.storage.warning_candidates(latest.isoformat(), batch=batch):
        warnings, staff_rows = [], []
        for row in rows:
            rec = _columns(row)
            result.candidates += 1
            due = dt.date.fromisoformat(rec["due_date"])
            overdue = due < today
            if overdue:
                result.overdue += 1
                if len(result.overdue_rows) < OVERDUE_LISTED:
                    result.overdue_rows.append(rec)
            level = schedule.level(due, today)
            if level <= rec["sent"]:
                continue
            spec = schedule.levels[level - 1]
            emails, phones = _contacts(rec, spec.notify)
            mails = []
            if "email" in spec.channels:
                mails += compose_equipment_warning(
                    site_title=project.site.title, level_name=spec.name, level_note=spec.note, equipment=rec,
                    kind_label=EQUIPMENT_KIND_LABELS[rec["kind"]], to=emails, overdue=overdue,
                    apply_url=_apply_url(app, plan, rec), basis=_basis(project, flow, rec), contact=contact)
            if "sms" in spec.channels:
                for phone in phones:
                    mails += warning_sms(cfg, phone=phone, level_name=spec.name, device_code=rec["device_code"],
                                         due_date=rec["due_date"], overdue=overdue)
            issue = None
            if spec.escalate:
                issue = {"first_contact_due": calendar.add_workdays(today, int(cfg["GUIDE_FIRST_CONTACT_DAYS"])).isoformat(),
                         "rectify_due": max(due, today).isoformat(),
                         "note": f"{spec.name}：{rec['org_name']} 设备 {rec['device_code']}（{rec['name']}）"
                                 f"{'已于' if overdue else '将于'} {rec['due_date']} 到期，请电话或上门督促企业申报定期检验，"
                                 f"并记录联系方式和结果"}
            if dry_run:
                result.planned.append(Planned(level, spec.name, rec["id"], rec["device_code"], rec["org_name"],
                                              rec["due_date"], [m["to"] for m in mails], spec.escalate))
                continue
            warnings.append(Warning(rec["id"], rec["cycle"], level, rec["due_date"], mails, issue))
            if "staff" in spec.notify:
                staff_rows.append({"equipment_id": rec["id"], "level_name": spec.name, "device_code": rec["device_code"],
                                   "org_name": rec["org_name"], "due_date": rec["due_date"]})
        if not warnings:
            continue

        def staff_notice(written: list[Warning], issues: dict[int, int], rows=staff_rows) -> list[dict]:
            done = {w.equipment_id for w in written}
            told = [{**r, "issue_id": issues.get(r["equipment_id"])} for r in rows if r["equipment_id"] in done]
            if not told or not staff_to:
                return []
            return compose_warning_summary(site_title=project.site.title, today=today.isoformat(), rows=told,
                                           to=staff_to, console_url=f"{base}/staff/equipment" if base else None)

        written = guide.storage.record_warnings(warnings, run_date=today.isoformat(),
                                                service=(flow.id, plan.subject), after=staff_notice)
        for w in written:
            result.sent[w.level] = result.sent.get(w.level, 0) + 1
            result.messages += len(w.mails)
            result.escalated += w.issue is not None
    if not dry_run and result.messages and cfg.get("GUIDE_MAIL_WORKER"):
        guide.background.wake()
    return result


def _apply_url(app: Flask, plan, rec: dict) -> str | None:
    sid = plan.measuring_application if rec["kind"] == "measuring" and plan.measuring_application else plan.application
    if not sid or sid not in app.extensions["guide"].forms:
        return None
    return external_url("apply.form", service_id=sid, equipment=equipment_apply_token(rec["id"], rec["cycle"]))


def _basis(project, flow, rec: dict) -> str | None:
    """The legal line of a special-equipment notice: the article the warning flow's last level cites."""
    if rec["kind"] not in SPECIAL_EQUIPMENT_KINDS:
        return None
    for level in reversed(flow.warnings.levels):
        for src in (level.provenance.sources if level.provenance else []):
            policy = project.policies.get(src.policy) if src.policy else None
            if policy is not None and src.article:
                return (f"依据《{policy.title}》{src.article}，使用单位应当在检验合格有效期届满前一个月"
                        f"向特种设备检验机构提出定期检验要求。")
    return None


def _contact(project, service) -> str:
    if service is None:
        return ""
    for pid in service.providers:
        p = project.providers.get(pid)
        if p and p.phone and "【待补充】" not in p.phone:
            return f"{p.name} {p.phone}"
    return ""


def run_daily(app: Flask, *, now: dt.datetime | None = None) -> RunResult | None:
    """The background job: today's run once, after ``GUIDE_WARNINGS_HOUR`` (local), by whichever
    process comes first. The day is stamped only after the run finished, so a run that died is
    simply run again (it sends only what is missing)."""
    hour = int(app.config["GUIDE_WARNINGS_HOUR"])
    local = (now or utcnow()).astimezone(ZoneInfo(app.config["GUIDE_TIMEZONE"]))
    guide = app.extensions["guide"]
    if hour < 0 or local.hour < hour or guide.project.warning_flow() is None:
        return None
    today = local.date().isoformat()
    if guide.storage.job_done(JOB, today):
        return None
    result = run_warnings(app, local.date())
    guide.storage.stamp_job(JOB, today)
    log.info("equipment warnings for %s: %s sent, %d overdue", today, result.sent or "none", result.overdue)
    return result
