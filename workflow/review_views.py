"""The review queue, read from the cases and their events: which cases wait for a reviewer's roles, since
when, and what is due (a read model: it decides nothing).

Whose queue holds which procedure's cases is the definition's display metadata (`pages.review.roles`,
workflow/pages.py). A case waits in a state where one of those roles has a step (a major decision's
legality_review; a legal review's submitted and under_review); it came into the review when it last moved
from outside those states into them: the day it was submitted, or resubmitted after a return.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from workflow.calendar import WorkCalendar
from workflow.clock import parse_stamp
from workflow.deadlines import due_order
from workflow.definitions import Procedure, Registry
from workflow.models import AuditEvent, Case, CaseDeadline


def review_roles(procedure: Procedure) -> tuple[str, ...]:
    return procedure.pages.review.roles if procedure.pages.review else ()


def waiting_states(procedure: Procedure, roles: Iterable[str]) -> frozenset[str]:
    """The states in which a case of this procedure waits for one of these review roles."""
    mine = set(roles) & set(review_roles(procedure))
    return frozenset(s for s in procedure.states
                     if any(mine & set(t.roles) for t in procedure.triggers_from(s)))


def entered(session: Session, cases: list[Case], waiting: Mapping[str, frozenset[str]]) -> dict[str, datetime]:
    """When each case last came into the review (its latest move from outside the waiting states into them):
    the date it was submitted, or resubmitted after a return."""
    if not cases:
        return {}
    rows = session.execute(
        select(AuditEvent.case_id, AuditEvent.at, AuditEvent.from_state, AuditEvent.to_state)
        .where(AuditEvent.case_id.in_([c.id for c in cases]), AuditEvent.kind.in_(("created", "transition")))
        .order_by(AuditEvent.case_id, AuditEvent.seq)).all()
    found: dict[str, str] = {}
    for case_id, at, from_state, to_state in rows:
        states = waiting[case_id]
        if to_state in states and from_state not in states:
            found[case_id] = at
    return {case_id: parse_stamp(at) for case_id, at in found.items()}


@dataclass
class Waiting:
    """A case in a reviewer's queue."""

    case: Case
    since: datetime | None  # when it came into the review
    due: CaseDeadline | None  # its next open deadline
    working_days_left: int | None


def review_queue(session: Session, registry: Registry, org_id: str, roles: Iterable[str],
                 calendar: WorkCalendar, today: date) -> list[Waiting]:
    """The organisation's cases waiting for one of `roles`, unordered (the page orders them)."""
    roles = set(roles)
    by_version = {(p.id, p.version): waiting_states(p, roles) for p in registry.all() if p.pages.review}
    by_version = {k: v for k, v in by_version.items() if v}
    if not by_version:
        return []
    candidates = session.scalars(
        select(Case).options(selectinload(Case.deadlines))
        .where(Case.org_id == org_id, Case.procedure.in_({pid for pid, _v in by_version}),
               Case.state.in_(set().union(*by_version.values())))).all()
    cases = [c for c in candidates if c.state in by_version.get((c.procedure, c.procedure_version), ())]
    since = entered(session, cases, {c.id: by_version[(c.procedure, c.procedure_version)] for c in cases})
    out = []
    for c in cases:
        due = min(c.deadlines, key=due_order, default=None)  # the first to fall due
        left = calendar.working_days_between(today, due.due)[0] if due and due.due else None
        out.append(Waiting(c, since.get(c.id), due, left))
    return out
