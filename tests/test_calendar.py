"""The working-day calendar: holiday data, statutory period counting, provisional years, data validation."""

from __future__ import annotations

import importlib.util
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar as cc
import pytest

from workflow.calendar import (
    DEFAULT_CALENDAR_PATH,
    CalendarDataError,
    Deadline,
    Period,
    WorkCalendar,
    YearData,
    default_calendar,
    load_years_from_yaml,
    parse_year_notice,
)

ROOT = Path(__file__).resolve().parent.parent
D = date


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return default_calendar()


def _generator():
    spec = importlib.util.spec_from_file_location(
        "generate_holiday_data", ROOT / "scripts" / "generate_holiday_data.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# A hypothetical 2027 notice, as an administrator would enter it. Only 元旦 is used by the tests;
# it is NOT the real 2027 arrangement.
NOTICE_2027 = {
    "source": "test fixture: hypothetical 2027 notice",
    "holidays": [{"date": "2027-01-01", "name": "元旦"}],
    "workdays": [],
}


# --- the committed data ----------------------------------------------------------------------


def test_default_calendar_covers_exactly_2004_to_2026(cal):
    assert list(cal.years) == list(range(2004, 2027))
    assert not cal.covers(2003) and not cal.covers(2027)
    assert default_calendar() is cal  # cached


def test_agrees_with_chinesecalendar_every_day_2004_to_2026(cal):
    mismatches = [
        d for d in _days(D(2004, 1, 1), D(2026, 12, 31)) if cal.is_working_day(d) != cc.is_workday(d)
    ]
    assert mismatches == []


def test_holiday_and_workday_sets_and_names_match_chinesecalendar(cal):
    gen = _generator()
    for d, english in cc.holidays.items():
        assert d in cal.years[d.year].holidays
        assert cal.holiday_name(d) == gen.CHINESE_NAMES[english]
    for d, english in cc.workdays.items():
        assert d in cal.years[d.year].workdays
        assert cal.holiday_name(d) == gen.CHINESE_NAMES[english]
    assert sum(len(y.holidays) for y in cal.years.values()) == len(cc.holidays)
    assert sum(len(y.workdays) for y in cal.years.values()) == len(cc.workdays)


def test_committed_yaml_equals_generator_output():
    gen = _generator()
    committed = DEFAULT_CALENDAR_PATH.read_text(encoding="utf-8")
    assert committed == gen.generate(DEFAULT_CALENDAR_PATH), "run scripts/generate_holiday_data.py"
    # and every year chinesecalendar covers is in the file exactly as the package has it
    loaded = load_years_from_yaml(DEFAULT_CALENDAR_PATH)
    for year, data in gen.years_from_chinesecalendar().items():
        assert loaded[year] == data


def test_generator_keeps_a_hand_added_year_it_does_not_cover(tmp_path):
    gen = _generator()
    path = tmp_path / "cal.yaml"
    path.write_text(DEFAULT_CALENDAR_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text
        + '  2027:\n    source: "hand"\n    holidays:\n      - {date: 2027-01-01, name: 元旦}\n    workdays: []\n',
        encoding="utf-8",
    )
    regenerated = gen.generate(path)
    path.write_text(regenerated, encoding="utf-8")
    years = load_years_from_yaml(path)
    assert years[2027].holidays == {D(2027, 1, 1)} and years[2027].source == "hand"
    assert years[2026] == load_years_from_yaml(DEFAULT_CALENDAR_PATH)[2026]
    assert gen.main(["--check", "--output", str(path)]) == 0
    path.write_text(regenerated.replace("name: 春节", "name: 春节X", 1), encoding="utf-8")
    assert gen.main(["--check", "--output", str(path)]) == 1


def test_source_names_the_notice_without_document_numbers(cal):
    assert (
        cal.years[2026].source == "国务院办公厅关于2026年部分节假日安排的通知 (data: chinesecalendar 1.11.0)"
    )
    assert "延长2020年春节假期" in cal.years[2020].source
    assert all("〔" not in y.source for y in cal.years.values())


# --- known 2026 facts (library-notes §5) ------------------------------------------------------


def test_2026_national_day(cal):
    assert cal.add_working_days(D(2026, 9, 30), 5) == Deadline(
        D(2026, 10, 13), False, "working_days", 5, D(2026, 9, 30)
    )
    assert cal.is_working_day(D(2026, 10, 10))  # Saturday, make-up working day
    assert D(2026, 10, 10).weekday() == 5
    assert not cal.is_working_day(D(2026, 10, 7))  # Wednesday, in-lieu day off
    assert cal.holiday_name(D(2026, 10, 7)) == "国庆节"
    info = cal.day_info(D(2026, 10, 10))
    assert (info.working, info.provisional, info.kind, info.name) == (True, False, "makeup_workday", "国庆节")
    # get_workdays(2026-09-28, 2026-10-10) gives 6 days
    assert cal.working_days_between(D(2026, 9, 27), D(2026, 10, 10)) == (6, False)
    assert cal.add_working_days(D(2026, 10, 8), -1).date == D(2026, 9, 30)


def test_2026_make_up_working_days(cal):
    assert sorted(cal.years[2026].workdays) == [
        D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)
    ]  # fmt: skip
    for d in cal.years[2026].workdays:
        assert d.weekday() >= 5 and cal.is_working_day(d)


