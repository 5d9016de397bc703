"""The staff console's forms: login, accounts, workflow, follow-up, and the queue's filters.

The same habits as ``applicant.py``: every check of a staff request is here, messages come from
``messages.py``. Forms whose choices depend on the guide (services) or on the accounts are
made by small factory functions.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import StopValidation, ValidationError

from ..vocabulary import (ACTION_LABELS, CHANNEL_LABELS, CONTACT_CHANNELS, ISSUE_KINDS, KIND_LABELS, NOTE_REQUIRED,
                          ROLE_LABELS, SCORES, STATUSES, TOLD_VIA, TOLD_VIA_LABELS)
from .fields import (ChoiceQuestion, DateQuestion, IntegerQuestion, MaxLength, Optional, Range, Required,
                     TextareaQuestion, TextQuestion)
from .messages import message
from .values import YEAR_MAX, YEAR_MIN, normalise
from .corrections import check_due, parse_items

PASSWORD_MIN = 10
PASSWORD_MAX = 256
PASSWORD_SCORE = 3  # zxcvbn: 3 = "safely unguessable", at least 10^8 guesses
ACCOUNT_NAME = re.compile(r"[a-z][a-z0-9._-]{1,31}")
PAGE_SIZE = 25

SORT_LABELS = {"submitted": "提交时间", "updated": "最近更新", "due": "办理期限", "org": "单位名称",
               "service": "服务事项", "status": "状态", "contact": "最近联系"}


class WeakPassword(ValueError):
    """A new password breaks a rule; ``key`` names its message in ``messages.MESSAGES``."""

    def __init__(self, key: str, **params):
        super().__init__(key)
        self.key, self.params = key, params


def check_password(name: str, password: str) -> None:
    """The rules for a new password (the CLI and the forms share them).

    Length first; then no account name inside it; then zxcvbn's estimate, whose dictionaries
    hold the 30,000 most common leaked passwords and which sees keyboard rows, sequences,
    repeats, dates and l33t spellings: anything it guesses in under 10^8 tries is refused
    (ASVS 6.2: no common or breached passwords, no composition rules).
    """
    from zxcvbn import zxcvbn

    if len(password) < PASSWORD_MIN:
        raise WeakPassword("password_short", min=PASSWORD_MIN)
    if len(password) > PASSWORD_MAX:
        raise WeakPassword("password_long", max=PASSWORD_MAX)
    account = (name or "").strip().lower()
    if account and (password.strip().lower() == account or (len(account) >= 3 and account in password.lower())):
        raise WeakPassword("password_is_name")
    if zxcvbn(password, user_inputs=[account] if account else [], max_length=PASSWORD_MAX)["score"] < PASSWORD_SCORE:
        raise WeakPassword("password_common")


def clean_account_name(raw: str) -> str:
    name = normalise(raw).lower()
    if not ACCOUNT_NAME.fullmatch(name):
        raise ValueError(message("account_name"))
    return name


class PasswordQuestion(StringField):
    """Kept exactly as typed (no trimming, no normalising) and never written back into the page."""

    def process_formdata(self, valuelist):
        self.data = valuelist[0] if valuelist else None

    def _value(self):
        return ""


class DateTimeQuestion(StringField):
    """A local date and time, as ``<input type=datetime-local>`` sends it or as typed."""

    def process_formdata(self, valuelist):
        text = normalise(valuelist[0]) if valuelist else ""
        self.data = None
        if text:
            m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::\d{2})?", text)
            try:
                if not m:
                    raise ValueError
                self.data = dt.datetime(*(int(g) for g in m.groups()))
                if not YEAR_MIN <= self.data.year <= YEAR_MAX:
                    raise ValueError
            except ValueError:
                raise ValueError(message("datetime", label=self.label.text)) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%Y-%m-%dT%H:%M") if self.data else ""

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class NewPassword:
    """The new password and its confirmation agree and follow the rules."""

    def __init__(self, confirm: str, name_field: str | None = None):
        self.confirm, self.name_field = confirm, name_field

    def __call__(self, form, field):
        if (field.data or "") != (form[self.confirm].data or ""):
            raise StopValidation(message("password_mismatch"))
        name = form[self.name_field].data if self.name_field else getattr(form, "account_name", "")
        try:
            check_password(name or "", field.data or "")
        except WeakPassword as exc:
            raise StopValidation(message(exc.key, **exc.params)) from None


class AccountName:
    def __call__(self, form, field):
        try:
            field.data = clean_account_name(field.data or "")
        except ValueError as exc:
            raise StopValidation(str(exc)) from None


def _options(labels: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(labels.items())


# ---------------------------------------------------------------- login and accounts

class LoginForm(FlaskForm):
    name = TextQuestion("账户名", validators=[Required(), MaxLength(64)])
    password = PasswordQuestion("密码", validators=[Required()])
    next = HiddenField()


class PasswordForm(FlaskForm):
    current = PasswordQuestion("当前密码", validators=[Required()])
    new = PasswordQuestion("新密码", validators=[Required(), NewPassword("confirm")])
    confirm = PasswordQuestion("再次输入新密码", validators=[Required()])

    def __init__(self, *args, account_name: str = "", **kwargs):
        self.account_name = account_name
        super().__init__(*args, **kwargs)


class NewUserForm(FlaskForm):
    name = TextQuestion("账户名", validators=[Required(), AccountName()])
    role = ChoiceQuestion("角色", validators=[Required("required_choice")], options=_options(ROLE_LABELS))
    password = PasswordQuestion("初始密码", validators=[Required(), NewPassword("confirm", "name")])
    confirm = PasswordQuestion("再次输入初始密码", validators=[Required()])


class UserActionForm(FlaskForm):
    action = ChoiceQuestion("操作", validators=[Required("required_choice")],
                            options=(("disable", "停用"), ("enable", "启用"), ("role_staff", "设为工作人员"),
                                     ("role_admin", "设为管理员"), ("reset", "重设密码")))
    password = PasswordQuestion("新密码")
    confirm = PasswordQuestion("再次输入新密码")

    def __init__(self, *args, account_name: str = "", **kwargs):
        self.account_name = account_name
        super().__init__(*args, **kwargs)

    def validate_password(self, field):
        if self.action.data == "reset":
            if not field.data:
                raise StopValidation(message("required", label=field.label.text))
            NewPassword("confirm")(self, field)


# ---------------------------------------------------------------- workflow and follow-up

class TransitionForm(FlaskForm):
    to_status = ChoiceQuestion("新状态", validators=[Required("required_choice")],
                               options=tuple((s, s) for s in STATUSES))
    expected = HiddenField()
    note = TextareaQuestion("说明", validators=[MaxLength(1000)])
    public = BooleanField("在查询页和通知邮件中向申请人显示这段说明（不勾选则只有工作人员可见）", default=True)
    # 需补正材料 only: every missing item at once with its reason (一次性告知), and a deadline.
    items = TextareaQuestion("需要补正的材料或问题", validators=[MaxLength(4000)])
    due_on = DateQuestion("补正期限")
    today: dt.date | None = None  # set by the view (the guide's time zone)

    def validate_items(self, field):
        if self.to_status.data == "needs_info":
            try:
                self.parsed_items = parse_items(field.data)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None

    def validate_due_on(self, field):
        if self.to_status.data == "needs_info":
            check_due(field.data, self.today or dt.date.today())

    def validate_note(self, field):
        label = NOTE_REQUIRED.get(self.to_status.data)
        if label and not (field.data or "").strip():
            raise ValidationError(message("note_required", action=ACTION_LABELS[self.to_status.data], label=label))


class ContactForm(FlaskForm):
    channel = ChoiceQuestion("联系方式", validators=[Required("required_choice")],
                             options=_options({c: CHANNEL_LABELS[c] for c in CONTACT_CHANNELS}))
    at = DateTimeQuestion("联系时间", validators=[Optional()])
    note = TextareaQuestion("联系情况", validators=[Required(), MaxLength(2000)])

    def moment(self, zone) -> dt.datetime | None:
        """The contact time as an aware datetime (None: now); a time in the future is refused."""
        return self.at.data.replace(tzinfo=zone) if self.at.data else None

    def validate_at(self, field):
        zone = getattr(self, "zone", None)
        if field.data and zone and field.data.replace(tzinfo=zone) > dt.datetime.now(zone) + dt.timedelta(minutes=5):
            raise ValidationError(message("contact_in_future"))


class NoteForm(FlaskForm):
    note = TextareaQuestion("备注", validators=[Required(), MaxLength(2000)])
    public = BooleanField("在查询页向申请人显示", default=False)


class IssueNoteForm(FlaskForm):
    channel = ChoiceQuestion("联系方式", validators=[Optional()],
                             options=_options({c: CHANNEL_LABELS[c] for c in CONTACT_CHANNELS}))
    note = TextareaQuestion("记录", validators=[Required(), MaxLength(2000)])


class IssueCloseForm(FlaskForm):
    outcome = TextareaQuestion("处理结果", validators=[Required(), MaxLength(2000)])
    told_via = ChoiceQuestion("告知企业的方式", validators=[Required("required_choice")],
                              options=_options({t: TOLD_VIA_LABELS[t] for t in TOLD_VIA}))


def issue_owner_form(names: list[str]) -> type[FlaskForm]:
    class IssueOwnerForm(FlaskForm):
        owner = ChoiceQuestion("负责人", validators=[Optional()], options=tuple((n, n) for n in names))
    return IssueOwnerForm


# ---------------------------------------------------------------- list filters (GET, no CSRF)

class _Filters(FlaskForm):
    class Meta:
        csrf = False

    date_from = DateQuestion("开始日期", validators=[Optional()])
    date_to = DateQuestion("结束日期", validators=[Optional()])
    page = IntegerQuestion("页码", validators=[Optional(), Range(1, 100000)])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(message("date_order"))

    def value(self, name: str) -> Any:
        """The field's value, or None when it was left empty or did not pass its checks."""
        f = self[name]
        return None if f.errors else (f.data or None)

    def error_list(self) -> list[tuple[str, str]]:
        return [(f.name, f.errors[0]) for f in self if f.errors]


