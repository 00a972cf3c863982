"""Deadlines and timeliness on the write path: which periods a step starts, ends or clears (the case_deadline
rows), and, for each limit it ends, whether it was met.

A late step is recorded as late, never refused (e.g. a publication after its period is still due, 处罚法第四十八
条); a minimum period that has not run out refuses the step that ends it (workflow/engine/guard_context.py).
Reading deadlines (what is due, what is overdue) is workflow/deadlines.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from workflow import typed_dates
from workflow.calendar import WorkCalendar
from workflow.deadlines import start_period
from workflow.definitions import Procedure
from workflow.store import DeadlineRow, Transactional, delete_deadline, load_deadlines, save_deadline


def ends_minimum_period(procedure: Procedure, trigger: str) -> bool:
    """Whether the step ends a minimum period: only then do its checks need the case's deadline rows."""
    return any(spec.kind == "minimum" and trigger in spec.ends_on for spec in procedure.deadlines.values())


def timeliness(db: Transactional, procedure: Procedure, case_id: str, trigger: str, payload: dict[str, Any],
               today: date) -> dict[str, Any]:
    """For each running limit this step ends: its due date and whether it was met."""
    specs = [s for s in procedure.deadlines.values() if s.kind == "limit" and trigger in s.ends_on]
    if not specs:
        return {}
    running = {d.name: d for d in load_deadlines(db, case_id)}
    result: dict[str, Any] = {}
    for spec in specs:
        row = running.get(spec.name)
        if row is None:
            continue
        ended = date.fromisoformat(payload[spec.end_from]) if spec.end_from else today
        result[spec.name] = {"due": row.due.isoformat(), "ended_on": ended.isoformat(),
                             "on_time": ended <= row.due,
                             # a verdict judged by a date entered late says so, with the day of entry
                             **typed_dates.verdict_marks(payload, spec.end_from)}
    return result


def update_deadlines(db: Transactional, procedure: Procedure, case_id: str, trigger: str, payload: dict[str, Any],
                     today: date, calendar: WorkCalendar, setting: Callable[[str], Any]) -> None:
    """Start, end and clear the case's periods as this step does; `setting(key)` reads the organisation's
    setting that fixes a period's length."""
    if not any(trigger in spec.starts_on or trigger in spec.ends_on or trigger in spec.cleared_on
               for spec in procedure.deadlines.values()):
        return  # this step starts, ends and clears no period: nothing to load or change
    current = {d.name: d for d in load_deadlines(db, case_id)}
    for spec in procedure.deadlines.values():
        if (trigger in spec.ends_on or trigger in spec.cleared_on) and spec.name in current:
            delete_deadline(db, current.pop(spec.name))
        if trigger not in spec.starts_on:
            continue
        # an n_setting (and a unit_setting) is present and valid here: the guards refused the step otherwise
        period = start_period(spec, payload, today, calendar, setting)
        row = current.get(spec.name)
        new = row is None
        row = row or DeadlineRow(case_id=case_id, name=spec.name)
        row.kind, row.started_on, row.due, row.n, row.unit = spec.kind, period.start, period.due, period.n, period.unit
        row.provisional, row.basis = period.provisional, spec.basis
        save_deadline(db, row, new=new)
