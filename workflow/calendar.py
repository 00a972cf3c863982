"""Working days and statutory periods on the Chinese public-holiday calendar.

Pure: no database and no I/O except the explicit loaders (`load_years_from_yaml`, `default_calendar`).

How periods are counted (see /work/shared/domain/legal-facts.md §1):

* 民法典 art 201: a period counted in days starts on the day AFTER the triggering day, so the
  trigger day itself is never counted (`add_working_days`, `add_calendar_days`).
* 民法典 art 202: a period in months or years ends on the corresponding date. Not implemented
  here: no rule the engine encodes so far is counted in months.
* 民法典 art 203: if the last day of a period is a statutory rest day (法定休假日), the day after
  the rest day(s) becomes the last day; the last day ends at 24:00, or at close of business
  where business hours apply (`add_calendar_days(..., roll_past_holiday=True)`).
* Special laws choose working days for some periods, e.g. 行政处罚法 art 85 ("二日、三日、五日、七日"
  are working days, statutory holidays excluded) and 重大行政决策程序暂行条例 art 26 (the legality
  review gets "不少于7个工作日"). Which unit a rule uses is recorded per rule in the definitions,
  never assumed globally; `WorkCalendar.period` dispatches on that unit.

Working days follow the State Council's yearly holiday notice (国务院办公厅关于××年部分节假日安排的
通知), including make-up working days on weekends (调休上班). The notice is published each year, so the
calendar is data: `definitions/calendar/cn-public-holidays.yaml` (seeded from `chinesecalendar`,
which covers 2004–2026 only) plus years an administrator adds with `parse_year_notice`. For a year
without data, Monday–Friday count as working days except the holidays the law itself fixes
(workflow/statutory_holidays.py: 全国年节及纪念日放假办法 as revised in 2024, lunar dates computed), and
every result that relied on such a day is marked provisional, never silently presented as exact: only the
notice's make-up working days and in-lieu days are unknown.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

import yaml
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from workflow.statutory_holidays import statutory_holidays

__all__ = [
    "CALENDAR_DAYS",
    "DEFAULT_CALENDAR_PATH",
    "UNITS",
    "WORKING_DAYS",
    "CalendarDataError",
    "DayInfo",
    "Deadline",
    "Period",
    "Problem",
    "Unit",
    "WorkCalendar",
    "YearData",
    "default_calendar",
    "load_years_from_yaml",
    "parse_year_notice",
    "read_year_notice",
]

WORKING_DAYS: Literal["working_days"] = "working_days"
CALENDAR_DAYS: Literal["calendar_days"] = "calendar_days"
Unit = Literal["working_days", "calendar_days"]
UNITS: tuple[str, ...] = (WORKING_DAYS, CALENDAR_DAYS)

DEFAULT_CALENDAR_PATH = (
    Path(__file__).resolve().parent.parent / "definitions" / "calendar" / "cn-public-holidays.yaml"
)

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5
# A sane window for year keys; it also keeps date arithmetic away from date.min/date.max.
_MIN_YEAR, _MAX_YEAR = 1949, 2200


def _check_unit(unit: object) -> Unit:
    if unit == WORKING_DAYS:
        return WORKING_DAYS
    if unit == CALENDAR_DAYS:
        return CALENDAR_DAYS
    raise ValueError(f"unknown period unit {unit!r}: expected 'working_days' or 'calendar_days'")


def _as_date(value: object, what: str = "date") -> date:
    # A datetime is a date subclass, but which calendar day it falls on depends on the time zone:
    # statutory periods count Beijing dates, so the caller must convert (workflow.clock.local_date).
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(
            f"{what} must be a datetime.date (got {type(value).__name__}); "
            "convert a datetime with workflow.clock.local_date first"
        )
    return value


def _check_n(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"the number of days must be an int, got {type(n).__name__}")
    if n == 0:
        raise ValueError(
            "the number of days must be non-zero: counting starts the day after the trigger (民法典 art 201)"
        )
    return n


# --------------------------------------------------------------------------------------------
# Data for one year
# --------------------------------------------------------------------------------------------


def _year_problems(
    year: int, holidays: Iterable[date], workdays: Iterable[date]
) -> list[tuple[tuple[Any, ...], str]]:
    """Consistency rules for one year's notice, shared by the schema and `YearData`.

    Returns (path, reason) pairs; a path is a tuple such as ("holidays", 3, "date").
    """
    problems: list[tuple[tuple[Any, ...], str]] = []
    seen: dict[date, tuple[Any, ...]] = {}
    for key, days in (("holidays", list(holidays)), ("workdays", list(workdays))):
        for i, d in enumerate(days):
            path = (key, i, "date")
            if d.year != year:
                problems.append((path, f"{d.isoformat()} is outside its year {year}"))
            if key == "workdays" and d.weekday() < _SATURDAY:
                problems.append(
                    (
                        path,
                        f"{d.isoformat()} is a {d.strftime('%A')}: a make-up working day (调休上班) must fall on a Saturday or Sunday",
                    )
                )
            if d in seen:
                first_key, first_i, _ = seen[d]
                if first_key == key:
                    problems.append(
                        (path, f"{d.isoformat()} is listed twice in {key} (also at {key}[{first_i}])")
                    )
                else:
                    problems.append(
                        (
                            path,
                            f"{d.isoformat()} is both a holiday and a make-up working day (holidays[{first_i}])",
                        )
                    )
            else:
                seen[d] = path
    return problems


@dataclass(frozen=True)
class YearData:
    """One year of the State Council's holiday notice.

    `holidays` are the statutory days off the notice lists (the festivals, in-lieu days, and any
    weekend days inside a holiday span); ordinary weekends are not listed. `workdays` are the
    make-up working days (调休上班), always a Saturday or Sunday. `names` maps each listed date to
    the holiday it belongs to (e.g. 国庆节). `source` names the notice the data was taken from.
    """

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str
    names: Mapping[date, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        object.__setattr__(self, "names", MappingProxyType(dict(self.names)))
        if isinstance(self.year, bool) or not isinstance(self.year, int):
            raise TypeError(f"year must be an int, got {self.year!r}")
        for d in (*self.holidays, *self.workdays):
            _as_date(d, "a holiday or workday")
        problems = _year_problems(self.year, sorted(self.holidays), sorted(self.workdays))
        if problems:
            raise ValueError(f"year {self.year}: " + "; ".join(reason for _, reason in problems))

    def name_of(self, d: date) -> str | None:
        """The holiday a listed date belongs to, or None."""
        return self.names.get(d)


# --------------------------------------------------------------------------------------------
# Validation of calendar data (marshmallow 4)
# --------------------------------------------------------------------------------------------


class Problem(NamedTuple):
    """One thing wrong with calendar data: where (year and field path) and why."""

    year: int | None
    path: str
    reason: str
    line: int | None = None  # 1-based line of the text it was read from, where known (read_year_notice)


class CalendarDataError(ValueError):
    """Calendar data was refused. The message names the file (or origin), the year/path and the reason."""

    def __init__(self, origin: str, problems: Iterable[Problem]) -> None:
        self.origin = origin
        self.problems: tuple[Problem, ...] = tuple(problems)
        lines = []
        for p in self.problems:
            where = [origin]
            if p.year is not None:
                where.append(f"year {p.year}")
            if p.line is not None:
                where.append(f"line {p.line}")
            if p.path:
                where.append(p.path)
            lines.append(": ".join([*where, p.reason]))
        super().__init__("\n".join(lines) or f"{origin}: invalid calendar data")


class _DayField(fields.Date):
    """An ISO date (or a date YAML already parsed). A datetime is refused: a notice lists days."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> date:
        if isinstance(value, datetime):
            raise ValidationError(f"expected a date without a time, got {value.isoformat()}")
        return super()._deserialize(value, attr, data, **kwargs)


