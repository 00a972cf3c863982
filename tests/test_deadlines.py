"""Deadline reading: days left in the rule's unit, overdue, provisional across a year without holiday data."""

from __future__ import annotations

from datetime import date

from workflow.calendar import default_calendar
from workflow.deadlines import describe, start_period
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


def test_a_period_whose_unit_is_a_setting_counts_in_the_unit_the_organisation_set() -> None:
    """The normative filing period: its length and its unit are local rules (legal-facts-2 §1.8, [U])."""
    spec = load_registry().get("normative_document").deadlines["filing_period"]
    assert (spec.n_setting, spec.unit_setting) == ("normative.filing_days", "normative.filing_day_unit")
    calendar = default_calendar()
    published = {"published_on": "2026-04-30"}  # before the May Day holiday (1–5 May 2026)
    settings = {"normative.filing_days": 3, "normative.filing_day_unit": "working_days"}
    working = start_period(spec, published, date(2026, 4, 30), calendar, settings.__getitem__)
    assert (working.unit, working.due) == ("working_days", date(2026, 5, 8))  # 6, 7, 8 May
    settings["normative.filing_day_unit"] = "calendar_days"
    days = start_period(spec, published, date(2026, 4, 30), calendar, settings.__getitem__)
    assert (days.unit, days.due) == ("calendar_days", date(2026, 5, 6))  # 3 May is a holiday: the next working day
