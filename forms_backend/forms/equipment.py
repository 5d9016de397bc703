"""The form of an equipment record of the register (特种设备 / 强制检定计量器具).

One place checks a record: the console's add and edit pages, and the 台账 import runs every row
through the same form (``equipment_import``). A record needs someone to warn: the safety manager
(安全管理员) with a mobile phone or an email address; the enterprise head (主要负责人) is who level 3
escalates to. The next due date may be left empty when the last inspection date is given: it is
then that date plus the cycle.
"""
from __future__ import annotations

import datetime as dt

from flask_wtf import FlaskForm
from wtforms.validators import StopValidation, ValidationError

from ..duedates import add_months
from ..storage import EQUIPMENT_FIELDS
from ..vocabulary import EQUIPMENT_KIND_LABELS, EQUIPMENT_STATE_LABELS
from .fields import (ChoiceQuestion, Cleaned, DateQuestion, IntegerQuestion, MaxLength, Optional, Range, Required,
                     TextQuestion)
from .messages import message
from .values import clean_email, clean_phone, clean_uscc

__all__ = ["equipment_form", "EquipmentForm", "FIELD_LABELS"]

KIND_OPTIONS = tuple(EQUIPMENT_KIND_LABELS.items())
STATE_OPTIONS = tuple(EQUIPMENT_STATE_LABELS.items())


class EquipmentForm(FlaskForm):
    uscc = TextQuestion("统一社会信用代码", validators=[Required(), Cleaned(clean_uscc)])
    org_name = TextQuestion("企业名称", validators=[Required(), MaxLength(100)])
    kind = ChoiceQuestion("设备类别", validators=[Required("required_choice")], options=KIND_OPTIONS)
    device_code = TextQuestion("设备代码", validators=[Required(), MaxLength(64)])
    registration_no = TextQuestion("使用登记证编号", validators=[MaxLength(64)])
    name = TextQuestion("设备名称", validators=[Required(), MaxLength(100)])
    model = TextQuestion("型号规格", validators=[MaxLength(100)])
    location = TextQuestion("安装地点", validators=[MaxLength(200)])
    last_date = DateQuestion("上次检验（检定）日期", validators=[Optional()])
    cycle_months = IntegerQuestion("检验周期（月）", validators=[Required(), Range(1, 120)])
    due_date = DateQuestion("下次检验日期")
    manager_name = TextQuestion("安全管理员", validators=[Required(), MaxLength(50)])
    manager_phone = TextQuestion("安全管理员手机", validators=[Optional(), Cleaned(clean_phone)])
    manager_email = TextQuestion("安全管理员邮箱", validators=[Optional(), Cleaned(clean_email)])
    head_name = TextQuestion("主要负责人", validators=[MaxLength(50)])
    head_phone = TextQuestion("主要负责人手机", validators=[Optional(), Cleaned(clean_phone)])
    head_email = TextQuestion("主要负责人邮箱", validators=[Optional(), Cleaned(clean_email)])
    state = ChoiceQuestion("设备状态", validators=[Required("required_choice")], options=STATE_OPTIONS)

    def validate_device_code(self, field):
        field.data = (field.data or "").strip().upper()

    def validate_due_date(self, field):
        if field.process_errors:
            raise StopValidation()
        if field.data is None and not (self.last_date.data and self.cycle_months.data):
            raise StopValidation(message("due_date_needed"))
        if field.data and self.last_date.data and field.data <= self.last_date.data:
            raise ValidationError(message("due_date_order"))

    def validate_manager_name(self, field):
        # Someone must be reachable: without a mobile or an email address nobody is warned.
        if field.data and not (self.manager_phone.data or self.manager_email.data) \
                and not self.manager_phone.errors and not self.manager_email.errors:
            raise ValidationError(message("manager_contact"))

    def record(self) -> dict:
        """The checked values as storage takes them."""
        due = self.due_date.data or add_months(self.last_date.data, self.cycle_months.data)
        return {
            "uscc": self.uscc.data, "org_name": self.org_name.data, "kind": self.kind.data,
            "device_code": self.device_code.data, "registration_no": self.registration_no.data or None,
            "name": self.name.data, "model": self.model.data or None, "location": self.location.data or None,
            "last_date": self.last_date.data.isoformat() if self.last_date.data else None,
            "cycle_months": self.cycle_months.data, "due_date": due.isoformat(),
            "manager_name": self.manager_name.data, "manager_phone": self.manager_phone.data or None,
            "manager_email": self.manager_email.data or None, "head_name": self.head_name.data or None,
            "head_phone": self.head_phone.data or None, "head_email": self.head_email.data or None,
            "state": self.state.data,
        }

    @classmethod
    def initial(cls, record: dict) -> dict:
        """A stored record as the form's ``data``."""
        out = {k: record.get(k) for k in EQUIPMENT_FIELDS}
        for k in ("last_date", "due_date"):
            out[k] = dt.date.fromisoformat(record[k]) if record.get(k) else None
        return out

    def error_list(self) -> list[tuple[str, str]]:
        return [(f.name, f.errors[0]) for f in self if f.errors]


# What each field is called (history of a record, import columns).
FIELD_LABELS = {name: getattr(EquipmentForm, name).args[0] for name in EQUIPMENT_FIELDS}
FIELD_LABELS["cycle"] = "检验周期序号"


class _ImportedEquipmentForm(EquipmentForm):
    class Meta:
        csrf = False


def equipment_form(*, csrf: bool = True) -> type[EquipmentForm]:
    """The console's form, or (``csrf=False``) the one the import runs each row through."""
    return EquipmentForm if csrf else _ImportedEquipmentForm
