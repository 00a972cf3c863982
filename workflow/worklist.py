"""The case work list: an organisation's cases filtered, counted and paged in SQL, with their next deadline.

Every filter is a WHERE clause on case_file, so counting and paging stay one query each whatever the number
of cases. The next deadline is the earliest `due` of the case's running periods (case_deadline), joined per
case for the ordering and loaded only for the page's own cases to show. The indexes (migration 0006) hold
every column a filter or an order reads, so a page is chosen from indexes alone: case_file (org_id,
updated_at, id, title), (org_id, created_by, updated_at, id), (org_id, state, procedure, procedure_version,
updated_at, id); case_deadline (case_id, due) and the existing (kind, due).

With a `reader` (workflow/case_reading.py) the list holds only the cases of procedures the person may see, and a
search reads a title only where they may see it: counts and pages never tell of a case or a party they may not.

"Actionable" means the case's current stage has a usual next step (workflow/todo.py) one of the user's roles
may take. Guards, separation of duties and the organisation are checked when
the step is taken, so a case listed here may still refuse the step, with its reasons.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from workflow.case_reading import Reader
from workflow.definitions import Registry
from workflow.models import Case, CaseDeadline, User
from workflow.todo import next_stages

ORDERS = ("deadline", "updated")
DEADLINE_STATUSES = ("overdue", "soon")


@dataclass(frozen=True)
class Actionable:
    """The stages of one procedure version in which some step is open to the given roles."""

    procedure: str
    version: int
    states: tuple[str, ...]


def actionable_stages(registry: Registry, roles: Iterable[str]) -> list[Actionable]:
    """The stages whose usual next step (workflow/todo.py: declared in the definition, or the steps leaving the
    stage) is open to these roles: a step that may be taken at many stages (attaching a record, extending a
    period) does not make every case wait for its holders."""
    return [Actionable(s.procedure, s.version, s.states) for s in next_stages(registry, roles)]


@dataclass(frozen=True)
class CaseFilter:
    """What to list. `soon_until` is the last day a limit may fall due to count as due soon (inclusive)."""

    today: date
    created_by: str | None = None
    actionable: tuple[Actionable, ...] | None = None  # None: not filtered; (): nothing is actionable
    procedure: str | None = None
    state: str | None = None
    deadline: str | None = None  # overdue | soon
    soon_until: date | None = None
    text: str | None = None
    order: str = "updated"
    reader: Reader | None = None  # None: every case of the organisation (the organisation's own reports)
    org: str | None = None  # one organisation of those the reader reads (issue 14: a supervisor's filter)
    opened_from: datetime | None = None  # opened at or after (UTC: the first moment of a Beijing day)
    opened_before: datetime | None = None  # opened before (UTC: the moment after the last Beijing day)
    unit: str | None = None  # the unit of the person who opened it (app_user.unit)
    party: str | None = None  # in a party's name, where the reader may see it (needs `reader`)

    def __post_init__(self) -> None:
        if self.order not in ORDERS:
            raise ValueError(f"unknown order {self.order!r}")
        if self.deadline is not None and self.deadline not in DEADLINE_STATUSES:
            raise ValueError(f"unknown deadline status {self.deadline!r}")
        if self.deadline == "soon" and self.soon_until is None:
            raise ValueError("a 'soon' filter needs soon_until")
        if self.party is not None and self.reader is None:
            raise ValueError("a party filter needs the reader (whose need to know decides where it looks)")

    def clauses(self, org_id: str) -> list[ColumnElement[bool]]:
        if self.reader is not None and self.reader.org_id is not None:  # by organisation too (a supervisor's tree)
            out: list[ColumnElement[bool]] = [self.reader.scope_clause(self.org)]
        else:
            out = [Case.org_id == org_id]
            seen = self.reader.seen_clause() if self.reader is not None else None
            if seen is not None:
                out.append(seen)
        if self.created_by:
            out.append(Case.created_by == self.created_by)
        if self.actionable is not None:
            # the stages first, on their own: an index range per stage instead of a scan of the organisation
            out.append(Case.state.in_(sorted({s for a in self.actionable for s in a.states})))
            out.append(or_(false(), *(and_(Case.procedure == a.procedure, Case.procedure_version == a.version,
                                            Case.state.in_(a.states)) for a in self.actionable)))
        if self.procedure:
            out.append(Case.procedure == self.procedure)
        if self.state:
            out.append(Case.state == self.state)
        if self.deadline:
            limits = select(CaseDeadline.case_id).where(CaseDeadline.kind == "limit")
            if self.deadline == "overdue":  # a limit whose last day has passed (workflow.deadlines.overdue)
                limits = limits.where(CaseDeadline.due < self.today)
            else:
                limits = limits.where(CaseDeadline.due >= self.today, CaseDeadline.due <= self.soon_until)
            out.append(Case.id.in_(limits))
        if self.opened_from is not None:
            out.append(Case.created_at >= self.opened_from)
        if self.opened_before is not None:
            out.append(Case.created_at < self.opened_before)
        if self.unit:
            out.append(Case.created_by.in_(select(User.username).where(User.unit == self.unit)))
        if self.party:
            assert self.reader is not None
            out.append(self.reader.party_clause(f"%{_escape_like(self.party)}%"))
        if self.text:
            pattern = f"%{_escape_like(self.text)}%"
            if self.reader is not None:
                out.append(self.reader.text_clause(pattern))
            else:
                out.append(or_(Case.title.like(pattern, escape="\\"), Case.id.ilike(pattern, escape="\\")))
        return out


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class ListedCase:
    id: str
    title: str
    procedure: str
    procedure_version: int
    state: str
    created_by: str
    updated_at: datetime
    org_id: str = ""
    created_at: datetime | None = None


NO_DEADLINE = date(9999, 12, 31)  # sorts a case without a running period after every real due date


def _ordered(query: Select[Any], flt: CaseFilter) -> Select[Any]:
    if flt.order == "deadline":  # cases with a running period first, the one falling due soonest on top
        # Each case's next due date, joined once (PostgreSQL hashes it; a MIN per candidate costs 2-3 times
        # as much there for 20,000 candidates, and about the same on SQLite).
        due = (select(CaseDeadline.case_id, func.min(CaseDeadline.due).label("next_due"))
               .group_by(CaseDeadline.case_id).subquery("next_deadline"))
        return (query.outerjoin(due, due.c.case_id == Case.id)
                .order_by(func.coalesce(due.c.next_due, NO_DEADLINE), Case.updated_at.desc(), Case.id.desc()))
    return query.order_by(Case.updated_at.desc(), Case.id.desc())


def count_cases(session: Session, org_id: str, flt: CaseFilter) -> int:
    return session.scalar(select(func.count()).select_from(Case).where(*flt.clauses(org_id))) or 0


def page_of_cases(session: Session, org_id: str, flt: CaseFilter, page: int, size: int) -> list[ListedCase]:
    """One page (1-based) of the list: the columns a row shows, never the case data.

    First the page's case ids, filtered and ordered from the indexes alone; then those cases' columns. In one
    query the database would read every candidate's row before sorting (on SQLite, through the overflow
    pages of its JSON data), not only the page's."""
    ids = list(session.scalars(_ordered(select(Case.id).where(*flt.clauses(org_id)), flt)
                               .offset((page - 1) * size).limit(size)))
    if not ids:
        return []
    rows = {row.id: row for row in session.execute(
        select(Case.id, Case.title, Case.procedure, Case.procedure_version, Case.state, Case.created_by,
               Case.updated_at, Case.org_id, Case.created_at).where(Case.id.in_(ids)))}
    return [ListedCase(*rows[i]) for i in ids if i in rows]


def running_deadlines(session: Session, case_ids: Sequence[str]) -> dict[str, list[CaseDeadline]]:
    """The running periods of the given cases (one query), by case."""
    out: dict[str, list[CaseDeadline]] = {c: [] for c in case_ids}
    if case_ids:
        for d in session.scalars(select(CaseDeadline).where(CaseDeadline.case_id.in_(case_ids))):
            out[d.case_id].append(d)
    return out
