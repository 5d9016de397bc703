"""Form classes built from a service's YAML: the one place HTTP input is validated.

``application_form(service)`` returns a Flask-WTF form class with the applicant fields every
form shares (organisation, 统一社会信用代码, contact person, phone, email), the service's own
fields from ``service.application.fields``, and a honeypot. One small field class per question
type; every message an applicant can see is in ``MESSAGES``, keyed by name.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, Field, HiddenField, StringField, TextAreaField
from wtforms.validators import StopValidation, ValidationError

from site_builder import model

from . import uploads

MESSAGES: dict[str, str] = {
    "required": "请填写{label}",
    "required_choice": "请选择{label}",
    "required_checkbox": "请勾选{label}",
    "required_file": "请上传{label}",
    "too_long": "{label}不能超过 {max} 个字，现在是 {n} 个字",
    "email": "请输入正确的电子邮箱地址，例如 name@example.com",
    "phone": "请输入正确的手机号码或带区号的固定电话，例如 13812345678 或 0518-85123456",
    "uscc_length": "统一社会信用代码应为 18 位，现在是 {n} 位",
    "uscc_chars": "统一社会信用代码只能包含数字和大写字母（不含 I、O、Z、S、V），第 3 至 8 位为数字",
    "uscc_check": "统一社会信用代码的校验位（最后一位）与前 17 位不符，请对照营业执照逐位核对",
    "date": "请按“年-月-日”填写{label}，例如 2026-11-25",
    "integer": "{label}应为整数，例如 3",
    "too_small": "{label}不能小于 {min}",
    "too_large": "{label}不能大于 {max}",
    "choice": "请从给出的选项中选择{label}",
    "file_empty": "所选文件是空的（0 字节），请重新选择",
    "file_too_large": "文件不能超过 {max_mb} MB，所选文件约 {size_mb} MB，请压缩或拆分后重新上传",
    "file_type": "文件格式不符合要求，请上传 {accept} 格式的文件",
    "file_unreadable": "文件未能完整接收，请重新选择",
    # page feedback, ratings, 意见箱
    "ref_format": "申请编号的格式不正确，例如 ZY-2611-7K3Q9；没有可不填",
    # staff console
    "login_failed": "账户名或密码不正确",
    "account_name": "账户名只能包含小写字母、数字和 . _ -，以字母开头，2 至 32 个字符",
    "password_short": "密码至少需要 {min} 个字符",
    "password_long": "密码不能超过 {max} 个字符",
    "password_mismatch": "两次输入的新密码不一致",
    "password_is_name": "密码不能与账户名相同",
    "password_wrong": "当前密码不正确",
    "note_required": "{action}时请填写{label}",
    "date_order": "结束日期不能早于开始日期",
    "contact_in_future": "联系时间不能晚于现在",
    "datetime": "请按“年-月-日 时:分”填写{label}，例如 2026-11-25 09:30",
}

ERROR_SUMMARY_TITLE = "提交前请修改以下问题"

# 统一社会信用代码 (GB 32100-2015): 17 characters and a check character computed modulo 31.
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")

MOBILE = re.compile(r"1[3-9][0-9]{9}")
LANDLINE = re.compile(r"(0[1-9][0-9]{1,2})([2-9][0-9]{6,7})")
EXTENSION = re.compile(r"\s*(?:转|分机|ext\.?|x|#|-)\s*[0-9]{1,6}$", re.IGNORECASE)

DEFAULT_MAX_LENGTH = {"text": 200, "textarea": 2000, "email": 254, "phone": 40, "uscc": 18}
DEFAULT_MAX_MB = 10.0
HONEYPOT = "website"


def message(key: str, **params: Any) -> str:
    return MESSAGES[key].format(**params)


def normalise(text: str | None) -> str:
    """Full-width to half-width (NFKC), trimmed: what people paste from Word or WeChat."""
    return unicodedata.normalize("NFKC", text or "").strip()


# ---------------------------------------------------------------- value checks (pure)

def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_CHARS[(31 - total % 31) % 31]


def clean_uscc(raw: str) -> str:
    """The code in canonical form, or ValueError with the message to show."""
    code = re.sub(r"[\s-]", "", normalise(raw)).upper()
    if len(code) != 18:
        raise ValueError(message("uscc_length", n=len(code)))
    if not USCC_SHAPE.fullmatch(code):
        raise ValueError(message("uscc_chars"))
    if uscc_check_char(code[:17]) != code[17]:
        raise ValueError(message("uscc_check"))
    return code


def phone_key(raw: str) -> str | None:
    """Digits that identify a phone number (for tracking), or None when it is not one."""
    text = normalise(raw)
    ext = EXTENSION.search(text)
    main = text[:ext.start()] if ext and len(re.sub(r"\D", "", text[:ext.start()])) >= 10 else text
    main = re.sub(r"[\s()（）\-.]", "", main)
    main = re.sub(r"^(?:\+86|0086|86(?=1[3-9][0-9]{9}$))", "", main)
    if MOBILE.fullmatch(main) or LANDLINE.fullmatch(main):
        return main
    return None


def clean_phone(raw: str) -> str:
    if phone_key(raw) is None:
        raise ValueError(message("phone"))
    return normalise(raw)


def clean_email(raw: str) -> str:
    try:
        return validate_email(normalise(raw), check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError(message("email")) from None


DATE_FORMS = (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
              re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"), re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"))


def parse_date(raw: str) -> dt.date:
    text = normalise(raw)
    for pattern in DATE_FORMS:
        m = pattern.fullmatch(text)
        if m:
            return dt.date(*(int(g) for g in m.groups()))  # ValueError for 2026-02-30
    raise ValueError("not a date")


# ---------------------------------------------------------------- validators

class Required:
    """The question must be answered; the message depends on the kind of question."""

    def __init__(self, key: str = "required"):
        self.key = key

    def __call__(self, form, field):
        data = field.data
        empty = data is None or data is False or data == [] or (isinstance(data, str) and not data.strip())
        if empty and not _typed_something(field):
            raise StopValidation(message(self.key, label=field.label.text))


def _typed_something(field) -> bool:
    # A value that failed to parse (e.g. "abc" for an integer) is an error of its own kind.
    return bool(field.process_errors)


class Optional:
    """An empty optional question skips the rest of the checks."""

    def __call__(self, form, field):
        data = field.data
        if data is None or data == [] or data is False or (isinstance(data, str) and not data.strip()):
            field.errors[:] = []
            raise StopValidation()


class MaxLength:
    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, form, field):
        n = len(field.data or "")
        if n > self.limit:
            raise ValidationError(message("too_long", label=field.label.text, max=self.limit, n=n))


class Cleaned:
    """Run a pure ``clean_*`` function; its ValueError message becomes the field's error."""

    def __init__(self, clean):
        self.clean = clean

    def __call__(self, form, field):
        try:
            field.data = self.clean(field.data)
        except ValueError as exc:
            raise StopValidation(str(exc)) from None