def queue_filter_form(services, followup_days: int) -> type[_Filters]:
    class QueueFilterForm(_Filters):
        service = ChoiceQuestion("服务事项", validators=[Optional()], options=tuple((s.id, s.name) for s in services))
        status = ChoiceQuestion("状态", validators=[Optional()],
                                options=(("open", "在办（未办结）"), *((s, s) for s in STATUSES)))
        enterprise = TextQuestion("单位名称或统一社会信用代码", validators=[Optional(), MaxLength(100)])
        handler = TextQuestion("承办人", validators=[Optional(), MaxLength(32)])
        overdue = ChoiceQuestion("逾期", validators=[Optional()],
                                 options=(("time", "超过办理时限"), ("nolimit", "办事指南未规定办理天数"), ("correction", "补正逾期未提交"),
                                          ("followup", f"超过 {followup_days} 天未联系")))
        sort = ChoiceQuestion("排序", validators=[Optional()], options=_options(SORT_LABELS))
        order = ChoiceQuestion("顺序", validators=[Optional()], options=(("desc", "从新到旧"), ("asc", "从旧到新")))
    return QueueFilterForm


class RangeForm(_Filters):
    """A date range (statistics)."""


def issue_filter_form(names: list[str]) -> type[_Filters]:
    class IssueFilterForm(_Filters):
        status = ChoiceQuestion("状态", validators=[Optional()],
                                options=(("open", "处理中"), ("closed", "已办结"), ("all", "全部")))
        kind = ChoiceQuestion("来源", validators=[Optional()],
                              options=tuple((k, KIND_LABELS[k]) for k in ISSUE_KINDS))
        owner = ChoiceQuestion("负责人", validators=[Optional()], options=tuple((n, n) for n in names))
        overdue = BooleanField("只看逾期")
    return IssueFilterForm


def ratings_filter_form(services) -> type[_Filters]:
    class RatingsFilterForm(_Filters):
        service = ChoiceQuestion("服务事项", validators=[Optional()], options=tuple((s.id, s.name) for s in services))
        score = ChoiceQuestion("评价", validators=[Optional()], options=tuple((str(v), label) for v, label in SCORES))
    return RatingsFilterForm
