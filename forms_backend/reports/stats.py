"""Statistics for the staff console and the yearly evaluation report: pure functions over rows.

Rows come from ``Storage.stats_*``; times are UTC ISO strings and are counted in the guide's
time zone. Every function returns plain numbers; ``charts_for`` turns them into the charts
of the statistics page (each with its data table).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from statistics import median
from typing import Iterable
from zoneinfo import ZoneInfo

from . import charts
from ..vocabulary import BAD_SCORE, FINAL_STATUSES, RATING_QUESTIONS, SCORES, STATUS_LABELS, STATUSES
from ..workdays import Calendar

COMPLETION_BUCKETS = ((1, "1 个工作日内"), (5, "2–5 个工作日"), (10, "6–10 个工作日"), (20, "11–20 个工作日"),
                      (None, "20 个工作日以上"))
GOOD_SCORE = BAD_SCORE + 1  # 基本满意 and better count as 好评
SCORE_CLASSES = {5: "chart-score-5", 4: "chart-score-4", 3: "chart-score-3", 2: "chart-score-2", 1: "chart-score-1"}


def _local(moment: str, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.fromisoformat(moment).astimezone(zone)


def months_between(first: dt.date, last: dt.date) -> list[str]:
    """'YYYY-MM' of every month from first to last, both included."""
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def per_service_month(apps: Iterable[dict], zone: ZoneInfo, months: list[str]) -> list[tuple[str, list[int]]]:
    """Applications per service per month: (service name, one count per month)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for a in apps:
        counts[a["service_name"]][_local(a["submitted_at"], zone).strftime("%Y-%m")] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    return [(name, [c.get(m, 0) for m in months]) for name, c in ranked]


def status_mix(apps: Iterable[dict]) -> list[tuple[str, int]]:
    counts = Counter(a["status"] for a in apps)
    return [(STATUS_LABELS[s], counts[s]) for s in STATUSES if counts[s]]


def completion_days(apps: Iterable[dict], calendar: Calendar, zone: ZoneInfo) -> dict[str, list[int]]:
    """Working days from submission to completion, per service (completed applications only)."""
    out: dict[str, list[int]] = defaultdict(list)
    for a in apps:
        if a["status"] == "completed" and a["closed_at"]:
            days = calendar.workdays_between(_local(a["submitted_at"], zone).date(),
                                             _local(a["closed_at"], zone).date())
            out[a["service_name"]].append(days)
    return dict(out)


def completion_buckets(days_by_service: dict[str, list[int]]) -> list[tuple[str, int]]:
    counts = Counter()
    for days in days_by_service.values():
        for d in days:
            for limit, label in COMPLETION_BUCKETS:
                if limit is None or d <= limit:
                    counts[label] += 1
                    break
    return [(label, counts[label]) for _, label in COMPLETION_BUCKETS]


def on_time(apps: Iterable[dict], zone: ZoneInfo) -> tuple[int, int]:
    """(closed within their due date, closed with a due date)."""
    done = within = 0
    for a in apps:
        if a["status"] in FINAL_STATUSES and a["closed_at"] and a["due_at"]:
            done += 1
            within += _local(a["closed_at"], zone).date().isoformat() <= a["due_at"]
    return within, done


def score_distribution(ratings: Iterable[dict]) -> list[tuple[str, int]]:
    counts = Counter(r["score"] for r in ratings)
    return [(label, counts[value]) for value, label in SCORES]


def good_rate(scores: list[int]) -> float | None:
    return 100.0 * sum(s >= GOOD_SCORE for s in scores) / len(scores) if scores else None


def score_per_service(ratings: Iterable[dict]) -> list[dict]:
    by: dict[str, list[int]] = defaultdict(list)
    for r in ratings:
        by[r["service_name"]].append(r["score"])
    rows = [{"service": name, "average": sum(s) / len(s), "count": len(s), "good_rate": good_rate(s)}
            for name, s in by.items()]
    return sorted(rows, key=lambda r: (-r["count"], r["service"]))


def question_yes_rates(ratings: Iterable[dict]) -> list[dict]:
    """Share of 是 among the answers to each follow-up question of the rating."""
    ratings = list(ratings)
    out = []
    for name, label in RATING_QUESTIONS:
        answers = [r[name] for r in ratings if r[name] is not None]
        out.append({"question": label, "answered": len(answers),
                    "yes_rate": 100.0 * sum(answers) / len(answers) if answers else None})
    return out


