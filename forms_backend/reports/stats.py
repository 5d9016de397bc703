"""Statistics for the staff console and the yearly evaluation report: pure functions over aggregates.

The storage computes counts in SQL, grouped by service, month, status, score or working days
(``storage.statistics``), so nothing here grows with the number of applications. These functions
shape those counts into the figures of the page and the report; ``charts_for`` turns them into
the charts of the statistics page (each with its data table).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Iterable
from zoneinfo import ZoneInfo

from . import charts
from ..vocabulary import BAD_SCORE, RATING_QUESTIONS, SCORES, STATUS_LABELS, STATUSES
from ..workdays import Calendar

COMPLETION_BUCKETS = ((1, "1 个工作日内"), (5, "2–5 个工作日"), (10, "6–10 个工作日"), (20, "11–20 个工作日"),
                      (None, "20 个工作日以上"))
GOOD_SCORE = BAD_SCORE + 1  # 基本满意 and better count as 好评
SCORE_CLASSES = {5: "chart-score-5", 4: "chart-score-4", 3: "chart-score-3", 2: "chart-score-2", 1: "chart-score-1"}


def day_shift(zone: ZoneInfo, first: dt.date, last: dt.date) -> str | None:
    """The SQLite modifier from UTC to ``zone`` ('+480 minutes') when its offset is the same all
    through the period (and the months around it); None when daylight saving time changes it."""
    moments = [dt.datetime(d.year, d.month, 15, 12, tzinfo=dt.timezone.utc)
               for d in (first, last, *(dt.date(y, m, 1) for y in range(first.year, last.year + 2)
                                       for m in (1, 4, 7, 10)))]
    offsets = {m.astimezone(zone).utcoffset() for m in moments}
    if len(offsets) != 1:
        return None
    minutes = int(offsets.pop().total_seconds() // 60)
    return f"{minutes:+d} minutes"


def workday_ordinals(calendar: Calendar, first: dt.date, last: dt.date) -> dict[str, int]:
    """Each date from the day before ``first`` to ``last`` -> working days since then (inclusive),
    so that ``calendar.workdays_between(a, b) == max(0, n[b] - n[a])``."""
    out, n, day = {}, 0, first - dt.timedelta(days=1)
    out[day.isoformat()] = 0
    while day < last:
        day += dt.timedelta(days=1)
        n += calendar.is_workday(day)
        out[day.isoformat()] = n
    return out


def months_between(first: dt.date, last: dt.date) -> list[str]:
    """'YYYY-MM' of every month from first to last, both included."""
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def per_service_month(counts: Iterable[tuple[str, str, int]], months: list[str]) -> list[tuple[str, list[int]]]:
    """Applications per service per month, from (service, 'YYYY-MM', n): (service, one count per month)."""
    by: dict[str, Counter] = defaultdict(Counter)
    for name, month, n in counts:
        by[name][month] += n
    ranked = sorted(by.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    return [(name, [c.get(m, 0) for m in months]) for name, c in ranked]


def status_mix(counts: dict[str, int]) -> list[tuple[str, int]]:
    return [(STATUS_LABELS[s], counts[s]) for s in STATUSES if counts.get(s)]


Histogram = dict[int, int]  # working days -> completed applications


def completion_days(rows: Iterable[tuple[str, int, int]]) -> dict[str, Histogram]:
    """Per service, how many completed applications took each number of working days."""
    out: dict[str, Histogram] = defaultdict(dict)
    for name, days, n in rows:
        out[name][days] = out[name].get(days, 0) + n
    return dict(out)


def merged(histograms: Iterable[Histogram]) -> Histogram:
    out: Histogram = {}
    for h in histograms:
        for days, n in h.items():
            out[days] = out.get(days, 0) + n
    return out


def histogram_median(h: Histogram) -> float | None:
    """The median of the values a histogram counts (the mean of the two middle ones when even)."""
    total = sum(h.values())
    if not total:
        return None
    def nth(k: int) -> int:  # the k-th smallest value, 0-based
        seen = 0
        for value in sorted(h):
            seen += h[value]
            if seen > k:
                return value
        raise IndexError(k)
    return (nth((total - 1) // 2) + nth(total // 2)) / 2


def completion_buckets(days_by_service: dict[str, Histogram]) -> list[tuple[str, int]]:
    counts = Counter()
    for h in days_by_service.values():
        for d, n in h.items():
            for limit, label in COMPLETION_BUCKETS:
                if limit is None or d <= limit:
                    counts[label] += n
                    break
    return [(label, counts[label]) for _, label in COMPLETION_BUCKETS]


def score_distribution(rows: Iterable[tuple[str, int, int]]) -> list[tuple[str, int]]:
    counts = Counter()
    for _, score, n in rows:
        counts[score] += n
    return [(label, counts[value]) for value, label in SCORES]


def good_rate_of(counts: dict[int, int]) -> float | None:
    """好评率 from score -> ratings."""
    total = sum(counts.values())
    return 100.0 * sum(n for s, n in counts.items() if s >= GOOD_SCORE) / total if total else None


def score_per_service(rows: Iterable[tuple[str, int, int]]) -> list[dict]:
    by: dict[str, dict[int, int]] = defaultdict(dict)
    for name, score, n in rows:
        by[name][score] = by[name].get(score, 0) + n
    out = [{"service": name, "average": sum(s * n for s, n in c.items()) / sum(c.values()),
            "count": sum(c.values()), "good_rate": good_rate_of(c)} for name, c in by.items()]
    return sorted(out, key=lambda r: (-r["count"], r["service"]))


def rating_totals(rows: Iterable[tuple[str, int, int]]) -> dict:
    """Ratings, average and 好评率 over every service."""
    counts = Counter()
    for _, score, n in rows:
        counts[score] += n
    total = sum(counts.values())
    return {"ratings": total, "average": sum(s * n for s, n in counts.items()) / total if total else None,
            "good_rate": good_rate_of(counts)}


def question_yes_rates(answers: dict[str, tuple[int, int]]) -> list[dict]:
    """Share of 是 among the answers to each follow-up question of the rating."""
    out = []
    for name, label in RATING_QUESTIONS:
        answered, yes = answers.get(name, (0, 0))
        out.append({"question": label, "answered": answered,
                    "yes_rate": 100.0 * yes / answered if answered else None})
    return out


def page_no_rates(rows: Iterable[dict], *, limit: int = 15) -> list[dict]:
    """Pages by the share of 否 votes, worst first (ties: more votes first)."""
    out = [{"page": r["page"], "votes": r["yes"] + r["no"], "no": r["no"], "comments": r["comments"],
            "no_rate": 100.0 * r["no"] / (r["yes"] + r["no"])} for r in rows if r["yes"] + r["no"]]
    out.sort(key=lambda r: (-r["no_rate"], -r["votes"], r["page"]))
    return out[:limit]


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def charts_for(*, by_month: list[tuple[str, str, int]], status: dict[str, int], days: dict[str, Histogram],
               ratings: list[tuple[str, int, int]], pages: list[dict], overdue: dict[str, int],
               followup_overdue: int, followup_days: int, first: dt.date, last: dt.date) -> list[charts.Chart]:
    """The charts of the statistics page, in the order they are shown (from the storage's aggregates)."""
    months = months_between(first, last)
    out = [charts.small_multiples("chart-monthly", "每月申请数（按服务事项，每项一图）", months,
                                  per_service_month(by_month, months)),
           charts.bar_chart("chart-status", "申请状态分布", status_mix(status), label_column="状态",
                            value_column="申请数")]
    per_service = sorted(days.items(), key=lambda kv: kv[0])
    out.append(charts.bar_chart("chart-completion", "办结用时（工作日，中位数）",
                                [(name, float(histogram_median(h))) for name, h in per_service],
                                label_column="服务事项", value_column="中位数（工作日）",
                                extra=[("办结件数", [sum(h.values()) for _, h in per_service]),
                                       ("最长（工作日）", [max(h) for _, h in per_service])]))
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
