"""The applicant's forms: the application form built from a service's YAML, the check-answers
step and the tracking lookup.

``application_form(service)`` returns a Flask-WTF form class with the applicant fields every
form shares (organisation, 统一社会信用代码, contact person, phone, email), the service's own
fields from ``service.application.fields``, and a honeypot.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField

from site_builder.content import model

from .. import uploads
from .display import display
from .fields import (HONEYPOT, ChoiceQuestion, Cleaned, Conditional, ConfirmQuestion, DateQuestion, FileQuestion,
                     IntegerQuestion, MaxLength, MultiChoiceQuestion, NotPast, Optional, Question, Range, Required,
                     TextareaQuestion, TextQuestion, TypedTextQuestion, UploadCheck)
from .values import clean_email, clean_phone, clean_uscc

DEFAULT_MAX_LENGTH = {"text": 200, "textarea": 2000, "email": 254, "phone": 40, "uscc": 18}
DEFAULT_MAX_MB = 10.0


APPLICANT_QUESTIONS = (
    Question("org_name", "单位名称", "text", True, "与营业执照上的名称一致", autocomplete="organization", as_typed=True,
             section="applicant"),
    Question("uscc", "统一社会信用代码", "uscc", True, "18 位，见营业执照", section="applicant"),
    Question("contact_name", "联系人", "text", True, autocomplete="name", section="applicant"),
    Question("phone", "联系电话", "phone", True, "手机或带区号的固定电话；查询办理进度时需要输入此号码",
             autocomplete="tel", section="applicant"),
    Question("email", "电子邮箱", "email", True, "受理回执将发送到此邮箱", autocomplete="email",
             section="applicant"),
)


def field_name(spec_id: str) -> str:
    # Service fields get a prefix so an editor's 'email' never collides with the applicant's.
    return f"f_{spec_id}"


def question_from_spec(spec: model.FormField, materials: list[model.Material] = (),
                       siblings: list[model.FormField] = ()) -> Question:
    """The question of one YAML field; an upload linked to a required material is required."""
    carried = [m for m in materials if m.upload == spec.id]
    return Question(name=field_name(spec.id), label=spec.label, type=spec.type,
                    required=spec.required or any(m.required for m in carried),
                    help=spec.help, options=tuple((o.value, o.label) for o in spec.options),
                    accept=tuple(a.lower().lstrip(".") for a in spec.accept),
                    max_mb=(spec.max_mb or DEFAULT_MAX_MB) if spec.type == "file" else None,
                    show_if=(field_name(spec.show_if.field), spec.show_if.value) if spec.show_if else None,
                    show_if_label=_option_label(spec, siblings), not_past=spec.not_past,
                    materials=tuple(m.name for m in carried),
                    downloads=tuple(d for m in carried for d in (("下载空白表格", f"/files/{m.template}") if m.template else None,
                                                                 ("下载示例样表", f"/files/{m.sample}") if m.sample else None)
                                    if d))


def _option_label(spec: model.FormField, siblings: list[model.FormField]) -> str | None:
    if not spec.show_if:
        return None
    for other in siblings:
        if other.id == spec.show_if.field:
            return next((o.label for o in other.options if o.value == spec.show_if.value), spec.show_if.value)
    return spec.show_if.value


def make_field(q: Question, spec: model.FormField | None = None):
    field = _make_field(q, spec)
    if q.show_if:  # the condition runs first: a question that does not apply is skipped whole
        field.kwargs["validators"] = [Conditional(*q.show_if)] + list(field.kwargs.get("validators") or [])
    return field


def _make_field(q: Question, spec: model.FormField | None = None):
    required = [Required()] if q.required else [Optional()]
    limit = (spec.max_length if spec and spec.max_length else DEFAULT_MAX_LENGTH.get(q.type))
    if q.type in ("text", "textarea"):
        cls = (TypedTextQuestion if q.as_typed else TextQuestion) if q.type == "text" else TextareaQuestion
        return cls(q.label, validators=required + [MaxLength(limit)])
    if q.type == "email":
        return TextQuestion(q.label, validators=required + [MaxLength(limit), Cleaned(clean_email)])
    if q.type == "phone":
        return TextQuestion(q.label, validators=required + [MaxLength(limit), Cleaned(clean_phone)])
    if q.type == "uscc":
        return TextQuestion(q.label, validators=required + [Cleaned(clean_uscc)])
    if q.type == "integer":
        low, high = (spec.min, spec.max) if spec else (None, None)
        return IntegerQuestion(q.label, validators=required + [Range(low, high)])
    if q.type == "date":
        return DateQuestion(q.label, validators=required + ([NotPast()] if q.not_past else []))
    choice = [Required("required_choice")] if q.required else [Optional()]
    if q.type in ("select", "radio"):
        return ChoiceQuestion(q.label, validators=choice, options=q.options)
    if q.type == "checkbox":
        if q.options:
            return MultiChoiceQuestion(q.label, validators=choice, options=q.options)
        return ConfirmQuestion(q.label, validators=[Required("required_checkbox")] if q.required else [])
    if q.type == "file":
        return FileQuestion(q.label, validators=[UploadCheck(list(q.accept), q.max_mb, q.required)])
    raise ValueError(f"unknown field type {q.type!r}")


class ApplicationForm(FlaskForm):
    """Base of every generated application form."""

    questions: tuple[Question, ...] = ()

    def __init__(self, *args, existing_files: dict | None = None, upload_budget=None, **kwargs):
        self.existing_files = dict(existing_files or {})
        self.upload_budget = upload_budget  # uploads.Budget: what unsubmitted files may still take
        super().__init__(*args, **kwargs)

    def tripped_honeypot(self) -> bool:
        return bool((self[HONEYPOT].data or "").strip())

    def error_list(self) -> list[tuple[str, str]]:
        """(field name, first message) in the order the questions appear."""
        return [(q.name, self[q.name].errors[0]) for q in self.questions if self[q.name].errors]

    def received_files(self) -> list[uploads.Received]:
        return [self[q.name].received for q in self.questions
                if q.type == "file" and getattr(self[q.name], "received", None) is not None]

    def answers(self) -> dict[str, Any]:
        """The validated answers as JSON-friendly values (files are kept apart, in the draft)."""
        out: dict[str, Any] = {}
        for q in self.questions:
            if q.type == "file":
                continue
            value = self[q.name].data
            out[q.name] = value.isoformat() if isinstance(value, dt.date) else value
        return out

    @classmethod
    def initial_data(cls, answers: dict[str, Any]) -> dict[str, Any]:
        """Stored answers back into what the fields hold, to fill the form in again."""
        data = dict(answers)
        for q in cls.questions:
            if q.type == "date" and isinstance(data.get(q.name), str):
                data[q.name] = dt.date.fromisoformat(data[q.name])
        return data

    @classmethod
    def summary(cls, answers: dict[str, Any], files: dict[str, dict]) -> list[dict]:
        """One row per question: label and the answer as a person reads it."""
        return [{"name": q.name, "label": q.label, "type": q.type, "section": q.section,
                 "value": answers.get(q.name) if q.type != "file" else files.get(q.name),
                 "display": display(q, answers.get(q.name), files.get(q.name))}
                for q in cls.questions if cls.applies(q, answers)]

    @classmethod
    def applies(cls, q: Question, answers: dict[str, Any]) -> bool:
        """Does a (conditional) question apply, given these answers?"""
        if not q.show_if:
            return True
        value = answers.get(q.show_if[0])
        return q.show_if[1] in value if isinstance(value, list) else value == q.show_if[1]


def application_form(service: model.Service) -> type[ApplicationForm]:
    """Build the form class for one service (the app builds each once, at start-up)."""
    attrs: dict[str, Any] = {}
    questions = list(APPLICANT_QUESTIONS)
    for q in APPLICANT_QUESTIONS:
        attrs[q.name] = make_field(q)
    specs = service.application.fields if service.application else []
    for spec in specs:
        q = question_from_spec(spec, service.materials, specs)
        questions.append(q)
        attrs[q.name] = make_field(q, spec)
    attrs[HONEYPOT] = StringField("网址")
    attrs["questions"] = tuple(questions)
    return type(f"ApplicationForm_{service.id.replace('-', '_')}", (ApplicationForm,), attrs)


class ConfirmForm(FlaskForm):
    """The check-answers page: the one-time submission token.

    CSRFProtect has already checked the token of every POST before the view runs, so this
    form does not carry a second copy (the template renders ``csrf_token()`` itself).
    """
    class Meta:
        csrf = False

    submission = HiddenField()


class ResumeForm(FlaskForm):
    """Resuming a saved draft elsewhere: the draft code and the phone number typed in it."""
    code = TextQuestion("草稿编号", validators=[Required(), MaxLength(30)])
    phone = TextQuestion("联系电话", validators=[Required(), MaxLength(40)])


class DraftEmailForm(FlaskForm):
    """Where to send a saved draft's resume link."""
    email = TextQuestion("电子邮箱", validators=[Required(), MaxLength(254), Cleaned(clean_email)])


class WithdrawForm(FlaskForm):
    """撤回 before acceptance: the reason is required."""
    reason = TextareaQuestion("撤回原因", validators=[Required(), MaxLength(500)])


class MineForm(FlaskForm):
    """我的办件: every application of an enterprise, by its code and the phone number given."""
    uscc = TextQuestion("统一社会信用代码", validators=[Required(), MaxLength(40), Cleaned(clean_uscc)])
    phone = TextQuestion("联系电话", validators=[Required(), MaxLength(40)])


class TrackForm(FlaskForm):
    ref = TextQuestion("申请编号", validators=[Required(), MaxLength(30)])
    phone = TextQuestion("联系电话", validators=[Required(), MaxLength(40)])