def page_no_rates(rows: Iterable[dict], *, limit: int = 15) -> list[dict]:
    """Pages by the share of 否 votes, worst first (ties: more votes first)."""
    out = [{"page": r["page"], "votes": r["yes"] + r["no"], "no": r["no"], "comments": r["comments"],
            "no_rate": 100.0 * r["no"] / (r["yes"] + r["no"])} for r in rows if r["yes"] + r["no"]]
    out.sort(key=lambda r: (-r["no_rate"], -r["votes"], r["page"]))
    return out[:limit]


def issues_summary(issues: Iterable[dict], today: str, zone: ZoneInfo) -> dict:
    """Counts of the follow-up items: by kind, closed, first contact and rectification on time."""
    issues = list(issues)
    kinds = Counter(i["kind"] for i in issues)
    contact_due = [i for i in issues if i["first_contact_due"]]
    contacted_on_time = sum(1 for i in contact_due if i["first_contact_at"] and
                            _local(i["first_contact_at"], zone).date().isoformat() <= i["first_contact_due"])
    closed = [i for i in issues if i["status"] == "closed"]
    closed_on_time = sum(1 for i in closed if _local(i["closed_at"], zone).date().isoformat() <= i["rectify_due"])
    overdue_open = sum(1 for i in issues if i["status"] == "open" and i["rectify_due"] < today)
    return {"total": len(issues), "kinds": kinds, "closed": len(closed), "closed_on_time": closed_on_time,
            "contact_due": len(contact_due), "contacted_on_time": contacted_on_time, "overdue_open": overdue_open}


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def charts_for(*, apps: list[dict], ratings: list[dict], pages: list[dict], overdue: dict[str, int],
               followup_overdue: int, followup_days: int, calendar: Calendar, zone: ZoneInfo, first: dt.date,
               last: dt.date) -> list[charts.Chart]:
    """The charts of the statistics page, in the order they are shown."""
    months = months_between(first, last)
    out = [charts.small_multiples("chart-monthly", "每月申请数（按服务事项，每项一图）", months,
                             per_service_month(apps, zone, months)),
           charts.bar_chart("chart-status", "申请状态分布", status_mix(apps), label_column="状态",
                            value_column="申请数")]
    days = completion_days(apps, calendar, zone)
    per_service = sorted(days.items(), key=lambda kv: kv[0])
    out.append(charts.bar_chart("chart-completion", "办结用时（工作日，中位数）",
                                [(name, float(median(d))) for name, d in per_service],
                                label_column="服务事项", value_column="中位数（工作日）",
                                extra=[("办结件数", [len(d) for _, d in per_service]),
                                       ("最长（工作日）", [max(d) for _, d in per_service])]))
    out.append(charts.bar_chart("chart-completion-buckets", "办结用时分布", completion_buckets(days),
                                label_column="用时", value_column="办结件数"))
    dist = score_distribution(ratings)
    out.append(charts.bar_chart("chart-satisfaction", "满意度分布（五级好差评）", dist if any(n for _, n in dist) else [],
                                label_column="评价", value_column="评价数",
                                classes=[SCORE_CLASSES[v] for v, _ in SCORES]))
    scores = score_per_service(ratings)
    out.append(charts.bar_chart("chart-score", "各服务事项平均得分（满分 5 分）",
                                [(r["service"], round(r["average"], 2)) for r in scores], max_value=5,
                                label_column="服务事项", value_column="平均分", fmt=lambda v: f"{v:.2f}",
                                extra=[("评价数", [r["count"] for r in scores]),
                                       ("好评率", [percent(r["good_rate"]) for r in scores])]))
    worst = page_no_rates(pages)
    out.append(charts.bar_chart("chart-pages", "页面反馈“否”的比例（最高的 15 个页面）",
                                [(r["page"], r["no_rate"]) for r in worst], max_value=100,
                                label_column="页面", value_column="“否”的比例", fmt=lambda v: f"{v:.0f}%",
                                extra=[("投票数", [r["votes"] for r in worst]), ("意见数", [r["comments"] for r in worst])]))
    out.append(charts.bar_chart("chart-overdue", "逾期的跟进事项（当前）",
                                [("首次联系逾期", overdue["first_contact"]), ("整改逾期", overdue["rectify"]),
                                 (f"超过 {followup_days} 天未联系的在办申请", followup_overdue)],
                                label_column="事项", value_column="件数"))
    return out
