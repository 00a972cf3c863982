"""What the auditor's overview and verification pages read about the chains an auditor may see (a read model:
the pages in web/audit.py only format it).

The chains of an organisation are its cases and its administration journal; which organisations a user may
audit is workflow/visibility.py's answer. The shared system journal is not among them (as in the export: it
holds every organisation's refusals).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from workflow.audit.selection import org_scope
from workflow.models import AuditEvent, Case, admin_journal_id
from workflow.visibility import visible_orgs


def visible_chains(session: Session, org_id: str, supervising: bool = False) -> set[str]:
    """The chains whose verification a user of `org_id` sees: the cases and administration journals of the
    organisations it may see (not the shared system journal; `supervising`: workflow/visibility.py)."""
    orgs = visible_orgs(session, org_id, supervising)
    return set(session.scalars(select(Case.id).where(or_(Case.org_id.in_(orgs), Case.addressee_org_id.in_(orgs))))) \
        | {admin_journal_id(o) for o in orgs}


def case_titles(session: Session, org_id: str) -> dict[str, str]:
    """The titles of the cases a user of `org_id` may audit, by case id."""
    orgs = visible_orgs(session, org_id)
    return dict(session.execute(select(Case.id, Case.title).where(
        or_(Case.org_id.in_(orgs), Case.addressee_org_id.in_(orgs)))).all())


def events_in(session: Session, chains: Iterable[str]) -> int:
    """How many events these chains hold now (against a verification's count: what came since)."""
    return sum(count for _case, count in session.execute(
        select(AuditEvent.case_id, func.count()).where(AuditEvent.case_id.in_(list(chains)))
        .group_by(AuditEvent.case_id)))


def recent_events(session: Session, org_id: str | Sequence[str], limit: int) -> Sequence[AuditEvent]:
    """The organisation's latest events, newest first."""
    return session.scalars(select(AuditEvent).where(org_scope(org_id))
                           .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)).all()


def own_case_ids(session: Session, org_id: str) -> set[str]:
    """The organisation's own case ids (the figures link only to these)."""
    return set(session.scalars(select(Case.id).where(Case.org_id == org_id)))


def case_events(session: Session, case_id: str) -> Sequence[AuditEvent]:
    """A case's events in chain order (its history)."""
    return session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)).all()


def moves_of(session: Session, case_id: str) -> list[tuple[str | None, str | None]]:
    """The (from, to) stages of every transition the case has taken, in the order of its chain: the path a
    state diagram marks."""
    rows = session.execute(select(AuditEvent.from_state, AuditEvent.to_state)
                           .where(AuditEvent.case_id == case_id, AuditEvent.kind == "transition")
                           .order_by(AuditEvent.seq)).all()
    return [(row.from_state, row.to_state) for row in rows]
