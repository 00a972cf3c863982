"""Engine.check: fire()'s own checks, writing nothing (on SQLite and PostgreSQL, where what is written matters).

Each attempt is checked first, then fired: the check must name the very reasons the fire then records (or pass
where the fire passes), and leave the database and the records folder exactly as they were.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from workflow.engine import Outcome
from workflow.models import AuditEvent, AuditJournal, Case, CaseDeadline, CaseNumberCounter
from workflow.runtime import Runtime

PROPOSAL = {"title": "后龙镇农村生活污水治理方案", "category": "public_policy", "proposer": "leader",
            "summary": "部分村庄生活污水直排，拟建设收集管网"}
OPEN_COMMENT = {"draft_ref": "草案", "explanation": "说明", "channels": ["镇政府网站"], "period_days": 30}


def _new(rt: Runtime) -> str:
    outcome = rt.engine.create_case("major_decision", "zhangwei", PROPOSAL)
    assert outcome.ok and outcome.case_id, outcome.reasons
    return outcome.case_id


def _everything(rt: Runtime) -> tuple[Any, ...]:
    """All that a check could have written: every case row, deadline, event, journal head and number counter,
    and every file under the records folder."""
    with rt.sessions() as s:
        cases = [(c.id, c.state, c.version, json.dumps(c.data, sort_keys=True), c.audit_seq, c.audit_head,
                  c.updated_at) for c in s.scalars(select(Case).order_by(Case.id))]
        deadlines = [(d.case_id, d.name, d.due, d.provisional) for d in
                     s.scalars(select(CaseDeadline).order_by(CaseDeadline.case_id, CaseDeadline.name))]
        events = s.scalar(select(func.count()).select_from(AuditEvent))
        journals = [(j.id, j.audit_seq, j.audit_head) for j in s.scalars(select(AuditJournal).order_by(AuditJournal.id))]
        counters = [(c.org_id, c.prefix, c.year, c.last_number) for c in s.scalars(select(CaseNumberCounter))]
    files = sorted(str(p.relative_to(rt.instance)) for p in Path(rt.instance).rglob("*") if "records" in p.parts)
    return cases, deadlines, events, journals, counters, files


def _check_then_fire(rt: Runtime, case_id: str, trigger: str, actor: str, payload: Any,
                     **kw: Any) -> tuple[Outcome, Outcome]:
    before = _everything(rt)
    checked = rt.engine.check(case_id, trigger, actor, payload, **kw)
    assert _everything(rt) == before, "check() wrote something"
    assert checked.seq is None and checked.event_hash is None
    fired = rt.engine.fire(case_id, trigger, actor, payload, **kw)
    assert _everything(rt) != before, "every fire() leaves an event, in the case's chain or the journal"
    return checked, fired


def test_check_passes_where_fire_passes_and_writes_nothing(town: Runtime) -> None:
    case_id = _new(town)
    checked, fired = _check_then_fire(town, case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"})
    assert checked.ok and fired.ok
    assert (checked.from_state, checked.to_state) == (fired.from_state, fired.to_state) == ("proposed", "drafting")
    assert checked.case_version == 1 and fired.case_version == 2
    checked, fired = _check_then_fire(town, case_id, "open_public_comment", "zhangwei", OPEN_COMMENT)
    assert checked.ok and fired.ok and checked.to_state == fired.to_state == "public_participation"


@pytest.mark.parametrize(("trigger", "actor", "payload", "codes"), [
    ("open_public_comment", "zhangwei", {**OPEN_COMMENT, "period_days": 10}, ["comment_period_lawful"]),
    ("open_public_comment", "huangzhenhua", OPEN_COMMENT, ["role_not_allowed"]),
    ("open_public_comment", "zhangwei", {"draft_ref": "草案"}, ["invalid_payload"] * 3),
    ("close_public_comment", "zhangwei", {"summary": "无"}, ["not_allowed_in_state"]),
    ("no_such_step", "zhangwei", {}, ["unknown_trigger"]),
    ("open_public_comment", "nobody", OPEN_COMMENT, ["unknown_user"]),
    # a record's file is checked too: fire() without one is refused, and so is check(), which takes none
    ("attach_material", "zhangwei", {"material": "draft", "title": "草案", "format": "pdf", "made_on": "2026-03-02"},
     ["record_file_missing"]),
])
def test_check_names_the_reasons_fire_records(town: Runtime, trigger: str, actor: str, payload: dict[str, Any],
                                              codes: list[str]) -> None:
    case_id = _new(town)
    assert town.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}).ok
    checked, fired = _check_then_fire(town, case_id, trigger, actor, payload)
    assert not checked.ok and not fired.ok
    assert checked.codes == fired.codes == codes
    assert [r.as_record() for r in checked.reasons] == [r.as_record() for r in fired.reasons]
    assert (checked.case_id, checked.from_state, checked.case_version) == (case_id, "drafting", 2)
    assert fired.seq == 3  # the fire recorded its refusal in the case's chain; the check did not


def test_check_of_a_minimum_period_and_of_a_stale_form(town: Runtime) -> None:
    case_id = _new(town)
    assert town.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}).ok
    assert town.engine.fire(case_id, "open_public_comment", "zhangwei", OPEN_COMMENT).ok
    checked, fired = _check_then_fire(town, case_id, "close_public_comment", "zhangwei", {"summary": "无"})
    assert checked.codes == fired.codes == ["minimum_period:comment_period"]
    checked, fired = _check_then_fire(town, case_id, "record_comment", "zhangwei",
                                      {"commenter": "村民", "received_on": "2026-03-02", "content": "意见"},
                                      expected_version=2)
    assert checked.codes == fired.codes == ["stale"]


def test_check_of_an_unknown_case_records_nothing_in_the_journal(town: Runtime) -> None:
    checked, fired = _check_then_fire(town, "houlong-MD-2026-9999", "start", "huangzhenhua", {"lead_unit": "x"})
    assert checked.codes == fired.codes == ["unknown_case"]
    assert checked.case_id is fired.case_id is None
    assert fired.seq is not None  # the fire's refusal went into the system journal


def test_before_input_leaves_out_what_needs_the_form(town: Runtime) -> None:
    """The page asks before anything is typed: an empty form is not invalid, and a guard that reads a field
    the form has not sent (comment_period_lawful reads period_days) is left to the submit."""
    case_id = _new(town)
    assert town.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}).ok
    before = _everything(town)
    assert town.engine.check(case_id, "open_public_comment", "zhangwei", {}).codes == ["invalid_payload"] * 4
    ahead = town.engine.check(case_id, "open_public_comment", "zhangwei", {}, before_input=True)
    assert ahead.ok and ahead.seq is None and ahead.to_state == "public_participation"
    # what needs no input is still judged: who may take the step, and a period that has not run out
    assert town.engine.check(case_id, "open_public_comment", "huangzhenhua", {},
                             before_input=True).codes == ["role_not_allowed"]
    assert _everything(town) == before
    assert town.engine.fire(case_id, "open_public_comment", "zhangwei", OPEN_COMMENT).ok
    ahead = town.engine.check(case_id, "close_public_comment", "zhangwei", {}, before_input=True)
    assert ahead.codes == ["minimum_period:comment_period"]
