"""The working-day calendar against an independent library, and the provisional calendar of a year without its
notice (issue 16, item 8).

* `holidays` (PyPI, its own China data) agrees with lawflow's calendar (definitions/calendar, seeded from
  chinesecalendar) on every day of 2015–2026: days off, make-up working days and ordinary weekdays alike.
* A year whose State Council notice is not out yet still skips the holidays 全国年节及纪念日放假办法 (2024
  revision) 第二条 fixes, lunar dates computed; every day of it stays provisional (the make-up days are unknown).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from workflow.calendar import WorkCalendar, default_calendar
from workflow.statutory_holidays import statutory_holidays

pytestmark = pytest.mark.one_database  # no database at all


def test_the_holidays_package_agrees_with_lawflow_on_every_day_of_2015_to_2026() -> None:
    holidays = pytest.importorskip("holidays")
    calendar = default_calendar()
    disagreements = []
    for year in range(2015, 2027):
        china = holidays.China(years=year)
        day = date(year, 1, 1)
        while day.year == year:
            if calendar.is_working_day(day) != china.is_working_day(day):
                disagreements.append((day, calendar.day_info(day), china.get(day)))
            day += timedelta(days=1)
    assert disagreements == []


def test_the_law_fixes_these_days_off_in_2027() -> None:
    pytest.importorskip("lunar_python")
    days = statutory_holidays(2027)
    assert days == {
        date(2027, 1, 1): "元旦",
        date(2027, 2, 5): "春节", date(2027, 2, 6): "春节", date(2027, 2, 7): "春节", date(2027, 2, 8): "春节",
        date(2027, 4, 5): "清明节", date(2027, 5, 1): "劳动节", date(2027, 5, 2): "劳动节",
        date(2027, 6, 9): "端午节", date(2027, 9, 15): "中秋节",
        date(2027, 10, 1): "国庆节", date(2027, 10, 2): "国庆节", date(2027, 10, 3): "国庆节",
    }


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_day_the_law_fixes_is_a_day_off_in_the_published_notices(year: int) -> None:
    pytest.importorskip("lunar_python")
    shipped = default_calendar().years[year]
    assert set(statutory_holidays(year)) <= shipped.holidays


def test_a_period_in_a_year_without_its_notice_skips_the_statutory_holidays_and_stays_provisional() -> None:
    pytest.importorskip("lunar_python")
    calendar = WorkCalendar(default_calendar().years)
    assert not calendar.covers(2027)
    info = calendar.day_info(date(2027, 2, 8))  # a Monday, 正月初三
    assert (info.working, info.provisional, info.name) == (False, True, "春节")
    assert calendar.day_info(date(2027, 10, 4)).working  # the notice may make it a day off: not the law
    # five working days after Thursday 4 February 2027: Fri 5th to Mon 8th are the 春节 days off
    due = calendar.add_working_days(date(2027, 2, 4), 5)
    assert (due.date, due.provisional, due.missing_years) == (date(2027, 2, 15), True, frozenset({2027}))


def test_before_the_2024_revision_no_year_is_guessed() -> None:
    assert statutory_holidays(2003) == {}