def test_ordinary_days(cal):
    assert cal.is_working_day(D(2026, 3, 2))  # Monday
    assert not cal.is_working_day(D(2026, 3, 7))  # Saturday
    assert cal.day_info(D(2026, 3, 8)).kind == "weekend"
    assert cal.holiday_name(D(2026, 3, 2)) is None


@pytest.mark.parametrize(
    ("year", "first", "last", "make_up"),
    [
        (2020, D(2020, 1, 24), D(2020, 2, 2), [D(2020, 1, 19)]),  # extended; 2020-02-01 no longer worked
        (2023, D(2023, 1, 21), D(2023, 1, 27), [D(2023, 1, 28), D(2023, 1, 29)]),
        (2024, D(2024, 2, 10), D(2024, 2, 17), [D(2024, 2, 4), D(2024, 2, 18)]),
        (2025, D(2025, 1, 28), D(2025, 2, 4), [D(2025, 1, 26), D(2025, 2, 8)]),
        (2026, D(2026, 2, 15), D(2026, 2, 23), [D(2026, 2, 14), D(2026, 2, 28)]),
    ],
)
def test_spring_festival_spans(cal, year, first, last, make_up):
    span = _days(first, last)
    assert all(not cal.is_working_day(d) and cal.holiday_name(d) == "春节" for d in span)
    assert cal.is_working_day(first - timedelta(days=1)) or (first - timedelta(days=1)).weekday() >= 5
    listed = sorted(
        d for d, n in cal.years[year].names.items() if n == "春节" and d in cal.years[year].holidays
    )
    assert listed == span
    assert sorted(d for d in cal.years[year].workdays if cal.holiday_name(d) == "春节") == make_up
    assert all(cal.is_working_day(d) for d in make_up)


def test_combined_festivals_follow_chinesecalendar(cal):
    # 2020: Mid-autumn fell on 10-01, the whole span is 国庆节; 2023: 09-29 中秋节, then 国庆节.
    assert {cal.holiday_name(d) for d in _days(D(2020, 10, 1), D(2020, 10, 8))} == {"国庆节"}
    assert cal.holiday_name(D(2023, 9, 29)) == "中秋节"
    assert {cal.holiday_name(d) for d in _days(D(2023, 9, 30), D(2023, 10, 6))} == {"国庆节"}


# --- counting rules ---------------------------------------------------------------------------


def test_counting_starts_the_day_after_the_trigger(cal):
    # 民法典 art 201: a Monday trigger, 1 working day -> Tuesday, 1 calendar day -> Tuesday
    assert cal.add_working_days(D(2026, 3, 2), 1).date == D(2026, 3, 3)
    assert cal.add_calendar_days(D(2026, 3, 2), 1).date == D(2026, 3, 3)
    # a Friday trigger: the next working day is Monday
    assert cal.add_working_days(D(2026, 3, 6), 1).date == D(2026, 3, 9)


def test_legality_review_minimum_of_7_working_days_over_national_day(cal):
    # 重大行政决策程序暂行条例 art 26: 不少于7个工作日; submitted Monday 2026-09-28
    dl = cal.period(D(2026, 9, 28), 7, "working_days")
    assert dl.date == D(2026, 10, 13) and not dl.provisional and dl.unit == "working_days"


def test_calendar_days_roll_past_national_day(cal):
    # 30 days from 2026-09-01 is 2026-10-01 (国庆节) -> moves to 2026-10-08 (民法典 art 203)
    dl = cal.add_calendar_days(D(2026, 9, 1), 30)
    assert dl == Deadline(
        D(2026, 10, 8), False, "calendar_days", 30, D(2026, 9, 1), frozenset(), D(2026, 10, 1)
    )
    assert cal.add_calendar_days(D(2026, 9, 1), 30, roll_past_holiday=False).date == D(2026, 10, 1)
    assert cal.period(D(2026, 9, 1), 30, "calendar_days").date == D(2026, 10, 8)


