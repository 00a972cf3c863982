"""What is due: the acts the timers of the open periods (case_deadline rows) bring on or before a day.

For each open period whose deadline has `timers:` in the case's definition version:

* remind (a limit): on the day that lies the offset's days (in the timer's unit) before the limit's last day;
* overdue (a limit): the day after its last day (黄牌 before it, 红牌 after it);
* fire (a minimum period the law closes by itself): the day after its last day.

An act already done (a timer_act row with its key: case, deadline, the period's first day, act) is not due
again. A period whose day a due-date rule computes (`due_by:`, workflow/due_rules.py) may move while it runs (an
extension, a consultation's pause): its acts name the day they belong to (`remind:3@2026-06-01`), so a reminder
done for the old day is not done again for it, and the new day brings its own; a paused period (no day) brings
none. Acts come in time order (their own due day, then the case), so a worker that was down catches up in the
order the acts fell due, each judged on its own day. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.calendar import WorkCalendar
from workflow.definitions import DeadlineSpec, Registry
from workflow.models import Case, CaseDeadline, TimerAct
from workflow.timers.horizon import lookahead
from workflow.timers.spec import Timer

KIND_ORDER = {"remind": 0, "overdue": 1, "fire": 2}


@dataclass(frozen=True)
class DueAct:
    """One act that has fallen due (or falls due today)."""

    due_on: date  # the Beijing day the act falls due
    case_id: str
    org_id: str
    deadline: str
    started_on: date  # the period's first day: with the act, the key of a reminder
    limit_due: date  # the period's last day
    kind: str  # remind | overdue | fire
    act: str  # remind:<days> | overdue | fire:<trigger>
    spec: DeadlineSpec
    timer: Timer
    days_before: int | None = None  # remind: how many days (in the timer's unit) before the last day

    @property
    def key(self) -> tuple[str, str, date, str]:
        return self.case_id, self.deadline, self.started_on, self.act

    def sort_key(self) -> tuple[Any, ...]:
        return self.due_on, KIND_ORDER[self.kind], self.case_id, self.deadline, self.act


def days_before(calendar: WorkCalendar, last_day: date, n: int, unit: str) -> date:
    """The day n days (calendar or working) before `last_day`; for working days, the n-th working day before
    it, so a reminder never falls on a holiday."""
    if unit != "working_days":
        return last_day - timedelta(days=n)
    day, counted = last_day, 0
    while counted < n:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return day


def acts_of(row: CaseDeadline, org_id: str, spec: DeadlineSpec, calendar: WorkCalendar,
            setting: Callable[[str], Any]) -> list[DueAct]:
    """Every act the deadline's timers bring for this period, due or not yet."""
    found: dict[str, DueAct] = {}
    if row.due is None:  # paused: no day to remind of or to be late for
        return []
    after = row.due + timedelta(days=1)
    of_day = f"@{row.due.isoformat()}" if spec.due_by else ""  # the day a movable period's acts belong to
    for timer in spec.timers:
        if timer.kind == "remind":
            for offset in timer.offsets:
                days = setting(offset) if isinstance(offset, str) else offset
                if not isinstance(days, int) or isinstance(days, bool) or days < 1:
                    continue  # an unset setting: no such reminder (workflow/settings.py says so)
                act = f"remind:{days}{of_day}"
                found[act] = DueAct(days_before(calendar, row.due, days, timer.unit), row.case_id, org_id,
                                    row.name, row.started_on, row.due, "remind", act, spec, timer, days)
        elif timer.kind == "overdue":
            found["overdue"] = DueAct(after, row.case_id, org_id, row.name, row.started_on, row.due, "overdue",
                                      f"overdue{of_day}", spec, timer)
        else:
            act = f"fire:{timer.trigger}{of_day}"
            found[act] = DueAct(after, row.case_id, org_id, row.name, row.started_on, row.due, "fire", act, spec,
                                timer)
    return list(found.values())


def due_acts(session: Session, registry: Registry, calendar: WorkCalendar, today: date,
             settings_of: Callable[[str], dict[str, Any]]) -> list[DueAct]:
    """The acts due on or before `today` and not done yet, in the order they fell due."""
    rows = session.execute(
        select(CaseDeadline, Case.org_id, Case.procedure, Case.procedure_version)
        .join(Case, Case.id == CaseDeadline.case_id)
        .where(CaseDeadline.due <= today + lookahead(session, registry))  # reminders' reach (horizon.py)
    ).all()
    candidates: list[DueAct] = []
    per_org: dict[str, dict[str, Any]] = {}  # each organisation's settings, read once
    for row, org_id, procedure_id, version in rows:
        try:
            spec = registry.get(procedure_id, version).deadlines.get(row.name)
        except KeyError:  # a version no longer loaded: its cases are not acted on (the engine refuses them too)
            continue
        if spec is None or not spec.timers:
            continue
        if org_id not in per_org:
            per_org[org_id] = settings_of(org_id)
        candidates.extend(a for a in acts_of(row, org_id, spec, calendar, per_org[org_id].get) if a.due_on <= today)
    done = _done(session, {a.case_id for a in candidates})
    return sorted((a for a in candidates if a.key not in done), key=DueAct.sort_key)


def _done(session: Session, case_ids: Iterable[str]) -> set[tuple[str, str, date, str]]:
    ids = sorted(case_ids)
    found: set[tuple[str, str, date, str]] = set()
    for i in range(0, len(ids), 500):  # bounded IN lists
        found.update((c, d, s, a) for c, d, s, a in session.execute(
            select(TimerAct.case_id, TimerAct.deadline, TimerAct.started_on, TimerAct.act)
            .where(TimerAct.case_id.in_(ids[i:i + 500]))))
    return found
