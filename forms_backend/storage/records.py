"""The dataclasses the storage layer returns: views never see rows or SQL."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

__all__ = ["Draft", "Submitted", "NewUpload", "Event", "ApplicationRecord", "QueuedMail", "StaffUser", "StaffSession", "Contact", "QueueFilter", "QueueRow", "Rating", "IssueNote", "Issue", "Suggestion", "SuggestionStatus", "ResultDocument",
           "ConsoleCounts", "APP_COLUMNS", "application_record"]

@dataclass
class Draft:
    token: str
    service_id: str
    answers: dict | None
    files: dict[str, dict]
    submit_token: str
    application_id: int | None
    ref: str | None = None
    typed: dict | None = None          # what was typed on the last POST, valid or not
    resume_ref: str | None = None      # the draft code for resuming it elsewhere (with the phone)
    updated_at: str | None = None


@dataclass
class Submitted:
    ref: str
    application_id: int
    created: bool


@dataclass
class NewUpload:
    """A received file, already written to disk under ``stored_name``."""
    field_id: str
    original_name: str
    stored_name: str
    kind: str
    content_type: str
    size: int
    sha256: str


@dataclass
class Event:
    at: str
    actor: str
    kind: str
    from_status: str | None
    to_status: str | None
    note: str | None


@dataclass
class ApplicationRecord:
    id: int
    ref: str
    service_id: str
    service_name: str
    status: str
    org_name: str
    uscc: str
    contact_name: str
    phone: str
    email: str
    answers: list[dict]
    submitted_at: str
    updated_at: str
    events: list[Event] = field(default_factory=list)
    due_at: str | None = None
    closed_at: str | None = None
    archive_no: str | None = None
    assignee: str | None = None


@dataclass
class Correction:
    """A 补正 request: every missing item with its reason, a deadline, and the applicant's answer."""
    id: int
    application_id: int
    items: list[dict]            # [{name, reason}]
    due_on: str                  # local date
    requested_at: str
    requested_by: str
    from_status: str             # where the case goes back when answered
    answered_at: str | None
    answers: list[dict] | None   # [{text, file: {token, name, size} | None}], one per item


@dataclass
class QueuedMail:
    id: int
    application_id: int | None
    kind: str
    to_addr: str
    subject: str
    body: str
    attempts: int
    channel: str = "email"


@dataclass
class StaffUser:
    id: int
    name: str
    role: str
    active: bool
    created_at: str
    password_changed_at: str
    last_login_at: str | None
    password_hash: str = field(default="", repr=False)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass
class StaffSession:
    user: StaffUser
    created_at: str
    last_seen_at: str


@dataclass
class Contact:
    id: int
    at: str
    channel: str
    note: str
    actor: str


@dataclass
class QueueFilter:
    """What the staff queue asks for; every value is already validated (see forms/staff.py)."""
    service_id: str | None = None
    status: str | None = None
    submitted_from: str | None = None    # UTC ISO, inclusive
    submitted_before: str | None = None  # UTC ISO, exclusive
    enterprise: str | None = None        # part of the name, or the whole 统一社会信用代码
    overdue: str | None = None           # 'time' (past the service time limit) or 'followup'
    today: str | None = None             # local date, for 'time'
    followup_cutoff: str | None = None   # UTC ISO, for 'followup': last contact before this
    uscc: str | None = None              # exactly this enterprise
    assignee: str | None = None          # the 承办人's account name; NO_ASSIGNEE for cases without one


@dataclass
class QueueRow:
    ref: str
    service_id: str
    service_name: str
    status: str
    org_name: str
    uscc: str
    submitted_at: str
    updated_at: str
    due_at: str | None
    closed_at: str | None
    archive_no: str | None
    last_contact_at: str | None
    score: int | None
    assignee: str | None = None
    correction_due: str | None = None    # deadline of the open 补正 request


@dataclass
class Rating:
    id: int
    application_id: int
    score: int
    q_guide: int | None
    q_process: int | None
    q_materials: int | None
    q_interface: int | None
    comment: str | None
    created_at: str
    current: bool


@dataclass
class IssueNote:
    at: str
    actor: str
    kind: str
    channel: str | None
    note: str | None


@dataclass
class Issue:
    id: int
    kind: str
    application_id: int | None
    rating_id: int | None
    suggestion_id: int | None
    service_id: str | None
    service_name: str | None
    opened_at: str
    first_contact_due: str | None
    rectify_due: str
    first_contact_at: str | None
    owner: str | None
    status: str
    closed_at: str | None
    outcome: str | None
    told_via: str | None
    ref: str | None = None          # the application's or the suggestion's reference
    who: str | None = None          # enterprise name, or the name left in the 意见箱
    notes: list[IssueNote] = field(default_factory=list)
    group_id: int | None = None     # linked items (about one case) share the first item's id
    followup_score: int | None = None   # 回访满意度 after closing: 3 满意, 2 基本满意, 1 不满意
    followup_at: str | None = None
    followup_comment: str | None = None
    equipment_id: int | None = None     # a level-3 warning of the equipment register (kind 'equipment')


@dataclass
class Suggestion:
    id: int
    ref: str
    kind: str
    service_id: str | None
    service_name: str | None
    related_ref: str | None
    body: str
    name: str | None
    org_name: str | None
    phone: str | None
    email: str | None
    created_at: str


@dataclass
class SuggestionStatus:
    """What the tracking page shows of a 意见箱 entry."""
    ref: str
    kind: str
    service_name: str | None
    created_at: str
    status: str                 # 'received', 'in_progress' or 'closed'
    closed_at: str | None
    outcome: str | None


APP_COLUMNS = ("id, ref, service_id, service_name, status, org_name, uscc, contact_name, phone, email, "
               "answers, submitted_at, updated_at")


def application_record(row: tuple) -> ApplicationRecord:
    """An ``ApplicationRecord`` from a row of ``APP_COLUMNS`` (answers decoded)."""
    values = list(row)
    values[10] = json.loads(values[10])
    return ApplicationRecord(*values)




@dataclass
class ResultDocument:
    """A result document (检定证书, 检验报告, 告知书 ...) that staff attached to a case."""
    token: str
    title: str
    original_name: str
    stored_name: str
    kind: str
    size: int
    sha256: str
    actor: str
    created_at: str


@dataclass
class ConsoleCounts:
    """The numbers in the console's navigation (one query)."""
    new: int = 0                 # applications waiting to be accepted
    mine: int = 0                # open cases whose 承办人 is the viewer
    cases_due_today: int = 0
    cases_overdue: int = 0
    issues_open: int = 0
    issues_due_today: int = 0    # open items with a deadline (first contact or rectification) today
    issues_overdue: int = 0
    mail_refused: int = 0        # messages never sent: refused recipients and given-up sends
