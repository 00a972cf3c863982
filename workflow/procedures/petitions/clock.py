"""The due days that follow from a case's recorded facts (workflow/due_rules.py): the petition's handling day
(60 days from acceptance, or the approved extension's last day, 信访工作条例第三十四条) and the respondent's
answer day (10 working days, 5 under the simple procedure: 行政复议法第四十八条、第五十四条; the court's period,
a setting, in litigation)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from workflow.due_rules import DueRuleTable, Paused, Setting
from workflow.guards import as_date
from workflow.procedures.petitions.law import (
    ANSWER_WORKING_DAYS,
    DAY_UNIT,
    HANDLING_DAYS,
    LITIGATION_ANSWER_DAYS,
    OBJECTION_WORKING_DAYS,
    SIMPLE_ANSWER_WORKING_DAYS,
    TRANSFERRED,
)

if TYPE_CHECKING:
    from workflow.calendar import WorkCalendar

DUE_RULES = DueRuleTable("petitions")


def day_unit(setting: Setting) -> str | None:
    unit = setting(DAY_UNIT)
    return unit if unit in ("calendar_days", "working_days") else None


@DUE_RULES.rule("petition_objection_day")
def objection_day(data: Mapping[str, Any], calendar: WorkCalendar, setting: Setting) -> date | Paused:
    """第二十三条第三款 binds only transferred or assigned items: a direct item has no objection day to meet."""
    del setting
    entry = data.get("entry") or {}
    if entry.get("transferred_from") not in TRANSFERRED:
        return Paused("信访人直接提出的事项，不适用转送、交办事项的异议期限（第二十三条第三款）",
                      "a direct item: the objection period of transferred items (art 23 para 3) does not apply")
    return calendar.add_working_days(as_date(entry["received_on"]), OBJECTION_WORKING_DAYS).date


@DUE_RULES.rule("petition_handling_day")
def handling_day(data: Mapping[str, Any], calendar: WorkCalendar, setting: Setting) -> date | Paused:
    extension = data.get("extension") or {}
    if extension.get("extended_until"):
        return as_date(extension["extended_until"])
    unit = day_unit(setting)
    accepted = (data.get("acceptance") or {}).get("accepted_on")
    if unit is None or not accepted:
        return Paused(f"本单位尚未设置信访期限的计算单位（设置项 {DAY_UNIT}）",
                      f"the organisation has not set the unit of the petition periods ({DAY_UNIT})")
    return calendar.period(as_date(accepted), HANDLING_DAYS, unit).date


@DUE_RULES.rule("respondent_answer_day")
def answer_day(data: Mapping[str, Any], calendar: WorkCalendar, setting: Setting) -> date | Paused:
    notice = data.get("notice") or {}
    received = as_date(notice["received_on"])
    if notice.get("kind") == "litigation":
        days = setting(LITIGATION_ANSWER_DAYS)
        if not days:
            return Paused(f"本单位尚未设置行政诉讼答辩期限（设置项 {LITIGATION_ANSWER_DAYS}）",
                          f"the organisation has not set the period to answer a lawsuit ({LITIGATION_ANSWER_DAYS})")
        return calendar.period(received, int(days), "calendar_days").date
    n = SIMPLE_ANSWER_WORKING_DAYS if notice.get("simple_procedure") else ANSWER_WORKING_DAYS
    return calendar.add_working_days(received, n).date
