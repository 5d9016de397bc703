"""The public feedback forms: page usefulness, the 五级好差评 rating, and the 意见箱.

Like ``applicant.py``: one place validates each input, messages come from ``messages.py``, and
each form lists its ``questions`` so the templates draw them with the same macros as the
application forms. Flask-WTF reads a JSON body as form data, so the page-feedback widget's
``fetch`` goes through the same classes as the fallback form.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField

from ..vocabulary import BAD_SCORE, RATING_QUESTIONS, SCORES, SUGGESTION_KIND_LABELS
from .fields import (HONEYPOT, ChoiceQuestion, Cleaned, MaxLength, Optional, Question, Required, TextareaQuestion,
                     TextQuestion)
from .messages import message
from .values import clean_email, clean_phone, clean_ref, phone_key

PAGE_MAX = 300
COMMENT_MAX = 500

HELPFUL = (("yes", "是"), ("no", "否"))
YES_NO = (("1", "是"), ("0", "否"))
SUGGESTION_OPTIONS = tuple(SUGGESTION_KIND_LABELS.items())

PERSONAL_DATA_WARNING = "请不要填写姓名、电话、身份证号等个人信息。"


class BadPagePath(ValueError):
    """The page of a feedback vote is not a path of this site."""


def clean_page_path(raw: str | None) -> str:
    """A path of the guide ("/services/x/"): no scheme, no host, no query, at most 300 characters."""
    text = (raw or "").strip()
    if not text.startswith("/") or text.startswith("//") or len(text) > PAGE_MAX:
        raise BadPagePath(text[:40])
    if re.search(r"[\x00-\x1f\x7f\\<>\"']", text):
        raise BadPagePath(text[:40])
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or ".." in parts.path.split("/"):
        raise BadPagePath(text[:40])
    return parts.path


def clean_related_ref(raw: str) -> str:
    ref = clean_ref(raw)
    if not re.fullmatch(r"[A-Z]{2}-\d{4}-[0-9A-Z]{5}", ref):
        raise ValueError(message("ref_format"))
    return ref


class QuestionsMixin:
    questions: tuple[Question, ...] = ()

    def error_list(self) -> list[tuple[str, str]]:
        return [(q.name, self[q.name].errors[0]) for q in self.questions if self[q.name].errors]

    def tripped_honeypot(self) -> bool:
        return HONEYPOT in self and bool((self[HONEYPOT].data or "").strip())


class PageFeedbackForm(QuestionsMixin, FlaskForm):
    """One vote, with or without its comment (the fallback form sends both at once)."""
    page = HiddenField()
    helpful = ChoiceQuestion("本页是否有帮助", validators=[Required("required_choice")], options=HELPFUL)
    comment = TextareaQuestion("您在找什么，或者哪里有问题？", validators=[Optional(), MaxLength(COMMENT_MAX)])
    website = StringField("网址")

    questions = (
        Question("helpful", "本页是否有帮助", "radio", True, options=HELPFUL),
        Question("comment", "您在找什么，或者哪里有问题？", "textarea", False, PERSONAL_DATA_WARNING),
    )

    def page_path(self) -> str:
        return clean_page_path(self.page.data)


class CommentForm(FlaskForm):
    """The comment the widget adds to the vote it has just made."""
    comment = TextareaQuestion("意见", validators=[Required(), MaxLength(COMMENT_MAX)])


class RatingForm(QuestionsMixin, FlaskForm):
    score = ChoiceQuestion("总体评价", validators=[Required("required_choice")],
                           options=[(str(v), label) for v, label in SCORES])
    q_guide = ChoiceQuestion(RATING_QUESTIONS[0][1], validators=[Optional()], options=YES_NO)
    q_process = ChoiceQuestion(RATING_QUESTIONS[1][1], validators=[Optional()], options=YES_NO)
    q_materials = ChoiceQuestion(RATING_QUESTIONS[2][1], validators=[Optional()], options=YES_NO)
    q_interface = ChoiceQuestion(RATING_QUESTIONS[3][1], validators=[Optional()], options=YES_NO)
    comment = TextareaQuestion("意见或建议", validators=[Optional(), MaxLength(COMMENT_MAX)])

    questions = (
        Question("score", "总体评价", "radio", True, options=tuple((str(v), label) for v, label in SCORES)),
        *(Question(name, label, "radio", False, options=YES_NO) for name, label in RATING_QUESTIONS),
        Question("comment", "意见或建议", "textarea", False,
                 "选择“不满意”或“非常不满意”时，请写明原因，便于我们改进。"),
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # A bad rating without a reason cannot be followed up: the reason is required then.
        if (self.score.data or "").isdigit() and int(self.score.data) <= BAD_SCORE and not self.comment.errors \
                and not (self.comment.data or "").strip():
            self.comment.errors = [message("bad_rating_reason")]
            ok = False
        return ok

    def values(self) -> dict[str, Any]:
        answers = {name: (int(self[name].data) if self[name].data in ("0", "1") else None)
                   for name, _ in RATING_QUESTIONS}
        return {"score": int(self.score.data), "answers": answers, "comment": self.comment.data or None}

    @classmethod
    def initial(cls, rating) -> dict[str, Any]:
        data: dict[str, Any] = {"score": str(rating.score), "comment": rating.comment or ""}
        for name, _ in RATING_QUESTIONS:
            value = getattr(rating, name)
            data[name] = None if value is None else str(value)
        return data


class SuggestionForm(QuestionsMixin, FlaskForm):
    """Base of the 意见箱 form; ``suggestion_form`` adds the guide's services as choices."""

    def record(self, services: dict) -> dict[str, Any]:
        service = services.get(self.service.data) if self.service.data else None
        phone = self.phone.data or None
        return {
            "kind": self.kind.data, "service_id": service.id if service else None,
            "service_name": service.name if service else None, "related_ref": self.related_ref.data or None,
            "body": self.body.data, "name": self.name.data or None, "org_name": self.org_name.data or None,
            "phone": phone, "phone_norm": phone_key(phone) if phone else None, "email": self.email.data or None,
        }


