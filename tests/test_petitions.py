"""The petitions registers (definitions/petition, complaint, respondent_case.v1.yaml): Houlong's 2024 entries
(workflow/demo_petitions.py) entered through the import path and the engine give the figures their definitions
declare, and leave no period open. Reading and counting do not depend on the database: one_database (the rules
themselves are the scenarios of features/petitions/, on both)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from workflow import demo_petitions, register_io
from workflow.figures import stated
from workflow.models import Case, CaseDeadline
from workflow.runtime import Runtime

pytestmark = pytest.mark.one_database


def _figures(town: Runtime, procedure_id: str, year: int) -> dict[str, str]:
    with town.sessions() as session:
        found = register_io.figures(session, town.registry.get(procedure_id), "houlong", year)
    return {f.spec.id: stated(f) for f in found}


def test_houlongs_2024_petitions_complaints_and_respondent_cases_give_their_figures(town: Runtime) -> None:
    created = demo_petitions.tell(town.engine, "houlong", full=True)
    assert len(created) == len(demo_petitions.PETITIONS) + len(demo_petitions.COMPLAINTS) + len(demo_petitions.RESPONDENT)
    # the periods' verdicts as the engine recorded them, each judged by the day the step's own date says (the
    # written notice by its notified_on): entered after the fact in 2026, the 2024 notices were given in time
    assert _figures(town, "petition", 2024) == {
        "received": "3", "claims": "2", "opinions": "1", "extensions": "0", "notice_in_time": "3", "notice_late": "0",
        "notice_overdue": "0", "opinion_in_time": "1", "opinion_late": "0", "opinion_overdue": "0"}
    assert _figures(town, "complaint", 2024) == {"received": "2", "answered": "2", "answered_in_time": "2",
                                                 "answered_late": "0", "answer_overdue": "0", "substantiated": "1"}
    assert _figures(town, "respondent_case", 2024) == {
        "reconsiderations": "1", "lawsuits": "1", "answered": "2", "answered_in_time": "2", "answered_late": "0",
        "answer_overdue": "0", "maintained": "2", "corrected_by_body": "0", "hearings": "1", "head_appeared": "1"}
    assert _figures(town, "petition", 2025)["received"] == "0"
    with town.sessions() as session:
        states = dict(session.execute(select(Case.id, Case.state).where(Case.id.in_(created))).all())
        still_open = session.scalars(select(CaseDeadline).where(CaseDeadline.case_id.in_(created))).all()
    # every story reaches its end: routed, archived or answered, and no period of 2024 is left running
    assert set(states.values()) <= {"routed", "archived", "answered"}, states
    assert [(d.case_id, d.name) for d in still_open if d.due is not None] == []