def test_calendar_days_roll_past_weekend_but_not_make_up_saturday(cal):
    sunday = cal.add_calendar_days(D(2026, 2, 28), 8)  # 2026-03-08 is a Sunday
    assert (sunday.date, sunday.rolled_from) == (D(2026, 3, 9), D(2026, 3, 8))
    saturday = cal.add_calendar_days(D(2026, 9, 10), 30)  # 2026-10-10, make-up working Saturday
    assert (saturday.date, saturday.rolled_from) == (D(2026, 10, 10), None)


def test_calendar_days_backwards_are_not_rolled(cal):
    # "七日前": 7 days before 2026-10-08 is 2026-10-01 (a holiday) and stays there
    dl = cal.add_calendar_days(D(2026, 10, 8), -7)
    assert (dl.date, dl.provisional, dl.rolled_from) == (D(2026, 10, 1), False, None)


def test_working_days_between_inverts_add_working_days_and_is_antisymmetric(cal):
    for start in _days(D(2026, 9, 15), D(2026, 10, 15)):
        assert cal.working_days_between(start, start) == (0, False)
        for n in (1, 2, 5, 7, 20):
            dl = cal.add_working_days(start, n)
            assert cal.working_days_between(start, dl.date) == (n, False)
            assert cal.working_days_between(dl.date, start) == (-n, False)
            assert cal.is_working_day(dl.date)
        for n in (-1, -7):
            back = cal.add_working_days(start, n).date
            assert cal.is_working_day(back)
            assert cal.working_days_between(back, start)[0] == -n - (0 if cal.is_working_day(start) else 1)
    assert cal.working_days_between(D(2026, 10, 13), D(2026, 9, 30)) == (-5, False)
    # overdue: deadline Friday 2026-10-09, today Monday 10-12 -> Saturday 10-10 (worked) and Monday
    assert cal.working_days_between(D(2026, 10, 12), D(2026, 10, 9)) == (-2, False)


def test_calendar_days_between(cal):
    assert cal.calendar_days_between(D(2026, 9, 1), D(2026, 10, 1)) == 30
    assert cal.calendar_days_between(D(2026, 10, 1), D(2026, 9, 1)) == -30


def test_zero_and_bad_arguments_are_refused(cal):
    with pytest.raises(ValueError, match="non-zero"):
        cal.add_working_days(D(2026, 3, 2), 0)
    with pytest.raises(TypeError, match="local_date"):
        cal.is_working_day(datetime(2026, 10, 1, 20, 0))
    with pytest.raises(TypeError):
        cal.add_working_days(D(2026, 3, 2), 2.0)  # type: ignore[arg-type]


def test_period_rejects_an_unknown_unit_by_name(cal):
    with pytest.raises(ValueError, match="'weeks'"):
        cal.period(D(2026, 3, 2), 2, "weeks")
    with pytest.raises(ValueError, match="'workdays'"):
        Period(3, "workdays")  # type: ignore[arg-type]


def test_period_labels():
    assert Period(30, "calendar_days").label_zh() == "30日"
    assert Period(7, "working_days").label_zh() == "7个工作日"
    assert Period(30, "calendar_days").label_en() == "30 days"
    assert Period(7, "working_days").label_en() == "7 working days"
    assert Period(1, "working_days").label_en() == "1 working day"
    with pytest.raises(ValueError):
        Period(0, "calendar_days")


def test_period_deadline_from(cal):
    dl = Period(7, "working_days").deadline_from(D(2026, 9, 28), cal)
    assert dl.date == D(2026, 10, 13) and dl.period == Period(7, "working_days")


# --- years without data -----------------------------------------------------------------------


def test_crossing_into_2027_is_provisional_and_counts_weekdays_but_the_statutory_holidays(cal):
    # after Sunday 2026-12-20: Dec 21-25, 28-31 (9), then 2027 on Mon–Fri less the days the law fixes
    # (workflow/statutory_holidays.py): Jan 1 is 元旦, so Jan 4-8 (14), Jan 11-15 (19), Jan 18 (20)
    dl = cal.add_working_days(D(2026, 12, 20), 20)
    assert dl.date == D(2027, 1, 18)
    assert dl.provisional and dl.missing_years == {2027}
    assert cal.working_days_between(D(2026, 12, 20), D(2027, 1, 18)) == (20, True)
    info = cal.day_info(D(2027, 1, 1))
    assert (info.working, info.provisional, info.name) == (False, True, "元旦")


def test_a_deadline_inside_2026_is_not_provisional(cal):
    dl = cal.add_working_days(D(2026, 12, 20), 9)
    assert dl.date == D(2026, 12, 31) and not dl.provisional and dl.missing_years == frozenset()


