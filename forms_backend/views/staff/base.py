"""The staff console's blueprint (``/staff``) and what its pages share: the login check, the
no-store header, the template context, paging, dates in the guide's time zone.

Every route checks the server-side staff session first (``before_request``), exports and file
downloads included; account management needs an administrator. Responses are never cached.
The pages are in the sibling modules: ``cases`` (queue, one case and its workflow), ``followup``
(bad ratings and 意见箱 items), ``feedback`` (ratings and page feedback lists), ``archive``,
``reports`` (exports, statistics, the yearly report), ``accounts``.
"""
from __future__ import annotations

import datetime as dt
import math
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, request

from ... import auth
from ...context import current_guide
from ...forms.messages import ERROR_SUMMARY_TITLE
from ...forms.service_records import ImportForm
from ...reports import exports
from ...forms.staff import PAGE_SIZE
from ...storage import QueueFilter, iso, utcnow
from ...vocabulary import (ACTION_LABELS, CHANNEL_LABELS, KIND_LABELS, PRODUCT_FLAG_LABELS, RECORD_CHANNEL_LABELS,
                           RECORD_KIND_LABELS, ROLE_LABELS, SCORE_LABELS, STATUS_LABELS, STATUSES, TOLD_VIA_LABELS,
                           record_kind_label)
from ...workdays import local_today

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.before_request
def _login():
    return auth.require_login()


bp.after_request(auth.no_store)


@bp.context_processor
def _context():
    return {"staff_user": auth.current_user(), "ACTION_LABELS": ACTION_LABELS, "CHANNEL_LABELS": CHANNEL_LABELS,
            "KIND_LABELS": KIND_LABELS, "SCORE_LABELS": SCORE_LABELS, "TOLD_VIA_LABELS": TOLD_VIA_LABELS,
            "ROLE_LABELS": ROLE_LABELS, "RECORD_KIND_LABELS": RECORD_KIND_LABELS,
            "RECORD_CHANNEL_LABELS": RECORD_CHANNEL_LABELS, "PRODUCT_FLAG_LABELS": PRODUCT_FLAG_LABELS,
            "record_kind_label": record_kind_label, "summary_title": ERROR_SUMMARY_TITLE}


def store():
    return current_guide().storage


def actor() -> str:
    return f"staff:{auth.current_user().name}"


def guide_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["GUIDE_TIMEZONE"])


def guide_today() -> dt.date:
    return local_today(current_app.config["GUIDE_TIMEZONE"])


def utc_bounds(first: dt.date | None, last: dt.date | None) -> tuple[str | None, str | None]:
    """Local dates (both included) as UTC ISO bounds [since, until)."""
    zone = guide_zone()
    since = iso(dt.datetime.combine(first, dt.time(), zone)) if first else None
    until = iso(dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)) if last else None
    return since, until


def followup_cutoff() -> str:
    return iso(utcnow() - dt.timedelta(days=current_app.config["GUIDE_FOLLOWUP_DAYS"]))


def page_number() -> int:
    """The ``?page=`` of a paged list, clamped to 1..100000 (anything else is page 1)."""
    return max(1, min(request.args.get("page", 1, type=int), 100000))


def paging(total: int, page: int, *, size: int = PAGE_SIZE) -> dict:
    count = max(1, math.ceil(total / size))
    args = {k: v for k, v in request.args.items() if k != "page" and v}

    def link(n: int) -> str:
        return request.path + "?" + urlencode({**args, "page": n})
    return {"page": page, "count": count, "total": total, "prev": link(page - 1) if page > 1 else None,
            "next": link(page + 1) if page < count else None}


def wake_mail() -> None:
    if current_app.config["GUIDE_MAIL_WORKER"]:
        current_guide().background.wake()


def record_kinds() -> list:
    """The kinds of service records site.yml adds to the fixed ones (``record_kinds``)."""
    return list(current_guide().project.site.record_kinds)


def service_options() -> list[tuple[str, str]]:
    return [(s.id, s.name) for s in current_guide().project.services.values()]


def status_options() -> list[tuple[str, str]]:
    return [(s, STATUS_LABELS[s]) for s in STATUSES]


def queue_filter(form) -> QueueFilter:
    since, until = utc_bounds(form.value("date_from"), form.value("date_to"))
    return QueueFilter(service_id=form.value("service"), status=form.value("status"), submitted_from=since,
                       submitted_before=until, enterprise=form.value("enterprise"), overdue=form.value("overdue"),
                       today=guide_today().isoformat(), followup_cutoff=followup_cutoff(),
                       assignee=form.value("handler"))


def user_names() -> list[str]:
    return [u.name for u in store().list_users() if u.active]


# ---------------------------------------------------------------- spreadsheet imports

def import_template(columns, *, sheet: str, name: str, fmt: str) -> Response:
    """An empty sheet with an import's headers (``columns``: (header, field, note)), as a download."""
    data = exports.render(fmt, [h for h, _, _ in columns], [], sheet=sheet)
    return Response(data, mimetype=exports.CONTENT_TYPES[fmt].split(";")[0],
                    headers={"Content-Disposition": f'attachment; filename="{name}-template.{fmt}"',
                             "Content-Type": exports.CONTENT_TYPES[fmt]})


def uploaded_spreadsheet(max_bytes: int) -> tuple[str, bytes] | None:
    """(file name, at most ``max_bytes`` + 1 bytes) of an import form's file; None without one.
    A bad CSRF token is a 400 (the form is not answered)."""
    form = ImportForm()
    upload = request.files.get("file")
    if not form.validate() or upload is None or not upload.filename:
        if form.csrf_token.errors:
            abort(400)
        return None
    return upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:200], upload.stream.read(max_bytes + 1)
