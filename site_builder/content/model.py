"""The content model: what editors write in YAML, as pydantic classes.

Only shapes and single-value rules live here; rules that look across files (ids that must
exist, flow reachability) live in ``checks.py``. Every field is shown in ``content/_example/``.
"""
from __future__ import annotations

import datetime as dt
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SLUG = r"^[a-z0-9][a-z0-9-]*$"
PLACEHOLDER = "【待补充】"


def _is_text(annotation) -> bool:
    return annotation is str or (getattr(annotation, "__args__", None) is not None
                                 and str in annotation.__args__ and len(annotation.__args__) <= 2
                                 and all(a in (str, type(None)) for a in annotation.__args__))


def _text_of(value):
    """A number where text is meant, as written in the YAML file (``6.10`` stays "6.10")."""
    if isinstance(value, bool):
        return value
    if hasattr(value, "text") and isinstance(value, (int, float)):
        return value.text
    if type(value) is int:
        return str(value)
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _numbers_as_written(cls, data):
        # `article: 6.10` or `code: 0012` were read as numbers; a text field takes the text typed.
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for name, info in cls.model_fields.items():
            if name not in out:
                continue
            ann = info.annotation
            if _is_text(ann):
                out[name] = _text_of(out[name])
            elif getattr(ann, "__origin__", None) is list and ann.__args__ == (str,) and isinstance(out[name], list):
                out[name] = [_text_of(v) for v in out[name]]
        return out


# ---------------------------------------------------------------- provenance

class SourceRef(Strict):
    """Where a fact comes from: a source document and its clause, or a policy and its article."""

    doc: Optional[str] = None       # id from site.yml `documents`
    clause: Optional[str] = None    # e.g. 五（三）4 or 7.2.1.1
    policy: Optional[str] = None    # id from content/policies/
    article: Optional[str] = None   # e.g. 第四十条

    @field_validator("clause", "article", mode="before")
    @classmethod
    def _number_as_text(cls, v):
        # 7.2 or 8 written bare are numbers to YAML; a clause is text.
        return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v

    @model_validator(mode="after")
    def _one_kind(self):
        if bool(self.doc) == bool(self.policy):
            raise ValueError("a source names either 'doc' (a source document) or 'policy' (a policy id), not both or neither")
        if self.doc and self.article:
            raise ValueError("'article' goes with 'policy'; for a source document write 'clause'")
        if self.policy and self.clause:
            raise ValueError("'clause' goes with 'doc'; for a policy write 'article'")
        return self


class Confirmation(Strict):
    by: str = Field(min_length=1)   # the department (and person) who confirmed it
    date: dt.date                   # the day it was confirmed


class Provenance(Strict):
    """Where an item comes from and whether the responsible department confirmed it.

    Without ``confirmed`` the item is unconfirmed (待确认): unknown is the default.
    """

    sources: list[SourceRef] = []
    assumed: Optional[str] = Field(default=None, max_length=200)  # one line: what is assumed and why
    confirmed: Optional[Confirmation] = None

    @model_validator(mode="after")
    def _says_where(self):
        if not self.sources and not self.assumed:
            raise ValueError("provenance needs 'sources' (where it comes from) or 'assumed' (a one-line reason)")
        if self.assumed and "\n" in self.assumed:
            raise ValueError("'assumed' is one line: say briefly what is assumed and why")
        return self

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed is not None


class Document(Strict):
    """A source document the guide is written from (not a policy of the library)."""

    id: str = Field(pattern=SLUG)
    title: str
    note: str = ""


# ---------------------------------------------------------------- site.yml

class Category(Strict):
    id: str = Field(pattern=SLUG)
    name: str
    summary: str = ""
    parent: Optional[str] = None
    icon: Optional[str] = None


class Contact(Strict):
    name: str
    phone: Optional[str] = None
    email: Optional[str] = None
    address: Optional[str] = None
    hours: Optional[str] = None
    url: Optional[str] = None
    note: Optional[str] = None
    provenance: Optional[Provenance] = None


class Platform(Strict):
    id: str = Field(pattern=SLUG)
    name: str
    aliases: list[str] = []
    summary: str = ""
    url: Optional[str] = None
    provenance: Optional[Provenance] = None


class Section(Strict):
    title: str
    text: str
    provenance: Optional[Provenance] = None


class InfoPage(Strict):
    id: str = Field(pattern=SLUG)
    title: str
    summary: str = ""
    sections: list[Section] = []
    provenance: Optional[Provenance] = None


