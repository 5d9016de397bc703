"""What changed between two builds, and what is due for review.

``diff`` compares the content of the previous build (its ``data/catalog.json``) with the
new one: services, flows and policies added, removed, and changed with the names of the
fields that differ. ``guide build`` prints it and writes it to ``data/changes.json`` in the site.

``review_due`` lists the items whose 核验日期 (``reviewed``) is more than a year old or will be
within N days — for ``guide check --review-due N`` and the staff console.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from .content import Project

KINDS = ("services", "flows", "policies")
KIND_NAMES = {"services": "服务事项", "flows": "办理流程", "policies": "政策法规"}
DERIVED = {"url", "apply_url", "cited_by"}  # computed by the build, not written by editors
REVIEW_AFTER_DAYS = 365


def snapshot(catalog: dict) -> dict[str, dict[str, dict]]:
    """{kind: {id: fields}} from a catalog.json document."""
    return {kind: {item["id"]: {k: v for k, v in item.items() if k not in DERIVED}
                   for item in catalog.get(kind, [])} for kind in KINDS}


def read_previous(site_dir: Path) -> dict | None:
    path = site_dir / "data" / "catalog.json"
    try:
        return snapshot(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def diff(old: dict | None, new: dict) -> dict:
    """{kind: {added: [ids], removed: [ids], changed: {id: [fields]}}}; None ``old`` = first build."""
    if old is None:
        return {"first_build": True}
    out = {}
    for kind in KINDS:
        before, after = old.get(kind, {}), new.get(kind, {})
        changed = {}
        for key in sorted(set(before) & set(after)):
            fields = sorted(f for f in set(before[key]) | set(after[key]) if before[key].get(f) != after[key].get(f))
            if fields:
                changed[key] = fields
        out[kind] = {"added": sorted(set(after) - set(before)), "removed": sorted(set(before) - set(after)),
                     "changed": changed}
    return out


def summary_lines(changes: dict) -> list[str]:
    if changes.get("first_build"):
        return ["changes: first build here, nothing to compare with"]
    lines = []
    for kind in KINDS:
        c = changes[kind]
        if not (c["added"] or c["removed"] or c["changed"]):
            continue
        parts = []
        if c["added"]:
            parts.append("added " + ", ".join(c["added"]))
        if c["removed"]:
            parts.append("removed " + ", ".join(c["removed"]))
        if c["changed"]:
            parts.append("changed " + "; ".join(f"{k} ({', '.join(f)})" for k, f in c["changed"].items()))
        lines.append(f"{kind}: " + " · ".join(parts))
    return ["changes since the previous build:"] + ["  " + line for line in lines] if lines else \
        ["changes since the previous build: none"]


@dataclass(frozen=True)
class ReviewItem:
    kind: str        # services, flows, policies, site
    id: str
    name: str
    reviewed: dt.date
    due: dt.date
    path: str
    line: int

    def days_left(self, today: dt.date) -> int:
        return (self.due - today).days


def review_due(project: Project, within_days: int, today: dt.date | None = None) -> list[ReviewItem]:
    """Items whose review falls due (a year after ``reviewed``) within ``within_days`` days, or
    has already passed; soonest first."""
    today = today or dt.date.today()
    items = []
    groups = [("services", "service", project.services), ("flows", "flow", project.flows),
              ("policies", "policy", project.policies)]
    for kind, source_kind, objects in groups:
        for key, obj in objects.items():
            reviewed = getattr(obj, "reviewed", None)
            if reviewed is None:
                continue
            due = reviewed + dt.timedelta(days=REVIEW_AFTER_DAYS)
            if (due - today).days <= within_days:
                src = project.source(source_kind, key)
                line = src.where(("reviewed",))[0] if src else 1
                items.append(ReviewItem(kind, key, getattr(obj, "name", None) or getattr(obj, "title", key),
                                        reviewed, due, src.display if src else "", line))
    return sorted(items, key=lambda i: (i.due, i.kind, i.id))
