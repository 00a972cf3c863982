"""Reading deadlines: how much time is left, what is overdue. A query, not a background job.

A `minimum` period (e.g. the 30-day public comment period) blocks the steps that end it until its last
day has passed; a `limit` (e.g. publication within 20 working days) is due on its last day and overdue
after it. Each counts in the unit its rule says (calendar or working days).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, select

from workflow.calendar import WorkCalendar
from workflow.definitions import DeadlineSpec, Label, Procedure
from workflow.models import Case, CaseDeadline

DUE_SOON_WORKING_DAYS = 3


@dataclass(frozen=True)
class Started:
    """A period a step starts: its first day, its due date, its length in the rule's unit, and whether the
    due date is provisional (it reaches a year without holiday data)."""

    start: date
    due: date
    n: int
    provisional: bool
    unit: str = "calendar_days"  # the unit it counts in: the definition's, or the organisation's (unit_setting)


def start_period(spec: DeadlineSpec, payload: Mapping[str, Any], today: date, calendar: WorkCalendar,
                 setting: Callable[[str], Any]) -> Started:
    """The period `spec` as the step with this payload starts it today: counted from the payload's start
    date or today; due on the payload's date (the length is then what lies between), or after n days, with
    n fixed by the definition, given in the payload, or set by the organisation (`setting(key)`)."""
    start = date.fromisoformat(payload[spec.start_from]) if spec.start_from else today
    unit = str(setting(spec.unit_setting)) if spec.unit_setting else spec.unit
    if spec.due_by:  # a due-date rule gives the day from the case data (workflow/engine/timeliness.py recompute)
        return Started(start, start, 0, False, unit)
    if spec.due_from:
        due = date.fromisoformat(payload[spec.due_from])
        n, provisional = calendar.working_days_between(start, due) if unit == "working_days" \
            else (calendar.calendar_days_between(start, due), False)
        return Started(start, due, n, provisional, unit)
    if spec.n_setting:
        n = int(setting(spec.n_setting))
    else:
        n = spec.n if spec.n is not None else int(payload[spec.n_from or ""])
    computed = calendar.period(start, n, unit)
    return Started(start, computed.date, n, computed.provisional, unit)


@dataclass(frozen=True)
class DeadlineView:
    name: str
    label: Label
    kind: str
    due: date | None  # None: paused
    unit: str
    provisional: bool
    basis: str
    remaining: int  # days left in the rule's unit until the due date (negative: that many days past it)
    status: str  # running | elapsed (minimum); open | due_soon | overdue | paused (limit)
    paused: Label | None = None  # why the count stands still (a due-date rule, workflow/due_rules.py)

    def summary_zh(self) -> str:
        if self.paused is not None:
            return f"已暂停计算：{self.paused.zh}"
        unit = "个工作日" if self.unit == "working_days" else "日"
        note = "（推算）" if self.provisional else ""
        if self.status == "overdue":
            return f"已逾期{-self.remaining}{unit}{note}"
        if self.status == "elapsed":
            return f"期限已届满{note}"
        return f"剩余{self.remaining}{unit}{note}"

    def summary_en(self) -> str:
        if self.paused is not None:
            return f"paused: {self.paused.en}"
        unit = "working days" if self.unit == "working_days" else "days"
        note = " (provisional)" if self.provisional else ""
        if self.status == "overdue":
            return f"overdue by {-self.remaining} {unit}{note}"
        if self.status == "elapsed":
            return f"period over{note}"
        return f"{self.remaining} {unit} left{note}"


def describe(deadline: CaseDeadline, procedure: Procedure | None, today: date,
             calendar: WorkCalendar) -> DeadlineView:
    spec = procedure.deadlines.get(deadline.name) if procedure else None
    label = spec.label if spec else Label(deadline.name, deadline.name)
    if deadline.due is None:
        reason = Label(deadline.paused_zh or "期限暂停计算", deadline.paused_en or "the count stands still")
        return DeadlineView(deadline.name, label, deadline.kind, None, deadline.unit, False, deadline.basis, 0,
                            "paused", reason)
    if deadline.unit == "working_days":
        remaining, provisional = calendar.working_days_between(today, deadline.due)
    else:
        remaining, provisional = calendar.calendar_days_between(today, deadline.due), False
    if deadline.kind == "minimum":
        status = "elapsed" if today > deadline.due else "running"
    elif today > deadline.due:
        status = "overdue"
    else:
        status = "due_soon" if remaining <= DUE_SOON_WORKING_DAYS else "open"
    return DeadlineView(deadline.name, label, deadline.kind, deadline.due, deadline.unit,
                        deadline.provisional or provisional, deadline.basis, remaining, status)


def due_order(deadline: CaseDeadline) -> tuple[date, str]:
    """Sort key of a case's periods, the first to fall due first; a paused one (no day) after every running one."""
    return deadline.due or date.max, deadline.name


def overdue(today: date) -> Select[tuple[Case, CaseDeadline]]:
    """Cases with a limit whose last day has passed, most overdue first."""
    return (select(Case, CaseDeadline).join(CaseDeadline, CaseDeadline.case_id == Case.id)
            .where(CaseDeadline.kind == "limit", CaseDeadline.due < today).order_by(CaseDeadline.due))
