"""The compliance page's reminder figures (issue 11 item 5, workflow/timers/figures.py): per procedure and time
limit, the periods reminded (黄牌), done in time after the reminder, escalated (红牌), acted on after escalation,
and still overdue — from the worker's own acts on a real database."""

from __future__ import annotations

from datetime import date, timedelta

from tests.test_timers import open_comment, submitted_for_review
from workflow.models import CaseDeadline
from workflow.runtime import Runtime
from workflow.timers.figures import timer_figures
from workflow.timers.schedule import days_before
from workflow.timers.worker import Worker

OPINION = {"conclusion": "lawful", "authority": "属于镇人民政府职权范围", "procedure": "已履行公众参与程序",
           "content": "内容符合法律法规和国家政策", "reasons": "经审查，草案合法", "legal_basis": "《重大行政决策程序暂行条例》第二十七条"}
ADVISER = {"adviser": "林志远律师", "capacity": "legal_adviser", "opinion": "未发现与上位法相抵触的内容"}


def test_the_reminder_figures_count_reminded_escalated_and_acted_per_time_limit(town: Runtime, client_for) -> None:
    """Issue 11 item 5: per procedure and time limit, the periods reminded, done in time after the reminder,
    escalated (overdue notice to the superior), acted on after escalation, and still overdue."""
    clock, engine = town.clock, town.engine
    clock.set_local_date(date(2026, 3, 2))
    worker = Worker(engine, name="test")
    due = date(2026, 5, 20)
    cases = [open_comment(town) for _ in range(3)]
    with town.sessions() as s:  # the comment periods run out first, then each review is requested by `due`
        ends = [s.get(CaseDeadline, (c, "comment_period")).due for c in cases]  # type: ignore[union-attr]
    clock.set_local_date(max(ends) + timedelta(days=1))
    for case_id in cases:
        submitted_for_review(town, case_id, due)
    in_time, late, still = cases
    clock.set_local_date(days_before(engine.calendar, due, 1, "working_days"))
    worker.run_once()  # both reminders for the three
    for case_id in (in_time,):
        assert engine.fire(case_id, "record_adviser_opinion", "linzhiyuan", ADVISER).ok
        assert engine.fire(case_id, "issue_legality_opinion", "chenjing", OPINION).ok
    clock.set_local_date(due + timedelta(days=3))
    worker.run_once()  # the overdue notices of the two others
    assert engine.fire(late, "record_adviser_opinion", "linzhiyuan", ADVISER).ok
    assert engine.fire(late, "issue_legality_opinion", "chenjing", OPINION).ok

    with town.sessions() as s:
        figures = timer_figures(s, town.registry, "houlong", date(2026, 1, 1), date(2026, 12, 31))
    review = next(f for f in figures if f.deadline == "legality_review_time")
    assert {k[0] for k in review.reminded} == {in_time, late, still}
    assert {k[0] for k in review.done_in_time_after_reminder} == {in_time}
    assert {k[0] for k in review.escalated} == {late, still}
    assert {k[0] for k in review.acted_after_escalation} == {late}
    assert {k[0] for k in review.still_overdue} == {still}
    # outside the window nothing counts
    with town.sessions() as s:
        assert timer_figures(s, town.registry, "houlong", date(2026, 6, 1), date(2026, 12, 31)) == []

    page = client_for("liushen").get("/audit/compliance?from=2026-01-01&to=2026-12-31").get_data(as_text=True)
    section = page[page.index('id="fig-reminders"'):]
    assert "合法性审查完成日期" in section and still in section
