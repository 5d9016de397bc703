"""An enterprise's own equipment list and its calendar feed, behind a signed, revocable link.

``/track/equipment/<token>`` and ``/track/equipment/<token>/calendar.ics``: the token signs
(link id, 统一社会信用代码) like the tracking link's token; the link is live while its row in
``enterprise_links`` is not revoked. A wrong, revoked or missing token gets the same 404 page,
and a link shows only the equipment of its own enterprise.
"""
from __future__ import annotations

import datetime as dt
import itertools
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, render_template

from ..context import current_guide
from ..duedates import schedule_of
from ..links import read_enterprise_token
from ..reports.calendar import equipment_calendar
from ..storage import EquipmentFilter, utcnow
from ..vocabulary import EQUIPMENT_KIND_LABELS, EQUIPMENT_STATE_LABELS
from ..workdays import local_today

bp = Blueprint("enterprise", __name__, url_prefix="/track/equipment")

MAX_ROWS = 5000


def _enterprise(token: str) -> str:
    """The 统一社会信用代码 of a live link, else 404 (the same answer for every kind of wrong)."""
    found = read_enterprise_token(token[:300])
    if found is None or not current_guide().storage.live_enterprise_link(*found):
        abort(404)
    return found[1]


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/<token>")
def equipment_list(token: str):
    uscc = _enterprise(token)
    guide = current_guide()
    today = local_today(current_app.config["GUIDE_TIMEZONE"])
    sched = schedule_of(guide.project, guide.calendar.get())
    rows = []
    for r in guide.storage.iter_equipment(EquipmentFilter(uscc=uscc)):
        due = dt.date.fromisoformat(r["due_date"])
        if r["state"] != "in_use":
            r["level_name"], r["level"] = EQUIPMENT_STATE_LABELS[r["state"]], 0
        elif due < today:
            r["level_name"], r["level"] = "超期未检（应停止使用）", "overdue"
        else:
            level = sched.level(due, today) if sched else 0
            r["level_name"], r["level"] = (sched.name(level) if sched else "—"), level
        rows.append(r)
        if len(rows) >= MAX_ROWS:
            break
    org = rows[0]["org_name"] if rows else ""
    return render_template("enterprise/equipment.html", rows=rows, org=org, uscc=uscc, token=token, today=today,
                           kinds=EQUIPMENT_KIND_LABELS, levels=sched.levels if sched else ())


@bp.get("/<token>/calendar.ics")
def calendar(token: str):
    uscc = _enterprise(token)
    storage = current_guide().storage
    records = list(itertools.islice(storage.iter_equipment(EquipmentFilter(uscc=uscc, state="in_use")), MAX_ROWS))
    host = urlsplit(current_app.config["GUIDE_BASE_URL"]).hostname or "localhost"
    body = equipment_calendar(records, org_name=records[0]["org_name"] if records else uscc, host=host,
                              stamp=utcnow())
    return Response(body, mimetype="text/calendar", headers={
        "Content-Type": "text/calendar; charset=utf-8",
        "Content-Disposition": 'attachment; filename="equipment-due-dates.ics"'})
