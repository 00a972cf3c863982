"""Forms that offer what the case itself knows (issue 16 item 3; `options_from: {record: ...}`, workflow/options_from.py):
the comment being decided is chosen by a button beside each comment still undecided, which opens the step's form
with its number fixed and its text shown; the materials sent to the collective discussion are the case's files as
checkboxes, and a material not uploaded is still typed. The recorded payload is as before; the engine judges it."""

from __future__ import annotations

import pytest

from tests.web.helpers import new_case, parse, submit_step
from tests.web.test_stage_materials import _attach
from workflow.demo import _Story
from workflow.models import Case

# The pages, not the database, are this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

COMMENTS = ["希望加装电梯并统一设计", "建议分期实施，先改造管网"]


def _data(town, case_id: str) -> dict:
    with town.sessions() as s:
        return dict(s.get(Case, case_id).data)


def test_each_undecided_comment_has_a_button_that_opens_the_decision_with_it_chosen(town, client_for):
    case_id = new_case(town)
    story = _Story(town.engine, town.clock)
    story.ok(case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"})
    story.ok(case_id, "open_public_comment", "zhangwei", {
        "draft_ref": "草案", "explanation": "说明", "channels": ["镇政府网站"], "period_days": 30})
    for content in COMMENTS:
        story.ok(case_id, "record_comment", "zhangwei", {"commenter": "居民", "received_on": story.today(),
                                                         "content": content})
    drafter = client_for("zhangwei")
    page = parse(drafter.get(f"/cases/{case_id}"))
    buttons = page.all('section.picks a.button')
    assert [b.get("href") for b in buttons] == [
        f"/cases/{case_id}?pick=decide_comment_adoption&comment_no={n}#step-decide_comment_adoption" for n in (1, 2)]
    assert [li.text_content().split(" 作出")[0] for li in page.all("section.picks li")] == [
        f"{n}. {c}" for n, c in enumerate(COMMENTS, start=1)]

    chosen = parse(drafter.get(buttons[1].get("href")))
    form = chosen.one("details#step-decide_comment_adoption")
    assert form.get("open") is not None
    number = form.one('input[name="comment_no"]')
    assert number.get("value") == "2" and number.get("readonly") is not None
    assert form.text("blockquote.chosen-item") == f"2. {COMMENTS[1]}"

    done = submit_step(drafter, case_id, "decide_comment_adoption",
                       {"comment_no": "2", "adoption": "adopted", "adoption_reason": "已纳入方案"})
    assert done.status_code == 302
    assert _data(town, case_id)["comments"][1]["adoption"] == "adopted"
    after = parse(drafter.get(f"/cases/{case_id}"))
    assert [b.get("href") for b in after.all("section.picks a.button")] == [
        buttons[0].get("href")]  # a decided comment is not offered again
    # a number sent by hand is still the engine's to judge (an unknown comment is refused, the case unchanged)
    refused = submit_step(drafter, case_id, "decide_comment_adoption",
                          {"comment_no": "9", "adoption": "adopted", "adoption_reason": "已纳入方案"})
    assert refused.status_code == 422 and len(_data(town, case_id)["comments"]) == 2


def test_the_materials_for_the_meeting_are_the_cases_files_as_checkboxes_and_others_typed(town, client_for):
    case_id = new_case(town)
    story = _Story(town.engine, town.clock)
    story.to_argumentation(case_id, "zhangwei", [])
    story.to_review(case_id, "zhangwei")
    story.ok(case_id, "record_adviser_opinion", "linzhiyuan", {
        "adviser": "林志远律师", "capacity": "legal_adviser", "opinion": "未发现与上位法相抵触的内容"})
    story.ok(case_id, "issue_legality_opinion", "chenjing", {
        "conclusion": "lawful", "authority": "职权范围内", "procedure": "程序完备", "content": "内容合法",
        "reasons": "经审查，草案合法", "legal_basis": "《重大行政决策程序暂行条例》第二十七条"})
    _attach(town, case_id, "draft", "后龙镇生活垃圾分类实施办法（草案）")
    _attach(town, case_id, "explanation", "起草说明")
    drafter = client_for("zhangwei")
    form = parse(drafter.get(f"/cases/{case_id}")).one("details#step-submit_for_collective_discussion")
    boxes = form.all('input[type="checkbox"][name="materials"]')
    assert [b.get("value") for b in boxes] == ["后龙镇生活垃圾分类实施办法（草案）", "起草说明"]
    assert form.has('textarea[name="materials"]')  # a material on paper is still typed
    done = submit_step(drafter, case_id, "submit_for_collective_discussion",
                       {"materials": ["后龙镇生活垃圾分类实施办法（草案）", "风险评估报告（纸质）"]})
    assert done.status_code == 302, done.get_data(as_text=True)[:500]
    assert _data(town, case_id)["discussion_submission"]["materials"] == [
        "后龙镇生活垃圾分类实施办法（草案）", "风险评估报告（纸质）"]
    meeting = client_for("zhengli").get(f"/meetings/{case_id}").get_data(as_text=True)
    assert "后龙镇生活垃圾分类实施办法（草案）" in meeting and "风险评估报告（纸质）" in meeting
