"""Guide content due for its yearly review (核验日期 + 1 year), for the editors among the staff."""
from __future__ import annotations

from flask import render_template, request

from site_builder.changes import KIND_NAMES, review_due

from ...context import current_guide
from .base import bp, guide_today


@bp.get("/review")
def review():
    """Items whose review is past or falls due within ``days`` (default 30)."""
    days = request.args.get("days", default=30, type=int)
    days = min(max(days if days is not None else 30, 0), 3650)
    today = guide_today()
    items = review_due(current_guide().project, days, today)
    return render_template("staff/review.html", items=items, days=days, today=today, kind_names=KIND_NAMES)
