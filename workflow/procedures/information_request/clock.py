"""The answer's due day (第三十三条), computed from what the case recorded, not from a stored date.

The 20 working days run from the day the request was received (第三十一条), or from the day the corrected request
was received (第三十条: the period starts again, it is not paused). The time a consultation needs (第三十二条 a
third party, 第三十四条 another agency) is not counted (第三十三条第三款): each consultation pauses the clock from
the day the consulted party received the letter until the day of its reply, or the day the system recorded its
silence. An extension (第三十三条第二款) adds its working days; a later deadline set for an excessive request
(第三十五条) replaces the day if later. Each of these is a fact of the case data (its steps' payloads and the
day each was recorded), so this computation is the same for the guards, the pages and a replay.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from workflow.calendar import WorkCalendar
from workflow.guards import as_date
from workflow.procedures.information_request.law import ANSWER_DAYS


@dataclass(frozen=True)
class Pause:
    kind: str  # third_party | agency
    party: str
    start: date
    end: date | None  # None: still waiting for the reply
    working_days: int


@dataclass(frozen=True)
class AnswerClock:
    start: date  # the day the 20 working days count from
    restarted: bool  # from a corrected request (第三十条)
    base_due: date
    pauses: tuple[Pause, ...]
    extension_days: int
    later_due: date | None
    due: date
    running: bool  # False while a consultation is pending (the clock stands still)


def _ends(data: Mapping[str, Any], key: str) -> list[date]:
    """The end day of each consultation of one kind, in order: a reply's day or the system's record of silence."""
    ends = []
    for item in data.get(key) or []:
        day = item.get("replied_on") or item.get("recorded_on")
        ends.append(as_date(day))
    return ends


def pauses(data: Mapping[str, Any], calendar: WorkCalendar, today: date) -> list[Pause]:
    found = []
    for kind, started, ended, who in (("third_party", "third_party_consultations", "third_party_views", "third_party"),
                                      ("agency", "agency_consultations", "agency_views", "agency")):
        ends = _ends(data, ended)
        for i, item in enumerate(data.get(started) or []):
            start = as_date(item["letter_received_on"])
            end = ends[i] if i < len(ends) else None
            days = calendar.working_days_between(start, end or today)[0]
            found.append(Pause(kind, str(item.get(who, "")), start, end, max(days, 0)))
    return found


def answer_clock(data: Mapping[str, Any], calendar: WorkCalendar, today: date) -> AnswerClock | None:
    """The answer period of a case whose receipt is confirmed; None before (the clock has not started)."""
    receipt = data.get("receipt")
    if not receipt:
        return None
    correction = data.get("correction")
    start = as_date((correction or receipt)["received_on"])
    base = calendar.add_working_days(start, ANSWER_DAYS).date
    found = [p for p in pauses(data, calendar, today) if p.start >= start]
    paused = sum(p.working_days for p in found)
    due = calendar.add_working_days(base, paused).date if paused else base  # 0 days: counting needs n > 0
    extension = int((data.get("extension") or {}).get("days") or 0)
    if extension:
        due = calendar.add_working_days(due, extension).date
    later = data.get("excess_volume")
    later_due = as_date(later["later_due"]) if later else None
    if later_due and later_due > due:
        due = later_due
    return AnswerClock(start, correction is not None, base, tuple(found), extension, later_due, due,
                       all(p.end is not None for p in found))