class Range:
    def __init__(self, low: int | None, high: int | None):
        self.low, self.high = low, high

    def __call__(self, form, field):
        if self.low is not None and field.data < self.low:
            raise ValidationError(message("too_small", label=field.label.text, min=self.low))
        if self.high is not None and field.data > self.high:
            raise ValidationError(message("too_large", label=field.label.text, max=self.high))


class UploadCheck:
    """Type (by content), size and emptiness of an uploaded file; keeps an earlier upload."""

    def __init__(self, accept: list[str], max_mb: float, required: bool):
        self.accept, self.max_mb, self.required = accept, max_mb, required

    def __call__(self, form, field):
        storage = field.data
        if not storage or not getattr(storage, "filename", ""):
            if field.name in form.existing_files:
                raise StopValidation()
            if self.required:
                raise StopValidation(message("required_file", label=field.label.text))
            raise StopValidation()
        try:
            field.received = uploads.receive(storage, field_id=field.name, accept=self.accept,
                                             max_mb=self.max_mb, folder=current_app.config["UPLOAD_DIR"])
        except uploads.UploadRejected as exc:
            raise StopValidation(message(exc.key, **exc.params)) from None


# ---------------------------------------------------------------- fields: one per question type

class TextQuestion(StringField):
    def process_formdata(self, valuelist):
        self.data = normalise(valuelist[0]) if valuelist else None


class TextareaQuestion(TextAreaField):
    def process_formdata(self, valuelist):
        # Keep line breaks; only trim the ends and unify newlines.
        self.data = valuelist[0].replace("\r\n", "\n").strip() if valuelist else None


