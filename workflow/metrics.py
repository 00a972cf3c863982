"""What the operator's metrics read from the database: audit events by kind and fire() outcomes.

Read from the trail, not counted in a process: the figures are the instance's, the same whichever web worker
answers the scrape, and they include what the command line and other workers did. Both queries are served
by the index ix_audit_event_kind_at (an index-only count), so a scrape costs a scan of that index: trivial for a
town; on a province-sized trail (10 million events) about a second on PostgreSQL — scrape every minute or
more there.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.engine import SYSTEM_PROCEDURE
from workflow.models import AuditEvent

ACCEPTED_KINDS = ("created", "transition", "record_attached")  # what a successful fire() or create writes
LOGIN_TRIGGER = "login"  # the SYS journal's account locks (web/login_throttle.py): refused, but not a fire()


@dataclass(frozen=True)
class AuditCounts:
    by_kind: dict[str, int]
    login_locks: int

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    @property
    def fire_accepted(self) -> int:
        return sum(self.by_kind.get(k, 0) for k in ACCEPTED_KINDS)

    @property
    def fire_refused(self) -> int:
        return self.by_kind.get("refused", 0) - self.login_locks


def audit_counts(session: Session) -> AuditCounts:
    rows = session.execute(select(AuditEvent.kind, func.count()).group_by(AuditEvent.kind)).all()
    locks = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.kind == "refused", AuditEvent.trigger == LOGIN_TRIGGER,
        AuditEvent.procedure == SYSTEM_PROCEDURE)) or 0
    return AuditCounts({kind: int(n) for kind, n in rows}, int(locks))
