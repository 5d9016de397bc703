"""The yearly evaluation of seed 001 section 10 from the offline service records: counts and lists
per assessment heading (人员参训, 咨询接待, 走访调研, 法规宣贯, 依申请服务, 创新及优先产品信息收集) and
the regularity of follow-up (8.2.3: 一般周期为每 2 周联系 1 次). Pure functions over the rows
storage returns; the staff blueprint renders them next to the online figures and exports them.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Iterable

from ..vocabulary import (FOLLOWUP_PERIOD_DAYS, PRODUCT_FLAG_LABELS, RECORD_CHANNEL_LABELS, RECORD_CHANNELS,
                          RECORD_KIND_LABELS)

__all__ = ["evaluate", "regular_followup", "evaluation_table", "HEADINGS"]

# The assessment heading each fixed kind is counted under; a kind from site.yml ``record_kinds``
# is counted under the heading of the fixed kind it ``counts_as`` (and listed there by name).
HEADINGS = {"consultation": "咨询接待", "visit": "走访调研", "training": "法规宣贯", "staff_training": "人员参训",
            "mock_inspection": "依申请服务", "pre_review": "依申请服务", "other": "其他线下服务"}


def _session(r: dict) -> dict:
    return {"id": r["id"], "date": r["date"], "topic": r["topic"] or r["summary"], "speakers": r["speakers"],
            "headcount": r["headcount"] or 0, "attendees": r["attendees"], "minutes": r["duration_minutes"]}


def regular_followup(contacts: dict[int, list[dt.date]], period_end: dt.date,
                     days: int = FOLLOWUP_PERIOD_DAYS) -> tuple[list[int], list[int]]:
    """Products contacted at least every ``days`` days, and the others.

    A product counts from its first contact of the year to ``period_end`` (the year's last day, or
    today in the current year): it is regular when no two consecutive contacts, and not the last
    contact and ``period_end``, are more than ``days`` days apart.
    """
    regular, irregular = [], []
    for product_id, dates in sorted(contacts.items()):
        days_sorted = sorted(set(dates))
        points = days_sorted + [max(period_end, days_sorted[-1])]
        gaps = [(b - a).days for a, b in zip(points, points[1:])]
        (regular if all(g <= days for g in gaps) else irregular).append(product_id)
    return regular, irregular


def evaluate(records: Iterable[dict], flagged: list[dict], contacts: dict[int, list[dt.date]],
             products: dict[int, dict], period_end: dt.date) -> dict:
    """The figures per assessment heading from one year's records (``records_between``)."""
    records = list(records)
    by_kind: dict[str, list[dict]] = {k: [] for k in RECORD_KIND_LABELS}
    for r in records:
        by_kind[r["kind"]].append(r)
    consultations = by_kind["consultation"]
    channels = Counter(r["channel"] for r in consultations)
    visits = by_kind["visit"]
    trainings = [_session(r) for r in by_kind["training"]]
    staff_trainings = [_session(r) for r in by_kind["staff_training"]]
    regular, irregular = regular_followup(contacts, period_end)
    flags = Counter(p["flag"] for p in flagged)
    added: dict[str, Counter] = {}
    for r in records:
        if r.get("kind_key"):
            added.setdefault(r["kind"], Counter())[r["kind_label"] or r["kind_key"]] += 1
    return {
        "added": {k: sorted(c.items()) for k, c in added.items()},
        "others": len(by_kind["other"]),
        "records": len(records),
        "enterprises": len({r["uscc"] for r in records if r["uscc"]}),
        "kinds": [(RECORD_KIND_LABELS[k], len(v)) for k, v in by_kind.items()],
        "consultations": len(consultations),
        "channels": [(RECORD_CHANNEL_LABELS[c], channels.get(c, 0)) for c in RECORD_CHANNELS],
        "consultation_minutes": sum(r["duration_minutes"] or 0 for r in consultations),
        "visits": len(visits),
        "visited_enterprises": len({r["uscc"] for r in visits if r["uscc"]}),
        "visit_list": [{"date": r["date"], "org_name": r["org_name"], "product_name": r["product_name"],
                        "summary": r["summary"], "id": r["id"]} for r in visits],
        "trainings": trainings,
        "training_attendance": sum(t["headcount"] for t in trainings),
        "staff_trainings": staff_trainings,
        "staff_trained": sum(t["headcount"] for t in staff_trainings),
        "staff_training_hours": sum((t["minutes"] or 0) for t in staff_trainings) / 60,
        "on_request": [(RECORD_KIND_LABELS[k], len(by_kind[k])) for k in ("mock_inspection", "pre_review")],
        "flagged": flagged,
        "flag_counts": [(PRODUCT_FLAG_LABELS[f], flags.get(f, 0)) for f in ("innovation", "priority")],
        "followed_products": len(contacts),
        "regular": len(regular),
        "regular_share": 100.0 * len(regular) / len(contacts) if contacts else None,
        "irregular": [products[p] for p in irregular if p in products],
    }


def evaluation_table(year: int, ev: dict, online: dict) -> tuple[list[str], list[list]]:
    """The figures as rows for CSV/XLSX: 评估项目, 指标, 数值."""
    rows: list[list] = [
        ["咨询接待", "在线申请（件）", online["applications"]],
        ["咨询接待", "线下咨询接待（次）", ev["consultations"]],
        *[["咨询接待", f"其中{label}（次）", n] for label, n in ev["channels"]],
        ["走访调研", "走访调研（次）", ev["visits"]],
        ["走访调研", "走访企业（家）", ev["visited_enterprises"]],
        ["走访调研", "在办申请的回访联系（次）", sum(online["contacts"].values())],
        ["法规宣贯", "宣贯/培训场次", len(ev["trainings"])],
        ["法规宣贯", "参加人次", ev["training_attendance"]],
        ["人员参训", "参训次数", len(ev["staff_trainings"])],
        ["人员参训", "参训人次", ev["staff_trained"]],
        ["人员参训", "培训学时（小时）", round(ev["staff_training_hours"], 1)],
        *[["依申请服务", f"{label}（次）", n] for label, n in ev["on_request"]],
        *[["区域内创新及优先产品信息收集", f"认定的{label}（个）", n] for label, n in ev["flag_counts"]],
        ["其他线下服务", "其他（次）", ev["others"]],
        *[[HEADINGS[kind], f"其中{name}（次）", n] for kind in HEADINGS for name, n in ev["added"].get(kind, [])],
        ["定期服务追踪", "有服务记录的产品（个）", ev["followed_products"]],
        ["定期服务追踪", f"至少每 {FOLLOWUP_PERIOD_DAYS} 天联系一次的产品（个）", ev["regular"]],
        ["定期服务追踪", "占比（%）", round(ev["regular_share"], 1) if ev["regular_share"] is not None else ""],
    ]
    return ["年度", "评估项目", "指标", "数值"], [[year, *r] for r in rows]