class Handbook(Strict):
    """The printed 服务手册: present in site.yml means `guide build` also writes site/handbook.pdf."""
    enabled: bool = True
    edition: Optional[str] = None
    date: Optional[dt.date] = None


# The fixed kinds of offline service records (服务记录) the backend keeps (seed 001, 8.2 and 10);
# forms_backend.vocabulary takes them from here. training: a 法规宣贯 or training session the
# workstation holds; staff_training: its own staff attending training (人员参训).
RECORD_KIND_LABELS = {
    "consultation": "咨询接待",
    "visit": "走访调研",
    "training": "法规宣贯/培训",
    "mock_inspection": "现场模拟检查",
    "pre_review": "注册资料预审",
    "staff_training": "人员参训",
    "other": "其他",
}


class RecordKind(Strict):
    """A kind of offline service record a workstation adds to the fixed ones (site.yml
    ``record_kinds``); the yearly evaluation counts it under the fixed kind ``counts_as``."""
    id: str = Field(pattern=SLUG)
    name: str = Field(max_length=50)
    counts_as: str = "other"
    note: Optional[str] = None


class Site(Strict):
    title: str
    short_title: Optional[str] = None
    description: str
    publisher: str
    url: Optional[str] = None
    staff_email: Optional[str] = None
    intro: str = ""
    basic_flow: Optional[str] = None
    popular: list[str] = []              # 热门事项: service ids shown first on the home page
    categories: list[Category] = Field(min_length=1)
    platforms: list[Platform] = []
    contacts: list[Contact] = []
    # Names of 'contacts' whose phone, address and hours are shown in the footer of every page
    # (the guide's and the backend's).
    footer_contacts: list[str] = []
    supervision: list[Contact] = []
    pages: list[InfoPage] = []
    documents: list[Document] = []
    # Jurisdictions whose documents belong in this guide's own library; others must be marked
    # `reference: true` (外地经验参考). Empty: no check.
    jurisdictions: list[str] = []
    handbook: Optional[Handbook] = None
    # Kinds of offline service records this workstation keeps besides the fixed ones (backend).
    record_kinds: list[RecordKind] = []
    reviewed: Optional[dt.date] = None
    provenance: Optional[Provenance] = None


# ---------------------------------------------------------------- providers.yml

class Provider(Strict):
    id: str = Field(pattern=SLUG)
    name: str
    kind: Optional[str] = None
    summary: str = ""
    phone: Optional[str] = None
    email: Optional[str] = None
    address: Optional[str] = None
    hours: Optional[str] = None
    url: Optional[str] = None
    provenance: Optional[Provenance] = None


class Providers(Strict):
    providers: list[Provider] = Field(min_length=1)


# ---------------------------------------------------------------- policies

PolicyKind = Literal["law", "administrative-regulation", "departmental-rule", "normative-document",
                     "national-standard", "industry-standard", "local-standard", "local-policy"]


class Measure(Strict):
    number: str
    title: str
    text: str = ""
    group: Optional[str] = None
    lead: list[str] = []
    deadline: Optional[str] = None

    @field_validator("number", mode="before")
    @classmethod
    def _number_as_text(cls, v):
        return str(v) if isinstance(v, int) else v


class Policy(Strict):
    id: str = Field(pattern=SLUG)
    title: str
    aliases: list[str] = []   # 简称 readers type: 药品管理法, GMP, 计量法 …
    kind: PolicyKind
    number: Optional[str] = None
    issuer: Optional[str] = None
    jurisdiction: str
    issued: Optional[dt.date] = None
    effective: Optional[dt.date] = None
    status: Literal["current", "amended", "repealed"] = "current"
    url: Optional[str] = None
    summary: str = ""
    measures: list[Measure] = []
    # 外地经验参考: another jurisdiction's document, listed apart and cited by no service or flow.
    reference: bool = False
    reviewed: Optional[dt.date] = None
    provenance: Optional[Provenance] = None


# ---------------------------------------------------------------- flows

class Branch(Strict):
    when: str
    next: str


class Step(Strict):
    id: str = Field(pattern=SLUG)
    label: str
    actor: Optional[str] = None
    kind: Literal["start", "task", "decision", "end"] = "task"
    duration: Optional[str] = None
    next: Optional[str] = None
    branches: list[Branch] = []
    note: Optional[str] = None
    provenance: Optional[Provenance] = None  # only when the step adds what the flow's source does not say