def suggestion_form(services) -> type[SuggestionForm]:
    """The 意见箱 form class for this guide (built once, at start-up)."""
    options = tuple((s.id, s.name) for s in services)
    attrs = {
        "kind": ChoiceQuestion("类型", validators=[Required("required_choice")], options=SUGGESTION_OPTIONS),
        "service": ChoiceQuestion("涉及的服务事项", validators=[Optional()], options=options),
        "related_ref": TextQuestion("相关的申请编号", validators=[Optional(), MaxLength(30),
                                                            Cleaned(clean_related_ref)]),
        "body": TextareaQuestion("内容", validators=[Required(), MaxLength(2000)]),
        "name": TextQuestion("称呼", validators=[Optional(), MaxLength(50)]),
        "org_name": TextQuestion("单位名称", validators=[Optional(), MaxLength(100)]),
        "phone": TextQuestion("联系电话", validators=[Optional(), MaxLength(40), Cleaned(clean_phone)]),
        "email": TextQuestion("电子邮箱", validators=[Optional(), MaxLength(254), Cleaned(clean_email)]),
        HONEYPOT: StringField("网址"),
        "questions": (
            Question("kind", "类型", "radio", True, options=SUGGESTION_OPTIONS),
            Question("service", "涉及的服务事项", "select", False, "不涉及具体事项时可不选", options=options),
            Question("related_ref", "相关的申请编号", "text", False, "与某次在线申请有关时填写，例如 ZY-2611-7K3Q9"),
            Question("body", "内容", "textarea", True, "请写明事情经过、您的意见或建议。"),
            Question("name", "称呼", "text", False, autocomplete="name", section="contact"),
            Question("org_name", "单位名称", "text", False, autocomplete="organization", section="contact"),
            Question("phone", "联系电话", "phone", False, "留下电话，我们才能与您联系；也可凭此电话查询处理结果",
                     autocomplete="tel", section="contact"),
            Question("email", "电子邮箱", "email", False, "处理结果可发送到此邮箱", autocomplete="email",
                     section="contact"),
        ),
    }
    return type("SuggestionFormForGuide", (SuggestionForm,), attrs)
