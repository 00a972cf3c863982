"""The inbox (/inbox, web/inbox.py): the timer worker's notices reach their recipients, the header counts the
unread ones, a notice links to its case and names no party, and marking read (a CSRF-checked POST) touches
only the reader's own notices."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.web.helpers import csrf_from, new_case, parse, squash, text
from workflow.models import Notification
from workflow.runtime import Runtime
from workflow.timers.worker import Worker

pytestmark = pytest.mark.one_database  # the page, not the database, is the subject here


def _overdue_review(town: Runtime) -> str:
    """A decision whose legality review was due 10 working days after 2026-04-13, the worker run a day late."""
    clock, engine = town.clock, town.engine
    clock.set_local_date(date(2026, 3, 2))
    case_id = new_case(town, title="陈某某宅基地纠纷处理办法")  # a title naming a person: never in a notice
    assert engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}).ok
    assert engine.fire(case_id, "open_public_comment", "zhangwei", {
        "draft_ref": "征求意见稿", "explanation": "说明", "channels": ["镇政府网站"], "period_days": 30}).ok
    clock.set_local_date(date(2026, 4, 13))
    assert engine.fire(case_id, "close_public_comment", "zhangwei", {"summary": "未收到意见"}).ok
    assert engine.fire(case_id, "waive_expert_argumentation", "zhangwei",
                       {"justification": "技术方案已由住建部门审查，不属于专业性、技术性较强须另行论证的事项"}).ok
    assert engine.fire(case_id, "waive_risk_assessment", "zhangwei", {
        "ground": "no_stability_risk", "justification": "本事项不涉及征地拆迁，实施不会对社会稳定造成不利影响"}).ok
    due = engine.calendar.add_working_days(date(2026, 4, 13), 10).date
    assert engine.fire(case_id, "submit_for_legality_review", "zhangwei", {
        "draft_ref": "送审稿", "legal_basis": "《土地管理法》", "procedure_account": "已公开征求意见30日",
        "requested_by": due.isoformat()}).ok
    clock.set_local_date(due + timedelta(days=1))
    Worker(engine).run_once()
    return case_id


def test_notices_reach_the_inbox_with_the_unread_count_in_the_header(
        town: Runtime, client_for: Callable[[str], FlaskClient]) -> None:
    case_id = _overdue_review(town)
    counsel = client_for("chenjing")
    page = parse(counsel.get("/inbox/"))
    assert page.text("header .unread-count") == "3"  # two reminders and the overdue notice
    rows = page.all("table.inbox tbody > tr")
    assert len(rows) == 3
    body = text(counsel.get("/inbox/"))
    assert f'href="/cases/{case_id}"' in body and "合法性审查完成日期" in body
    assert "陈某某" not in body  # the case's title names a person: a notice carries the number only
    head = parse(client_for("huangzhenhua").get("/inbox/"))
    assert [squash(r.text_content()).startswith("督办通知") for r in head.all("table.inbox tbody > tr")] == [True]
    assert not parse(client_for("liushen").get("/inbox/")).has("header .unread-count")


def test_marking_read_is_the_readers_own(town: Runtime, client_for: Callable[[str], FlaskClient]) -> None:
    _overdue_review(town)
    with town.sessions() as s:
        heads = s.scalars(select(Notification.id).where(Notification.recipient == "huangzhenhua")).all()
    counsel = client_for("chenjing")
    token = csrf_from(counsel.get("/inbox/"))
    assert counsel.post("/inbox/read", data={"id": str(heads[0]), "csrf_token": token}).status_code == 302
    assert counsel.post("/inbox/read", data={"csrf_token": token}).status_code == 302  # all of mine
    assert counsel.post("/inbox/read", data={}).status_code == 400  # no token: refused, nothing marked
    with town.sessions() as s:
        unread = dict(s.execute(select(Notification.recipient, Notification.read_at)
                                .where(Notification.recipient.in_(["chenjing", "huangzhenhua"]))).all())
        assert unread["huangzhenhua"] is None  # another person's notice is never marked
        assert s.scalars(select(Notification.read_at).where(Notification.recipient == "chenjing")).all()
        assert all(s.scalars(select(Notification.read_at).where(Notification.recipient == "chenjing")))
    assert not parse(counsel.get("/inbox/")).has("header .unread-count")


def test_the_admin_page_shows_the_workers_state(town: Runtime, client_for: Callable[[str], FlaskClient]) -> None:
    admin = client_for("admin")
    before = parse(admin.get("/admin/")).one("section[aria-labelledby=\"timers-title\"]").terms()
    assert before["上次运行"] == "尚未运行" and before["待处理"] == "0"
    _overdue_review(town)
    after = parse(admin.get("/admin/")).one("section[aria-labelledby=\"timers-title\"]").terms()
    assert after["上次运行"].startswith("2026年") and after["待处理"] == "0" and after["未能办理"] == "0"


def test_the_living_spec_says_what_each_deadlines_time_brings(client_for: Callable[[str], FlaskClient]) -> None:
    page = parse(client_for("zhangwei").get("/procedures/major_decision/v2"))
    assert "届满次日由系统自动办理「公开征求意见期限届满（系统自动结束）」" in page.text("tr#deadline-comment_period")
    review = page.text("tr#deadline-legality_review_time")
    assert "届满前提醒合法性审查人员（提前按本单位设置 「期限届满前第一次提醒（提前工作日数）」" in review
    assert "逾期次日通知合法性审查人员，并报行政首长督办" in review
    english = parse(client_for("zhangwei").get("/procedures/enforcement_case/v1?lang=en"))
    assert "reports it to Agency head" in english.text("tr#deadline-service_period")
