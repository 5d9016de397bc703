"""Validators and one field class per question type; ``Question`` describes a question for the
templates. Shared by every form (applicant, feedback, staff)."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flask import current_app
from flask_wtf.file import FileField
from wtforms import BooleanField, Field, StringField, TextAreaField
from wtforms.validators import StopValidation, ValidationError

from .. import uploads
from .messages import message
from .values import YEAR_MAX, YEAR_MIN, DateOutOfRange, invisible_characters, normalise, parse_date

HONEYPOT = "website"

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


class Conditional:
    """Asked only when another answer has a value (YAML ``show_if``); otherwise not validated and
    not kept, so a hidden question never blocks the form."""

    def __init__(self, target: str, value: str):
        self.target, self.value = target, value

    def __call__(self, form, field):
        data = form[self.target].data
        if not (self.value in data if isinstance(data, list) else data == self.value):
            field.errors[:] = []
            field.process_errors = []
            field.data = None
            raise StopValidation()


class NotPast:
    """A date today or later, in the guide's time zone."""

    def __call__(self, form, field):
        from ..workdays import local_today
        today = local_today(current_app.config.get("GUIDE_TIMEZONE") or "Asia/Shanghai")
        if field.data is not None and field.data < today:
            raise ValidationError(message("date_past", label=field.label.text,
                                          today=f"{today.year}年{today.month}月{today.day}日"))


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
                                             max_mb=self.max_mb, folder=current_app.config["UPLOAD_DIR"],
                                             budget=getattr(form, "upload_budget", None))
        except uploads.UploadRejected as exc:
            raise StopValidation(message(exc.key, **exc.params)) from None


# ---------------------------------------------------------------- fields: one per question type

def refuse_invisible(field, multiline: bool) -> None:
    """Stop with the field's error if the answer holds control or format characters: a CR/LF in
    a one-line answer would start new paragraphs in a letter, a bidi override reverses what
    staff read."""
    if invisible_characters(field.data if isinstance(field.data, str) else "", multiline=multiline):
        raise StopValidation(message("invisible", label=field.label.text))


class TextQuestion(StringField):
    """A one-line answer: NFKC-normalised and trimmed; control and format characters refused."""

    def process_formdata(self, valuelist):
        self.data = normalise(valuelist[0]) if valuelist else None

    def pre_validate(self, form):
        refuse_invisible(self, multiline=False)


class TypedTextQuestion(StringField):
    """Kept as typed (only trimmed): names such as 单位名称 keep their full-width brackets;
    searches normalise both sides instead (storage.common.name_key)."""

    def process_formdata(self, valuelist):
        self.data = valuelist[0].strip() if valuelist else None

    def pre_validate(self, form):
        refuse_invisible(self, multiline=False)  # as typed, but never a line break or a bidi override


class TextareaQuestion(TextAreaField):
    """A multi-line answer: line breaks and tabs kept, other control and format characters refused."""

    def process_formdata(self, valuelist):
        # Keep line breaks; only trim the ends and unify newlines.
        self.data = valuelist[0].replace("\r\n", "\n").replace("\r", "\n").strip() if valuelist else None

    def pre_validate(self, form):
        refuse_invisible(self, multiline=True)


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
            except DateOutOfRange:
                raise ValueError(message("date_range", label=self.label.text, low=YEAR_MIN, high=YEAR_MAX)) from None
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
    as_typed: bool = False                   # keep the text exactly as typed (no NFKC)
    show_if: tuple[str, str] | None = None   # (field name, value) that makes this question apply
    show_if_label: str | None = None         # that value as the applicant sees it
    not_past: bool = False
    materials: tuple[str, ...] = ()          # the guide's materials this upload carries
    downloads: tuple[tuple[str, str], ...] = ()  # (label, URL on the guide) of their blank form and sample
