"""Appending to a journal: a hash chain that belongs to no case (the system journal SYS, an organisation's
administration journal ADM-<org>).

A case's events are appended by the engine's `fire` under the case-row lock. Everything else that is audited
(an administrative change, a locked login, a key rotation) goes through `record_journal_event`, the one way
into a journal: it locks the journal's row, reads the time under that lock — so that two writers of the same
journal cannot append their events out of time order — chains the event (workflow.audit.trail) and inserts
it, all in the caller's transaction. The event's bytes and hash are those of any other event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from workflow.audit.trail import AppendedEvent, append_event
from workflow.clock import Clock, utc_stamp
from workflow.models import GENESIS_HASH, AuditJournal

# The time of an audited change: a clock, read under the journal's lock; or a moment the caller has already
# read under it (an administrative change uses one moment for its rows and its event).
Moment = datetime | Clock


def read_time(when: Moment) -> datetime:
    return when if isinstance(when, datetime) else when.now()


def lock_journal(session: Session, journal_id: str, *, create: bool = False) -> AuditJournal:
    """The journal's row, locked for this transaction; with `create`, made on first use (a journal that must
    exist already, like SYS, which the first migration creates, raises LookupError when absent)."""
    journal = session.get(AuditJournal, journal_id, with_for_update=True)
    if journal is None and create:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        # ON CONFLICT DO NOTHING: a concurrent first change may have created it; then lock that one.
        session.execute(insert(AuditJournal).values(id=journal_id, audit_seq=0, audit_head=GENESIS_HASH)
                        .on_conflict_do_nothing())
        journal = session.get(AuditJournal, journal_id, with_for_update=True)
    if journal is None:
        raise LookupError(f"no audit journal {journal_id!r}")
    return journal


def record_journal_event(session: Session, journal_id: str, *, when: Moment, kind: str, procedure: str,
                         create: bool = False, **fields: Any) -> AppendedEvent:
    """Lock the journal, read the time under the lock, chain the event and insert it (in the caller's
    transaction). `fields` are those of workflow.audit.trail.chain_event: trigger, actor, role, payload, ..."""
    journal = lock_journal(session, journal_id, create=create)
    return append_event(session, journal, kind=kind, at=utc_stamp(read_time(when)), procedure=procedure, **fields)