class IntegerQuestion(Field):
    widget = StringField.widget

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        text = normalise(valuelist[0]) if valuelist else ""
        self.data = None
        if text:
            if not re.fullmatch(r"[+-]?[0-9]+", text):
                raise ValueError(message("integer", label=self.label.text))
            self.data = int(text)

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class DateQuestion(Field):
    widget = StringField.widget

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if isinstance(self.data, dt.date) else ""

    def process_formdata(self, valuelist):
        text = normalise(valuelist[0]) if valuelist else ""
        self.data = None
        if text:
            try:
                self.data = parse_date(text)
            except ValueError:
                raise ValueError(message("date", label=self.label.text)) from None

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class ChoiceQuestion(Field):
    """One value from the editor's options (select or radio)."""
    widget = StringField.widget

    def __init__(self, label=None, validators=None, options=(), **kwargs):
        super().__init__(label, validators, **kwargs)
        self.allowed = {value for value, _ in options}

    def _value(self):
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        self.data = valuelist[0] if valuelist else None

    def pre_validate(self, form):
        values = self.data if isinstance(self.data, list) else [self.data]
        if any(v not in (None, "") and v not in self.allowed for v in values):
            raise StopValidation(message("choice", label=self.label.text))


class MultiChoiceQuestion(ChoiceQuestion):
    """Any number of the editor's options (checkboxes)."""

    def process_data(self, value):
        self.data = list(value) if value else []

    def process_formdata(self, valuelist):
        self.data = [v for v in valuelist if v != ""]


class ConfirmQuestion(BooleanField):
    pass


class FileQuestion(FileField):
    received: uploads.Received | None = None


# ---------------------------------------------------------------- questions and the form class

@dataclass(frozen=True)
class Question:
    """What a template needs to draw one question (the WTForms field holds the value)."""
    name: str
    label: str
    type: str
    required: bool
    help: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    accept: tuple[str, ...] = ()
    max_mb: float | None = None
    autocomplete: str | None = None
    section: str = "service"


APPLICANT_QUESTIONS = (
    Question("org_name", "单位名称", "text", True, "与营业执照上的名称一致", autocomplete="organization",
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


def question_from_spec(spec: model.FormField) -> Question:
    return Question(name=field_name(spec.id), label=spec.label, type=spec.type, required=spec.required,
                    help=spec.help, options=tuple((o.value, o.label) for o in spec.options),
                    accept=tuple(a.lower().lstrip(".") for a in spec.accept),
                    max_mb=(spec.max_mb or DEFAULT_MAX_MB) if spec.type == "file" else None)


def make_field(q: Question, spec: model.FormField | None = None):
    required = [Required()] if q.required else [Optional()]
    limit = (spec.max_length if spec and spec.max_length else DEFAULT_MAX_LENGTH.get(q.type))
    if q.type in ("text", "textarea"):
        cls = TextQuestion if q.type == "text" else TextareaQuestion
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
        return DateQuestion(q.label, validators=required)
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

    def __init__(self, *args, existing_files: dict | None = None, **kwargs):
        self.existing_files = dict(existing_files or {})
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
                for q in cls.questions]


def display(q: Question, value: Any, file: dict | None = None) -> str:
    if q.type == "file":
        return f"{file['name']}（{human_size(file['size'])}）" if file else "未上传"
    if value is None or value == "" or value == []:
        return "未填写"
    labels = dict(q.options)
    if q.type in ("select", "radio"):
        return labels.get(value, value)
    if q.type == "checkbox":
        if isinstance(value, list):
            return "、".join(labels.get(v, v) for v in value)
        return "是" if value else "否"
    if q.type == "date":
        d = dt.date.fromisoformat(value) if isinstance(value, str) else value
        return f"{d.year}年{d.month}月{d.day}日"
    return str(value)


def human_size(n: int) -> str:
    if n < 1024:
        return f"{n} 字节"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def application_form(service: model.Service) -> type[ApplicationForm]:
    """Build the form class for one service (the app builds each once, at start-up)."""
    attrs: dict[str, Any] = {}
    questions = list(APPLICANT_QUESTIONS)
    for q in APPLICANT_QUESTIONS:
        attrs[q.name] = make_field(q)
    specs = service.application.fields if service.application else []
    for spec in specs:
        q = question_from_spec(spec)
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


class TrackForm(FlaskForm):
    ref = TextQuestion("申请编号", validators=[Required(), MaxLength(30)])
    phone = TextQuestion("联系电话", validators=[Required(), MaxLength(40)])


def clean_ref(raw: str) -> str:
    """ZY-2611-7K3Q9 however it was typed: lower case, spaces, missing or extra dashes."""
    text = re.sub(r"[^0-9A-Za-z]", "", normalise(raw)).upper()
    if len(text) == 11:
        return f"{text[:2]}-{text[2:6]}-{text[6:]}"
    return text
