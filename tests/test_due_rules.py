"""Due-date rules (workflow/due_rules.py, a deadline's `due_by:`): validated on load, and recomputed by the engine
after every step, so that the case_deadline row of a request's answer period is paused (no day, with its reason)
while a consultation runs and moves when the reply or an extension is recorded — and the timers, which read that
row, follow: no overdue notice past the old day while paused, a reminder for the new day, none twice.

The engine tests run on both databases: the paused row is a NULL `due` that the timer queries must skip."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from workflow.definitions import DEFINITIONS_DIR, DefinitionError, parse
from workflow.models import CaseDeadline, Notification
from workflow.runtime import Runtime
from workflow.timers.worker import Worker

IR = DEFINITIONS_DIR / "information_request.v1.yaml"
RAW = yaml.safe_load(IR.read_text(encoding="utf-8"))
OFFICER, HEAD = "zhoumin", "linhaiyan"
REQUEST = {"title": "2025年农村危房改造补助资金发放情况", "applicant": "陈建华", "applicant_type": "natural_person",
           "contact": "13900000000", "description": "补助对象名单及金额", "access_form": "electronic",
           "channel": "in_person"}


# ---------------------------------------------------------------- the definition: due_by validated on load


@pytest.mark.one_database
@pytest.mark.parametrize("change, path, reason", [
    ({"due_by": "no_such_rule"}, "deadlines.answer_period.due_by", "unknown due-date rule 'no_such_rule'"),
    ({"n": 20}, "deadlines.answer_period", "due_by (a rule that computes the last day) conflicts with n"),
    ({"due_from": "received_on"}, "deadlines.answer_period", "conflicts with due_from"),
    ({"kind": "minimum"}, "deadlines.answer_period", "due_by is for a limit"),
])
def test_a_due_by_rule_is_checked_on_load(change: dict[str, Any], path: str, reason: str) -> None:
    raw = copy.deepcopy(RAW)
    raw["deadlines"]["answer_period"].update(change)
    with pytest.raises(DefinitionError) as exc:
        parse(raw, "information_request.v1.yaml")
    assert exc.value.file == "information_request.v1.yaml"
    assert any(p == path and reason in r for p, r in exc.value.problems), exc.value.problems


# ---------------------------------------------------------------- the engine keeps the row; the timers follow it


def _ok(outcome: Any) -> None:
    assert outcome.ok, outcome.reasons


def _received(town: Runtime, day: date) -> str:
    town.clock.set_local_date(day)
    created = town.engine.create_case("information_request", OFFICER, REQUEST)
    _ok(created)
    assert created.case_id
    _ok(town.engine.fire(created.case_id, "confirm_receipt", OFFICER,
                         {"received_on": day.isoformat(), "submitted_on": day.isoformat()}))
    return created.case_id


def _row(town: Runtime, case_id: str) -> CaseDeadline:
    with town.sessions() as session:
        row = session.get(CaseDeadline, (case_id, "answer_period"))
        assert row is not None, "the answer period is not running"
        session.expunge(row)
        return row


def _notices(town: Runtime, case_id: str) -> list[tuple[str, str, date]]:
    with town.sessions() as session:
        return [tuple(n) for n in session.execute(
            select(Notification.recipient, Notification.kind, Notification.due)
            .where(Notification.case_id == case_id, Notification.deadline == "answer_period")
            .order_by(Notification.id))]


def _consult(town: Runtime, case_id: str, day: date) -> None:
    town.clock.set_local_date(day)
    _ok(town.engine.fire(case_id, "consult_third_party", OFFICER, {
        "third_party": "泉州市某建材有限公司", "concern": "中标合同含该公司报价", "letter_received_on": day.isoformat()}))


def test_a_consultation_pauses_the_period_and_no_timer_acts_past_the_old_day(town: Runtime) -> None:
    case_id = _received(town, date(2026, 3, 2))
    assert _row(town, case_id).due == date(2026, 3, 30)  # 20 working days
    _consult(town, case_id, date(2026, 3, 20))
    row = _row(town, case_id)
    assert (row.due, row.provisional) == (None, False)
    assert row.paused_zh and "第三十二条" in row.paused_zh and row.paused_en and "art. 32" in row.paused_en
    town.clock.set_local_date(date(2026, 4, 2))  # past the old day; the third party's 15 days still run
    report = Worker(town.engine).run_once()
    assert report.failed == [] and [d for d in report.done if d[1] == "answer_period"] == []
    assert _notices(town, case_id) == []


def test_the_reply_moves_the_day_and_its_reminder_is_sent_once_for_it(town: Runtime) -> None:
    case_id = _received(town, date(2026, 3, 2))
    town.clock.set_local_date(date(2026, 3, 25))  # three working days before 3-30: the first reminder
    Worker(town.engine).run_once()
    assert _notices(town, case_id) == [(OFFICER, "remind", date(2026, 3, 30))]
    _consult(town, case_id, date(2026, 3, 25))
    town.clock.set_local_date(date(2026, 4, 1))
    _ok(town.engine.fire(case_id, "record_third_party_view", OFFICER, {"view": "agree", "replied_on": "2026-04-01"}))
    row = _row(town, case_id)
    assert (row.due, row.paused_zh) == (date(2026, 4, 7), None)  # 5 working days paused (清明 4-4 to 4-6)
    assert row.n == 25  # 20 working days and the 5 paused, counted from its first day as the pages show it
    worker = Worker(town.engine)
    worker.run_once()  # 4-1 is three working days before 4-7
    worker.run_once()  # and nothing twice
    assert _notices(town, case_id) == [(OFFICER, "remind", date(2026, 3, 30)), (OFFICER, "remind", date(2026, 4, 7))]


def test_an_extension_moves_the_day(town: Runtime) -> None:
    case_id = _received(town, date(2026, 3, 2))
    town.clock.set_local_date(date(2026, 3, 27))
    _ok(town.engine.fire(case_id, "extend_answer_period", HEAD, {
        "days": 10, "reason": "所需信息分散在各村", "applicant_notified_on": "2026-03-27"}))
    assert _row(town, case_id).due == date(2026, 4, 14)
    town.clock.set_local_date(date(2026, 3, 31))  # the old day has passed: no overdue notice
    Worker(town.engine).run_once()
    assert [k for _r, k, _d in _notices(town, case_id) if k != "remind"] == []
