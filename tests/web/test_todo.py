"""我的待办 (issue 16, item 1): every role lands on the steps that await them, read from the definitions (`pages:
todo:`): the people a case names for a role (the assigned officers), or the role's holders when it names nobody;
overdue first, then by the limit falling due first; the counts in the navigation; the "awaiting my roles" filter
lists only cases whose usual next step is the person's; the case page says who acts next and links a penalty case
with its legal review, each showing the other's result. The list costs the same few queries whatever the number
of cases."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event

from tests.web.helpers import PROPOSAL, START, parse, text
from workflow.clock import FixedClock
from workflow.demo import ORG
from workflow.runtime import Runtime
from workflow.todo import next_steps, todo

# The pages and the read model are the subject, not the database: SQLite only (tests/conftest.py).
pytestmark = pytest.mark.one_database

ENFORCEMENT = {
    "title": "陈某某在后龙街两侧堆放建材案", "party": "陈某某（后龙镇后龙村）", "party_type": "individual",
    "facts": "当事人在后龙街两侧人行道堆放建材约20立方米，经责令后未清理。", "field": "市容环境卫生",
    "power": "对在街道两侧和公共场地堆放物料、搭建建筑物或者构筑物的处罚",
    "legal_basis": "《城市市容和环境卫生管理条例》第十四条、第三十六条"}


def _ok(outcome):  # noqa: ANN001, ANN202
    assert outcome.ok, [r.zh for r in outcome.reasons]
    return outcome


def _ids(town: Runtime, username: str) -> list[str]:
    with town.sessions() as s:
        from workflow.models import User

        roles = s.query(User).filter_by(username=username).one().role_names
        return [i.case_id for i in todo(s, town.registry, ORG, username, roles, town.engine.today())]


def test_a_new_proposal_awaits_the_head_and_not_its_drafter(town: Runtime) -> None:
    case_id = _ok(town.engine.create_case("major_decision", "zhangwei", PROPOSAL)).case_id
    assert _ids(town, "huangzhenhua") == [case_id]
    assert _ids(town, "zhangwei") == []
    _ok(town.engine.fire(case_id, "start", "huangzhenhua", {**START, "co_units": START["co_units"].split("\n")}))
    assert _ids(town, "huangzhenhua") == []
    assert _ids(town, "zhangwei") == [case_id] and _ids(town, "lina") == [case_id]  # nobody named: the role


def test_an_investigation_awaits_its_assigned_officers_only_and_the_latest_ones(town: Runtime) -> None:
    case_id = _ok(town.engine.create_case("enforcement_case", "wanghai", ENFORCEMENT)).case_id
    assert case_id in _ids(town, "lixiaodong")  # filed: nobody assigned yet, every officer
    _ok(town.engine.fire(case_id, "start_investigation", "wanghai", {"officers": ["wanghai", "caiming"]}))
    assert case_id in _ids(town, "wanghai") and case_id in _ids(town, "caiming")
    assert case_id not in _ids(town, "lixiaodong")
    assert case_id not in _ids(town, "huangzhenhua")  # the head's steps at this stage are not its usual next ones


def test_the_list_is_the_same_few_queries_whatever_the_number_of_cases(town: Runtime) -> None:
    def queries() -> int:
        seen: list[str] = []
        engine = town.db

        def count(*_args: object) -> None:
            seen.append("q")

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert _ids(town, "huangzhenhua")
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    town.engine.create_case("major_decision", "zhangwei", PROPOSAL)
    one = queries()
    for _ in range(4):
        town.engine.create_case("major_decision", "zhangwei", PROPOSAL)
    assert queries() == one <= 4


def test_every_definition_stage_has_next_steps_that_leave_it_or_are_declared(town: Runtime) -> None:
    for procedure in town.registry.all():
        for name, state in procedure.states.items():
            steps = next_steps(procedure, name)
            assert all(name in s.sources and not s.attachment for s in steps)
            if not state.terminal and procedure.pages.todo.next.get(name):  # []: declared to await nobody
                assert steps, (procedure.ref, name)


def test_the_landing_page_lists_overdue_first_with_counts_and_the_case_says_who_is_next(
        town: Runtime, client_for, clock: FixedClock) -> None:
    late = _ok(town.engine.create_case("enforcement_case", "wanghai", ENFORCEMENT)).case_id
    _ok(town.engine.fire(late, "start_investigation", "wanghai", {"officers": ["wanghai", "caiming"]}))
    clock.set_local_date(date(2027, 6, 1))  # the 90-day decision limit (处罚法第六十条) has passed
    fresh = _ok(town.engine.create_case("enforcement_case", "wanghai", ENFORCEMENT)).case_id
    _ok(town.engine.fire(fresh, "start_investigation", "wanghai", {"officers": ["wanghai", "caiming"]}))
    other = _ok(town.engine.create_case("enforcement_case", "lixiaodong", ENFORCEMENT)).case_id
    client = client_for("wanghai")
    landing = client.get("/")
    assert landing.status_code == 302 and landing.headers["Location"].endswith("/todo/")
    page = parse(client.get("/todo/"))
    rows = [r.text() for r in page.rows("table.todo")]
    assert [r.split()[0] for r in rows] == [late, fresh, other]
    assert "逾期" in rows[0] and "逾期" not in rows[1]
    assert "告知拟作出的行政处罚" in rows[0] and "开展调查" in rows[2]
    assert "我的待办 3" in page.text("nav")
    show = parse(client.get(f"/cases/{fresh}"))
    assert ("下一步：由王海（综合执法队）、蔡明（综合执法队）办理「告知拟作出的行政处罚（不适用听证）」或"
            "「告知拟作出的行政处罚及听证权利」" in show.text(".next-step"))
    first = show.first("details.step")
    assert first.get("id") in ("step-notify_intended_penalty", "step-notify_with_hearing_rights")
    assert first.get("open") is not None
    # the "awaiting my roles" filter: the usual next step only (the head's steps while investigating are not)
    listed = text(client_for("huangzhenhua").get("/cases/?mine=todo"))
    assert fresh not in listed and "没有符合条件的案件" in listed


def test_a_limit_shows_the_yellow_card_from_its_first_reminder_and_the_red_card_once_overdue(
        town: Runtime, client_for, clock: FixedClock) -> None:
    """The cards of the supervision platforms: yellow from the day the worker's first reminder falls due (the
    organisation's offset, timers.first_reminder_working_days: 3 working days in the seeded town), red once the
    limit has passed (处罚法第六十条: the decision within 90 days of opening)."""
    from workflow.models import CaseDeadline
    from workflow.timers.schedule import days_before

    case = _ok(town.engine.create_case("enforcement_case", "wanghai", ENFORCEMENT)).case_id
    _ok(town.engine.fire(case, "start_investigation", "wanghai", {"officers": ["wanghai", "caiming"]}))
    with town.sessions() as s:
        due = s.get(CaseDeadline, (case, "decision_period")).due
    first_reminder = days_before(town.engine.calendar, due, 3, "working_days")
    client = client_for("wanghai")

    def row_on(day: date) -> str:
        clock.set_local_date(day)
        return next(r.text() for r in parse(client.get("/todo/")).rows("table.todo") if r.text().startswith(case))

    before = row_on(date.fromordinal(first_reminder.toordinal() - 1))
    assert "黄牌" not in before and "红牌" not in before
    assert "黄牌" in row_on(first_reminder)
    assert "黄牌" in row_on(due) and "红牌" not in row_on(due)
    late = row_on(date.fromordinal(due.toordinal() + 1))
    assert "红牌" in late and "黄牌" not in late and "逾期" in late
