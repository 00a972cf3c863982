"""A filtered selection of audit events: the filters as SQL, and the selection as export records.

The audit explorer (web/audit.py) pages through a selection and exports it. Filtering happens in SQL on the
audit_event columns: case (unique (case_id, seq)), actor, kind and time ((kind, at), at), trigger
((trigger, at)); the role is filtered in SQL too, next to those. Dates are Beijing (Asia/Shanghai) local
days, turned into bounds on the stored UTC stamps (`at` is RFC 3339 UTC of one fixed format, so stamps
compare as strings).

A selection is NOT a chain: its events are a subset of many chains, so it cannot be verified as one. Each
event's own hash can still be recomputed from its fields (docs/audit-format.md §1), and the header record says
so; only the whole trail (`lawflow audit export`) verifies against the signed checkpoints.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from workflow.clock import local_day_bounds
from workflow.models import SYSTEM_JOURNAL_ID, AuditEvent, Case, User, admin_journal_id

SELECTION_FORMAT = "lawflow.audit-selection.v1"
KINDS = ("created", "transition", "refused", "record_attached", "admin", "timer")
STREAM = 2_000  # rows fetched per round trip when exporting
EVENT_COLUMNS = (
    AuditEvent.format, AuditEvent.case_id, AuditEvent.seq, AuditEvent.kind, AuditEvent.trigger,
    AuditEvent.from_state, AuditEvent.to_state, AuditEvent.actor, AuditEvent.role, AuditEvent.at,
    AuditEvent.procedure, AuditEvent.payload, AuditEvent.reasons, AuditEvent.prev, AuditEvent.hash, AuditEvent.facts,
)
NOT_A_CHAIN = (
    "筛选导出只包含部分事件，不能作为哈希链校验；每条事件的哈希可按其字段单独重新计算。"
    "完整校验请使用 lawflow audit export 导出的全部审计记录。 / "
    "A filtered selection holds only some events and cannot be verified as a chain; each event's hash can be "
    "recomputed from its own fields. Only the whole trail (lawflow audit export) verifies against the "
    "signed checkpoints."
)


@dataclass(frozen=True)
class EventFilter:
    """What to select. Every field is optional; `start`/`end` are Beijing local days, both included."""

    case: str | None = None
    actor: str | None = None
    role: str | None = None
    trigger: str | None = None
    kind: str | None = None
    start: date | None = None
    end: date | None = None
    org: str | None = None  # one of the organisations in scope (a supervisor's pick, issue 14); narrows the scope

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}")
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"the range starts {self.start.isoformat()} after it ends {self.end.isoformat()}")

    def at_bounds(self) -> tuple[str | None, str | None]:
        """The UTC stamps [from, before) of the local days, or None for an open side."""
        first = local_day_bounds(self.start, self.start)[0] if self.start else None
        before = local_day_bounds(self.end, self.end)[1] if self.end else None
        return first, before

    def clauses(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.case:
            out.append(AuditEvent.case_id == self.case)
        if self.actor:
            out.append(AuditEvent.actor == self.actor)
        if self.role:
            out.append(AuditEvent.role == self.role)
        if self.trigger:
            out.append(AuditEvent.trigger == self.trigger)
        if self.kind:
            out.append(AuditEvent.kind == self.kind)
        first, before = self.at_bounds()
        if first:
            out.append(AuditEvent.at >= first)
        if before:
            out.append(AuditEvent.at < before)
        return out

    def as_dict(self) -> dict[str, str]:
        """The filters that are set, as query parameters (dates ISO): for links and the export header."""
        values = {"case": self.case, "actor": self.actor, "role": self.role, "trigger": self.trigger,
                  "kind": self.kind, "from": self.start.isoformat() if self.start else None,
                  "to": self.end.isoformat() if self.end else None, "org": self.org}
        return {k: v for k, v in values.items() if v}

    @property
    def empty(self) -> bool:
        return not self.as_dict()


OrgIds = str | Sequence[str]  # one organisation, or a supervisor's (workflow/visibility.py visible_orgs)


def _of_orgs(column: Any, org_id: OrgIds) -> ColumnElement[bool]:
    """column = the organisation (one: the plans as before), or IN the organisations (a supervisor's)."""
    return column == org_id if isinstance(org_id, str) else column.in_(list(org_id))


def _journals(org_id: OrgIds) -> ColumnElement[bool]:
    """The administration journals of the organisation(s)."""
    if isinstance(org_id, str):
        return AuditEvent.case_id == admin_journal_id(org_id)
    return AuditEvent.case_id.in_([admin_journal_id(o) for o in org_id])


def org_scope(org_id: OrgIds) -> ColumnElement[bool]:
    """The organisation's events: those of its cases, its administration journal, and system-journal events
    by its own users.

    A correlated EXISTS per event (a primary-key probe), not `case_id IN (the organisation's cases)`: with
    the IN list the planners drive the query from every case of the organisation and sort all their events,
    seconds at a million events; with EXISTS the filter's own index (time, kind, actor, step) leads, newest
    first, and the scope is checked on the rows it meets."""
    # A case addressed to the organisation by the one above (workflow/addressee.py) is in its trail too.
    own_case = select(Case.id).where(Case.id == AuditEvent.case_id, or_(
        _of_orgs(Case.org_id, org_id), _of_orgs(Case.addressee_org_id, org_id))).correlate(AuditEvent)
    own_users = select(User.username).where(_of_orgs(User.org_id, org_id))
    return or_(own_case.exists(), _journals(org_id),
               and_(AuditEvent.case_id == SYSTEM_JOURNAL_ID, AuditEvent.actor.in_(own_users)))


def org_totals(session: Session, org_id: OrgIds) -> tuple[int, int, int]:
    """The organisation's events, refused events, and cases with events (the auditor's overview).

    Each counted the way that reads least at a million events: all events through the (case_id, seq) index
    of the organisation's cases, plus its users' system-journal events and its administration journal; the
    cases from case_file."""
    own_users = select(User.username).where(_of_orgs(User.org_id, org_id))

    def count(*where: ColumnElement[bool]) -> int:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0

    events = count(AuditEvent.case_id.in_(select(Case.id).where(_of_orgs(Case.org_id, org_id)))) + count(
        AuditEvent.case_id == SYSTEM_JOURNAL_ID, AuditEvent.actor.in_(own_users)) + count(_journals(org_id))
    refused = count(org_scope(org_id), AuditEvent.kind == "refused")
    with_events = select(AuditEvent.id).where(AuditEvent.case_id == Case.id).correlate(Case).exists()
    cases = session.scalar(select(func.count()).select_from(Case).where(_of_orgs(Case.org_id, org_id),
                                                                         with_events)) or 0
    return events, refused, cases


def _where(org_id: OrgIds, flt: EventFilter) -> list[ColumnElement[bool]]:
    return [org_scope(_narrowed(org_id, flt.org)), *flt.clauses()]


def _narrowed(org_id: OrgIds, org: str | None) -> OrgIds:
    """The scope, or only the organisation picked within it (issue 14): in the query itself, so counts, pages and
    exports hold that organisation's events and nothing is filtered after reading; one outside it selects none."""
    if org is None:
        return org_id
    inside = org == org_id if isinstance(org_id, str) else org in org_id
    return org if inside else []


def event_orgs(session: Session, events: Sequence[AuditEvent], org_id: OrgIds) -> dict[tuple[str, int], str]:
    """(case, seq) -> the organisation an event belongs to, for the explorer's organisation column: its case's, its
    administration journal's, or, for the system journal, its actor's (the scope's organisations only)."""
    orgs = [org_id] if isinstance(org_id, str) else list(org_id)
    case_ids = {e.case_id for e in events}
    of_case = dict(session.execute(select(Case.id, Case.org_id).where(Case.id.in_(sorted(case_ids)))).all()) \
        if case_ids else {}
    of_case.update({admin_journal_id(o): o for o in orgs})
    actors = sorted({e.actor for e in events if e.case_id == SYSTEM_JOURNAL_ID and e.actor})
    of_actor = dict(session.execute(select(User.username, User.org_id).where(User.username.in_(actors))).all()) \
        if actors else {}
    out: dict[tuple[str, int], str] = {}
    for e in events:
        org = of_actor.get(e.actor or "") if e.case_id == SYSTEM_JOURNAL_ID else of_case.get(e.case_id)
        if org in orgs:
            out[(e.case_id, e.seq)] = org
    return out


def count_events(session: Session, org_id: OrgIds, flt: EventFilter, at_most: int | None = None) -> int:
    """How many events the selection holds; with `at_most`, counting stops after at_most + 1 (so a result
    above `at_most` means "more than that"): an exact count of a million events costs seconds."""
    if at_most is None:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(*_where(org_id, flt))) or 0
    first = select(AuditEvent.id).where(*_where(org_id, flt)).limit(at_most + 1).subquery()
    return session.scalar(select(func.count()).select_from(first)) or 0


