"""bench/scale.py at a tiny size: its bulk-written trail verifies, and the app reads its rows as its own."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bench.scale import BIG_CASE_EVENTS, PgWriter, SqliteWriter, generate
from workflow.audit.export import verify_database
from workflow.clock import utc_stamp
from workflow.models import AuditEvent, Case, CaseDeadline

CASES, EVENTS = 50, 700


def test_the_generator_writes_a_trail_that_verifies(runtime, owner_url):
    if owner_url.startswith("sqlite"):
        writer = SqliteWriter(Path(owner_url.removeprefix("sqlite:///")))
    else:
        writer = PgWriter(owner_url)
    summary = generate(runtime, writer, CASES, EVENTS, seed=7)
    assert summary["events"] == EVENTS

    report = verify_database(runtime.sessions, runtime.origin, utc_stamp(runtime.clock.now()))
    assert report.ok, report.message
    assert report.events == EVENTS

    registry = runtime.registry
    with runtime.sessions() as s:
        cases = s.scalars(select(Case)).all()
        assert len(cases) == CASES
        assert {c.org_id for c in cases} <= {"houlong", "fengwei"}
        for case in cases:  # the app's own types read back, and every stage is one of its procedure's
            assert case.state in registry.get(case.procedure, case.procedure_version).states
            assert case.created_at <= case.updated_at and case.version >= 1 and case.title
        big = s.get(Case, summary["big_case"])
        assert big is not None and big.audit_seq == BIG_CASE_EVENTS
        assert s.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.case_id == big.id)) == BIG_CASE_EVENTS
        assert len(big.data["comments"]) > 50  # a long public participation, recorded as the engine does
        kinds = set(s.scalars(select(AuditEvent.kind).distinct()))
        assert {"created", "transition", "refused"} <= kinds
        for d in s.scalars(select(CaseDeadline)):
            assert d.kind in ("minimum", "limit") and d.started_on <= d.due