_NON_BLANK = validate.Regexp(r"\s*\S", error="must not be blank")


class _HolidaySchema(Schema):
    date = _DayField(required=True)
    name = fields.Str(required=True, validate=_NON_BLANK)


class _WorkdaySchema(Schema):
    date = _DayField(required=True)
    # The holiday the make-up day belongs to (e.g. 国庆节); optional because some notices don't say.
    name = fields.Str(load_default=None, validate=_NON_BLANK)


class YearNoticeSchema(Schema):
    """One year of the holiday notice, as stored in the YAML file or supplied by an administrator."""

    year = fields.Int(required=True, strict=True, validate=validate.Range(min=_MIN_YEAR, max=_MAX_YEAR))
    source = fields.Str(required=True, validate=_NON_BLANK)
    holidays = fields.List(
        fields.Nested(_HolidaySchema),
        required=True,
        # An empty list almost certainly means a notice was not entered, and would wrongly make
        # the year count as exact; every notice so far lists at least 元旦.
        validate=validate.Length(min=1, error="no holidays listed; every State Council notice lists some"),
    )
    # Required (possibly empty) so that forgetting the 调休 working days is an error, not a default.
    workdays = fields.List(fields.Nested(_WorkdaySchema), required=True)

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        problems = _year_problems(
            data["year"],
            (h["date"] for h in data["holidays"]),
            (w["date"] for w in data["workdays"]),
        )
        if not problems:
            return
        errors: dict[Any, Any] = {}
        for path, reason in problems:
            node = errors
            for part in path[:-1]:
                node = node.setdefault(part, {})
            node.setdefault(path[-1], []).append(reason)
        raise ValidationError(errors)