def test_calendar_roll_over_consulting_2027_is_provisional(cal):
    dl = cal.add_calendar_days(D(2026, 12, 27), 10)  # lands on Wednesday 2027-01-06
    assert dl.date == D(2027, 1, 6) and dl.provisional
    fixed = cal.add_calendar_days(D(2026, 12, 27), 10, roll_past_holiday=False)
    assert fixed.date == D(2027, 1, 6) and not fixed.provisional
    weekend = cal.add_calendar_days(D(2026, 12, 27), 13)  # Saturday 2027-01-09 -> Monday
    assert (weekend.date, weekend.provisional) == (D(2027, 1, 11), True)
    # a calendar-day deadline that needs no 2027 day is exact
    assert not cal.add_calendar_days(D(2026, 12, 1), 30).provisional


def test_years_before_2004_are_provisional_too(cal):
    assert cal.add_working_days(D(2003, 12, 30), 1).provisional


def test_admin_added_2027_removes_the_provisional_flag(cal):
    extended = cal.with_years({2027: parse_year_notice(2027, NOTICE_2027)})
    dl = extended.add_working_days(D(2026, 12, 20), 20)
    assert not dl.provisional and dl.missing_years == frozenset()
    assert dl.date == D(2027, 1, 18)  # 2027-01-01 is now a holiday
    assert not extended.is_working_day(D(2027, 1, 1)) and extended.holiday_name(D(2027, 1, 1)) == "元旦"
    assert extended.covers(2027) and not cal.covers(2027)  # the default calendar is untouched
    assert cal.add_working_days(D(2026, 12, 20), 20).provisional


def test_admin_year_overrides_a_committed_year(cal):
    year = parse_year_notice(
        2026, {"source": "corrected", "holidays": [{"date": "2026-01-01", "name": "元旦"}], "workdays": []}
    )
    overridden = cal.with_years([year])
    assert overridden.is_working_day(D(2026, 10, 7)) and not overridden.is_working_day(D(2026, 10, 10))
    assert overridden.years[2026].source == "corrected"


def test_work_calendar_checks_year_keys():
    year = parse_year_notice(2027, NOTICE_2027)
    with pytest.raises(ValueError, match="2028"):
        WorkCalendar({2028: year})
    assert WorkCalendar().day_info(D(2026, 10, 1)).provisional


# --- validation of data -----------------------------------------------------------------------


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "holidays.yaml"
    path.write_text(body, encoding="utf-8")
    return path


GOOD_YEAR = """\
years:
  2026:
    source: "notice"
    holidays:
      - {date: 2026-10-01, name: 国庆节}
    workdays:
      - {date: 2026-10-10, name: 国庆节}
"""