def newest_first(query: Select[Any]) -> Select[Any]:
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def page_of_events(session: Session, org_id: OrgIds, flt: EventFilter, page: int, size: int) -> list[AuditEvent]:
    """One page (1-based) of the selection, newest first."""
    query = newest_first(select(AuditEvent).where(*_where(org_id, flt)))
    return list(session.scalars(query.offset((page - 1) * size).limit(size)))


def header_record(flt: EventFilter, *, origin: str, exported_at: str, exported_by: str,
                  org_id: str) -> dict[str, Any]:
    first, before = flt.at_bounds()
    return {
        "type": "header", "format": SELECTION_FORMAT, "origin": origin, "generator": "lawflow",
        "exported_at": exported_at, "exported_by": exported_by, "org": org_id,
        "filters": flt.as_dict(), "timezone": "Asia/Shanghai", "at_from": first, "at_before": before,
        "order": "newest first (at descending)", "verifiable_as_chain": False, "note": NOT_A_CHAIN,
    }


def iter_selection(session: Session, org_id: OrgIds, flt: EventFilter) -> Iterator[dict[str, Any]]:
    """The selected events, newest first, as export event records (the hashed fields + hash), streamed."""
    rows = session.connection().execute(
        newest_first(select(*EVENT_COLUMNS).where(*_where(org_id, flt))).execution_options(yield_per=STREAM))
    loads = json.loads
    for fmt, case_id, seq, kind, trigger, from_state, to_state, actor, role, at, procedure, payload, reasons, \
            prev, digest, facts in rows:
        record = {"type": "event", "format": fmt, "case": case_id, "seq": seq, "kind": kind, "trigger": trigger,
                  "from": from_state, "to": to_state, "actor": actor, "role": role, "at": at,
                  "procedure": procedure, "payload": loads(payload), "reasons": loads(reasons), "prev": prev,
                  "hash": digest}
        if facts is not None:  # hashed only when present (docs/audit-format.md §1)
            record["facts"] = loads(facts)
        yield record