class _DateAsTextLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader that leaves dates as text, so a bad date (2026-02-30) is reported by the schema
    with its year and path instead of aborting the whole parse."""


_DateAsTextLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)


class _FileSchema(Schema):
    years = fields.Dict(
        keys=fields.Int(strict=True, validate=validate.Range(min=_MIN_YEAR, max=_MAX_YEAR)),
        values=fields.Raw(),
        required=True,
    )


_YEAR_SCHEMA = YearNoticeSchema()
_FILE_SCHEMA = _FileSchema()


def _flatten(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested error messages -> (dotted path, reason) pairs, e.g. holidays[3].date."""
    if isinstance(messages, Mapping):
        out: list[tuple[str, str]] = []
        for key, sub in messages.items():
            if key == "_schema":
                path = prefix
            elif isinstance(key, int):
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            out.extend(_flatten(sub, path))
        return out
    if isinstance(messages, list | tuple):
        return [pair for m in messages for pair in _flatten(m, prefix)]
    return [(prefix, str(messages))]


def _load_year(year: int, mapping: object, origin: str, path_prefix: str = "") -> YearData:
    if not isinstance(mapping, Mapping):
        raise CalendarDataError(
            origin, [Problem(year, path_prefix, "expected a mapping with source, holidays and workdays")]
        )
    data = dict(mapping)
    if "year" in data and data["year"] != year:
        raise CalendarDataError(
            origin,
            [
                Problem(
                    year,
                    f"{path_prefix}.year" if path_prefix else "year",
                    f"{data['year']!r} disagrees with the year {year}",
                )
            ],
        )
    data["year"] = year
    try:
        loaded = _YEAR_SCHEMA.load(data)
    except ValidationError as err:
        problems = [
            Problem(year, f"{path_prefix}.{p}" if path_prefix and p else (p or path_prefix), reason)
            for p, reason in _flatten(err.messages)
        ]
        raise CalendarDataError(origin, problems) from None
    names = {h["date"]: h["name"] for h in loaded["holidays"]}
    names.update({w["date"]: w["name"] for w in loaded["workdays"] if w["name"] is not None})
    return YearData(
        year=year,
        holidays=frozenset(h["date"] for h in loaded["holidays"]),
        workdays=frozenset(w["date"] for w in loaded["workdays"]),
        source=loaded["source"].strip(),
        names=names,
    )


def parse_year_notice(year: int, mapping: Mapping[str, Any], origin: str | None = None) -> YearData:
    """Validate one year supplied by an administrator (e.g. 2027, typed in from the State Council notice).

    `mapping` has the same shape as a year in the YAML file: ``source`` (the notice), ``holidays``
    (a list of ``{date, name}``) and ``workdays`` (make-up working days, a list of ``{date, name?}``;
    may be empty but must be present). Dates may be ISO strings. Raises `CalendarDataError` naming
    `origin`, the year, the field path and the reason.
    """
    if isinstance(year, bool) or not isinstance(year, int):
        raise CalendarDataError(
            origin or "year notice", [Problem(None, "year", f"{year!r} is not an integer year")]
        )
    return _load_year(year, mapping, origin or f"administrator-supplied notice for {year}")


def read_year_notice(year: int, text: str, source: str, origin: str) -> tuple[YearData, dict[str, Any]]:
    """One year of the notice as an administrator supplies it: YAML (or JSON) text with ``holidays`` and
    ``workdays`` as in `parse_year_notice`, and optionally its own ``source`` (else `source` is used).

    Returns the validated year and the JSON-safe mapping to store (dates stay ISO text). Raises
    `CalendarDataError` naming `origin`, the year, the line of the text where it can be told, the field path
    and the reason. The command line and the administration pages both read a notice with this.
    """
    try:
        raw = yaml.load(text, Loader=_DateAsTextLoader)  # a SafeLoader subclass: safe
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        reason = f"invalid YAML: {getattr(err, 'problem', None) or err}"
        raise CalendarDataError(origin, [Problem(year, "", reason, mark.line + 1 if mark else None)]) from None
    if not isinstance(raw, Mapping):
        raise CalendarDataError(origin, [Problem(year, "", "expected a mapping with holidays and workdays", 1)])
    mapping = {str(k): v for k, v in raw.items()}
    mapping.setdefault("source", source)
    try:
        data = parse_year_notice(year, mapping, origin)
    except CalendarDataError as err:
        raise CalendarDataError(origin, [p._replace(line=_line_of(text, p.path)) for p in err.problems]) from None
    return data, mapping


