"""Step definitions for time that acts (workflow/timers/): the timer worker run on a day of the scenario, what it
did (a system step, a `timer` event in the case's chain, notices in people's inboxes) and that nothing is done
twice. Shared by the families' features; deadlines and steps are named by their labels in any definition.

The worker fires its steps through tests.features.coverage, so the spec-coverage gate sees them as exercised.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

from pytest_bdd import given, parsers, then, when
from sqlalchemy import func, select

from tests.features import coverage
from tests.features.steps import DATE, REGISTRY, WHO, Scene, cn_date, running, verify_chain
from workflow import accounts
from workflow.db import writing
from workflow.demo import ORG
from workflow.models import AuditEvent, Case, Notification, TimerAct
from workflow.timers.schedule import days_before
from workflow.timers.worker import TIMER_KIND, RunReport, Worker

DEADLINES = {d.label.zh: d for p in REGISTRY.all() for d in p.deadlines.values()}
STEPS = {t.label.zh: t for p in REGISTRY.all() for t in p.transitions}
NOTICE_KINDS = {"届满提醒": "remind", "逾期通知": "overdue", "督办通知": "escalation"}
ACT_NAMES = {"提醒": "remind", "逾期通知": "overdue"}


def _deadline(label: str) -> str:
    assert label in DEADLINES, f"no deadline labelled 「{label}」: {sorted(DEADLINES)}"
    return DEADLINES[label].name


def run_worker(scene: Scene) -> RunReport:
    engine = scene.engine
    report = Worker(engine, fire=lambda *a, **k: coverage.fire(engine, *a, **k), name="features").run_once()
    assert not report.failed, f"timer acts failed: {report.failed}"
    scene.__dict__["timer_report"] = report
    return report


def _limit_day(scene: Scene, label: str) -> date:
    return running(scene, _deadline(label), label).due


# ---------------------------------------------------------------- the worker runs


@given(parsers.re("系统于" + DATE("day") + "处理到期事项"))
@when(parsers.re("系统于" + DATE("day") + "处理到期事项"))
def worker_on(scene: Scene, day: str) -> None:
    scene.go_to(cn_date(day))
    run_worker(scene)


@when(parsers.re(r'系统于"(?P<label>[^"]+)"届满前(?P<n>\d+)个工作日处理到期事项'))
def worker_before(scene: Scene, label: str, n: str) -> None:
    scene.go_to(days_before(scene.engine.calendar, _limit_day(scene, label), int(n), "working_days"))
    run_worker(scene)


@given(parsers.re(r'系统停机至"(?P<label>[^"]+)"届满后第(?P<n>\d+)日'))
def worker_down_until(scene: Scene, label: str, n: str) -> None:
    scene.go_to(_limit_day(scene, label) + timedelta(days=int(n)))
    with scene.town.sessions() as session:  # down: nothing was done while the days passed
        assert session.scalar(select(func.count()).select_from(TimerAct).where(TimerAct.case_id == scene.case_id)) == 0


@when(parsers.re(r'系统于"(?P<label>[^"]+)"届满后第(?P<n>\d+)日处理到期事项'))
def worker_after(scene: Scene, label: str, n: str) -> None:
    scene.go_to(_limit_day(scene, label) + timedelta(days=int(n)))
    run_worker(scene)


@when("系统恢复处理到期事项")
@when("系统再次处理到期事项")
def worker_again(scene: Scene) -> None:
    run_worker(scene)


@when(parsers.re(r'系统提前办理"(?P<step>[^"]+)"'))
def system_fires_early(scene: Scene, step: str) -> None:
    assert step in STEPS, f"no step labelled 「{step}」"
    with writing(scene.town.sessions) as session:
        username = accounts.ensure_system_account(session, ORG).username
    scene.fire(STEPS[step].trigger, "", {}, strict=False, username=username)


@when(parsers.re(WHO + r'自行办理系统步骤"(?P<step>[^"]+)"'))
def person_fires_system_step(scene: Scene, who: str, step: str) -> None:
    assert step in STEPS and STEPS[step].system, f"「{step}」 is not a system step"
    scene.fire(STEPS[step].trigger, who, {}, strict=False)


# ---------------------------------------------------------------- what it did


@then(parsers.re(r'系统以系统账号办理了"(?P<step>[^"]+)"'))
def system_took_step(scene: Scene, step: str) -> None:
    assert step in STEPS, f"no step labelled 「{step}」"
    with scene.town.sessions() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.case_id == scene.case_id,
                                                        AuditEvent.trigger == STEPS[step].trigger))
        assert event is not None, f"「{step}」 was not taken"
        assert (event.kind, event.actor, event.role) == ("transition", f"system.{ORG}", "system")
        case = session.get(Case, scene.case_id)
        assert case is not None and event.from_state == event.to_state == case.state


@then(parsers.re(r'系统没有办理"(?P<step>[^"]+)"'))
def system_did_not_take_step(scene: Scene, step: str) -> None:
    with scene.town.sessions() as session:
        taken = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.case_id == scene.case_id, AuditEvent.trigger == STEPS[step].trigger))
    assert taken == 0, f"「{step}」 was taken or attempted"


def _notices(scene: Scene, username: str, deadline: str) -> list[Notification]:
    with scene.town.sessions() as session:
        return list(session.scalars(select(Notification).where(
            Notification.recipient == username, Notification.case_id == scene.case_id,
            Notification.deadline == deadline).order_by(Notification.id)))


@then(parsers.re(WHO + r'收到"(?P<label>[^"]+)"的(?P<kind>届满提醒|逾期通知|督办通知)'))
def received(scene: Scene, who: str, label: str, kind: str) -> None:
    notices = [n for n in _notices(scene, scene.user(who), _deadline(label)) if n.kind == NOTICE_KINDS[kind]]
    assert len(notices) == 1, f"{who} has {len(notices)} {kind} of 「{label}」"
    notice = notices[0]
    case = scene.case()
    # the case number and the period's label, never the title (it may name the party)
    assert case.id in notice.text_zh and label in notice.text_zh and case.id in notice.text_en
    assert case.title not in notice.text_zh and case.title not in notice.text_en
    assert notice.read_at is None


@then(parsers.re(WHO + r'没有收到关于"(?P<label>[^"]+)"的通知'))
def received_nothing(scene: Scene, who: str, label: str) -> None:
    assert _notices(scene, scene.user(who), _deadline(label)) == []


@then(parsers.re(r'审计记录依到期日先后载有"(?P<label>[^"]+)"的(?P<acts>.+)，各一次'))
def timer_events_in_order(scene: Scene, label: str, acts: str) -> None:
    wanted = [ACT_NAMES[a] for a in re.split("[、和]", acts)]
    with scene.town.sessions() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.case_id == scene.case_id,
                                                          AuditEvent.kind == TIMER_KIND)
                                 .order_by(AuditEvent.seq)).all()
        payloads = [json.loads(e.payload) for e in events if json.loads(e.payload)["deadline"] == _deadline(label)]
        kinds = [e.trigger for e in events if json.loads(e.payload)["deadline"] == _deadline(label)]
        assert all((e.actor, e.role) == (f"system.{ORG}", "system") for e in events)
    collapsed = [k for i, k in enumerate(kinds) if i == 0 or kinds[i - 1] != k]
    assert collapsed == wanted, f"timer events {kinds}, expected {wanted} in that order"
    due_days = [p["act_due"] for p in payloads]
    assert due_days == sorted(due_days), f"acts not in the order they fell due: {due_days}"
    acts_done = [p["act"] for p in payloads]
    assert len(acts_done) == len(set(acts_done)), f"an act was done twice: {acts_done}"
    verify_chain(scene.town, scene.case_id or "")


@then("没有重复办理任何到期事项")
def nothing_twice(scene: Scene) -> None:
    report: RunReport = scene.__dict__["timer_report"]
    assert (report.done, report.refused) == ([], []), f"done again: {report.done} {report.refused}"
    with scene.town.sessions() as session:
        rows = session.execute(select(TimerAct.case_id, TimerAct.deadline, TimerAct.started_on, TimerAct.act)).all()
        notices = session.execute(select(Notification.recipient, Notification.case_id, Notification.deadline,
                                         Notification.kind, Notification.text_zh)).all()
    assert len(rows) == len(set(rows))
    assert len(notices) == len(set(notices)), "a notice was left twice"
