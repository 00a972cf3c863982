"""The review pages: the reviewers' queue, the structured legality review of a major decision, and the
legal review of an enforcement decision, each step through the engine."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.web.helpers import csrf_from, new_case, parse, text, version_from
from workflow import accounts
from workflow.db import writing
from workflow.demo import _Story
from workflow.models import AuditEvent, Case

# The page, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

OPINION = {"authority": "属于镇人民政府职权范围", "procedure": "已履行公众参与、风险评估程序",
           "content": "未发现与上位法相抵触的内容", "reasons": "经审查，草案合法", "legal_basis": "条例第二十七条"}
ADVISER = {"adviser": "林志远律师", "capacity": "legal_adviser", "opinion": "未发现与上位法相抵触的内容"}
ROW = re.compile(r"<tr[^>]*>\s*<td class=\"nowrap\"><a href=\"/reviews/([^\"]+)\">.*?</tr>", re.S)


# ---------------------------------------------------------------- driving cases (through the engine)


def _ok(town, case_id, trigger, actor, payload):
    outcome = town.engine.fire(case_id, trigger, actor, payload)
    assert outcome.ok, [r.zh for r in outcome.reasons]
    return outcome


def ready_for_review(town, drafter="zhangwei", head="huangzhenhua", **proposal) -> str:
    """A major decision through public participation, expert argumentation and risk assessment."""
    case_id = new_case(town, actor=drafter, **proposal)
    _ok(town, case_id, "start", head, {"lead_unit": "党政综合办公室"})
    _ok(town, case_id, "open_public_comment", drafter, {
        "draft_ref": "草案", "explanation": "起草说明", "channels": ["镇政府网站"], "period_days": 30})
    town.clock.advance(days=31)
    _Story(town.engine, town.clock).past_period(case_id, "comment_period", lead=0)  # a holiday may lengthen it
    _ok(town, case_id, "close_public_comment", drafter, {"summary": "共收到意见0条"})
    _ok(town, case_id, "record_expert_argumentation", drafter, {
        "unit": "党政综合办公室", "method": "meeting", "experts": ["王教授"], "no_direct_interest": True,
        "report_ref": f"{case_id}-论证-01", "report_signed": True, "conclusion": "方案总体可行"})
    _ok(town, case_id, "record_risk_assessment", drafter, {
        "unit": "综治中心", "report_ref": f"{case_id}-风评-01", "report_signed": True, "risk_points": "征地补偿",
        "measures": "补偿标准公开", "conclusion": "controllable"})
    return case_id


def submit_for_review(town, case_id, due_in_days=20, drafter="zhangwei") -> None:
    _ok(town, case_id, "submit_for_legality_review", drafter, {
        "draft_ref": f"{case_id}-送审稿", "legal_basis": "《水污染防治法》第四十九条",
        "procedure_account": "已公开征求意见30日，组织专家论证和风险评估",
        "requested_by": (town.engine.today() + timedelta(days=due_in_days)).isoformat()})


def under_review(town, **proposal) -> str:
    case_id = ready_for_review(town, **proposal)
    submit_for_review(town, case_id)
    return case_id


def _case(town, case_id):
    with town.sessions() as s:
        case = s.get(Case, case_id)
        return case.state, case.version, case.audit_seq


def _last_event(town, case_id) -> AuditEvent:
    with town.sessions() as s:
        return s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                         .order_by(AuditEvent.seq.desc())).first()


def _post(client, case_id, path, data, **overrides):
    """Post a form of the review page as a browser would: token and case version taken from the page."""
    page = client.get(f"/reviews/{case_id}")
    form = {"csrf_token": csrf_from(page), "expected_version": version_from(page), **data, **overrides}
    return client.post(f"/reviews/{case_id}/{path}", data=form)


def _rows(page: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(0)) for m in ROW.finditer(page)]


# ---------------------------------------------------------------- the queue


def test_the_queue_lists_the_cases_awaiting_review_overdue_first_then_soonest_due(town, client_for):
    story = _Story(town.engine, town.clock)
    story.shed_on_square()  # an enforcement case whose legal review (no deadline) is under way
    review_id = "houlong-ER-2026-0001"
    late, later, sooner = (ready_for_review(town, title=t) for t in ("甲事项", "乙事项", "丙事项"))
    drafting = new_case(town, title="尚在起草的事项")
    submit_for_review(town, late, due_in_days=12)
    town.clock.advance(days=30)  # its requested date has passed
    submit_for_review(town, later, due_in_days=40)
    submit_for_review(town, sooner, due_in_days=14)

    page = text(client_for("chenjing").get("/reviews/"))  # legal counsel and legal reviewer
    rows = _rows(page)
    assert [case_id for case_id, _ in rows] == [late, sooner, later, review_id]
    assert drafting not in page and "尚在起草的事项" not in page
    by_id = dict(rows)
    today = town.engine.today()
    due = today + timedelta(days=14)
    left, _provisional = town.engine.calendar.working_days_between(today, due)
    sooner_row = by_id[sooner]
    assert "丙事项" in sooner_row and "重大行政决策" in sooner_row and "合法性审查" in sooner_row
    assert f"{today.year}年{today.month}月{today.day}日" in sooner_row  # submitted today
    assert "合法性审查完成日期" in sooner_row and f"{due.year}年{due.month}月{due.day}日" in sooner_row
    assert f'<td class="num">{left}</td>' in sooner_row and f"剩余{left}个工作日" in sooner_row
    assert "已逾期" not in sooner_row and "推算" not in sooner_row
    late_row = by_id[late]
    # one overdue marker, and no count below zero (issue 16: the office's language)
    assert "已逾期" not in late_row and re.search(r"逾期\d+个工作日", late_row)
    assert '<td class="num">—</td>' in late_row and not re.search(r">-\d+<", late_row)
    assert "无期限" in by_id[review_id] and "审核中" in by_id[review_id]


def test_each_review_role_sees_its_own_procedures_cases(town, client_for):
    _Story(town.engine, town.clock).shed_on_square()
    decision = under_review(town)
    adviser = text(client_for("linzhiyuan").get("/reviews/"))  # legal adviser: major decisions only
    assert [c for c, _ in _rows(adviser)] == [decision]
    reviewer = text(client_for("guomin").get("/reviews/"))  # legal reviewer: enforcement reviews only
    assert [c for c, _ in _rows(reviewer)] == ["houlong-ER-2026-0001"]


def test_a_deadline_in_a_year_without_holiday_data_is_marked_provisional_in_the_queue(town, clock, client_for):
    from datetime import date

    clock.set_local_date(date(2026, 11, 2))
    case_id = ready_for_review(town)
    submit_for_review(town, case_id, due_in_days=60)  # due in 2027: no State Council notice yet
    row = dict(_rows(text(client_for("chenjing").get("/reviews/"))))[case_id]
    assert "推算" in row


def test_only_review_roles_reach_the_queue_and_the_review_page(town, client_for):
    case_id = under_review(town)
    drafter = client_for("zhangwei")
    assert drafter.get("/reviews/").status_code == 403
    assert drafter.get(f"/reviews/{case_id}").status_code == 403
    token = csrf_from(drafter.get("/cases/"))
    before = _case(town, case_id)
    response = drafter.post(f"/reviews/{case_id}/opinion", data={
        "csrf_token": token, "expected_version": str(before[1]), "conclusion": "lawful", **OPINION})
    assert response.status_code == 403
    assert _case(town, case_id) == before  # not even a refusal: the engine was not asked
    assert "审查任务" not in text(drafter.get("/cases/"))
    assert 'href="/reviews/"' in text(client_for("chenjing").get("/cases/"))


def test_each_review_page_opens_only_to_the_roles_that_review_its_procedure(town, client_for):
    enforcement_case = _Story(town.engine, town.clock).shed_on_square()
    decision = under_review(town)
    assert client_for("guomin").get(f"/reviews/{decision}").status_code == 404  # a legal reviewer: not their case
    assert client_for("linzhiyuan").get("/reviews/houlong-ER-2026-0001").status_code == 404  # a legal adviser:
    # not a case of theirs (need-to-know: the review's definition does not let them see it)
    assert client_for("chenjing").get(f"/reviews/{enforcement_case}").status_code == 404  # not a review


def test_another_organisations_case_is_not_found_and_not_listed(town, client_for):
    with writing(town.sessions) as s:
        accounts.ensure_org(s, "fengwei", "泉港区峰尾镇人民政府", "Fengwei Town People's Government")
        s.flush()
        accounts.create_user(s, username="fw_drafter", display_name="峰尾起草人", password="pw-fengwei-1",
                             org_id="fengwei", roles=["drafter"])
        accounts.create_user(s, username="fw_head", display_name="峰尾镇长", password="pw-fengwei-1",
                             org_id="fengwei", roles=["head"])
    theirs = ready_for_review(town, drafter="fw_drafter", head="fw_head", title="峰尾镇的决策")
    submit_for_review(town, theirs, drafter="fw_drafter")
    client = client_for("chenjing")
    page = text(client.get("/reviews/"))
    assert theirs not in page and "峰尾镇的决策" not in page
    assert client.get(f"/reviews/{theirs}").status_code == 404
    before = _case(town, theirs)
    token = csrf_from(client.get("/reviews/"))
    response = client.post(f"/reviews/{theirs}/opinion", data={
        "csrf_token": token, "expected_version": str(before[1]), "conclusion": "lawful", **OPINION})
    assert response.status_code == 404
    assert _case(town, theirs) == before


# ---------------------------------------------------------------- the legality review of a major decision


def test_the_review_page_shows_the_submission_and_the_earlier_records(town, client_for):
    case_id = under_review(town)
    page = text(client_for("chenjing").get(f"/reviews/{case_id}"))
    materials = parse(page).text('section[aria-labelledby="materials-title"]')
    for shown in ("制定依据", "《水污染防治法》第四十九条", "履行法定程序的说明", "要求审查完成日期",
                  "意见采纳情况汇总", "共收到意见0条", "登记专家论证", "方案总体可行", "登记风险评估", "风险可控"):
        assert shown in materials, shown
    form = parse(page).one("section#opinion").first("form")
    assert form.get("action") == "/reviews/" + case_id + "/opinion"
    for label in ("合法", "不合法", "退回补充材料", "是否符合法定权限", "是否履行法定程序", "内容是否合法合规",
                  "理由", "依据", "需补充的材料"):
        assert label in form, label
    assert 'id="step-record_adviser_opinion"' in page  # counsel may record the adviser's opinion too


def test_a_lawful_opinion_after_the_advisers_goes_to_the_engine_and_moves_the_case_on(town, client_for):
    case_id = under_review(town)
    client = client_for("chenjing")
    response = _post(client, case_id, "steps/record_adviser_opinion", ADVISER)
    assert response.status_code == 302 and response.headers["Location"] == f"/reviews/{case_id}"  # more to do
    state, version, _seq = _case(town, case_id)
    assert state == "legality_review"
    response = _post(client, case_id, "opinion", {"conclusion": "lawful", **OPINION,
                                                  "missing": "ignored for an opinion"})
    assert response.status_code == 302 and response.headers["Location"] == "/reviews/"
    assert _case(town, case_id)[:2] == ("reviewed", version + 1)
    event = _last_event(town, case_id)
    assert (event.kind, event.trigger, event.actor, event.from_state, event.to_state) == (
        "transition", "issue_legality_opinion", "chenjing", "legality_review", "reviewed")
    assert json.loads(event.payload) == {"conclusion": "lawful", **OPINION}  # only the step's own fields
    queue = text(client.get("/reviews/"))
    assert f"{case_id}：已办理「出具合法性审查意见」，案件现处于「已出具审查意见」阶段" in queue
    assert case_id not in [c for c, _ in _rows(queue)]
    page = text(client.get(f"/reviews/{case_id}"))
    assert 'id="opinion"' not in page  # nothing more to offer counsel
    records = page.split("补充材料要求、法律顾问意见和审查意见", 1)[1]
    assert "林志远律师" in records and "经审查，草案合法" in records


def test_returning_for_supplement_moves_the_case_back_and_shows_the_request_on_resubmission(town, client_for):
    case_id = under_review(town)
    client = client_for("chenjing")
    version = _case(town, case_id)[1]
    response = _post(client, case_id, "opinion", {"conclusion": "return_for_supplement",
                                                  "missing": "请补充征地补偿标准的测算依据", "reasons": "x"})
    assert response.status_code == 302 and response.headers["Location"] == "/reviews/"
    assert _case(town, case_id)[:2] == ("argumentation", version + 1)
    event = _last_event(town, case_id)
    assert (event.trigger, event.to_state) == ("return_for_supplement", "argumentation")
    assert json.loads(event.payload) == {"missing": "请补充征地补偿标准的测算依据"}
    with town.sessions() as s:
        assert [d.name for d in s.get(Case, case_id).deadlines] == []  # the review period is cleared
    submit_for_review(town, case_id)
    page = text(client.get(f"/reviews/{case_id}"))
    assert "请补充征地补偿标准的测算依据" in parse(page).text('section[aria-labelledby="records-title"]')
    assert 'id="opinion"' in page


def test_an_opinion_without_the_advisers_involvement_is_refused_with_its_article(town, client_for):
    case_id = under_review(town)
    before = _case(town, case_id)
    response = _post(client_for("chenjing"), case_id, "opinion", {"conclusion": "unlawful", **OPINION})
    assert response.status_code == 422
    page = text(response)
    opinion = parse(page).one("section#opinion")
    refusal = opinion.text()
    assert "未能提交审查意见" in refusal
    assert "合法性审查应当注重听取法律顾问、公职律师的意见" in refusal
    assert "《重大行政决策程序暂行条例》第二十八条" in refusal
    unlawful = opinion.one('input[name="conclusion"][value="unlawful"]')  # the input is kept
    assert unlawful.get("required") is not None and unlawful.get("checked") is not None
    assert "经审查，草案合法" in [t.text for t in opinion.all("textarea")]
    state, version, seq = _case(town, case_id)
    assert (state, version) == before[:2] and seq == before[2] + 1
    event = _last_event(town, case_id)
    assert (event.kind, event.trigger) == ("refused", "issue_legality_opinion")
    assert [r["code"] for r in json.loads(event.reasons)] == ["adviser_involved"]


def test_an_opinion_without_a_conclusion_is_refused_naming_the_field(town, client_for):
    case_id = under_review(town)
    before = _case(town, case_id)
    response = _post(client_for("chenjing"), case_id, "opinion", OPINION)
    assert response.status_code == 422
    assert "「审查结论」：必填项未填写" in text(response)
    assert 'id="opinion-verdict-err"' in text(response)
    assert _case(town, case_id)[:2] == before[:2]


def test_a_stale_version_is_409_and_changes_nothing(town, client_for):
    case_id = under_review(town)
    client = client_for("chenjing")
    page = client.get(f"/reviews/{case_id}")
    token, version = csrf_from(page), version_from(page)
    _ok(town, case_id, "record_adviser_opinion", "linzhiyuan", ADVISER)  # meanwhile, the adviser
    before = _case(town, case_id)
    response = client.post(f"/reviews/{case_id}/opinion", data={
        "csrf_token": token, "expected_version": version, "conclusion": "lawful", **OPINION})
    assert response.status_code == 409
    assert "案件已被他人更新" in text(response) and "请刷新后重试" in text(response)
    assert _case(town, case_id)[:2] == before[:2] == ("legality_review", int(version) + 1)
    assert f'name="expected_version" value="{before[1]}"' in text(response)  # the page now holds the new one


def test_free_text_is_shown_escaped(town, client_for):
    case_id = under_review(town)
    client = client_for("chenjing")
    evil = "<script>alert(1)</script>"
    refused = text(_post(client, case_id, "opinion", {"conclusion": "unlawful", **OPINION, "reasons": evil}))
    assert evil not in refused and "&lt;script&gt;alert(1)&lt;/script&gt;" in refused
    assert _post(client, case_id, "steps/record_adviser_opinion", {**ADVISER, "opinion": evil}).status_code == 302
    assert _post(client, case_id, "opinion", {"conclusion": "unlawful", **OPINION, "reasons": evil}).status_code == 302
    page = text(client.get(f"/reviews/{case_id}"))
    assert evil not in page and page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2


def test_the_adviser_is_offered_only_the_advisers_step(town, client_for):
    case_id = under_review(town)
    client = client_for("linzhiyuan")
    page = text(client.get(f"/reviews/{case_id}"))
    assert 'id="opinion"' not in page and f"/reviews/{case_id}/opinion" not in page
    assert 'id="step-record_adviser_opinion"' in page
    response = _post(client, case_id, "steps/record_adviser_opinion", ADVISER)
    assert response.status_code == 302
    with town.sessions() as s:
        assert s.get(Case, case_id).data["adviser_opinions"][0]["recorded_by"] == "linzhiyuan"


# ---------------------------------------------------------------- the legal review of an enforcement decision


def test_the_enforcement_review_page_shows_the_checklist_and_takes_a_finding(town, client_for):
    _Story(town.engine, town.clock).shed_on_square()  # three items found compliant so far
    review_id = "houlong-ER-2026-0001"
    client = client_for("chenjing")
    page = text(client.get(f"/reviews/{review_id}"))
    checklist = parse(page).text('section[aria-labelledby="checklist-title"]')
    assert checklist.count("尚未登记") == 7 and checklist.count("符合要求") == 3
    assert "执法主体是否合法" in checklist and "是否涉嫌犯罪需要移送司法机关" in checklist
    for trigger in ("record_checklist_finding", "pass_review", "return_for_supplement", "fail_review"):
        assert f'id="step-{trigger}"' in page, trigger
    response = _post(client, review_id, "steps/record_checklist_finding", {
        "item": "evidence", "finding": "problem", "note": "缺少现场照片"})
    assert response.status_code == 302 and response.headers["Location"] == f"/reviews/{review_id}"
    checklist = parse(client.get(f"/reviews/{review_id}")).text('section[aria-labelledby="checklist-title"]')
    assert "存在问题" in checklist and "缺少现场照片" in checklist and checklist.count("尚未登记") == 6


def test_a_reviewer_who_did_not_take_up_the_review_is_refused_by_the_engine(town, client_for):
    _Story(town.engine, town.clock).shed_on_square()
    review_id = "houlong-ER-2026-0001"
    before = _case(town, review_id)
    response = _post(client_for("guomin"), review_id, "steps/pass_review", {"opinion": "同意"})
    assert response.status_code == 422
    step = parse(response).one("details#step-pass_review")
    assert "只有受理本次审核的法制审核人员可以办理" in step and "第五十八条" in step
    assert "同意" in [t.text for t in step.all("textarea")]
    assert _case(town, review_id)[:2] == before[:2]


def test_counsel_downloads_the_drafters_materials_from_the_review_page(town, client_for):
    from tests.web.test_materials import PDF, _post

    case_id = under_review(town)
    drafter = client_for("zhangwei")
    page = drafter.get(f"/cases/{case_id}")
    assert _post(drafter, case_id, PDF, page, int(version_from(page)), name="送审稿.pdf",
                 material="legality_review", title="送审稿及起草说明").status_code == 302
    counsel = client_for("chenjing")
    review = text(counsel.get(f"/reviews/{case_id}"))
    files = parse(review).one('section[aria-labelledby="files-title"]')
    assert "送审稿及起草说明" in files and "合法性审查" in files  # its title, its stage
    link = next(href for href in files.links() if re.fullmatch(r"/cases/[^/]+/records/\d+", href))
    download = counsel.get(link)
    assert download.status_code == 200 and download.data == PDF


def test_the_advisers_name_is_offered_to_the_adviser_and_left_blank_for_the_counsel(town, client_for):
    case_id = under_review(town)
    adviser = parse(client_for("linzhiyuan").get(f"/reviews/{case_id}"))
    assert adviser.one("input[name=\"adviser\"]").get("value") == "林志远"  # to keep or change
    counsel = parse(client_for("chenjing").get(f"/reviews/{case_id}"))
    assert counsel.one("input[name=\"adviser\"]").get("value") in ("", None)  # writes down the adviser's name
