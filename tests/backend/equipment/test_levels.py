"""Warning levels as functions of dates: calendar months clamped at month ends, leap days,
working days (a start on a weekend or holiday moves to the working day before), and the due-date
thresholds that turn "records at level N today" into a range of due dates."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from forms_backend.duedates import add_months, is_overdue, latest_due_at, level_on, level_start
from forms_backend.workdays import WEEKENDS_ONLY, parse_holidays

D = dt.date


def lv(level, days=None, months=None):
    return SimpleNamespace(level=level, days_before=days, months_before=months)


LEVELS = (lv(1, days=90), lv(2, days=60), lv(3, months=1))


@pytest.mark.parametrize("day, months, expected", [
    (D(2026, 1, 31), 1, D(2026, 2, 28)),      # month end clamps
    (D(2028, 1, 31), 1, D(2028, 2, 29)),      # leap year
    (D(2028, 2, 29), 12, D(2029, 2, 28)),     # a leap day a year on
    (D(2028, 2, 29), 48, D(2032, 2, 29)),     # ... and four years on
    (D(2028, 3, 31), -1, D(2028, 2, 29)),     # one month back from a 31st in a leap year
    (D(2026, 3, 31), -1, D(2026, 2, 28)),
    (D(2026, 12, 15), 1, D(2027, 1, 15)),     # across the year
    (D(2027, 1, 15), -1, D(2026, 12, 15)),
])
def test_calendar_months(day, months, expected):
    assert add_months(day, months) == expected


def test_one_month_before_expiry_over_month_ends_and_leap_days():
    level3 = lv(3, months=1)
    assert level_start(level3, D(2028, 3, 31)) == D(2028, 2, 29)
    assert level_start(level3, D(2028, 3, 29)) == D(2028, 2, 29)
    assert level_start(level3, D(2027, 3, 31)) == D(2027, 2, 28)
    assert level_start(level3, D(2026, 5, 31)) == D(2026, 4, 30)
    # Never later than one calendar month before the due date, for every day of four years.
    day = D(2026, 1, 1)
    while day < D(2030, 1, 1):
        start = level_start(level3, day, working_days=True)
        assert start <= add_months(day, -1), day
        day += dt.timedelta(days=1)


def test_a_start_on_a_weekend_moves_to_the_friday_before():
    # 2026-12-05 is a Saturday: 90 days before 2027-03-05.
    due = D(2027, 3, 5)
    assert level_start(lv(1, days=90), due) == D(2026, 12, 5)
    assert level_start(lv(1, days=90), due, working_days=True) == D(2026, 12, 4)


def test_holidays_and_make_up_days_from_the_holidays_file():
    cal = parse_holidays("2026-10-01..2026-10-07 holiday\n2026-10-10 workday\n")
    # 60 days before 2026-12-04 is 2026-10-05 (in the National Day holiday): back to 2026-09-30.
    assert level_start(lv(2, days=60), D(2026, 12, 4), working_days=True, calendar=cal) == D(2026, 9, 30)
    # A make-up Saturday is a working day: 2026-10-10 stays.
    assert level_start(lv(2, days=60), D(2026, 12, 9), working_days=True, calendar=cal) == D(2026, 10, 10)


def test_level_of_a_record_day_by_day():
    due = D(2027, 3, 31)
    assert level_on(LEVELS, due, D(2026, 12, 30)) == 0
    assert level_on(LEVELS, due, D(2026, 12, 31)) == 1        # 90 days before
    assert level_on(LEVELS, due, D(2027, 1, 30)) == 2         # 60 days before
    assert level_on(LEVELS, due, D(2027, 2, 27)) == 2
    assert level_on(LEVELS, due, D(2027, 2, 28)) == 3         # one month before the 31st: the 28th
    assert level_on(LEVELS, due, D(2027, 3, 31)) == 3
    assert not is_overdue(due, D(2027, 3, 31)) and is_overdue(due, D(2027, 4, 1))


@pytest.mark.parametrize("working_days", [False, True])
def test_thresholds_agree_with_the_level_of_every_due_date(working_days):
    cal = parse_holidays("2027-01-01..2027-01-03 holiday\n2027-02-10..2027-02-17 holiday\n")
    for today in (D(2026, 12, 31), D(2027, 1, 2), D(2027, 2, 28), D(2028, 1, 31), D(2028, 2, 29)):
        for level in LEVELS:
            latest = latest_due_at(level, today, working_days=working_days, calendar=cal)
            for offset in range(-5, 6):
                due = latest + dt.timedelta(days=offset)
                started = level_start(level, due, working_days=working_days, calendar=cal) <= today
                assert started == (due <= latest), (today, level.level, due)


def test_weekends_only_calendar_is_the_default():
    assert WEEKENDS_ONLY.is_workday(D(2026, 12, 4)) and not WEEKENDS_ONLY.is_workday(D(2026, 12, 5))
