"""Time that acts (workflow/timers/): timers in the definitions are validated on load, the worker catches up
months of due acts in time order and does each once, its events keep the trail verifiable (in the database and
by the auditor's offline verifier), and `lawflow worker --once` runs it from the command line."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import func, select

from tests.auditor_script import auditor_script
from workflow.audit.export import export, verify_database
from workflow.clock import utc_stamp
from workflow.definitions import DEFINITIONS_DIR, DefinitionError, parse
from workflow.models import AuditEvent, Case, CaseDeadline, Notification, TimerAct
from workflow.runtime import Runtime
from workflow.timers.schedule import days_before
from workflow.timers.worker import TIMER_KIND, Worker

MD = DEFINITIONS_DIR / "major_decision.v2.yaml"
EC = DEFINITIONS_DIR / "enforcement_case.v1.yaml"
PROPOSAL = {"title": "后龙镇生活垃圾分类实施办法", "category": "public_policy", "proposer": "leader",
            "summary": "落实生活垃圾分类要求，拟出台镇级实施办法。"}
COMMENT = {"draft_ref": "征求意见稿", "explanation": "说明", "channels": ["镇政府网站"], "period_days": 30}


# ---------------------------------------------------------------- timers as data: load errors


def _raw(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _problems(raw: dict[str, Any], name: str) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as exc:
        parse(raw, name)
    assert exc.value.file == name
    return exc.value.problems


def _step(raw: dict[str, Any], trigger: str) -> dict[str, Any]:
    return next(t for t in raw["transitions"] if t["trigger"] == trigger)


@pytest.mark.parametrize("change, path, reason", [
    (lambda r: r["deadlines"]["publication"]["timers"][0].update(to=["mayor"]),
     "deadlines.publication.timers.0.to.0", "undefined role 'mayor'"),
    (lambda r: r["deadlines"]["publication"]["timers"][1].update(escalate_to="system"),
     "deadlines.publication.timers.1.escalate_to", "undefined role 'system'"),
    (lambda r: r["deadlines"]["publication"]["timers"][0].update(remind=[3, -1]),
     "deadlines.publication.timers.0.remind.1", "must be 1 or more"),
    (lambda r: r["deadlines"]["publication"]["timers"][0].update(remind=["three"]),
     "deadlines.publication.timers.0.remind.0", "a setting key"),
    (lambda r: r["deadlines"]["publication"]["timers"][0].update(unit="hours"),
     "deadlines.publication.timers.0.unit", "Must be one of"),
    (lambda r: r["deadlines"]["publication"]["timers"][0].pop("unit"),
     "deadlines.publication.timers.0.unit", "unit of its offsets"),
    (lambda r: r["deadlines"]["publication"]["timers"].append({"on_end": "fire", "trigger": "publish"}),
     "deadlines.publication.timers.2", "on_end belongs to a minimum period"),
    (lambda r: r["deadlines"]["comment_period"]["timers"].append({"remind": [1], "unit": "calendar_days"}),
     "deadlines.comment_period.timers.1", "reminders and expiry belong to a limit"),
    (lambda r: r["deadlines"]["comment_period"]["timers"][0].update(trigger="no_such_step"),
     "deadlines.comment_period.timers.0.trigger", "unknown trigger 'no_such_step'"),
    (lambda r: r["deadlines"]["comment_period"]["timers"][0].update(trigger="close_public_comment"),
     "deadlines.comment_period.timers.0.trigger", "is not a system step"),
    (lambda r: _step(r, "end_public_comment")["payload"].update(
        note={"type": "text", "required": True, "label": {"zh": "说明", "en": "Note"}}),
     "deadlines.comment_period.timers.0.trigger", "required payload fields (note) that no person fills in"),
    (lambda r: r["deadlines"]["comment_period"].update(ends_on=["close_public_comment"]),
     "deadlines.comment_period.timers.0.trigger", "must be one of the period's ends_on steps"),
    (lambda r: r["deadlines"]["comment_period"]["timers"][0].update(notify=["drafter"]),
     "deadlines.comment_period.timers.0.notify", "does not go with `on_end`"),
    (lambda r: _step(r, "end_public_comment").update(roles=["system", "drafter"]),
     "transitions.", "a system step is taken by the system alone"),
    (lambda r: _step(r, "close_public_comment").update(roles=["drafter", "system"]),
     "transitions.", "only a system step (system: true) may name the role 'system'"),
])
def test_a_malformed_timer_is_a_load_error_naming_file_and_path(change: Any, path: str, reason: str) -> None:
    raw = copy.deepcopy(_raw(MD))
    change(raw)
    problems = _problems(raw, str(MD))
    assert any(p.startswith(path) and reason in r for p, r in problems), problems


def test_the_deployed_definitions_carry_their_timers() -> None:
    md, ec = parse(_raw(MD), str(MD)), parse(_raw(EC), str(EC))
    assert [t.trigger for t in md.deadlines["comment_period"].timers] == ["end_public_comment"]
    assert {t.kind for t in md.deadlines["legality_review_time"].timers} == {"remind", "overdue"}
    assert md.transition("end_public_comment", "public_participation").system
    for name in ("decision_period", "service_period", "publication_period", "other_publication_period",
                 "withdrawal_period"):
        reminders = [t for t in ec.deadlines[name].timers if t.kind == "remind"]
        # no statute fixes when to remind: the offsets are organisation settings, not numbers
        assert reminders and all(isinstance(o, str) for t in reminders for o in t.offsets), name
        assert next(t for t in ec.deadlines[name].timers if t.kind == "overdue").escalate_to == "agency_head"
    assert [t.trigger for t in ec.deadlines["hearing_request_period"].timers] == ["close_hearing_request_window"]


# ---------------------------------------------------------------- the worker on a real database


def open_comment(town: Runtime) -> str:
    opened = town.engine.create_case("major_decision", "zhangwei", PROPOSAL)
    assert opened.ok and opened.case_id
    assert town.engine.fire(opened.case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}).ok
    assert town.engine.fire(opened.case_id, "open_public_comment", "zhangwei", COMMENT).ok
    return opened.case_id


def submitted_for_review(town: Runtime, case_id: str, due: date) -> None:
    engine = town.engine
    assert engine.fire(case_id, "close_public_comment", "zhangwei", {"summary": "未收到意见"}).ok
    assert engine.fire(case_id, "waive_expert_argumentation", "zhangwei",
                       {"justification": "技术方案已由住建部门审查，不属于专业性、技术性较强须另行论证的事项"}).ok
    assert engine.fire(case_id, "waive_risk_assessment", "zhangwei", {
        "ground": "no_stability_risk", "justification": "本事项不涉及征地拆迁，实施不会对社会稳定造成不利影响"}).ok
    outcome = engine.fire(case_id, "submit_for_legality_review", "zhangwei", {
        "draft_ref": "送审稿", "legal_basis": "《固体废物污染环境防治法》", "procedure_account": "已公开征求意见30日",
        "requested_by": due.isoformat()})
    assert outcome.ok, outcome.reasons


def test_months_of_timers_run_in_seconds_in_time_order_each_once(town: Runtime) -> None:
    """A worker down from before the comment period ended until long after the legality review was due catches
    up in the order the acts fell due; run again, it does nothing; the trail still verifies, in the database
    and with the auditor's offline script."""
    clock, engine = town.clock, town.engine
    clock.set_local_date(date(2026, 3, 2))
    case_id = open_comment(town)
    worker = Worker(engine, name="test")
    # every day for two months: the comment period ends by itself the day after its last day (2026-04-01)
    day = date(2026, 3, 2)
    while day <= date(2026, 4, 10):
        clock.set_local_date(day)
        report = worker.run_once()
        assert not report.failed and not report.refused
        if day < date(2026, 4, 2):
            assert report.done == [], day
        elif day == date(2026, 4, 2):
            assert report.done == [(case_id, "comment_period", "fire:end_public_comment", date(2026, 4, 2))]
        day += timedelta(days=1)
    with town.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.data["comment_period_end"]["recorded_by"] == "system.houlong"
        assert s.get(CaseDeadline, (case_id, "comment_period")) is None
    # the legality review is due in 10 working days; the worker is then down for a month
    clock.set_local_date(date(2026, 4, 13))
    due = engine.calendar.add_working_days(date(2026, 4, 13), 10).date
    submitted_for_review(town, case_id, due)
    clock.set_local_date(due + timedelta(days=30))
    report = worker.run_once()
    assert [(act, on) for _c, _d, act, on in report.done] == [
        ("remind:3", days_before(engine.calendar, due, 3, "working_days")),
        ("remind:1", days_before(engine.calendar, due, 1, "working_days")),
        ("overdue", due + timedelta(days=1)),
    ]
    assert worker.run_once().done == []  # nothing twice
    with town.sessions() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.kind == TIMER_KIND)
                           .order_by(AuditEvent.seq)).all()
        assert [(e.trigger, json.loads(e.payload)["act"]) for e in events] == [
            ("remind", "remind:3"), ("remind", "remind:1"), ("overdue", "overdue")]
        assert {(e.actor, e.role) for e in events} == {("system.houlong", "system")}
        assert s.scalar(select(func.count()).select_from(TimerAct).where(TimerAct.case_id == case_id)) == 4
        counsel = s.scalars(select(Notification.kind).where(Notification.recipient == "chenjing",
                                                            Notification.case_id == case_id)).all()
        head = s.scalars(select(Notification.kind).where(Notification.recipient == "huangzhenhua",
                                                         Notification.case_id == case_id)).all()
    assert sorted(counsel) == ["overdue", "remind", "remind"] and head == ["escalation"]
    report = verify_database(town.sessions, town.origin, utc_stamp(clock.now()), registry=town.registry)
    assert report.ok, report
    trail = Path(town.instance) / "trail.jsonl"
    with trail.open("wb") as out:
        export(town.sessions, out, town.origin, utc_stamp(clock.now()), registry=town.registry)
    run = subprocess.run([sys.executable, "-I", "-S", str(auditor_script()), str(trail)], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_reminder_setting_left_unset_sends_no_such_reminder(town: Runtime) -> None:
    from workflow.db import writing
    from workflow.models import OrgSetting

    clock, engine = town.clock, town.engine
    clock.set_local_date(date(2026, 3, 2))
    case_id = open_comment(town)
    with writing(town.sessions) as s:
        row = s.get(OrgSetting, ("houlong", "timers.first_reminder_working_days"))
        assert row is not None
        s.delete(row)
    clock.set_local_date(date(2026, 4, 13))
    due = engine.calendar.add_working_days(date(2026, 4, 13), 10).date
    submitted_for_review(town, case_id, due)
    clock.set_local_date(due)
    acts = [act for _c, _d, act, _on in Worker(engine).run_once().done]
    assert acts == ["remind:1"]  # the first reminder is not set; the comment period was closed by the drafter


def test_the_worker_command_runs_once(town: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    from workflow import cli

    town.clock.set_local_date(date(2026, 3, 2))
    case_id = open_comment(town)
    town.clock.set_local_date(date(2026, 4, 2))
    result = CliRunner().invoke(cli.cli, ["worker", "--once"], obj={"runtime": town})
    assert result.exit_code == 0, result.output
    with town.sessions() as s:
        assert s.get(CaseDeadline, (case_id, "comment_period")) is None
    assert CliRunner().invoke(cli.cli, ["worker", "--once", "--until", "someday"],
                              obj={"runtime": town}).exit_code != 0


def test_a_failed_run_does_not_stop_the_worker(town: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database away for a moment: the run fails, the worker waits its interval and the next run catches up
    (it stops at --until)."""
    from sqlalchemy.exc import OperationalError

    town.clock.set_local_date(date(2026, 3, 2))
    case_id = open_comment(town)
    worker = Worker(town.engine, name="test")
    real = worker.run_once
    calls: list[str] = []

    def flaky() -> Any:
        calls.append("run")
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        return real()

    def next_day(_seconds: float) -> None:
        town.clock.advance(days=1)

    monkeypatch.setattr(worker, "run_once", flaky)
    town.clock.set_local_date(date(2026, 4, 2))
    worker.run(until=date(2026, 4, 4), interval=60, sleep=next_day)
    assert len(calls) == 3  # 4/2 failed, 4/3 caught up, 4/4 reached --until
    with town.sessions() as s:
        assert s.get(CaseDeadline, (case_id, "comment_period")) is None
    calls.clear()  # the next call fails again
    with pytest.raises(OperationalError):  # --once reports the failure (a non-zero exit)
        worker.run(once=True)
