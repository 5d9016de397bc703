"""Ratings and page feedback as staff read them."""
from __future__ import annotations

from flask import render_template, request

from ...context import current_guide
from ...forms.staff import PAGE_SIZE, RangeForm
from ...reports import stats
from ...vocabulary import RATING_QUESTIONS, SCORE_LABELS
from .base import paging, service_options, store, utc_bounds, bp

@bp.get("/ratings")
def ratings():
    form = current_guide().extra_forms["ratings"](formdata=request.args)
    form.validate()
    page = form.value("page") or 1
    score = form.value("score")
    rows, total = store().list_ratings(service_id=form.value("service"), score=int(score) if score else None,
                                          limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template("staff/ratings.html", form=form, rows=rows, pages=paging(total, page),
                           service_options=service_options(),
                           score_options=[(str(v), label) for v, label in SCORE_LABELS.items()],
                           questions=RATING_QUESTIONS, errors=form.error_list())


@bp.get("/page-feedback")
def page_feedback():
    form = RangeForm(formdata=request.args)
    form.validate()
    page = form.value("page") or 1
    since, until = utc_bounds(form.value("date_from"), form.value("date_to"))
    summary = stats.page_no_rates(store().page_feedback_by_page(since, until), limit=100)
    comments, total = store().page_feedback_comments(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template("staff/page_feedback.html", form=form, summary=summary, comments=comments,
                           pages=paging(total, page), errors=form.error_list())