WARNING_NOTIFY_LABELS = {"safety_manager": "企业安全管理人员", "enterprise_head": "企业主要负责人",
                         "staff": "市场监管局工作人员"}
WARNING_CHANNEL_LABELS = {"email": "电子邮件", "sms": "短信"}


class WarningLevel(Strict):
    """One level of a due-date warning (特种设备定检“3级”预警): when it starts, who is told, how."""

    level: int = Field(ge=1, le=9)
    name: str                                       # e.g. 一级预警
    days_before: Optional[int] = Field(default=None, ge=1, le=730)     # calendar days before the due date
    months_before: Optional[int] = Field(default=None, ge=1, le=24)    # or calendar months before it
    notify: list[Literal["safety_manager", "enterprise_head", "staff"]] = Field(min_length=1)
    channels: list[Literal["email", "sms"]] = Field(min_length=1)
    escalate: bool = False                          # also opens a follow-up item for the staff
    note: Optional[str] = None                      # one line shown with the level on the guide page
    provenance: Optional[Provenance] = None         # the days are the bureau's to confirm

    @model_validator(mode="after")
    def _one_offset(self):
        if (self.days_before is None) == (self.months_before is None):
            raise ValueError("a level starts either 'days_before' or 'months_before' the due date (one of the two)")
        return self

    @property
    def min_days(self) -> int:
        """The fewest days before the due date this level can start (a month has at least 28 days)."""
        return self.days_before if self.days_before is not None else 28 * self.months_before

    @property
    def max_days(self) -> int:
        return self.days_before if self.days_before is not None else 31 * self.months_before


class WarningPlan(Strict):
    """The levels of a due-date warning, shown on the flow's page and run by the backend."""

    subject: str                                    # what is warned about, e.g. 特种设备定期检验和计量器具强制检定
    working_days: bool = True                       # a start on a weekend or holiday moves to the working day before
    deadline_months: int = Field(default=1, ge=1, le=12)   # the last level starts at least this long before the due date
    application: Optional[str] = None               # service id of the application each notice links to (pre-filled)
    measuring_application: Optional[str] = None     # ... for 强制检定计量器具, when it is another service
    levels: list[WarningLevel] = Field(min_length=1)

    # Numbering, order and the deadline are checked with the line of the level (checks.check_flow).


class Flow(Strict):
    id: str = Field(pattern=SLUG)
    title: str
    summary: str = ""
    source: str
    basis: list[str] = []
    actors: list[str] = Field(min_length=1)
    steps: list[Step] = Field(min_length=2)
    warnings: Optional[WarningPlan] = None   # due-date warning levels (the 3级预警), see content/_example/flow.yml
    reviewed: Optional[dt.date] = None
    provenance: Optional[Provenance] = None


# ---------------------------------------------------------------- services

class Material(Strict):
    name: str
    required: bool = True
    form: Optional[Literal["原件", "复印件", "电子版", "原件或复印件", "原件和复印件"]] = None
    copies: Optional[int] = Field(default=None, ge=0)
    note: Optional[str] = None
    template: Optional[str] = None      # blank form (空白表格) under content/files/
    sample: Optional[str] = None        # filled-in example (示例样表) under content/files/
    upload: Optional[str] = None        # id of the online form's file field that carries it
    no_upload: Optional[str] = None     # why a required material has no upload in the online form

    @model_validator(mode="after")
    def _upload_or_reason(self):
        if self.upload and self.no_upload:
            raise ValueError("give either 'upload' (the form's file field) or 'no_upload' (why there is none), not both")
        return self


class TimeLimit(Strict):
    text: str
    days: Optional[int] = Field(default=None, ge=0)
    working_days: bool = True
    # How often the provider checks in while the service runs: a frequency, not a deadline.
    follow_up: Optional[str] = None


class Fee(Strict):
    free: bool
    text: str = ""

    @model_validator(mode="after")
    def _text_when_charged(self):
        if not self.free and not self.text:
            raise ValueError("a fee that is not free needs 'text' saying how much and on what basis")
        return self


class Online(Strict):
    platform: str
    url: Optional[str] = None


class Offline(Strict):
    address: str
    hours: Optional[str] = None


class Channels(Strict):
    online: Optional[Online] = None
    offline: Optional[Offline] = None

    @model_validator(mode="after")
    def _at_least_one(self):
        if self.online is None and self.offline is None:
            raise ValueError("give at least one of 'online' or 'offline'")
        return self


