"""The one way into a journal (workflow/audit/journal.py): the journal's row is locked, the time is read under
that lock, and the event is chained onto the journal's head like any other. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from workflow.audit.journal import record_journal_event
from workflow.audit.trail import event_body
from workflow.audit.verifier import event_hash
from workflow.clock import FixedClock, utc_stamp
from workflow.db import writing
from workflow.models import SYSTEM_JOURNAL_ID, AuditEvent, AuditJournal
from workflow.runtime import Runtime


class WatchingClock(FixedClock):
    """A clock that notes the SQL run before it was read."""

    def __init__(self, base: FixedClock, statements: list[str]) -> None:
        super().__init__(base.now())
        self.statements = statements
        self.seen_before_read: list[str] | None = None

    def now(self):  # type: ignore[no-untyped-def]
        self.seen_before_read = list(self.statements)
        return super().now()


def test_the_time_is_read_after_the_journal_is_locked(town: Runtime) -> None:
    statements: list[str] = []
    engine = town.sessions.kw["bind"]

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        clock = WatchingClock(town.clock, statements)
        with writing(town.sessions) as session:
            record_journal_event(session, SYSTEM_JOURNAL_ID, when=clock, kind="refused", procedure="system@1",
                                 trigger="probe", actor="admin")
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert clock.seen_before_read is not None
    locks = [s for s in clock.seen_before_read if "audit_journal" in s and s.lstrip().upper().startswith("SELECT")]
    assert locks, "the journal row was not read before the time"
    if engine.dialect.name == "postgresql":
        assert "FOR UPDATE" in locks[-1]
    assert not any(s.lstrip().upper().startswith("INSERT INTO AUDIT_EVENT") for s in clock.seen_before_read)


def test_an_event_is_chained_onto_the_journal_head_at_the_clock_time(town: Runtime) -> None:
    town.clock.advance(hours=1)
    with town.sessions() as s:
        before = s.get(AuditJournal, SYSTEM_JOURNAL_ID)
        assert before is not None
        seq, head = before.audit_seq, before.audit_head
    with writing(town.sessions) as session:
        appended = record_journal_event(session, SYSTEM_JOURNAL_ID, when=town.clock, kind="refused",
                                        procedure="system@1", trigger="probe", actor="admin", payload={"n": 1})
    with town.sessions() as s:
        row = s.scalar(select(AuditEvent).where(AuditEvent.case_id == SYSTEM_JOURNAL_ID,
                                                AuditEvent.seq == appended.seq))
        journal = s.get(AuditJournal, SYSTEM_JOURNAL_ID)
        assert row is not None and journal is not None
        assert (row.seq, row.prev, row.at) == (seq + 1, head, utc_stamp(town.clock.now()))
        assert event_hash(event_body(row)) == row.hash == journal.audit_head == appended.hash
        assert journal.audit_seq == seq + 1


def test_a_missing_journal_is_made_only_when_asked(town: Runtime) -> None:
    when = town.clock.now() + timedelta(minutes=5)
    with pytest.raises(LookupError), writing(town.sessions) as session:
        record_journal_event(session, "ADM-nowhere", when=when, kind="admin", procedure="admin@1")
    with town.sessions() as s:
        assert s.get(AuditJournal, "ADM-nowhere") is None
    with writing(town.sessions) as session:
        appended = record_journal_event(session, "ADM-nowhere", when=when, create=True, kind="admin",
                                        procedure="admin@1")
    assert appended.seq == 1
    with town.sessions() as s:
        row = s.scalar(select(AuditEvent).where(AuditEvent.case_id == "ADM-nowhere"))
        assert row is not None and row.at == utc_stamp(when)
