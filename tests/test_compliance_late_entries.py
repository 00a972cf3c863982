"""Late entries (补录) in the compliance figures: counted per procedure, and never hidden behind an on-time."""

from __future__ import annotations

from datetime import date

from tests.late_entries import tell
from workflow.clock import FixedClock
from workflow.demo import ORG
from workflow.models import Case
from workflow.procedures.enforcement.compliance import ENTERED_IN_TIME, PUBLICATION, compliance_figures
from workflow.runtime import Runtime


def test_late_entries_are_counted_per_procedure_and_named_under_on_time_verdicts(town: Runtime,
                                                                                  clock: FixedClock) -> None:
    case, decision = tell(town, clock)
    with town.sessions() as session:
        report = compliance_figures(session, ORG, date(2026, 3, 1), date(2026, 3, 31), registry=town.registry)
        verdict = session.get(Case, case).data["publication"]["timeliness"]["publication_period"]
    # the verdict is on time by the typed date, and says it rests on a late entry made on 03-16
    assert verdict == {"due": "2026-03-11", "ended_on": "2026-03-10", "on_time": True, "late_entry": True,
                       "recorded_on": "2026-03-16"}
    dated = report.figure(ENTERED_IN_TIME)
    # dated entries: the notice, the decision, the service, the publication, the comment; three of them late
    assert (dated.numerator, dated.denominator, dated.target) == (2, 5, None)
    assert sorted((s.ref, s.reason, s.due, s.done_on) for s in dated.shortfalls) == sorted([
        (case, "late_entry", date(2026, 3, 3), date(2026, 3, 10)),
        (case, "late_entry", date(2026, 3, 10), date(2026, 3, 16)),
        (decision, "late_entry", date(2026, 3, 3), date(2026, 3, 16))])
    assert dated.part("late_entries:enforcement_case") == (case, case)
    assert dated.part("late_entries:major_decision") == (decision,)
    publication = report.figure(PUBLICATION)
    assert (publication.numerator, publication.denominator) == (1, 1)
    assert publication.part("late_entry") == (case,)


def test_a_period_before_the_late_entries_holds_none(town: Runtime, clock: FixedClock) -> None:
    tell(town, clock)
    with town.sessions() as session:
        report = compliance_figures(session, ORG, date(2026, 3, 1), date(2026, 3, 9), registry=town.registry)
    dated = report.figure(ENTERED_IN_TIME)
    assert (dated.numerator, dated.denominator, dated.shortfalls) == (2, 2, ())
