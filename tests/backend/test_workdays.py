"""workdays.py: weekends, holidays and make-up working days; deadlines of follow-up items."""
from __future__ import annotations

import datetime as dt
import os

import pytest

from forms_backend import create_app
from forms_backend.workdays import WEEKENDS_ONLY, CalendarSource, HolidaysFileError, local_today, parse_holidays

from .conftest import config

D = dt.date
HOLIDAYS_2026 = """
# 2026 国庆节、中秋节：10 月 1 日至 8 日放假，9 月 27 日（周日）、10 月 10 日（周六）上班
2026-10-01..2026-10-08 holiday
2026-09-27 workday
2026-10-10 班
2026-01-01          # 元旦
"""


@pytest.mark.parametrize("start, n, due", [
    (D(2026, 11, 23), 1, D(2026, 11, 24)),   # Monday + 1 -> Tuesday
    (D(2026, 11, 27), 1, D(2026, 11, 30)),   # Friday + 1 -> Monday
    (D(2026, 11, 28), 1, D(2026, 11, 30)),   # Saturday + 1 -> Monday
    (D(2026, 11, 25), 15, D(2026, 12, 16)),  # three weeks of weekdays
    (D(2026, 11, 25), 0, D(2026, 11, 25)),
])
def test_weekends_only(start, n, due):
    assert WEEKENDS_ONLY.add_workdays(start, n) == due


def test_holidays_and_make_up_days_count():
    cal = parse_holidays(HOLIDAYS_2026)
    assert not cal.is_workday(D(2026, 10, 1)) and not cal.is_workday(D(2026, 10, 8))
    assert cal.is_workday(D(2026, 9, 27)) and cal.is_workday(D(2026, 10, 10))  # Sunday, Saturday worked
    assert not cal.is_workday(D(2026, 1, 1))
    # Filed on Wednesday 30 September: the next working day is Friday 9 October.
    assert cal.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 9)
    # Saturday 26 September + 1: Sunday 27 is a make-up working day.
    assert cal.add_workdays(D(2026, 9, 26), 1) == D(2026, 9, 27)
    assert cal.add_workdays(D(2026, 9, 30), 3) == D(2026, 10, 12)


def test_workdays_between_skips_weekends_and_holidays():
    cal = parse_holidays(HOLIDAYS_2026)
    assert WEEKENDS_ONLY.workdays_between(D(2026, 11, 27), D(2026, 11, 30)) == 1
    assert WEEKENDS_ONLY.workdays_between(D(2026, 11, 25), D(2026, 11, 25)) == 0
    assert cal.workdays_between(D(2026, 9, 30), D(2026, 10, 9)) == 1


@pytest.mark.parametrize("text, expected", [
    ("2026-13-01", "holidays.txt:1: '2026-13-01' names a day that does not exist"),
    ("tomorrow", "holidays.txt:1: 'tomorrow' is not a date"),
    ("2026-10-01 party", "holidays.txt:1: unknown word 'party'"),
    ("# comment\n2026-10-08..2026-10-01", "holidays.txt:2: the range must run forwards"),
])
def test_bad_lines_are_reported_with_their_number(text, expected):
    with pytest.raises(HolidaysFileError) as err:
        parse_holidays(text, "holidays.txt")
    assert str(err.value).startswith(expected)


def test_file_is_read_again_when_it_changes(tmp_path):
    path = tmp_path / "holidays.txt"
    path.write_text("2026-11-30\n", encoding="utf-8")
    source = CalendarSource(path)
    assert source.get().add_workdays(D(2026, 11, 27), 1) == D(2026, 12, 1)
    path.write_text("", encoding="utf-8")
    os.utime(path, (1, 1))  # a different modification time, whatever the clock's resolution
    assert source.get().add_workdays(D(2026, 11, 27), 1) == D(2026, 11, 30)


def test_app_refuses_to_start_with_a_broken_holidays_file(tmp_path):
    path = tmp_path / "holidays.txt"
    path.write_text("2026-10-01 maybe\n", encoding="utf-8")
    with pytest.raises(HolidaysFileError, match="holidays.txt:1"):
        create_app(config(tmp_path, GUIDE_HOLIDAYS_FILE=str(path)))


def test_follow_up_deadlines_use_working_days_and_the_holidays_file(tmp_path):
    from forms_backend.views.feedback import deadlines
    today = local_today("UTC")
    holiday = WEEKENDS_ONLY.add_workdays(today, 1)  # tomorrow's working day becomes a holiday
    path = tmp_path / "holidays.txt"
    path.write_text(f"{holiday.isoformat()}\n", encoding="utf-8")
    app = create_app(config(tmp_path, GUIDE_HOLIDAYS_FILE=str(path), GUIDE_TIMEZONE="UTC",
                            GUIDE_FIRST_CONTACT_DAYS=1, GUIDE_RECTIFY_DAYS=15))
    with app.test_request_context():
        due = deadlines(contactable=True)
        assert due["first_contact_due"] == WEEKENDS_ONLY.add_workdays(holiday, 1).isoformat()
        assert due["rectify_due"] == parse_holidays(path.read_text()).add_workdays(today, 15).isoformat()
        assert deadlines(contactable=False)["first_contact_due"] is None
    app.extensions["guide"].storage.close()
