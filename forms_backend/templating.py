"""Template helpers: editors' Markdown made safe, times in the guide's time zone, status words."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import markdown
from flask import current_app
from markupsafe import Markup

from .forms.display import human_size
from .vocabulary import ACTOR_LABELS, KIND_LABELS, SCORE_LABELS, STATUS_HELP, STATUS_LABELS
from .uploads import download_name

SAFE_HREF = re.compile(r'href="(?!https?:|mailto:|tel:|/|#)[^"]*"')


def render_markdown(text: str | None) -> Markup:
    """Editors write Markdown in declaration and next_steps; raw HTML is shown as text."""
    if not text:
        return Markup("")
    md = markdown.Markdown()
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    html = SAFE_HREF.sub('href="#"', md.convert(text))
    return Markup(html)


def local_time(value: str | dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if not value:
        return ""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    zone = ZoneInfo(current_app.config.get("GUIDE_TIMEZONE") or "Asia/Shanghai")
    return moment.astimezone(zone).strftime(fmt)


def actor_label(actor: str) -> str:
    if actor.startswith("staff"):
        return "工作人员"
    return ACTOR_LABELS.get(actor, "工作人员")


def staff_name(actor: str) -> str:
    """Who did it, for staff: the account name, or 申请人 / 系统."""
    if actor.startswith("staff:"):
        return actor[6:]
    return ACTOR_LABELS.get(actor, actor)


def init_app(app) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["human_size"] = human_size
    app.jinja_env.filters["staff_name"] = staff_name
    app.jinja_env.filters["download_name"] = download_name
    app.jinja_env.globals.update(STATUS_LABELS=STATUS_LABELS, STATUS_HELP=STATUS_HELP, actor_label=actor_label,
                                 SCORE_LABELS=SCORE_LABELS, KIND_LABELS=KIND_LABELS)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
