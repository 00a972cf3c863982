"""The report's two days, from its year and the organisation's settings: to the level above by the set day
(report.report_by, [V2-weak]), to the public before 1 April of the next year (督察规定第二十四条, [V2])."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from workflow.due_rules import DueRuleTable, Paused, Setting
from workflow.procedures.rule_of_law_report.law import REPORT_BY, publication_last_day

if TYPE_CHECKING:
    from workflow.calendar import WorkCalendar

DUE_RULES = DueRuleTable("rule_of_law_report")


def _year(data: Mapping[str, Any]) -> int:
    return int((data.get("report") or {}).get("year") or 0)


@DUE_RULES.rule("report_publication_day")
def publication_day(data: Mapping[str, Any], calendar: WorkCalendar, setting: Setting) -> date | Paused:
    del calendar, setting
    return publication_last_day(_year(data))


@DUE_RULES.rule("report_reporting_day")
def reporting_day(data: Mapping[str, Any], calendar: WorkCalendar, setting: Setting) -> date | Paused:
    del calendar
    raw = setting(REPORT_BY)
    try:
        month, dd = (int(x) for x in str(raw).split("-"))
        return date(_year(data) + 1, month, dd)
    except (TypeError, ValueError):  # unset: no day binds (the publication day still does)
        return Paused(f"本单位尚未设置向上一级报告的日期（设置项 {REPORT_BY}）",
                      f"the organisation has not set the day to report to the level above ({REPORT_BY})")
