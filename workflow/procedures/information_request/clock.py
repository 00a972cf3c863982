"""The answer's due day (第三十三条), computed from what the case recorded, not from a stored date.

The 20 working days run from the day the request was received (第三十一条), or from the day the corrected request
was received (第三十条: the period starts again, it is not paused). The time a consultation needs (第三十二条 a
third party, 第三十四条 another agency) is not counted (第三十三条第三款): each consultation pauses the clock from
the day the consulted party received the letter until the day of its reply, or the day the system recorded its
silence. An extension (第三十三条第二款) adds its working days; a later deadline set for an excessive request
(第三十五条) replaces the day if later. Each of these is a fact of the case data (its steps' payloads and the
day each was recorded), so this computation is the same for the guards, the pages and a replay.

Whether the applicant's time to pay a fee (国办函〔2020〕109号) is left out of the 20 days is not settled by any text
read (legal-facts-2 §3.6, §9: 109号 art 7 not retrieved): it is the organisation's setting
`information_request.fee_time_pauses_clock` (law.FEE_TIME_PAUSES_CLOCK; unset or 0: the clock runs on), never law here.

`answer_day` is the family's due-date rule (workflow/due_rules.py): the definition's `answer_period` names it with
`due_by:`, and the engine computes it after every step, so the deadline row is paused while a consultation (or, by
the setting, a fee) runs and moves when the extension or the reply is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from workflow.calendar import WorkCalendar
from workflow.due_rules import DueRuleTable, Paused, Setting
from workflow.guards import as_date
from workflow.procedures.information_request.law import ANSWER_DAYS, FEE_TIME_PAUSES_CLOCK, OGI

DUE_RULES = DueRuleTable("information_request")


@dataclass(frozen=True)
class Pause:
    kind: str  # third_party | agency | fee (by the organisation's setting)
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


def pauses(data: Mapping[str, Any], calendar: WorkCalendar, today: date | None,
           fee_pauses: bool = False) -> list[Pause]:
    """The pauses of the clock; one still running counts the days to `today` (None: none counted yet)."""
    found = []
    for kind, started, ended, who in (("third_party", "third_party_consultations", "third_party_views", "third_party"),
                                      ("agency", "agency_consultations", "agency_views", "agency")):
        ends = _ends(data, ended)
        for i, item in enumerate(data.get(started) or []):
            start = as_date(item["letter_received_on"])
            end = ends[i] if i < len(ends) else None
            found.append(_pause(kind, str(item.get(who, "")), start, end, calendar, today))
    notice = data.get("fee_notice")
    if fee_pauses and notice:  # the organisation's setting: the days the applicant takes to pay are not counted
        paid = (data.get("payment") or {}).get("paid_on")
        found.append(_pause("fee", "", as_date(notice["notified_on"]), as_date(paid) if paid else None, calendar,
                            today))
    return found


def _pause(kind: str, party: str, start: date, end: date | None, calendar: WorkCalendar, today: date | None) -> Pause:
    until = end or today
    days = calendar.working_days_between(start, until)[0] if until else 0
    return Pause(kind, party, start, end, max(days, 0))


def answer_clock(data: Mapping[str, Any], calendar: WorkCalendar, today: date | None,
                 fee_pauses: bool = False) -> AnswerClock | None:
    """The answer period of a case whose receipt is confirmed; None before (the clock has not started)."""
    receipt = data.get("receipt")
    if not receipt:
        return None
    correction = data.get("correction")
    start = as_date((correction or receipt)["received_on"])
    base = calendar.add_working_days(start, ANSWER_DAYS).date
    found = [p for p in pauses(data, calendar, today, fee_pauses) if p.start >= start]
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


def fee_pauses(setting: Setting) -> bool:
    """The organisation's answer to whether fee time stops the clock (unset: it does not)."""
    return bool(setting(FEE_TIME_PAUSES_CLOCK))


PAUSE_REASONS = {
    "third_party": ("征求第三方「{party}」意见（{ogi}第三十二条、第三十三条第三款），自{day}起暂停计算",
                    "consulting the third party {party!r} (art. 32, 33(3)): paused since {day}"),
    "agency": ("征求「{party}」意见（{ogi}第三十四条、第三十三条第三款），自{day}起暂停计算",
               "consulting {party!r} (art. 34, 33(3)): paused since {day}"),
    "fee": ("待申请人缴纳信息处理费（本单位设置：缴费时间不计入答复期限），自{day}起暂停计算",
            "awaiting the fee (the organisation's setting: time to pay is not counted): paused since {day}"),
}


@DUE_RULES.rule("disclosure_answer_day")
def answer_day(data: Mapping[str, Any], calendar: WorkCalendar, setting: Setting) -> date | Paused:
    """The answer's due day as the recorded facts give it, or Paused while a pause runs (第三十三条第三款)."""
    clock = answer_clock(data, calendar, None, fee_pauses(setting))
    if clock is None:
        return Paused("尚未确认收到申请（第三十一条）", "receipt not confirmed yet (art. 31)")
    running = [p for p in clock.pauses if p.end is None]
    if running:
        p = running[-1]
        zh, en = PAUSE_REASONS[p.kind]
        return Paused(zh.format(party=p.party, ogi=OGI, day=p.start.isoformat()),
                      en.format(party=p.party, day=p.start.isoformat()))
    return clock.due
