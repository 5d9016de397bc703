"""The enterprise archive: search by enterprise, one enterprise's cases, a year's catalogue."""
from __future__ import annotations

from flask import abort, render_template, request

from ...storage import QueueFilter
from .base import followup_cutoff, store, guide_today, bp

@bp.get("/archive")
def archive():
    query = (request.args.get("q") or "").strip()[:100]
    found = store().enterprises(query) if query else []
    return render_template("staff/archive.html", query=query, found=found, years=store().archive_years())


@bp.get("/archive/enterprise/<uscc>")
def enterprise(uscc: str):
    rows, total = store().search_applications(QueueFilter(uscc=uscc.upper()), sort="submitted", descending=False,
                                                  limit=1000)
    if not rows:
        abort(404)
    return render_template("staff/enterprise.html", uscc=uscc.upper(), rows=rows, total=total,
                           org_name=rows[-1].org_name, today=guide_today().isoformat(), cutoff=followup_cutoff())


@bp.get("/archive/catalogue/<int:year>")
def catalogue(year: int):
    rows = store().catalogue(year=year)
    return render_template("staff/catalogue.html", year=year, rows=rows)


