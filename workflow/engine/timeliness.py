"""Deadlines and timeliness on the write path: which periods a step starts, ends or clears (the case_deadline
rows), and, for each limit it ends, whether it was met.

A late step is recorded as late, never refused (e.g. a publication after its period is still due, 处罚法第四十八
条); a minimum period that has not run out refuses the step that ends it (workflow/engine/guard_context.py).
Reading deadlines (what is due, what is overdue) is workflow/deadlines.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from workflow import typed_dates
from workflow.calendar import WorkCalendar
from workflow.deadlines import start_period
from workflow.definitions import DeadlineSpec, Procedure
from workflow.due_rules import Paused
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
        if row is None or row.due is None:  # not running, or paused (a due-date rule's count stands still)
            continue
        ended = date.fromisoformat(payload[spec.end_from]) if spec.end_from else today
        result[spec.name] = {"due": row.due.isoformat(), "ended_on": ended.isoformat(),
                             "on_time": ended <= row.due,
                             # a verdict judged by a date entered late says so, with the day of entry
                             **typed_dates.verdict_marks(payload, spec.end_from)}
    return result


def update_deadlines(db: Transactional, procedure: Procedure, case_id: str, trigger: str, payload: dict[str, Any],
                     today: date, calendar: WorkCalendar, setting: Callable[[str], Any],
                     data: Mapping[str, Any] | None = None) -> None:
    """Start, end and clear the case's periods as this step does; `setting(key)` reads the organisation's
    setting that fixes a period's length. A period whose day a due-date rule computes (`due_by:`) is computed
    again from the case data after the step (`data`), whatever the step: see `recompute`."""
    ruled = [spec for spec in procedure.deadlines.values() if spec.due_rule is not None]
    if not ruled and not any(trigger in spec.starts_on or trigger in spec.ends_on or trigger in spec.cleared_on
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
        row.provisional, row.basis, row.paused_zh, row.paused_en = period.provisional, spec.basis, None, None
        if spec.due_rule is None:
            save_deadline(db, row, new=new)
        else:
            recompute(db, spec, row, data or {}, calendar, setting, new=new)
            current[spec.name] = row
    for spec in ruled:
        if spec.name in current and trigger not in spec.starts_on:
            recompute(db, spec, current[spec.name], data or {}, calendar, setting, new=False)


def recompute(db: Transactional, spec: DeadlineSpec, row: DeadlineRow, data: Mapping[str, Any], calendar: WorkCalendar,
              setting: Callable[[str], Any], *, new: bool) -> None:
    """The open period's row as its due-date rule reads the case data now: a day (its length counted from the
    period's first day), or paused (no day, the reason kept). Written only if it changed.

    Why after every step of the case and not after listed ones: the facts a rule reads (a consultation's letter,
    its reply, the system recording silence, an extension) are recorded by many steps, and a list in the
    definition that forgot one would leave a stale day — the defect this replaces. The cost is one rule call per
    step of a case with such an open period; procedures without `due_by:` load nothing more."""
    assert spec.due_rule is not None
    before = (row.due, row.n, row.provisional, row.paused_zh, row.paused_en)
    answer = spec.due_rule(data, calendar, _lenient(setting))
    if isinstance(answer, Paused):
        row.due, row.provisional, row.paused_zh, row.paused_en = None, False, answer.zh, answer.en
    else:
        assert row.started_on is not None
        between = calendar.working_days_between if row.unit == "working_days" else None
        n, provisional = between(row.started_on, answer) if between else \
            (calendar.calendar_days_between(row.started_on, answer), False)
        row.due, row.n, row.provisional, row.paused_zh, row.paused_en = answer, max(n, 0), provisional, None, None
    if new or before != (row.due, row.n, row.provisional, row.paused_zh, row.paused_en):
        save_deadline(db, row, new=new)


def _lenient(setting: Callable[[str], Any]) -> Callable[[str], Any]:
    """A due-date rule reads a setting that may be unset (then None): its default is the rule's to say."""
    def read(key: str) -> Any:
        try:
            return setting(key)
        except KeyError:
            return None
    return read
