"""Working days: weekends off, plus the official holidays and make-up working days (调休) of a file.

Deadlines of the follow-up items (first contact, rectification) and the service time limits
written as "N个工作日" count working days. Without a holidays file, Monday to Friday are
working days. ``GUIDE_HOLIDAYS_FILE`` names a plain text file, one entry a line::

    # 2026 国务院办公厅节假日安排
    2026-01-01                      a day off (a bare date is a holiday)
    2026-10-01..2026-10-07 holiday  a range; "holiday" may also be written 休
    2026-10-10 workday              a make-up working day on a weekend; also 班

Everything after ``#`` is a comment. The file is read again when it changes.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from .settings import SettingsError

LINE = re.compile(r"(\d{4}-\d{1,2}-\d{1,2})(?:\s*\.\.\s*(\d{4}-\d{1,2}-\d{1,2}))?(?:\s+(\S+))?")
HOLIDAY_WORDS = {"holiday", "休", "off"}
WORKDAY_WORDS = {"workday", "班", "work"}
MAX_RANGE_DAYS = 60


class HolidaysFileError(SettingsError):
    """The holidays file has a line that is not a date, a range or a known word."""


@dataclass(frozen=True)
class Calendar:
    """Which days are working days: weekdays, minus holidays, plus make-up working days."""
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)

    def is_workday(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after ``start`` (``start`` itself never counts; n=0 is start)."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = start
        while n:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                n -= 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count


WEEKENDS_ONLY = Calendar()


def parse_holidays(text: str, source: str = "<holidays>") -> Calendar:
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = LINE.fullmatch(line)
        if not m:
            raise HolidaysFileError(f"{source}:{number}: '{line}' is not a date (YYYY-MM-DD), a range "
                                    "(YYYY-MM-DD..YYYY-MM-DD) or one of them followed by holiday/workday")
        try:
            first = dt.date.fromisoformat(_pad(m.group(1)))
            last = dt.date.fromisoformat(_pad(m.group(2))) if m.group(2) else first
        except ValueError:
            raise HolidaysFileError(f"{source}:{number}: '{line}' names a day that does not exist") from None
        if last < first or (last - first).days > MAX_RANGE_DAYS:
            raise HolidaysFileError(f"{source}:{number}: the range must run forwards and span at most "
                                    f"{MAX_RANGE_DAYS} days")
        word = (m.group(3) or "holiday").lower()
        if word in HOLIDAY_WORDS:
            target = holidays
        elif word in WORKDAY_WORDS:
            target = workdays
        else:
            raise HolidaysFileError(f"{source}:{number}: unknown word '{m.group(3)}'; write holiday (休) or "
                                    "workday (班)")
        day = first
        while day <= last:
            target.add(day)
            day += dt.timedelta(days=1)
    return Calendar(frozenset(holidays - workdays), frozenset(workdays))


def _pad(text: str) -> str:
    y, m, d = text.split("-")
    return f"{y}-{int(m):02d}-{int(d):02d}"


class CalendarSource:
    """The calendar of a holidays file (or weekends only), read again when the file changes."""

    def __init__(self, path: Path | None):
        self.path = Path(path) if path else None
        self._stamp: float | None = None
        self._calendar = WEEKENDS_ONLY
        self.get()  # a broken file stops the start-up, with its line number

    def get(self) -> Calendar:
        if self.path is None:
            return WEEKENDS_ONLY
        try:
            stamp = self.path.stat().st_mtime
        except OSError as exc:
            raise HolidaysFileError(f"{self.path}: cannot read the holidays file: {exc.strerror}") from None
        if stamp != self._stamp:
            self._calendar = parse_holidays(self.path.read_text(encoding="utf-8"), str(self.path))
            self._stamp = stamp
        return self._calendar


def local_today(zone: str) -> dt.date:
    return dt.datetime.now(ZoneInfo(zone)).date()


def local_date(moment: str | dt.datetime, zone: str) -> dt.date:
    value = dt.datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value.astimezone(ZoneInfo(zone)).date()
