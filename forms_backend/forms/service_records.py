"""The form of an offline service record (咨询接待, 走访调研, 法规宣贯, ...) and of a product.

One place checks a record: the console form (new and edit), and the spreadsheet import runs every
row through the same form (``records_import``). Choices that depend on the guide (services, the
kinds site.yml adds in ``record_kinds``) come in through the factory; today's date (records are
never in the future) through ``today``. A kind from site.yml is stored as the fixed kind it
counts as, with its id in ``kind_key`` and its name in ``kind_label``.
"""
from __future__ import annotations

import datetime as dt
from typing import Sequence

from flask_wtf import FlaskForm
from wtforms.validators import StopValidation, ValidationError

from ..vocabulary import (PRODUCT_FLAG_LABELS, RECORD_CHANNEL_LABELS, RECORD_KIND_LABELS, SESSION_KINDS)
from .fields import (ChoiceQuestion, Cleaned, DateQuestion, IntegerQuestion, MaxLength, MultiChoiceQuestion, Optional,
                     Range, Required, TextareaQuestion, TextQuestion)
from .messages import message
from .values import clean_uscc

__all__ = ["record_form", "kind_options", "ProductForm", "ImportForm", "RECORD_FILE_ACCEPT", "RECORD_FILE_MAX_MB"]

# Files of a record (attachments, training materials): what staff keep of a visit or a session.
RECORD_FILE_ACCEPT = ["pdf", "ofd", "jpg", "png", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "zip"]
RECORD_FILE_MAX_MB = 30
CHANNEL_OPTIONS = tuple(RECORD_CHANNEL_LABELS.items())
FLAG_OPTIONS = tuple(PRODUCT_FLAG_LABELS.items())


class _NotFuture:
    def __call__(self, form, field):
        if field.data and field.data > form.today:
            raise ValidationError(message("record_in_future", label=field.label.text))


def _required_for(kinds: tuple[str, ...], field, form) -> None:
    empty = field.data is None or (isinstance(field.data, str) and not field.data.strip())
    if form.counted_kind() in kinds and empty and not field.process_errors:
        raise StopValidation(message("required_for_kind", kind=form.kind_name(), label=field.label.text))


def kind_options(kinds: Sequence = ()) -> tuple[tuple[str, str], ...]:
    """The fixed kinds, then those of site.yml ``record_kinds``, then 其他."""
    fixed = [(k, v) for k, v in RECORD_KIND_LABELS.items() if k != "other"]
    return tuple(fixed + [(k.id, k.name) for k in kinds] + [("other", RECORD_KIND_LABELS["other"])])