def _line_of(text: str, path: str) -> int | None:
    """The 1-based line of the YAML node at `path` (e.g. holidays[3].date), or of its nearest parent."""
    try:
        node = yaml.compose(text, Loader=_DateAsTextLoader)
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for part in re.findall(r"[^.\[\]]+", path):
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def load_years_from_yaml(path: str | Path) -> dict[int, YearData]:
    """Load and validate a holiday-calendar YAML file (shape: ``years: {2026: {source, holidays, workdays}}``).

    A malformed file is refused whole with `CalendarDataError`, whose message names the file, the
    year and field path, and the reason. A file that cannot be read raises `OSError` as usual.
    """
    path = Path(path)
    origin = str(path)
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.load(text, Loader=_DateAsTextLoader)  # a SafeLoader subclass: safe
    except yaml.YAMLError as err:
        raise CalendarDataError(origin, [Problem(None, "", f"invalid YAML: {err}")]) from None
    except ValueError as err:  # e.g. 2026-02-30: PyYAML's date constructor raises ValueError
        raise CalendarDataError(origin, [Problem(None, "", f"invalid value in YAML: {err}")]) from None
    if raw is None:
        raise CalendarDataError(
            origin, [Problem(None, "", "the file is empty; expected a mapping with 'years'")]
        )
    if not isinstance(raw, Mapping):
        raise CalendarDataError(
            origin, [Problem(None, "", "expected a mapping with 'years' at the top level")]
        )
    try:
        top = _FILE_SCHEMA.load(raw)
    except ValidationError as err:
        raise CalendarDataError(origin, [Problem(None, p, r) for p, r in _flatten(err.messages)]) from None
    years: dict[int, YearData] = {}
    problems: list[Problem] = []
    for year, mapping in top["years"].items():
        try:
            years[year] = _load_year(year, mapping, origin, path_prefix=f"years.{year}")
        except CalendarDataError as err:
            problems.extend(err.problems)
    if problems:
        raise CalendarDataError(origin, problems)
    return dict(sorted(years.items()))


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """The last day of a period.

    The period ends at 24:00 of `date` (or at close of business where business hours apply,
    民法典 art 203 para 2). `provisional` is True iff some day examined to compute it falls in a
    year without holiday data (`missing_years`), where Monday–Friday were assumed to be working
    days: show it as provisional and recompute once that year's notice is entered. `rolled_from`
    is the unadjusted last day when 民法典 art 203 moved it past a rest day.
    """

    date: date
    provisional: bool
    unit: Unit
    n: int
    basis_start: date
    missing_years: frozenset[int] = frozenset()
    rolled_from: date | None = None

    @property
    def period(self) -> Period:
        """The period counted, e.g. Period(7, 'working_days'); for a backward count n is negative."""
        return Period(abs(self.n), self.unit)


class DayInfo(NamedTuple):
    """What the calendar knows about one day."""

    date: date
    working: bool
    provisional: bool  # True: the year has no data, Monday–Friday was assumed
    kind: Literal["workday", "weekend", "holiday", "makeup_workday"]
    name: str | None  # the holiday a listed day belongs to


@dataclass(frozen=True)
class Period:
    """A statutory period: `n` days in a unit (`working_days` or `calendar_days`), e.g. 30日, 7个工作日."""

    n: int
    unit: Unit

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit", _check_unit(self.unit))
        if isinstance(self.n, bool) or not isinstance(self.n, int):
            raise TypeError(f"a period length must be an int, got {self.n!r}")
        if self.n < 1:
            raise ValueError(f"a period length must be at least 1 day, got {self.n}")

    def label_zh(self) -> str:
        """E.g. "30日" or "7个工作日" (the wording the statutes use, in Arabic numerals)."""
        return f"{self.n}个工作日" if self.unit == WORKING_DAYS else f"{self.n}日"

    def label_en(self) -> str:
        """E.g. "30 days" or "7 working days"."""
        noun = "working day" if self.unit == WORKING_DAYS else "day"
        return f"{self.n} {noun}" if self.n == 1 else f"{self.n} {noun}s"

    def deadline_from(self, start: date, calendar: WorkCalendar | None = None) -> Deadline:
        """The last day of this period counted from the trigger day `start`."""
        return (calendar or default_calendar()).period(start, self.n, self.unit)


