"""Forms of 补正: the staff's list of missing items (一次性告知) and the applicant's answer.

Staff write one item a line, ``材料或问题：原因`` (a full-width or half-width colon), so the list
works without JavaScript and takes any number of items; every item must carry its reason.
The applicant answers each item with a file, a text, or both.
"""
from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms.validators import ValidationError

from .applicant import DEFAULT_MAX_MB
from .fields import FileQuestion, MaxLength, TextareaQuestion, UploadCheck

MAX_ITEMS = 30
SEPARATOR = re.compile(r"\s*[:：]\s*")
# What an applicant may upload to answer a 补正 item: documents, scans, photos, spreadsheets.
CORRECTION_ACCEPT = ["pdf", "jpg", "png", "doc", "docx", "xls", "xlsx", "ofd", "zip"]

MESSAGES = {
    "items_required": "请列出需要补正的全部材料或问题，每行一项，例如“检定证书复印件：原件已过有效期”",
    "item_reason": "第 {n} 行“{name}”缺少原因，请按“材料或问题：原因”填写",
    "items_too_many": "一次最多列出 {max} 项，现在是 {n} 项",
    "due_required": "请填写补正期限",
    "due_past": "补正期限不能早于今天",
    "answer_required": "请为“{name}”上传文件或填写说明",
}


def parse_items(text: str | None) -> list[dict[str, str]]:
    """``材料：原因`` lines → [{name, reason}]; ValueError with the message to show."""
    items = []
    lines = [line.strip(" \t-•·*") for line in (text or "").splitlines()]
    for n, line in enumerate((x for x in lines if x), start=1):
        parts = SEPARATOR.split(line, maxsplit=1)
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise ValueError(MESSAGES["item_reason"].format(n=n, name=line[:20]))
        items.append({"name": parts[0].strip(), "reason": parts[1].strip()})
    if not items:
        raise ValueError(MESSAGES["items_required"])
    if len(items) > MAX_ITEMS:
        raise ValueError(MESSAGES["items_too_many"].format(max=MAX_ITEMS, n=len(items)))
    return items


class CorrectionAnswerForm(FlaskForm):
    """Base of the applicant's answer form; ``correction_answer_form`` adds a pair of fields per item."""

    items: tuple[dict, ...] = ()
    existing_files: dict = {}

    def text_field(self, i: int):
        return self[f"text_{i}"]

    def file_field(self, i: int):
        return self[f"file_{i}"]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for i, item in enumerate(self.items):
            text, upload = self.text_field(i), self.file_field(i)
            if text.errors or upload.errors:
                continue
            if not (text.data or "").strip() and getattr(upload, "received", None) is None:
                upload.errors = [MESSAGES["answer_required"].format(name=item["name"])]
                ok = False
        return ok

    def error_list(self) -> list[tuple[str, str]]:
        out = []
        for i in range(len(self.items)):
            for f in (self.file_field(i), self.text_field(i)):
                if f.errors:
                    out.append((f.name, f.errors[0]))
        return out

    def received_files(self) -> list:
        return [r for r in (getattr(self.file_field(i), "received", None) for i in range(len(self.items))) if r]

    def answers(self) -> list[dict[str, Any]]:
        return [{"text": (self.text_field(i).data or "").strip()} for i in range(len(self.items))]


def correction_answer_form(items: list[dict], max_mb: float = DEFAULT_MAX_MB) -> type[CorrectionAnswerForm]:
    attrs: dict[str, Any] = {"items": tuple(items)}
    for i, item in enumerate(items):
        attrs[f"file_{i}"] = FileQuestion(f"{item['name']}：上传文件",
                                          validators=[UploadCheck(CORRECTION_ACCEPT, max_mb, False)])
        attrs[f"text_{i}"] = TextareaQuestion(f"{item['name']}：说明", validators=[MaxLength(2000)])
    return type("CorrectionAnswerForm_n", (CorrectionAnswerForm,), attrs)


def check_due(value, today) -> None:
    """The deadline rule of a 补正 request (a date not before today)."""
    if value is None:
        raise ValidationError(MESSAGES["due_required"])
    if value < today:
        raise ValidationError(MESSAGES["due_past"])


