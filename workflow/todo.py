"""我的待办: what awaits whom, read from the definitions (`pages: todo:`, workflow/pages.py) and the cases.

A stage's *next steps* are the ones its definition names under `pages.todo.next`; a stage it does not name
takes the steps that leave it (a destination of their own), neither attachments (open at every stage, they
never make a case wait) nor the system's. A next step awaits *people*: those the case names for its role at the
definition's `pages.todo.assignees` paths (the last path naming anyone: a later replacement wins), or, when the
case names nobody, every holder of the role. Nothing here decides whether the step will be allowed: the engine's
check does that when it is taken (guards, separation of duties), so a listed case may still refuse it.

The list is three queries whatever the number of cases: the candidate cases (those in a stage where one of the
person's roles has a next step, chosen in SQL), their running periods, and nothing per case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from workflow import addressee
from workflow.deadlines import due_order
from workflow.definitions import Procedure, Registry, Transition
from workflow.models import Case, CaseDeadline


def next_steps(procedure: Procedure, state: str) -> list[Transition]:
    """The usual next steps of `state`, in the definition's order (declared ones first as declared)."""
    declared = procedure.pages.todo.next.get(state)
    offered = procedure.triggers_from(state)
    if declared is not None:
        by_trigger = {t.trigger: t for t in offered}
        return [by_trigger[t] for t in declared if t in by_trigger]
    return [t for t in offered if t.dest is not None and t.dest != state and not t.attachment and not t.system]


def assignees(procedure: Procedure, role: str, data: Mapping[str, Any]) -> tuple[str, ...]:
    """The people the case names for `role` (empty: nobody is named, the role's holders are awaited)."""
    named: tuple[str, ...] = ()
    for path in procedure.pages.todo.assignees.get(role, ()):
        found = _people_at(data, path)
        if found:
            named = found
    return named


def _people_at(data: Any, path: str) -> tuple[str, ...]:
    """User names at a dotted path; where the path meets a list of records, the last record's (the latest)."""
    value = data
    for key in path.split("."):
        if isinstance(value, list):
            value = next((v for v in reversed(value) if isinstance(v, Mapping) and v.get(key)), None)
        value = value.get(key) if isinstance(value, Mapping) else None
    if isinstance(value, str) and value:
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str) and v)
    return ()


@dataclass(frozen=True)
class Awaited:
    """One next step of a case and whom it awaits: the people the case names for some of its roles, and the
    holders of its other roles (those the case names nobody for)."""

    step: Transition
    people: tuple[str, ...]
    roles: tuple[str, ...]

    def awaits(self, username: str, roles: Iterable[str]) -> bool:
        return username in self.people or bool(set(self.roles) & set(roles))


def awaited(procedure: Procedure, state: str, data: Mapping[str, Any]) -> list[Awaited]:
    """Each next step of the case and whom it awaits (the case page's 下一步)."""
    out = []
    for step in next_steps(procedure, state):
        people: list[str] = []
        unnamed: list[str] = []
        for role in step.roles:
            named = assignees(procedure, role, data)
            if named:
                people.extend(p for p in named if p not in people)
            else:
                unnamed.append(role)
        out.append(Awaited(step, tuple(people), tuple(unnamed)))
    return out


@dataclass(frozen=True)
class Stages:
    """The stages of one procedure version where some next step is open to the given roles."""

    procedure: str
    version: int
    states: tuple[str, ...]


def next_stages(registry: Registry, roles: Iterable[str]) -> list[Stages]:
    held = set(roles)
    out = []
    for p in registry.all():
        states = tuple(sorted(s for s in p.states if any(held & set(t.roles) for t in next_steps(p, s))))
        if states:
            out.append(Stages(p.id, p.version, states))
    return out


@dataclass(frozen=True)
class Item:
    """A case awaiting the person: its next steps that are theirs, and its running limit falling due first."""

    case_id: str
    title: str
    procedure: Procedure
    state: str
    steps: tuple[Transition, ...]
    due: CaseDeadline | None
    overdue: bool