class PolicyRef(Strict):
    id: str
    article: Optional[str] = None


class FAQ(Strict):
    q: str
    a: str


class ServiceContact(Strict):
    phone: Optional[str] = None
    email: Optional[str] = None
    hours: Optional[str] = None


FieldType = Literal["text", "textarea", "email", "phone", "uscc", "date", "integer", "select",
                    "radio", "checkbox", "file"]


class Option(Strict):
    value: str
    label: str


class Condition(Strict):
    field: str
    value: str


class FormField(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    type: FieldType
    required: bool = False
    help: Optional[str] = None
    max_length: Optional[int] = Field(default=None, gt=0)
    min: Optional[int] = None
    max: Optional[int] = None
    options: list[Option] = []
    accept: list[str] = []
    max_mb: Optional[float] = Field(default=None, gt=0)
    show_if: Optional[Condition] = None   # asked (and required) only when another answer has this value
    not_past: bool = False                # date fields: today or later

    @field_validator("options", mode="before")
    @classmethod
    def _plain_options(cls, v):
        # Editors may write options as plain strings; the label is then also the value.
        if isinstance(v, list):
            return [{"value": o, "label": o} if isinstance(o, str) else o for o in v]
        return v

    @model_validator(mode="after")
    def _type_rules(self):
        if self.type in ("select", "radio") and len(self.options) < 2:
            raise ValueError(f"a '{self.type}' field needs 'options' with at least two choices")
        if self.type not in ("select", "radio", "checkbox") and self.options:
            raise ValueError(f"'options' only apply to select, radio and checkbox fields, not '{self.type}'")
        if self.type != "file" and (self.accept or self.max_mb):
            raise ValueError("'accept' and 'max_mb' only apply to file fields")
        if self.type == "file" and not self.accept:
            raise ValueError("a file field needs 'accept', e.g. [pdf, jpg, png]")
        if self.not_past and self.type != "date":
            raise ValueError("'not_past' only applies to date fields")
        return self


class Application(Strict):
    enabled: bool = True
    notify: Optional[str] = None
    fields: list[FormField] = []
    declaration: Optional[str] = None
    next_steps: str = ""

    @model_validator(mode="after")
    def _unique_field_ids(self):
        seen = set()
        for f in self.fields:
            if f.id in seen:
                raise ValueError(f"field id '{f.id}' is used twice in this form")
            seen.add(f.id)
        return self


class Update(Strict):
    """One line of a service page's 更新记录: what changed for the reader, and when."""
    date: dt.date
    text: str


class Service(Strict):
    id: str = Field(pattern=SLUG)
    code: Optional[str] = None
    name: str
    aliases: list[str] = []
    category: str
    summary: str = Field(max_length=120)
    description: str = ""
    audience: list[str] = []
    conditions: list[str] = []
    materials: list[Material] = []
    flow: Optional[str] = None
    time_limit: TimeLimit
    fee: Fee
    providers: list[str] = Field(min_length=1)
    channels: Channels
    visits: Optional[int] = Field(default=None, ge=0)
    policies: list[PolicyRef] = []
    outputs: list[str] = []
    faq: list[FAQ] = []
    contact: Optional[ServiceContact] = None
    related: list[str] = []
    application: Optional[Application] = None
    updates: list[Update] = []
    reviewed: dt.date
    provenance: Optional[Provenance] = None

    @property
    def takes_applications(self) -> bool:
        return bool(self.application and self.application.enabled)


# ---------------------------------------------------------------- redirects.yml

class Redirect(Strict):
    """An id that was renamed (``guide rename`` writes these): its old page and, for a service,
    its old ``/apply/<id>`` address lead to the new ones."""
    kind: Literal["service", "flow", "policy"]
    old: str = Field(pattern=SLUG)
    new: str = Field(pattern=SLUG)
    date: Optional[dt.date] = None


class Redirects(Strict):
    redirects: list[Redirect] = []


# ---- search.yml ------------------------------------------------------------------------------

class BestBet(Strict):
    """Editors' pinned results: whoever types one of ``queries`` sees ``pages`` first."""
    queries: list[str] = Field(min_length=1)
    pages: list[str] = Field(min_length=1)   # services/<id>, policies/<id>, flows/<id>, families/<id>, about/<id>, home; optional #anchor


class SearchSettings(Strict):
    best_bets: list[BestBet] = []
