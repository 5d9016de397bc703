"""Tracking: reference number + the phone number given → status and dated history.

A wrong pair and a missing reference get the same answer, by the same path (one query on
both columns), so the page cannot be used to find out which reference numbers exist. POSTs
are rate-limited per client (see security.LIMITS).
"""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from .forms import ERROR_SUMMARY_TITLE, TrackForm, clean_ref, phone_key

bp = Blueprint("track", __name__, url_prefix="/track")

NOT_FOUND = "没有找到与该申请编号和联系电话相符的申请。请核对申请编号（见受理回执或确认邮件）和申请时填写的联系电话后重试。"


@bp.get("")
def index():
    form = TrackForm(data={"ref": clean_ref(request.args.get("ref", ""))[:30]} if request.args.get("ref") else None)
    return render_template("track/index.html", form=form, errors=[], summary_title=ERROR_SUMMARY_TITLE,
                           not_found=False, application=None)


@bp.post("")
def lookup():
    form = TrackForm()
    application = None
    not_found = False
    if form.validate():
        key = phone_key(form.phone.data)
        if key is not None:
            application = current_app.extensions["guide"].storage.find_for_tracking(clean_ref(form.ref.data), key)
        not_found = application is None
    errors = [(name, form[name].errors[0]) for name in ("ref", "phone") if form[name].errors]
    return render_template("track/index.html", form=form, errors=errors, summary_title=ERROR_SUMMARY_TITLE,
                           not_found=not_found, not_found_text=NOT_FOUND, application=application)