def todo(session: Session, registry: Registry, org_id: str, username: str, roles: Iterable[str],
         today: date) -> list[Item]:
    """The cases awaiting `username`: overdue first, then by the next running limit, then the rest by number."""
    held = set(roles)
    stages = next_stages(registry, held)
    if not stages:
        return []
    # The organisation's own cases, and those another addressed to it (workflow/addressee.py): in each, only the
    # steps its users take (the addressed organisation's `acted_by: addressee` steps, the others' the owner's).
    rows = session.execute(
        select(Case.id, Case.title, Case.procedure, Case.procedure_version, Case.state, Case.data, Case.org_id,
               Case.addressee_org_id)
        .where(or_(Case.org_id == org_id, Case.addressee_org_id == org_id), Case.state.in_(sorted({s for a in stages for s in a.states})),
               or_(false(), *(and_(Case.procedure == a.procedure, Case.procedure_version == a.version,
                                   Case.state.in_(a.states)) for a in stages)))).all()
    candidates = []
    for case_id, title, pid, version, state, data, owner, addressed in rows:
        procedure = registry.get(pid, version)
        row = _Owners(owner, addressed)
        mine = tuple(a.step for a in awaited(procedure, state, data or {})
                     if a.awaits(username, held) and addressee.acting_org(a.step, row) == org_id)
        if mine:
            candidates.append((case_id, title, procedure, state, mine))
    limits = _limits(session, [c[0] for c in candidates])
    items = []
    for case_id, title, procedure, state, mine in candidates:
        due = min(limits.get(case_id, ()), key=due_order, default=None)
        items.append(Item(case_id, title, procedure, state, mine, due,
                          due is not None and due.due is not None and due.due < today))
    far = date.max
    items.sort(key=lambda i: (not i.overdue, i.due.due or far if i.due else far, i.case_id))
    return items


@dataclass(frozen=True)
class _Owners:
    org_id: str
    addressee_org_id: str | None


def _limits(session: Session, case_ids: Sequence[str]) -> dict[str, list[CaseDeadline]]:
    """The running time limits (not the minimum periods: those do not make anyone late) of the given cases."""
    out: dict[str, list[CaseDeadline]] = {}
    if case_ids:
        for d in session.scalars(select(CaseDeadline).where(CaseDeadline.case_id.in_(case_ids),
                                                            CaseDeadline.kind == "limit")):
            out.setdefault(d.case_id, []).append(d)
    return out


@dataclass(frozen=True)
class Waiting:
    """A case and each of its next steps with whom it awaits, for an integration that syncs everyone's to-do
    items (the API's GET /todo): no person's view, every step of the cases the reader may see."""

    case: Case
    procedure: Procedure
    awaited: tuple[tuple[Awaited, str | None], ...]  # each next step, whom it awaits, the organisation acting
    due: CaseDeadline | None
    overdue: bool


def waiting(session: Session, registry: Registry, scope: Any, today: date) -> list[Waiting]:
    """Every case within `scope` (a Reader's scope_clause: what the caller may read) in a stage with a next step,
    with whom each step awaits: overdue first, then by the next running limit, then by number. Three queries, as
    todo()."""
    every_role = {r for p in registry.all() for r in p.roles}
    stages = next_stages(registry, every_role)
    if not stages:
        return []
    cases = session.scalars(
        select(Case).where(scope, or_(false(), *(and_(Case.procedure == a.procedure, Case.procedure_version == a.version,
                                                      Case.state.in_(a.states)) for a in stages)))).all()
    limits = _limits(session, [c.id for c in cases])
    out = []
    for case in cases:
        procedure = registry.get(case.procedure, case.procedure_version)
        steps = tuple((a, addressee.acting_org(a.step, case)) for a in awaited(procedure, case.state, case.data or {}))
        due = min(limits.get(case.id, ()), key=due_order, default=None)
        out.append(Waiting(case, procedure, steps, due, due is not None and due.due is not None and due.due < today))
    far = date.max
    out.sort(key=lambda w: (not w.overdue, w.due.due or far if w.due else far, w.case.id))
    return out
