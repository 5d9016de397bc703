"""The enterprise archive: search by enterprise, one enterprise's (or one product's) archive in time
order, its products, a year's catalogue. Confidential (seed 001, 9.3): every view is logged."""
from __future__ import annotations

import datetime as dt
import logging

from flask import abort, flash, redirect, render_template, request, url_for

from ... import auth
from ...forms.service_records import ProductForm
from ...storage import ProductNotFound, QueueFilter, archive_no
from ...vocabulary import PRODUCT_FLAG_LABELS
from .base import actor, bp, followup_cutoff, guide_today, guide_zone, page_number, paging, service_options, store

log = logging.getLogger(__name__)


@bp.get("/archive")
def archive():
    query = (request.args.get("q") or "").strip()[:100]
    found = store().enterprises(query) if query else []
    if query:  # enterprises known only from service records
        seen = {e["uscc"] for e in found}
        found += [{**e, "cases": 0, "archived": 0, "last_submitted_at": None}
                  for e in store().known_enterprises(query) if e["uscc"] not in seen]
    return render_template("staff/archive.html", query=query, found=found, years=store().archive_years(),
                           views=store().archive_views(limit=50) if auth.current_user().is_admin else None)


def _render_archive(uscc: str, product: dict | None = None, product_form=None, status: int = 200):
    storage = store()
    rows, total = storage.search_applications(QueueFilter(uscc=uscc), sort="submitted", descending=False, limit=1000)
    products = storage.products_of(uscc)
    org_name = storage.enterprise_name(uscc)
    if org_name is None and not products:
        abort(404)
    storage.log_archive_view(actor=actor(), what="product" if product else "enterprise", uscc=uscc,
                             product_id=product["id"] if product else None)
    log.info("archive of %s%s viewed by %s", uscc, f" product {product['id']}" if product else "",
             auth.current_user().name)
    timeline = in_local_order(storage.archive_timeline(uscc, product["id"] if product else None))
    if product is not None:
        rows = [r for r in rows if r.ref in {e.get("ref") for e in timeline if e["kind"] == "application"}]
    data = {"flag": "none"}
    if product:
        data = {k: product[k] for k in ("name", "product_class", "stage", "flag")}
        data["flagged_on"] = dt.date.fromisoformat(product["flagged_on"]) if product["flagged_on"] else None
    form = product_form or ProductForm(prefix="p", data=data)
    return render_template("staff/enterprise.html", uscc=uscc, rows=rows, total=len(rows), org_name=org_name or uscc,
                           products=products, product=product, timeline=timeline, product_form=form,
                           filed={e["ref"]: e.get("product_name") for e in timeline if e["kind"] == "application"},
                           views=storage.archive_views(uscc=uscc, limit=20), flag_options=list(PRODUCT_FLAG_LABELS.items()),
                           service_names=dict(service_options()),
                           errors=product_form.error_list() if product_form else [],
                           results=storage.result_counts([r.ref for r in rows]),
                           today=guide_today().isoformat(), cutoff=followup_cutoff()), status


def in_local_order(entries: list[dict]) -> list[dict]:
    """Entries by local day: records carry a local date, online events a UTC moment; a day's
    records come before its online events (a record has a day, not a time)."""
    zone = guide_zone()

    def key(e: dict) -> tuple[str, str]:
        if e["kind"] == "record":
            return e["at"], ""
        moment = dt.datetime.fromisoformat(e["at"]).astimezone(zone)
        return moment.date().isoformat(), moment.strftime("%H:%M:%S.%f")
    return sorted(entries, key=key)


def _product_or_404(uscc: str, product_id: int) -> dict:
    product = store().get_product(product_id)
    if product is None or product["uscc"] != uscc:
        abort(404)
    return product


@bp.get("/archive/enterprise/<uscc>")
def enterprise(uscc: str):
    return _render_archive(uscc.upper()[:18])


@bp.get("/archive/enterprise/<uscc>/products/<int:product_id>")
def product(uscc: str, product_id: int):
    uscc = uscc.upper()[:18]
    return _render_archive(uscc, _product_or_404(uscc, product_id))


@bp.post("/archive/enterprise/<uscc>/products")
def product_save(uscc: str):
    uscc = uscc.upper()[:18]
    form = ProductForm(prefix="p")
    product_id = request.form.get("product_id", type=int)
    product = _product_or_404(uscc, product_id) if product_id else None
    if store().enterprise_name(uscc) is None:
        abort(404)
    if not form.validate():
        return _render_archive(uscc, product, product_form=form, status=400)
    pid = store().save_product(uscc, form.name.data, product_class=form.product_class.data or None,
                               stage=form.stage.data or None, flag=form.flag.data,
                               flagged_on=form.flagged_on.data.isoformat() if form.flagged_on.data else None,
                               product_id=product_id)
    flash("已保存产品信息。", "info")
    return redirect(url_for(".product", uscc=uscc, product_id=pid), 303)


@bp.post("/archive/enterprise/<uscc>/file/<ref>")
def file_application(uscc: str, ref: str):
    uscc = uscc.upper()[:18]
    raw = request.form.get("product_id") or ""
    if raw and not raw.isdigit():
        abort(400)
    try:
        store().file_application(ref, uscc, int(raw) if raw else None)
    except ProductNotFound:
        abort(404)
    flash("已调整申请的归档产品。", "info")
    return redirect(url_for(".enterprise", uscc=uscc) + "#applications", 303)


CATALOGUE_PAGE = 500  # rows per printed page of the 归档文件目录


@bp.get("/archive/catalogue/<int:year>")
def catalogue(year: int):
    if not 1900 <= year <= 2200:
        abort(404)
    page = page_number()
    rows, total = store().catalogue(year=year, limit=CATALOGUE_PAGE, offset=(page - 1) * CATALOGUE_PAGE)
    span = store().archive_span(year)
    store().log_archive_view(actor=actor(), what="catalogue")
    return render_template("staff/catalogue.html", year=year, rows=rows, span=span, first_index=(page - 1) * CATALOGUE_PAGE,
                           pages=paging(total, page, size=CATALOGUE_PAGE), archive_no=archive_no)


