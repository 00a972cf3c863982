"""The engine's invariants, on SQLite and PostgreSQL: one path in, refusals change nothing but the trail."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from workflow.definitions import DEFINITIONS_DIR, load_registry
from workflow.engine import Engine
from workflow.models import SYSTEM_JOURNAL_ID, AuditEvent, AuditJournal, Case, CaseDeadline
from workflow.runtime import Runtime

PROPOSAL = {"title": "后龙镇农村生活污水治理方案", "category": "public_policy", "proposer": "leader",
            "summary": "部分村庄生活污水直排，拟建设收集管网"}


def _new(rt: Runtime) -> str:
    outcome = rt.engine.create_case("major_decision", "zhangwei", PROPOSAL)
    assert outcome.ok, outcome.reasons
    assert outcome.case_id
    return outcome.case_id


def _snapshot(rt: Runtime, case_id: str) -> tuple:
    with rt.sessions() as s:
        c = s.get(Case, case_id)
        assert c is not None
        deadlines = sorted((d.name, d.due, d.provisional) for d in c.deadlines)
        return c.state, c.version, json.dumps(c.data, sort_keys=True), deadlines, c.updated_at


def _events(rt: Runtime, case_id: str) -> list[AuditEvent]:
    with rt.sessions() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)))


def _to_public_participation(rt: Runtime, case_id: str) -> None:
    assert rt.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}).ok
    assert rt.engine.fire(case_id, "open_public_comment", "zhangwei", {
        "draft_ref": "草案", "explanation": "说明", "channels": ["镇政府网站"], "period_days": 30}).ok


def test_success_writes_state_version_data_deadline_and_one_chained_event(town: Runtime) -> None:
    case_id = _new(town)
    _to_public_participation(town, case_id)
    state, version, data, deadlines, _ = _snapshot(town, case_id)
    assert (state, version) == ("public_participation", 3)
    assert json.loads(data)["public_comment"]["period_days"] == 30
    assert [d[0] for d in deadlines] == ["comment_period"]
    events = _events(town, case_id)
    assert [e.seq for e in events] == [1, 2, 3]
    assert [e.prev for e in events[1:]] == [e.hash for e in events[:-1]]
    with town.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None and (case.audit_seq, case.audit_head) == (3, events[-1].hash)


def test_refusal_changes_nothing_but_adds_one_refused_event_with_all_reasons(town: Runtime) -> None:
    case_id = _new(town)
    assert town.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}).ok
    before = _snapshot(town, case_id)
    count = len(_events(town, case_id))
    town.clock.advance(days=1)  # type: ignore[attr-defined]
    outcome = town.engine.fire(case_id, "open_public_comment", "zhangwei", {
        "draft_ref": "草案", "explanation": "说明", "channels": ["镇政府网站"], "period_days": 10})
    assert not outcome.ok and outcome.codes == ["comment_period_lawful"]
    assert _snapshot(town, case_id) == before
    events = _events(town, case_id)
    assert len(events) == count + 1
    refused = events[-1]
    assert (refused.kind, refused.from_state, refused.to_state) == ("refused", "drafting", "drafting")
    reasons = json.loads(refused.reasons)
    assert reasons[0]["article"] == "《重大行政决策程序暂行条例》第十五条"
    assert json.loads(refused.payload)["period_days"] == 10


def test_every_failing_guard_is_reported_together(town: Runtime) -> None:
    case_id = _new(town)
    _to_public_participation(town, case_id)
    town.clock.advance(days=31)  # type: ignore[attr-defined]
    assert town.engine.fire(case_id, "close_public_comment", "zhangwei", {"summary": "无意见"}).ok
    outcome = town.engine.fire(case_id, "submit_for_legality_review", "zhangwei", {
        "draft_ref": "送审稿", "legal_basis": "依据", "procedure_account": "说明",
        "requested_by": town.engine.today().isoformat()})
    assert set(outcome.codes) == {"expert_argumentation_resolved", "risk_assessment_resolved",
                                  "review_time_at_least_7_working_days"}


def test_payload_errors_name_each_field(town: Runtime) -> None:
    case_id = _new(town)
    outcome = town.engine.fire(case_id, "start", "huangzhenhua", {"co_units": "not a list", "extra": 1})
    fields = {r.field: r for r in outcome.reasons}
    assert set(fields) == {"lead_unit", "co_units", "extra"}
    assert fields["lead_unit"].zh == "「决策承办单位」：必填项未填写"
    assert _snapshot(town, case_id)[0] == "proposed"


def test_out_of_profile_payload_is_refused_and_still_audited(town: Runtime) -> None:
    case_id = _new(town)
    outcome = town.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": 1.5})
    assert not outcome.ok and outcome.reasons[0].field == "lead_unit"
    assert "unrecordable_payload" in json.loads(_events(town, case_id)[-1].payload)


def test_unknown_case_is_refused_into_the_system_journal(town: Runtime) -> None:
    outcome = town.engine.fire("MD-1999-0001", "start", "huangzhenhua", {})
    assert not outcome.ok and outcome.codes == ["unknown_case"]
    with town.sessions() as s:
        journal = s.get(AuditJournal, SYSTEM_JOURNAL_ID)
        assert journal is not None and journal.audit_seq == 1
        event = s.scalars(select(AuditEvent).where(AuditEvent.case_id == SYSTEM_JOURNAL_ID)).one()
        assert json.loads(event.payload)["attempt"] == {"case": "MD-1999-0001"}


def test_unknown_user_and_wrong_role_and_wrong_state(town: Runtime) -> None:
    case_id = _new(town)
    assert town.engine.fire(case_id, "start", "nobody", {"lead_unit": "x"}).codes == ["unknown_user"]
    assert town.engine.fire(case_id, "start", "zhangwei", {"lead_unit": "x"}).codes == ["role_not_allowed"]
    assert town.engine.fire(case_id, "publish", "zhangwei", {}).codes == ["not_allowed_in_state"]
    assert town.engine.fire(case_id, "fly", "zhangwei", {}).codes == ["unknown_trigger"]
    assert [e.kind for e in _events(town, case_id)] == ["created"] + ["refused"] * 4


def test_stale_version_is_refused(town: Runtime) -> None:
    case_id = _new(town)
    outcome = town.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "x"}, expected_version=7)
    assert outcome.codes == ["stale"]
    assert town.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "x"}, expected_version=1).ok


def test_event_time_comes_from_the_clock(town: Runtime) -> None:
    case_id = _new(town)
    assert _events(town, case_id)[0].at == town.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_case_stays_on_the_version_it_started_under(town: Runtime, tmp_path: Path) -> None:
    case_id = _new(town)  # under the newest shipped version
    current = town.registry.get("major_decision")
    folder = tmp_path / "defs"
    folder.mkdir()
    for path in DEFINITIONS_DIR.glob("major_decision.v*.yaml"):
        shutil.copy(path, folder)
    # a next version in which the drafter, not the head, starts the procedure
    nxt = Path(current.source_file).read_text(encoding="utf-8")
    nxt = nxt.replace(f"version: {current.version}\n", f"version: {current.version + 1}\n", 1).replace(
        "roles: [head]\n    basis: 条例第十条、第十一条", "roles: [drafter]\n    basis: 条例第十条、第十一条")
    (folder / f"major_decision.v{current.version + 1}.yaml").write_text(nxt, encoding="utf-8")
    engine = Engine(town.sessions, load_registry(folder), town.clock)
    assert engine.fire(case_id, "start", "zhangwei", {"lead_unit": "x"}).codes == ["role_not_allowed"]
    new = engine.create_case("major_decision", "zhangwei", PROPOSAL)
    assert engine.fire(new.case_id or "", "start", "zhangwei", {"lead_unit": "x"}).ok
    with town.sessions() as s:
        assert [c.procedure_version for c in s.scalars(select(Case).order_by(Case.id))] == [
            current.version, current.version + 1]


def test_a_case_of_the_first_version_takes_no_materials(town: Runtime, tmp_path: Path) -> None:
    """Cases opened under major_decision v1 stay on it: the step that uploads materials (v2) is not theirs."""
    folder = tmp_path / "v1"
    folder.mkdir()
    shutil.copy(DEFINITIONS_DIR / "major_decision.v1.yaml", folder)
    old = Engine(town.sessions, load_registry(folder), town.clock).create_case("major_decision", "zhangwei",
                                                                               PROPOSAL).case_id
    new = _new(town)
    material = {"material": "draft", "title": "草案", "format": "pdf", "made_on": "2026-03-02"}
    pdf = b"%PDF-1.7\n%draft\n"
    refused = town.engine.fire(old or "", "attach_material", "zhangwei", material,
                               attachment=town.records.stage_bytes(pdf))
    assert refused.codes == ["unknown_trigger"]
    assert town.engine.fire(new, "attach_material", "zhangwei", material,
                            attachment=town.records.stage_bytes(pdf)).ok
    with town.sessions() as s:
        assert [(c.procedure_version, len(c.data.get("records", []))) for c in
                s.scalars(select(Case).order_by(Case.id))] == [(1, 0), (town.registry.get("major_decision").version, 1)]


def test_concurrent_steps_on_one_case_never_fork_the_chain(town: Runtime) -> None:
    case_id = _new(town)
    _to_public_participation(town, case_id)
    errors: list[BaseException] = []

    def comment(i: int) -> None:
        try:
            for j in range(5):
                outcome = town.engine.fire(case_id, "record_comment", "zhangwei", {
                    "commenter": f"村民{i}-{j}", "received_on": "2026-03-02", "content": "意见"})
                assert outcome.ok
        except BaseException as exc:  # noqa: BLE001 - collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=comment, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    events = _events(town, case_id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert len({e.prev for e in events}) == len(events)
    with town.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None
        assert [c["no"] for c in case.data["comments"]] == list(range(1, 21))
        assert case.version == 3 + 20


def test_crash_before_commit_leaves_the_case_and_trail_consistent(town: Runtime, tmp_path: Path) -> None:
    """A process killed after the event INSERT and before COMMIT leaves neither the event nor the state."""
    case_id = _new(town)
    script = textwrap.dedent(f"""
        import os
        from workflow import engine as eng
        from workflow.clock import FixedClock
        from workflow.runtime import Runtime
        original = eng.append_event
        def crash_after_insert(session, head, **kw):
            row = original(session, head, **kw)
            os._exit(9)
        eng.append_event = crash_after_insert
        rt = Runtime(instance={str(tmp_path)!r}, database_url={town.database_url!r},
                     key_path={str(tmp_path / 'k')!r})
        rt.engine.fire({case_id!r}, "start", "huangzhenhua", {{"lead_unit": "x"}})
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent.parent)
    assert run.returncode == 9, run.stderr
    state, version, *_ = _snapshot(town, case_id)
    assert (state, version) == ("proposed", 1)
    assert [e.kind for e in _events(town, case_id)] == ["created"]
    assert town.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "x"}).ok


