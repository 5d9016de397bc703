"""Due dates and warning levels of the equipment register, as pure functions of dates.

The levels come from the guide's YAML (the warning flow's ``warnings`` block, read by
``site_builder.content``): each level starts ``days_before`` or ``months_before`` the due date.
When the plan says ``working_days``, a start that falls on a weekend or holiday moves to the
working day BEFORE it (a warning is never later than the plan says). A record is at the highest
level whose start is on or before today; it is overdue the day after its due date.

Months are calendar months clamped to the month's end: one month before 2028-03-31 is 2028-02-29.
"""
from __future__ import annotations

import calendar as _calendar
import datetime as dt
from typing import Protocol, Sequence

from .workdays import WEEKENDS_ONLY, Calendar

__all__ = ["add_months", "level_start", "level_on", "latest_due_at", "is_overdue", "thresholds", "Schedule", "schedule_of"]


class LevelSpec(Protocol):
    level: int
    days_before: int | None
    months_before: int | None


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months (negative: back), clamped to the month's end."""
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    return dt.date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def level_start(level: LevelSpec, due: dt.date, *, working_days: bool = False,
                calendar: Calendar = WEEKENDS_ONLY) -> dt.date:
    """The day ``level`` starts for a record due on ``due``."""
    if level.months_before:
        start = add_months(due, -level.months_before)
    else:
        start = due - dt.timedelta(days=level.days_before or 0)
    if working_days:
        for _ in range(60):     # a holidays file may close a long stretch; never loop forever
            if calendar.is_workday(start):
                break
            start -= dt.timedelta(days=1)
    return start


def level_on(levels: Sequence[LevelSpec], due: dt.date, today: dt.date, *, working_days: bool = False,
             calendar: Calendar = WEEKENDS_ONLY) -> int:
    """The level of a record due on ``due`` on ``today`` (0: none yet)."""
    reached = [lv.level for lv in levels if level_start(lv, due, working_days=working_days, calendar=calendar) <= today]
    return max(reached, default=0)


def is_overdue(due: dt.date, today: dt.date) -> bool:
    """Past its due date (the certificate is valid through the due date itself)."""
    return due < today


def latest_due_at(level: LevelSpec, today: dt.date, *, working_days: bool = False,
                  calendar: Calendar = WEEKENDS_ONLY) -> dt.date:
    """The latest due date whose ``level`` has started by ``today``: a record is at this level or
    higher exactly when its due date is on or before this day (level starts only grow with the
    due date), which turns "which records are at level N" into a range of due dates for SQL."""
    if level.months_before:
        due = add_months(today, level.months_before)
    else:
        due = today + dt.timedelta(days=level.days_before or 0)
    # Step back until the level has started, then forward while the next day's has too.
    for _ in range(400):
        if level_start(level, due, working_days=working_days, calendar=calendar) <= today:
            break
        due -= dt.timedelta(days=1)
    for _ in range(400):
        if level_start(level, due + dt.timedelta(days=1), working_days=working_days, calendar=calendar) > today:
            break
        due += dt.timedelta(days=1)
    return due


def thresholds(levels: Sequence[LevelSpec], today: dt.date, *, working_days: bool = False,
               calendar: Calendar = WEEKENDS_ONLY) -> dict[int, dt.date]:
    """{level: latest due date at that level or higher on ``today``}."""
    return {lv.level: latest_due_at(lv, today, working_days=working_days, calendar=calendar) for lv in levels}


class Schedule:
    """A guide's warning levels (its warning flow's ``warnings`` block) with the working-day calendar."""

    def __init__(self, plan, calendar: Calendar = WEEKENDS_ONLY):
        self.plan = plan
        self.levels = tuple(plan.levels)
        self.calendar = calendar

    @property
    def working_days(self) -> bool:
        return bool(self.plan.working_days)

    def level(self, due: dt.date, today: dt.date) -> int:
        return level_on(self.levels, due, today, working_days=self.working_days, calendar=self.calendar)

    def start(self, level: int, due: dt.date) -> dt.date:
        return level_start(self.levels[level - 1], due, working_days=self.working_days, calendar=self.calendar)

    def thresholds(self, today: dt.date) -> dict[int, dt.date]:
        return thresholds(self.levels, today, working_days=self.working_days, calendar=self.calendar)

    def name(self, level: int) -> str:
        return self.levels[level - 1].name if 1 <= level <= len(self.levels) else "未到预警期"

    def due_range(self, level: int, today: dt.date) -> tuple[dt.date, dt.date | None]:
        """(first, last) due dates of records exactly at ``level`` today, not overdue (last None: no bound).
        Level 0 is the records not yet at level 1."""
        bounds = self.thresholds(today)
        if level == 0:
            return bounds[1] + dt.timedelta(days=1), None
        upper = bounds[level]
        lower = bounds[level + 1] + dt.timedelta(days=1) if level + 1 in bounds else today
        return max(lower, today), upper


def schedule_of(project, calendar: Calendar = WEEKENDS_ONLY) -> Schedule | None:
    """The project's warning schedule, or None when no flow has ``warnings``."""
    flow = project.warning_flow()
    return Schedule(flow.warnings, calendar) if flow is not None else None
