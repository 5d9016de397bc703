"""An enterprise's due dates as an iCalendar feed (RFC 5545, written by the icalendar library):
one all-day event per piece of equipment on its due date, with an alarm one month before (the
periodic-inspection request deadline) so a calendar app reminds whoever subscribed."""
from __future__ import annotations

import datetime as dt
from typing import Iterable

from icalendar import Alarm, Calendar, Event

from ..vocabulary import EQUIPMENT_KIND_LABELS

__all__ = ["equipment_calendar"]


def equipment_calendar(records: Iterable[dict], *, org_name: str, host: str, stamp: dt.datetime) -> bytes:
    """The feed of ``records`` (equipment in use); ``host`` makes the events' UIDs stable."""
    cal = Calendar()
    cal.add("prodid", "-//service-guide//equipment register//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{org_name} 设备检验到期")
    for r in records:
        due = dt.date.fromisoformat(r["due_date"])
        event = Event()
        event.add("uid", f"equipment-{r['id']}-cycle-{r['cycle']}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", due)
        event.add("dtend", due + dt.timedelta(days=1))
        event.add("summary", f"检验到期：{r['name']}（{r['device_code']}）")
        event.add("description", f"{EQUIPMENT_KIND_LABELS[r['kind']]} {r['device_code']}"
                                 + (f"，{r['location']}" if r.get("location") else "")
                                 + f"，检验（检定）合格有效期至 {r['due_date']}。请在有效期届满前一个月申报定期检验。")
        event.add("transp", "TRANSPARENT")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"一个月后检验到期：{r['device_code']}")
        alarm.add("trigger", dt.timedelta(days=-30))
        event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical()