@pytest.mark.parametrize("trigger", ["start", "decline_to_start"])
def test_no_deadline_rows_without_a_deadline(town: Runtime, trigger: str) -> None:
    case_id = _new(town)
    payload = {"lead_unit": "x"} if trigger == "start" else {"reason": "不属于重大行政决策事项"}
    assert town.engine.fire(case_id, trigger, "huangzhenhua", payload).ok
    with town.sessions() as s:
        assert s.scalars(select(CaseDeadline)).all() == []


def test_a_replaced_record_is_kept_as_superseded(town: Runtime) -> None:
    case_id = _new(town)
    _to_public_participation(town, case_id)
    town.clock.advance(days=31)  # type: ignore[attr-defined]
    assert town.engine.fire(case_id, "close_public_comment", "zhangwei", {"summary": "无意见"}).ok
    for unit in ("泉港区维稳评估所", "后龙镇综治中心"):
        assert town.engine.fire(case_id, "record_risk_assessment", "zhangwei", {
            "unit": unit, "report_ref": "风评", "report_signed": True, "risk_points": "无",
            "measures": "无", "conclusion": "controllable"}).ok
    data = json.loads(_snapshot(town, case_id)[2])
    assert data["risk_assessment"]["unit"] == "后龙镇综治中心"
    assert [r["unit"] for r in data["superseded"]["risk_assessment"]] == ["泉港区维稳评估所"]
