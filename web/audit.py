"""The audit page: for auditors and administrators, the organisation's events and refusals at a glance.

Scope: events of the organisation's cases, plus system-journal events (refusals that belong to no case,
e.g. an unknown case id or a refused opening) by the organisation's own users.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy import and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from web.present import event_view
from web.runtime import runtime
from workflow.models import SYSTEM_JOURNAL_ID, AuditEvent, Case, User
from workflow.runtime import Runtime

bp = Blueprint("audit", __name__, url_prefix="/audit")
AUDIT_ROLES = ("auditor", "admin")
RECENT = 100


def verification_status(runtime: Runtime) -> Any | None:
    """Verify the whole trail in the database now (hash chains, leaves, checkpoints, signatures) — the same
    check as `lawflow audit verify`, through the offline verifier. The template reads the Report's fields:
    ok, message, events, cases, checkpoints, unanchored_events, signatures, first_error."""
    from workflow.audit.export import verify_database
    from workflow.clock import utc_stamp

    return verify_database(runtime.sessions, runtime.origin, utc_stamp(runtime.clock.now()))


def _scope(org_id: str) -> ColumnElement[bool]:
    own_cases = select(Case.id).where(Case.org_id == org_id)
    own_users = select(User.username).where(User.org_id == org_id)
    return or_(AuditEvent.case_id.in_(own_cases),
               and_(AuditEvent.case_id == SYSTEM_JOURNAL_ID, AuditEvent.actor.in_(own_users)))


@bp.get("/")
def index() -> str:
    if not current_user.has_any_role(*AUDIT_ROLES):
        abort(403)
    rt = runtime()
    scope = _scope(current_user.org_id)
    with rt.sessions() as s:
        total = s.scalar(select(func.count()).select_from(AuditEvent).where(scope)) or 0
        refused = s.scalar(select(func.count()).select_from(AuditEvent)
                           .where(scope, AuditEvent.kind == "refused")) or 0
        cases = s.scalar(select(func.count(func.distinct(AuditEvent.case_id)))
                         .where(scope, AuditEvent.case_id != SYSTEM_JOURNAL_ID)) or 0
        recent = s.scalars(select(AuditEvent).where(scope)
                           .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(RECENT)).all()
        people = dict(s.execute(select(User.username, User.display_name)
                                .where(User.org_id == current_user.org_id)).all())
        events = [event_view(e, rt.registry, people, with_payload=False) for e in recent]
    verification = verification_status(rt)
    first_error = (verification.get("first_error") if isinstance(verification, dict)
                   else getattr(verification, "first_error", None))
    if first_error is not None and hasattr(first_error, "describe"):
        first_error = first_error.describe()
    return render_template("audit/index.html", total=total, refused=refused, cases=cases, events=events,
                           recent=RECENT, verification=verification, first_error=first_error,
                           system_journal=SYSTEM_JOURNAL_ID)
