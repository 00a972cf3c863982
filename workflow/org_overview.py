"""The supervising level's overview of the organisations below it (issue 14): per organisation, its open cases by
procedure, the cases with an overdue time limit, the refusals of the month, and the last audit checkpoint that
anchors its trail. Counts only, each answerable by a filtered list the page links to.

Generic: what a procedure is and which of its stages are terminal comes from the registry; which procedures count
is what the reader may read there (workflow/case_reading.py Reader.sees_in: the definitions'
`visibility.supervision:`). Nothing here knows a family.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.audit.selection import org_scope
from workflow.case_reading import Reader
from workflow.clock import local_day_bounds
from workflow.models import (
    AuditCheckpoint,
    AuditEvent,
    AuditLeaf,
    Case,
    CaseDeadline,
    Organization,
    admin_journal_id,
)


@dataclass(frozen=True)
class Checkpoint:
    tree_size: int
    issued_at: str  # RFC 3339 UTC, as signed


@dataclass
class OrgFigures:
    org_id: str
    name_zh: str
    name_en: str
    kind: str
    open_by_procedure: dict[str, int] = field(default_factory=dict)  # procedure id -> open cases
    overdue: int = 0  # open cases with a time limit past due
    refused: int = 0  # refused attempts this month (its cases, its journal, its people's)
    checkpoint: Checkpoint | None = None  # the first checkpoint holding every anchored event of its trail
    unanchored: int = 0  # its events no checkpoint holds yet


def figures(session: Session, reader: Reader, today: date) -> list[OrgFigures]:
    """The figures of each organisation below the reader's (none if they supervise nothing), in tree order."""
    out: list[OrgFigures] = []
    orgs = {o.id: o for o in session.scalars(select(Organization).where(Organization.id.in_(sorted(reader.below))))}
    month_from = local_day_bounds(today.replace(day=1), today)[0]
    for org_id in reader.orgs()[1:]:
        org = orgs[org_id]
        row = OrgFigures(org_id, org.name_zh, org.name_en, org.kind)
        open_ids: list[str] = []
        for case_id, pid, version, state in session.execute(
                select(Case.id, Case.procedure, Case.procedure_version, Case.state).where(Case.org_id == org_id)):
            procedure = reader.procedure(pid, version)
            if procedure is None or not reader.sees_in(procedure, org_id):
                continue
            if state in procedure.states and not procedure.states[state].terminal:
                row.open_by_procedure[pid] = row.open_by_procedure.get(pid, 0) + 1
                open_ids.append(case_id)
        if open_ids:
            row.overdue = session.scalar(select(func.count(func.distinct(CaseDeadline.case_id))).where(
                CaseDeadline.case_id.in_(open_ids), CaseDeadline.kind == "limit", CaseDeadline.due < today)) or 0
        row.refused = session.scalar(select(func.count()).select_from(AuditEvent).where(
            org_scope(org_id), AuditEvent.kind == "refused", AuditEvent.at >= month_from)) or 0
        trail = (AuditLeaf.case_id.in_(select(Case.id).where(Case.org_id == org_id))) \
            | (AuditLeaf.case_id == admin_journal_id(org_id))
        last_leaf = session.scalar(select(func.max(AuditLeaf.log_index)).where(trail))
        if last_leaf is not None:
            head = session.execute(select(AuditCheckpoint.tree_size, AuditCheckpoint.issued_at)
                                   .where(AuditCheckpoint.tree_size > last_leaf)
                                   .order_by(AuditCheckpoint.tree_size).limit(1)).first()
            row.checkpoint = Checkpoint(*head) if head else None
        events = session.scalar(select(func.count()).select_from(AuditEvent).where(
            (AuditEvent.case_id.in_(select(Case.id).where(Case.org_id == org_id)))
            | (AuditEvent.case_id == admin_journal_id(org_id)))) or 0
        anchored = session.scalar(select(func.count()).select_from(AuditLeaf).where(trail)) or 0
        row.unanchored = max(events - anchored, 0)
        out.append(row)
    return out
