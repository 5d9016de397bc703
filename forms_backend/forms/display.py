"""An answer as a person reads it (check-answers page, receipts, mail, exports)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from .fields import Question


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