# --------------------------------------------------------------------------------------------
# The calendar
# --------------------------------------------------------------------------------------------


class WorkCalendar:
    """Working days from per-year holiday data; Monday–Friday, flagged provisional, for other years.

    Immutable: `with_years` returns a new calendar, so one instance can be shared across threads.
    """

    __slots__ = ("_counts", "_years")

    def __init__(self, years: Mapping[int, YearData] | None = None) -> None:
        checked: dict[int, YearData] = {}
        for key, data in (years or {}).items():
            if not isinstance(data, YearData):
                raise TypeError(f"year {key}: expected YearData, got {type(data).__name__}")
            if key != data.year:
                raise ValueError(f"year key {key} does not match its data for {data.year}")
            checked[key] = data
        self._years: Mapping[int, YearData] = MappingProxyType(dict(sorted(checked.items())))
        # year -> cumulative working days from 1 January, filled on first use (a cache of what _status
        # says, so it never changes what the calendar answers; concurrent fills compute the same tuple)
        self._counts: dict[int, tuple[int, ...]] = {}

    def __repr__(self) -> str:
        years = list(self._years)
        span = f"{years[0]}–{years[-1]}, {len(years)} years" if years else "no years"
        return f"<WorkCalendar {span}>"

    @property
    def years(self) -> Mapping[int, YearData]:
        """The per-year data, read-only, in year order."""
        return self._years

    def covers(self, year: int) -> bool:
        """True if the calendar has the holiday notice for `year` (results in it are exact)."""
        return year in self._years

    def with_years(self, extra: Mapping[int, YearData] | Iterable[YearData]) -> WorkCalendar:
        """A new calendar with `extra` years added; an extra year replaces the same year here.

        Use it to layer administrator-entered notices (e.g. 2027) over the committed data.
        """
        merged: dict[int, Any] = dict(self._years)
        if isinstance(extra, Mapping):
            merged.update(extra)  # WorkCalendar() checks each key against its YearData
        else:
            for data in extra:
                if not isinstance(data, YearData):
                    raise TypeError(f"expected YearData, got {type(data).__name__}")
                merged[data.year] = data
        return WorkCalendar(merged)

    # -- single days ---------------------------------------------------------------------------

    def _status(self, d: date) -> tuple[bool, bool]:
        """(is working day, provisional)."""
        data = self._years.get(d.year)
        if data is None:  # no notice yet: the law's own holidays, the make-up days unknown (provisional)
            return d.weekday() < _SATURDAY and d not in statutory_holidays(d.year), True
        if d in data.workdays:
            return True, False
        if d in data.holidays:
            return False, False
        return d.weekday() < _SATURDAY, False

    def day_info(self, d: date) -> DayInfo:
        """Whether `d` is a working day, why, and whether that is provisional."""
        d = _as_date(d)
        data = self._years.get(d.year)
        weekday = d.weekday() < _SATURDAY
        if data is None:
            statutory = statutory_holidays(d.year).get(d)
            if statutory:
                return DayInfo(d, False, True, "holiday", statutory)
            return DayInfo(d, weekday, True, "workday" if weekday else "weekend", None)
        if d in data.workdays:
            return DayInfo(d, True, False, "makeup_workday", data.name_of(d))
        if d in data.holidays:
            return DayInfo(d, False, False, "holiday", data.name_of(d))
        return DayInfo(d, weekday, False, "workday" if weekday else "weekend", None)

    def is_working_day(self, d: date) -> bool:
        """Monday–Friday unless a statutory holiday; Saturday/Sunday only if a make-up working day.

        For a year without data this is plain Monday–Friday; `day_info(d).provisional` (or
        `covers(d.year)`) tells the caller the answer was provisional.
        """
        return self._status(_as_date(d))[0]

    def holiday_name(self, d: date) -> str | None:
        """The holiday a date belongs to (a day off or its make-up working day), e.g. 春节; else None."""
        d = _as_date(d)
        data = self._years.get(d.year)
        return data.name_of(d) if data else statutory_holidays(d.year).get(d)

    # -- periods -------------------------------------------------------------------------------

    def add_working_days(self, start: date, n: int) -> Deadline:
        """The n-th working day after the trigger day `start` (民法典 art 201: counting starts the next day).

        E.g. 行政处罚法 art 85 (short periods are working days) or 重大行政决策程序暂行条例 art 26
        (legality review "不少于7个工作日"). A negative `n` gives the |n|-th working day before
        `start`. Provisional iff a day examined (start excluded, result included) lies in a year
        without data.
        """
        start = _as_date(start, "start")
        n = _check_n(n)
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        missing: set[int] = set()
        d, counted = start, 0
        while counted < abs(n):
            d += step
            working, provisional = self._status(d)
            if provisional:
                missing.add(d.year)
            if working:
                counted += 1
        return Deadline(d, bool(missing), WORKING_DAYS, n, start, frozenset(missing))

    def add_calendar_days(self, start: date, n: int, roll_past_holiday: bool = True) -> Deadline:
        """`start` + n calendar days, the count starting the day after the trigger (民法典 art 201).

        民法典 art 203: 期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日 — if the
        last day is a statutory holiday or rest day, the deadline moves to the next working day
        (weekends count as rest days, as in civil-procedure practice; a make-up working Saturday
        does not). Pass ``roll_past_holiday=False`` where a rule fixes the date regardless.
        Provisional iff that roll-over consulted a year without data.

        A negative `n` gives the date |n| days before `start` ("七日前"), never rolled: moving a
        "before" date later would shorten the notice the rule guarantees.
        """
        start = _as_date(start, "start")
        n = _check_n(n)
        end = start + timedelta(days=n)
        if n < 0 or not roll_past_holiday:
            return Deadline(end, False, CALENDAR_DAYS, n, start)
        missing: set[int] = set()
        d = end
        while True:
            working, provisional = self._status(d)
            if provisional:
                missing.add(d.year)
            if working:
                break
            d += _ONE_DAY
        return Deadline(
            d, bool(missing), CALENDAR_DAYS, n, start, frozenset(missing), end if d != end else None
        )

    def period(self, start: date, n: int, unit: str) -> Deadline:
        """Dispatch on the unit a rule states: "working_days" or "calendar_days" (ValueError otherwise)."""
        if _check_unit(unit) == WORKING_DAYS:
            return self.add_working_days(start, n)
        return self.add_calendar_days(start, n)

    def working_days_between(self, a: date, b: date) -> tuple[int, bool]:
        """(number of working days in (a, b], provisional); if b < a, minus the number in (b, a].

        Antisymmetric, so ``-working_days_between(deadline, today)[0]`` is how many working days a
        case is overdue (the deadline day itself excluded, today included). For n > 0 it inverts
        `add_working_days`: ``working_days_between(a, add_working_days(a, n).date)[0] == n``.
        Provisional iff a day in the counted interval lies in a year without data.
        """
        a, b = _as_date(a, "a"), _as_date(b, "b")
        sign = 1
        if b < a:
            a, b, sign = b, a, -1
        if a == b:
            return 0, False
        # By cumulative counts per year instead of day by day: a case overdue for a year is listed with its
        # overdue working days, and the case list shows fifty of them per page.
        count = self._through(b) - self._through(a)
        count += sum(self._year_counts(y)[-1] for y in range(a.year, b.year))
        provisional = any(y not in self._years for y in range((a + _ONE_DAY).year, b.year + 1))
        return sign * count, provisional

    def _year_counts(self, year: int) -> tuple[int, ...]:
        """Element i: the working days among the first i + 1 days of `year`."""
        counts = self._counts.get(year)
        if counts is None:
            running, out = 0, []
            d = date(year, 1, 1)
            while d.year == year:
                running += self._status(d)[0]
                out.append(running)
                d += _ONE_DAY
            counts = self._counts[year] = tuple(out)
        return counts

    def _through(self, d: date) -> int:
        """Working days from 1 January of d's year through d."""
        return self._year_counts(d.year)[d.timetuple().tm_yday - 1]

    @staticmethod
    def calendar_days_between(a: date, b: date) -> int:
        """Calendar days in (a, b]: ``(b - a).days``, negative if b < a."""
        return (_as_date(b, "b") - _as_date(a, "a")).days


@functools.cache
def default_calendar() -> WorkCalendar:
    """The committed calendar (definitions/calendar/cn-public-holidays.yaml), loaded once.

    Layer administrator-entered years on top with ``default_calendar().with_years(extra)``.
    """
    return WorkCalendar(load_years_from_yaml(DEFAULT_CALENDAR_PATH))
