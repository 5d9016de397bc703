"""Forms of the staff's everyday work: 承办人, reopening, result documents, merging follow-up items,
回访满意度, and an account's alert address. The same habits as ``forms.staff``."""
from __future__ import annotations

from flask_wtf import FlaskForm

from ..vocabulary import FOLLOWUP_SCORES
from .fields import (ChoiceQuestion, IntegerQuestion, MaxLength, Optional, Range, Required, TextareaQuestion,
                     TextQuestion)
from .messages import message
from .values import clean_email

# What a result document is called; editors' wording of 办理结果 varies, these are the usual ones.
RESULT_TITLES = ("检定证书", "校准证书", "检验报告", "检测报告", "告知书", "其他")
RESULT_ACCEPT = ["pdf", "ofd", "jpg", "png", "doc", "docx", "xls", "xlsx", "zip"]
RESULT_MAX_MB = 30
FOLLOWUP_OPTIONS = tuple((str(v), label) for v, label in FOLLOWUP_SCORES.items())


def assign_form(names: list[str]) -> type[FlaskForm]:
    class AssignForm(FlaskForm):
        assignee = ChoiceQuestion("承办人", validators=[Optional()], options=tuple((n, n) for n in names))
    return AssignForm


class ReasonForm(FlaskForm):
    """Reopening a case or a follow-up item closed by mistake: the reason goes into the history."""
    reason = TextareaQuestion("重新打开的原因", validators=[Required(), MaxLength(1000)])


class ResultForm(FlaskForm):
    title = ChoiceQuestion("文件名称", validators=[Required("required_choice")],
                           options=tuple((t, t) for t in RESULT_TITLES))


class MergeForm(FlaskForm):
    into = IntegerQuestion("并入的事项编号", validators=[Required(), Range(1, 10**9)])


class FollowupForm(FlaskForm):
    """回访满意度: asked after a follow-up item is closed (by the enterprise, or by staff on the phone)."""
    score = ChoiceQuestion("对处理结果是否满意", validators=[Required("required_choice")], options=FOLLOWUP_OPTIONS)
    comment = TextareaQuestion("意见", validators=[Optional(), MaxLength(1000)])


class UserEmailForm(FlaskForm):
    email = TextQuestion("提醒邮箱", validators=[Optional(), MaxLength(254)])

    def validate_email(self, field):
        if field.data:
            field.data = clean_email(field.data)  # raises ValueError with the form's message


def upload_error(exc) -> str:
    """The message of an uploads.UploadRejected."""
    return message(exc.key, **exc.params)
