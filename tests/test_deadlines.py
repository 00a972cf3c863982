"""Deadline reading: days left in the rule's unit, overdue, provisional across a year without holiday data."""

from __future__ import annotations

from datetime import date

from workflow.calendar import default_calendar
from workflow.deadlines import describe
from workflow.definitions import load_registry
from workflow.models import CaseDeadline

PROCEDURE = load_registry().get("major_decision")


def _limit(due: date, unit: str = "working_days") -> CaseDeadline:
    return CaseDeadline(case_id="houlong-MD-2026-0001", name="publication", kind="limit", started_on=date(2026, 9, 1),
                        due=due, n=20, unit=unit, provisional=False, basis="政府信息公开条例第二十六条")


def test_working_days_left_skip_the_national_day_holiday() -> None:
    view = describe(_limit(date(2026, 10, 9)), PROCEDURE, date(2026, 9, 29), default_calendar())
    # 09-30 and 10-08, 10-09 are working days; 10-01..10-07 are not.
    assert (view.remaining, view.status) == (3, "due_soon")
    assert view.summary_zh() == "剩余3个工作日"


def test_overdue_counts_working_days_past_the_due_date() -> None:
    view = describe(_limit(date(2026, 11, 20)), PROCEDURE, date(2026, 11, 25), default_calendar())
    assert (view.status, view.remaining) == ("overdue", -3)
    assert view.summary_zh() == "已逾期3个工作日"
    assert view.summary_en() == "overdue by 3 working days"


def test_deadline_in_a_year_without_data_is_provisional() -> None:
    view = describe(_limit(date(2027, 1, 20)), PROCEDURE, date(2026, 12, 28), default_calendar())
    assert view.provisional and view.summary_zh().endswith("（推算）")


def test_minimum_period_runs_until_its_last_day_has_passed() -> None:
    row = CaseDeadline(case_id="x", name="comment_period", kind="minimum", started_on=date(2026, 3, 2),
                       due=date(2026, 4, 1), n=30, unit="calendar_days", provisional=False, basis="条例第十五条")
    assert describe(row, PROCEDURE, date(2026, 4, 1), default_calendar()).status == "running"
    assert describe(row, PROCEDURE, date(2026, 4, 2), default_calendar()).status == "elapsed"
