"""The enterprise archive: search by enterprise, one enterprise's cases, a year's catalogue."""
from __future__ import annotations

from flask import abort, render_template, request

from ...storage import QueueFilter, archive_no
from .base import bp, followup_cutoff, guide_today, paging, store

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
                           org_name=rows[-1].org_name, today=guide_today().isoformat(), cutoff=followup_cutoff(),
                           results=store().result_counts([r.ref for r in rows]))


CATALOGUE_PAGE = 500  # rows per printed page of the 归档文件目录


@bp.get("/archive/catalogue/<int:year>")
def catalogue(year: int):
    if not 1900 <= year <= 2200:
        abort(404)
    page = max(1, min(request.args.get("page", 1, type=int), 100000))
    rows, total = store().catalogue(year=year, limit=CATALOGUE_PAGE, offset=(page - 1) * CATALOGUE_PAGE)
    span = store().archive_span(year)
    return render_template("staff/catalogue.html", year=year, rows=rows, span=span, first_index=(page - 1) * CATALOGUE_PAGE,
                           pages=paging(total, page, size=CATALOGUE_PAGE), archive_no=archive_no)