def record_form(service_choices: list[tuple[str, str]], *, today: dt.date, csrf: bool = True,
                kinds: Sequence = ()) -> type[FlaskForm]:
    """The record form for a guide's services and record kinds (``model.RecordKind``);
    ``csrf=False`` for the import, which checks rows."""
    extra_kinds = {k.id: k for k in kinds}

    class ServiceRecordForm(FlaskForm):
        kind = ChoiceQuestion("服务类型", validators=[Required("required_choice")], options=kind_options(kinds))
        kind_label = TextQuestion("其他类型的名称", validators=[MaxLength(50)])
        # No Optional() where the kind decides whether a field is needed: the inline check decides.
        channel = ChoiceQuestion("咨询渠道", options=CHANNEL_OPTIONS)
        date = DateQuestion("服务日期", validators=[Required(), _NotFuture()])
        uscc = TextQuestion("统一社会信用代码")
        org_name = TextQuestion("企业名称", validators=[MaxLength(100)])
        product_name = TextQuestion("产品名称", validators=[MaxLength(100)])
        services = MultiChoiceQuestion("涉及的服务事项", validators=[Optional()], options=tuple(service_choices))
        staff = TextQuestion("服务人员", validators=[Required(), MaxLength(100)])
        duration_minutes = IntegerQuestion("用时（分钟）", validators=[Optional(), Range(0, 24 * 60)])
        summary = TextareaQuestion("服务内容摘要", validators=[Required(), MaxLength(2000)])
        outcome = TextareaQuestion("服务结果", validators=[MaxLength(2000)])
        next_step = TextQuestion("下一步安排", validators=[MaxLength(200)])
        next_date = DateQuestion("下次跟进日期", validators=[Optional()])
        topic = TextQuestion("主题", validators=[MaxLength(200)])
        speakers = TextQuestion("主讲人", validators=[MaxLength(200)])
        attendees = TextareaQuestion("参加企业", validators=[MaxLength(2000)])
        headcount = IntegerQuestion("参加人数")

        def __init__(self, *args, **kwargs):
            self.today = today
            self.extra_kinds = extra_kinds
            self.known_name: str | None = None   # set by the caller when the code is a known enterprise
            super().__init__(*args, **kwargs)

        def counted_kind(self) -> str | None:
            """The fixed kind the chosen one is (or counts as)."""
            extra = self.extra_kinds.get(self.kind.data)
            return extra.counts_as if extra else self.kind.data

        def kind_name(self) -> str:
            extra = self.extra_kinds.get(self.kind.data)
            return extra.name if extra else RECORD_KIND_LABELS.get(self.kind.data, "")

        def validate_kind_label(self, field):
            if self.kind.data == "other":
                _required_for(("other",), field, self)

        def validate_channel(self, field):
            _required_for(("consultation",), field, self)

        def validate_org_name(self, field):
            if self.uscc.data and not self.uscc.errors and not field.data and not self.known_name:
                raise StopValidation(message("needs_org_name"))

        def validate_uscc(self, field):
            if field.data:
                Cleaned(clean_uscc)(self, field)
            elif self.counted_kind() in RECORD_KIND_LABELS and self.counted_kind() not in SESSION_KINDS:
                _required_for((self.counted_kind(),), field, self)

        def validate_product_name(self, field):
            if field.data and not self.uscc.data:
                raise StopValidation(message("needs_uscc", label=field.label.text))

        def validate_next_date(self, field):
            if field.data and self.date.data and field.data < self.date.data:
                raise ValidationError(message("next_date_order"))
            if field.data and not self.next_step.data:
                raise ValidationError(message("next_step_needed"))

        def validate_next_step(self, field):
            if field.data and not self.next_date.data and not self.next_date.process_errors:
                raise ValidationError(message("next_date_needed"))

        def validate_topic(self, field):
            _required_for(SESSION_KINDS, field, self)

        def validate_headcount(self, field):
            _required_for(SESSION_KINDS, field, self)
            if field.data is not None:
                Range(0, 100000)(self, field)

        def record(self) -> dict:
            """The checked values as storage takes them."""
            extra = self.extra_kinds.get(self.kind.data)
            return {
                "kind": self.counted_kind(), "kind_key": extra.id if extra else None,
                "kind_label": extra.name if extra else (self.kind_label.data or None) if self.kind.data == "other" else None,
                "channel": self.channel.data or None, "date": self.date.data.isoformat(),
                "uscc": self.uscc.data or None, "org_name": self.org_name.data or self.known_name,
                "product_name": self.product_name.data or None, "service_ids": list(self.services.data or []),
                "staff": self.staff.data, "duration_minutes": self.duration_minutes.data,
                "summary": self.summary.data, "outcome": self.outcome.data or None,
                "next_step": self.next_step.data or None,
                "next_date": self.next_date.data.isoformat() if self.next_date.data else None,
                "topic": self.topic.data or None, "speakers": self.speakers.data or None,
                "attendees": self.attendees.data or None, "headcount": self.headcount.data,
            }

        def error_list(self) -> list[tuple[str, str]]:
            return [(f.name, f.errors[0]) for f in self if f.errors]

        @classmethod
        def data_of(cls, record: dict) -> dict:
            """A saved record as the form's data (the edit form starts from it)."""
            data = {k: record.get(k) for k in ("kind_label", "channel", "uscc", "org_name", "product_name", "staff",
                                               "duration_minutes", "summary", "outcome", "next_step", "topic",
                                               "speakers", "attendees", "headcount")}
            data["kind"] = record.get("kind_key") if record.get("kind_key") in extra_kinds else record["kind"]
            if record.get("kind_key") and data["kind"] != record["kind_key"]:
                data["kind_label"] = record.get("kind_label")   # a kind site.yml no longer has: keep its name
            data["services"] = list(record.get("service_ids") or [])
            data["date"] = dt.date.fromisoformat(record["date"])
            data["next_date"] = dt.date.fromisoformat(record["next_date"]) if record.get("next_date") else None
            return data

    if csrf:
        return ServiceRecordForm

    class ImportedRecordForm(ServiceRecordForm):
        class Meta:
            csrf = False
    return ImportedRecordForm


class ImportForm(FlaskForm):
    """The import upload: only its CSRF token is checked here; ``records_import`` reads the file."""


class ProductForm(FlaskForm):
    name = TextQuestion("产品名称", validators=[Required(), MaxLength(100)])
    product_class = TextQuestion("产品类别", validators=[MaxLength(50)])
    stage = TextQuestion("注册阶段", validators=[MaxLength(100)])
    flag = ChoiceQuestion("创新/优先", validators=[Required("required_choice")], options=FLAG_OPTIONS)
    flagged_on = DateQuestion("认定日期")  # no Optional(): the flag decides (validate_flagged_on)

    def validate_flagged_on(self, field):
        if self.flag.data not in (None, "", "none") and not field.data:
            raise StopValidation(message("required", label=field.label.text))

    def error_list(self) -> list[tuple[str, str]]:
        return [(f.name, f.errors[0]) for f in self if f.errors]
