"""The app's runtime context: what ``create_app`` builds once and every request reads.

``current_guide()`` is the one accessor (inside an app or request context).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:  # the context names its parts; importing them here would import the whole app
    from flask_limiter import Limiter

    from site_builder.content import Project

    from .forms.applicant import ApplicationForm
    from .jobs import Background
    from .storage import Storage
    from .views.static_site import ThemeCache
    from .workdays import CalendarSource

EXTENSION_KEY = "guide"


@dataclass
class Guide:
    """What the app keeps for its lifetime: content, forms, storage, theme, the background thread."""
    project: Project
    storage: Storage
    theme: ThemeCache
    calendar: CalendarSource
    forms: dict[str, type[ApplicationForm]] = field(default_factory=dict)  # service id -> its form class
    extra_forms: dict[str, type] = field(default_factory=dict)  # 意见箱 and staff filter forms, built once
    background: Background | None = None
    limiter: Limiter | None = None
    mail_problems: list[str] = field(default_factory=list)  # why staff mail cannot be delivered (start-up)


def current_guide() -> Guide:
    """The running app's ``Guide``."""
    return current_app.extensions[EXTENSION_KEY]
