"""The event feed: an organisation's audit events in the order of the Merkle log, from a cursor.

An integration (an OA system, the district's platform) that follows what happens in lawflow needs every event
it may see exactly once, in one order, and to resume after its own crash from where it stood. Event ids and
timestamps cannot give that on PostgreSQL: transactions commit out of the order in which they took their ids
and clocks, so "everything after id 100" read now can miss an id 99 committed a moment later. The Merkle log
can: its leaves (audit_leaf) are appended by the checkpoint integrator alone, under its lock, each round
committed with the checkpoint that signs it (workflow/audit/checkpoint.py). A reader that sees a checkpoint
of size N sees leaves 0…N-1 and no leaf below N is ever added later. So the cursor is a leaf index:

* nothing is skipped or repeated, whatever commits meanwhile;
* resuming is sending the last index received (the client keeps it; the server keeps nothing per client);
* each item carries its event in the export's format (docs/audit-format.md §1) with its leaf index, so a
  receiver can recompute each event's hash and check its link to the one before in its chain, and later
  compare what it received with an export that the offline verifier checked against the signed checkpoints.

An event enters the feed when it is anchored: the worker (or `lawflow audit checkpoint`, run regularly) makes
that latency. The feed is scoped like the export: the organisations' case chains and administration journals.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from workflow.audit.checkpoint import checkpoint_record, latest_checkpoint
from workflow.audit.export import EVENT_COLUMNS, event_record
from workflow.models import AuditEvent, AuditLeaf, Case, admin_journal_id

MAX_PAGE = 1000


@dataclass(frozen=True)
class FeedPage:
    events: list[dict[str, Any]]  # {"log_index": n, "event": {...}} in log order
    next_after: int  # the cursor to send next: every leaf up to it was considered (-1: none yet)
    more: bool  # whether anchored leaves beyond next_after remain (ask again at once)
    checkpoint: dict[str, Any] | None  # the latest signed checkpoint the page was read against


def page(session: Session, orgs: Collection[str], after: int, limit: int = 100) -> FeedPage:
    """The organisations' events anchored after leaf `after` (-1: from the start), at most `limit`."""
    limit = max(1, min(limit, MAX_PAGE))
    latest = latest_checkpoint(session)  # first: every leaf below its size is committed and final
    size = latest.tree_size if latest is not None else 0
    in_scope = or_(AuditLeaf.case_id.in_(select(Case.id).where(Case.org_id.in_(list(orgs)))),
                   AuditLeaf.case_id.in_([admin_journal_id(o) for o in orgs]))
    rows = session.execute(
        select(AuditLeaf.log_index, *EVENT_COLUMNS).join(AuditEvent, AuditEvent.id == AuditLeaf.event_id)
        .where(AuditLeaf.log_index > after, AuditLeaf.log_index < size, in_scope)
        .order_by(AuditLeaf.log_index).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    events = [{"log_index": row[0], "event": event_record(row[1:])} for row in rows]
    # A short page considered every leaf below the checkpoint: the next read starts there, not at this
    # organisation's last event (the leaves between are other organisations').
    next_after = events[-1]["log_index"] if more else max(after, size - 1)
    return FeedPage(events, next_after, more, checkpoint_record(latest) if latest is not None else None)
