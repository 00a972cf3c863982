"""The due days of the mediation registers that follow from the recorded facts (workflow/due_rules.py): the end of a
committee's term (its last term's start + the organisation's term in years) and the last day to mediate a dispute
(its registration + the organisation's period). Both periods are the organisation's settings (law.py: legal-facts-2
§7.1 states neither); unset, the day is not counted (Paused, saying which setting is missing), never guessed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from workflow.due_rules import DueRuleTable, Paused, Setting
from workflow.guards import as_date
from workflow.procedures.mediation.law import COMMITTEE_TERM_YEARS, DISPUTE_PERIOD_DAYS

if TYPE_CHECKING:
    from workflow.calendar import WorkCalendar

DUE_RULES = DueRuleTable("mediation")


def _unset(key: str, zh: str, en: str) -> Paused:
    return Paused(f"本单位尚未设置{zh}（设置项 {key}）", f"the organisation has not set {en} ({key})")


def term_started(data: Mapping[str, Any]) -> date | None:
    """The start of the committee's current term: the last election recorded, else the entry's."""
    elections = [e for e in data.get("elections") or () if isinstance(e, Mapping) and e.get("term_started_on")]
    started = elections[-1]["term_started_on"] if elections else (data.get("entry") or {}).get("term_started_on")
    return as_date(started) if started else None


@DUE_RULES.rule("committee_term_end_day")
def committee_term_end(data: Mapping[str, Any], calendar: WorkCalendar, setting: Setting) -> date | Paused:
    """The last day of the current term: its start + the term's years, the day before the anniversary."""
    del calendar
    years, started = setting(COMMITTEE_TERM_YEARS), term_started(data)
    if not years:
        return _unset(COMMITTEE_TERM_YEARS, "人民调解委员会的任期（年）", "the committee's term of office")
    if started is None:
        return Paused("未登记本届任期开始日期", "no start of the current term is recorded")
    try:
        anniversary = started.replace(year=started.year + int(years))
    except ValueError:  # a term started on 29 February
        anniversary = started.replace(year=started.year + int(years), day=28) + timedelta(days=1)
    return anniversary - timedelta(days=1)


@DUE_RULES.rule("mediation_dispute_day")
def dispute_day(data: Mapping[str, Any], calendar: WorkCalendar, setting: Setting) -> date | Paused:
    days = setting(DISPUTE_PERIOD_DAYS)
    registered = (data.get("entry") or {}).get("registered_on")
    if not days:
        return _unset(DISPUTE_PERIOD_DAYS, "调解纠纷的期限（日）", "the period to mediate a dispute")
    if not registered:
        return Paused("未登记登记日期", "no registration day is recorded")
    return calendar.period(as_date(registered), int(days), "calendar_days").date