def test_a_small_valid_file_loads(tmp_path):
    years = load_years_from_yaml(_write(tmp_path, GOOD_YEAR))
    assert years == {
        2026: YearData(2026, frozenset({D(2026, 10, 1)}), frozenset({D(2026, 10, 10)}), "notice",
                       {D(2026, 10, 1): "国庆节", D(2026, 10, 10): "国庆节"})
    }  # fmt: skip


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (GOOD_YEAR.replace("2026-10-01", "2025-12-31"), ["year 2026", "holidays[0].date", "outside its year 2026"]),
        (GOOD_YEAR.replace("2026-10-10", "2026-10-01"), ["year 2026", "workdays[0].date", "both a holiday and a make-up"]),
        (GOOD_YEAR.replace("2026-10-10", "2026-10-12"), ["year 2026", "workdays[0].date", "Monday", "Saturday or Sunday"]),
        (GOOD_YEAR.replace('    source: "notice"\n', ""), ["year 2026", "years.2026.source", "Missing data"]),
        (GOOD_YEAR.replace("      - {date: 2026-10-10, name: 国庆节}\n", "").replace("    workdays:\n", ""),
         ["years.2026.workdays", "Missing data"]),
        (GOOD_YEAR.replace("name: 国庆节}\n    workdays", "nmae: 国庆节}\n    workdays"),
         ["years.2026.holidays[0].nmae", "Unknown field", "holidays[0].name"]),
        (GOOD_YEAR.replace("2026-10-01", "2026-13-01"), ["holidays[0].date", "Not a valid date"]),
        (GOOD_YEAR.replace("2026-10-01", "2026-10-01 09:00:00"), ["holidays[0].date", "Not a valid date"]),
        (GOOD_YEAR.replace("  2026:", "  '2026':"), ["years.2026", "Not a valid integer"]),
        (GOOD_YEAR.replace("    holidays:\n      - {date: 2026-10-01, name: 国庆节}\n", "    holidays: []\n"),
         ["years.2026.holidays", "no holidays listed"]),
        (GOOD_YEAR + "      - {date: 2026-10-10}\n", ["workdays[1].date", "listed twice"]),
        (GOOD_YEAR.replace("years:", "yeras:"), ["yeras", "Unknown field"]),
        ("years:\n  2026: [1, 2]\n", ["year 2026", "expected a mapping"]),
        ("years: {2026: {source: x, holidays: [{date: 2026-10-01, name: a}]\n", ["invalid YAML"]),
        (GOOD_YEAR.replace("2026-10-01", "2026-02-30"), ["year 2026", "holidays[0].date", "Not a valid date"]),
        ("", ["empty"]),
        ("- 2026\n", ["expected a mapping"]),
    ],
)  # fmt: skip
def test_malformed_files_are_refused_naming_file_and_reason(tmp_path, body, expected):
    path = _write(tmp_path, body)
    with pytest.raises(CalendarDataError) as info:
        load_years_from_yaml(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    for fragment in expected:
        assert fragment in message, message
    assert isinstance(info.value, ValueError)


def test_every_problem_in_a_file_is_reported(tmp_path):
    body = GOOD_YEAR.replace("2026-10-01", "2025-12-31") + GOOD_YEAR.replace("years:\n", "").replace(
        "2026", "2024"
    )
    body = body.replace("2024-10-10", "2024-10-08")  # a Tuesday
    with pytest.raises(CalendarDataError) as info:
        load_years_from_yaml(_write(tmp_path, body))
    years = {p.year for p in info.value.problems}
    assert years == {2026, 2024}, str(info.value)


def test_parse_year_notice_names_origin_year_and_reason():
    bad = {**NOTICE_2027, "workdays": [{"date": "2027-01-04", "name": "元旦"}]}  # a Monday
    with pytest.raises(CalendarDataError) as info:
        parse_year_notice(2027, bad, origin="国务院办公厅通知 (entered by admin)")
    message = str(info.value)
    assert message.startswith("国务院办公厅通知 (entered by admin): year 2027: workdays[0].date:"), message
    assert info.value.problems[0].path == "workdays[0].date"
    with pytest.raises(CalendarDataError, match="year 2027: holidays\\[0\\].date: 2026-12-31 is outside"):
        parse_year_notice(2027, {**NOTICE_2027, "holidays": [{"date": "2026-12-31", "name": "x"}]})
    with pytest.raises(CalendarDataError, match="disagrees with the year 2027"):
        parse_year_notice(2027, {**NOTICE_2027, "year": 2028})
    with pytest.raises(CalendarDataError, match="without a time"):
        parse_year_notice(
            2027, {**NOTICE_2027, "holidays": [{"date": datetime(2027, 1, 1, 8), "name": "元旦"}]}
        )
    with pytest.raises(CalendarDataError, match="name: must not be blank"):
        parse_year_notice(2027, {**NOTICE_2027, "holidays": [{"date": "2027-01-01", "name": "  "}]})


def test_year_data_enforces_the_same_rules():
    with pytest.raises(ValueError, match="both a holiday and a make-up"):
        YearData(2027, frozenset({D(2027, 1, 2)}), frozenset({D(2027, 1, 2)}), "x")
    with pytest.raises(ValueError, match="outside its year"):
        YearData(2027, frozenset({D(2026, 1, 1)}), frozenset(), "x")


def test_working_days_between_equals_counting_day_by_day(cal):
    """The per-year cumulative counts give what counting each day of (a, b] gives, across year ends and into
    years without data (provisional), in both directions."""
    import random

    def by_day(a: date, b: date) -> tuple[int, bool]:
        lo, hi, sign = (a, b, 1) if a <= b else (b, a, -1)
        days = [lo + timedelta(days=i) for i in range(1, (hi - lo).days + 1)]
        return sign * sum(cal.is_working_day(d) for d in days), any(not cal.covers(d.year) for d in days)

    rng = random.Random(5)
    pairs = [(date(2026, 12, 31), date(2027, 1, 1)), (date(2025, 12, 31), date(2026, 12, 31)),
             (date(2026, 3, 2), date(2026, 3, 2)), (date(2024, 2, 28), date(2024, 3, 1))]
    for _ in range(300):
        a = date(2023, 1, 1) + timedelta(days=rng.randrange(5 * 365))
        pairs.append((a, a + timedelta(days=rng.randrange(-900, 900))))
    for a, b in pairs:
        assert cal.working_days_between(a, b) == by_day(a, b), (a, b)
