"""The case pages: list, opening a case, the case page, taking a step through the engine."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.web.helpers import (
    PROPOSAL,
    START,
    csrf_from,
    login,
    new_case,
    parse,
    submit_step,
    text,
    version_from,
)
from workflow import accounts
from workflow.db import writing
from workflow.models import AuditEvent, Case

# The page, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database


def _case(town, case_id):
    with town.sessions() as s:
        case = s.get(Case, case_id)
        return case.state, case.version, case.audit_seq, dict(case.data), [d.name for d in case.deadlines]


def _events(town):
    with town.sessions() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent))


# ---------------------------------------------------------------- the list


def test_the_case_list_shows_id_title_procedure_stage_and_update_time(town, client_for):
    case_id = new_case(town)  # the fixed clock: 2026-03-02 01:00 UTC = 09:00 in Beijing
    page = text(client_for("lina").get("/cases/"))
    assert case_id in page
    assert PROPOSAL["title"] in page
    assert "重大行政决策" in page
    assert "决策建议" in page  # the stage's Chinese label, not "proposed"
    assert "2026年3月2日 09:00" in page


def test_the_case_list_shows_the_next_deadline_with_time_left(town, client_for):
    case_id = new_case(town)
    town.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"})
    town.engine.fire(case_id, "open_public_comment", "zhangwei", {
        "draft_ref": "草案", "explanation": "说明", "channels": ["网站"], "period_days": 30})
    page = text(client_for("zhangwei").get("/cases/"))
    assert "公开征求意见期限" in page
    assert "2026年4月1日" in page  # 30 days after 2 March
    assert "尚余30日届满" in page
    assert "推算" not in page


def test_a_deadline_reaching_a_year_without_holiday_data_is_marked_provisional(town, clock, client_for):
    clock.set_local_date(date(2026, 12, 21))
    case_id = new_case(town)
    town.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"})
    town.engine.fire(case_id, "open_public_comment", "zhangwei", {
        "draft_ref": "草案", "explanation": "说明", "channels": ["网站"], "period_days": 30})
    client = client_for("zhangwei")
    assert "推算" in text(client.get("/cases/"))
    page = text(client.get(f"/cases/{case_id}"))
    assert "推算" in page and "条例第十五条" in page


def test_users_see_only_their_own_organisations_cases(town, client_for):
    ours = new_case(town)
    with writing(town.sessions) as s:
        accounts.ensure_org(s, "fengwei", "泉港区峰尾镇人民政府", "Fengwei Town People's Government")
        s.flush()
        accounts.create_user(s, username="fw_drafter", display_name="峰尾起草人", password="pw-fengwei-1",
                             org_id="fengwei", roles=["drafter"])
    theirs = new_case(town, actor="fw_drafter", title="峰尾镇的决策")
    client = client_for("zhangwei")
    page = text(client.get("/cases/"))
    assert ours in page and theirs not in page and "峰尾镇的决策" not in page
    assert client.get(f"/cases/{theirs}").status_code == 404
    before = _case(town, theirs)
    token = csrf_from(client.get("/cases/"))
    response = client.post(f"/cases/{theirs}/steps/start", data={
        "csrf_token": token, "expected_version": "1", "lead_unit": "x"})
    assert response.status_code == 404
    assert _case(town, theirs) == before


# ---------------------------------------------------------------- opening a case


def test_a_drafter_opens_a_case_with_the_generated_form(town, client_for):
    client = client_for("zhangwei")
    form_page = client.get("/cases/new")
    html = text(form_page)
    assert 'name="title"' in html and 'name="summary"' in html
    assert "<textarea" in html and "<select" in html and "重大公共政策和措施" in html
    response = client.post("/cases/new", data={"csrf_token": csrf_from(form_page), "procedure": "major_decision",
                                               **PROPOSAL})
    assert response.status_code == 302
    case_id = response.headers["Location"].rsplit("/", 1)[-1]
    state, version, *_ = _case(town, case_id)
    assert (state, version) == ("proposed", 1)
    page = text(client.get(response.headers["Location"]))
    assert f"已提出：{case_id}" in page  # a major decision is proposed (提出), not opened as a case (立案)
    assert "提出时间" in page and "立案" not in page
    assert PROPOSAL["title"] in page
    assert "决策事项类别（条例第三条）" in page and "重大公共政策和措施" in page  # labels, not raw values


def test_opening_a_case_without_the_role_is_refused_by_the_engine(town, client_for):
    client = client_for("huangzhenhua")
    form_page = client.get("/cases/new?procedure=major_decision")
    response = client.post("/cases/new", data={"csrf_token": csrf_from(form_page), "procedure": "major_decision",
                                               **PROPOSAL})
    assert response.status_code == 422
    assert "须由决策承办人员办理" in text(response) and "条例第十条" in text(response)
    assert PROPOSAL["summary"] in text(response)  # the input is kept
    with town.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 0


def test_an_incomplete_new_case_form_is_refused_with_field_messages(town, client_for):
    client = client_for("zhangwei")
    token = csrf_from(client.get("/cases/new"))
    response = client.post("/cases/new", data={"csrf_token": token, "procedure": "major_decision",
                                               "title": "只有名称"})
    assert response.status_code == 422
    page = text(response)
    assert "「决策事项类别（条例第三条）」：必填项未填写" in page
    assert 'value="只有名称"' in page


# ---------------------------------------------------------------- taking a step


def test_the_head_starts_the_case_through_the_form(town, client_for):
    case_id = new_case(town)
    client = client_for("huangzhenhua")
    page = text(client.get(f"/cases/{case_id}"))
    assert f'action="/cases/{case_id}/steps/start"' in page
    newest = town.registry.get("major_decision").version  # a new case starts under it
    assert f'href="/procedures/major_decision/v{newest}"' in page  # the living spec of the case's version
    assert 'name="expected_version" value="1"' in page
    assert 'name="co_units"' in page and "每行一项" in page
    response = submit_step(client, case_id, "start", START)
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{case_id}"
    state, version, _seq, data, _ = _case(town, case_id)
    assert (state, version) == ("drafting", 2)
    assert data["initiation"]["co_units"] == ["司法所", "村镇建设服务中心"]  # one item per line
    page = text(client.get(f"/cases/{case_id}"))
    assert "已办理「决定启动并确定承办单位」，案件现处于「起草」阶段" in page
    history = parse(page).text('section[aria-labelledby="history-title"]')
    assert "决定启动并确定承办单位" in history and "决策建议 → 起草" in history
    assert "黄振华（镇长）" in history and "行政首长" in history


def test_a_refused_step_shows_the_reason_and_article_and_changes_nothing(town, client_for):
    case_id = new_case(town)
    town.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"})
    before = _case(town, case_id)
    client = client_for("zhangwei")
    response = submit_step(client, case_id, "open_public_comment", {
        "draft_ref": "征求意见稿-甲", "explanation": "起草说明", "channels": "镇政府网站", "period_days": "10"})
    assert response.status_code == 422
    page = text(response)
    assert "公开征求意见的期限一般不少于30日" in page
    assert "本次征求意见期限为10日，且未说明缩短理由" in page
    assert "《重大行政决策程序暂行条例》第十五条" in page
    assert 'value="征求意见稿-甲"' in page and 'value="10"' in page  # the input is kept
    after = _case(town, case_id)
    assert after[:2] == before[:2] and after[3:] == before[3:]  # state, version, data, deadlines unchanged
    assert after[2] == before[2] + 1  # ... and the refusal is on the audit trail
    history = parse(client.get(f"/cases/{case_id}")).text('section[aria-labelledby="history-title"]')
    assert "拒绝" in history and "本次征求意见期限为10日" in history


def test_a_step_the_user_is_not_offered_is_still_decided_by_the_engine(town, client_for):
    case_id = new_case(town)
    client = client_for("zhangwei")
    assert f"/cases/{case_id}/steps/start" not in text(client.get(f"/cases/{case_id}"))
    token = csrf_from(client.get(f"/cases/{case_id}"))
    response = client.post(f"/cases/{case_id}/steps/start", data={
        "csrf_token": token, "expected_version": "1", "lead_unit": "党政综合办公室"})
    assert response.status_code == 422
    assert "「决定启动并确定承办单位」须由行政首长办理" in text(response)
    assert "条例第十条、第十一条" in text(response)
    assert _case(town, case_id)[:2] == ("proposed", 1)


def test_a_missing_required_field_is_named_next_to_the_form(town, client_for):
    case_id = new_case(town)
    response = submit_step(client_for("huangzhenhua"), case_id, "start", {"instructions": "尽快"})
    assert response.status_code == 422
    assert "「决策承办单位」：必填项未填写" in text(response)
    assert 'aria-invalid="true"' in text(response)
    assert _case(town, case_id)[:2] == ("proposed", 1)


def test_a_stale_expected_version_is_refused(town, client_for):
    case_id = new_case(town)
    client = client_for("huangzhenhua")
    page = client.get(f"/cases/{case_id}")
    token, version = csrf_from(page), version_from(page)
    # meanwhile, someone else changes the case
    assert town.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}).ok
    before = _case(town, case_id)
    response = client.post(f"/cases/{case_id}/steps/decline_to_start", data={
        "csrf_token": token, "expected_version": version, "reason": "条件尚不成熟，暂不启动"})
    assert response.status_code == 409
    assert "案件已被他人更新" in text(response)
    after = _case(town, case_id)
    assert after[:2] == before[:2] == ("drafting", 2)


def test_a_step_without_the_case_version_is_a_bad_request(town, client_for):
    case_id = new_case(town)
    client = client_for("huangzhenhua")
    token = csrf_from(client.get(f"/cases/{case_id}"))
    events = _events(town)
    response = client.post(f"/cases/{case_id}/steps/start", data={"csrf_token": token, "lead_unit": "x"})
    assert response.status_code == 400
    assert "版本号" in text(response)
    assert _events(town) == events and _case(town, case_id)[:2] == ("proposed", 1)


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(town, client_for):
    case_id = new_case(town)
    client = client_for("huangzhenhua")
    events = _events(town)
    for token in (None, "forged-token"):
        data = {"expected_version": "1", **START}
        if token:
            data["csrf_token"] = token
        response = client.post(f"/cases/{case_id}/steps/start", data=data)
        assert response.status_code == 400
        assert "安全令牌" in text(response)
        assert "Traceback" not in text(response)
    assert _case(town, case_id)[:2] == ("proposed", 1)
    assert _events(town) == events  # not even a refusal: the engine was never called
    response = client.post("/cases/new", data={"procedure": "major_decision", **PROPOSAL})
    assert response.status_code == 400
    with town.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1


def test_html_in_free_text_is_shown_escaped(town, client_for):
    client = client_for("zhangwei")
    token = csrf_from(client.get("/cases/new"))
    evil = "<script>alert(1)</script>"
    response = client.post("/cases/new", data={"csrf_token": token, "procedure": "major_decision",
                                               **PROPOSAL, "title": evil, "summary": f"<b>粗体</b>{evil}"})
    case_id = response.headers["Location"].rsplit("/", 1)[-1]
    for path in ("/cases/", f"/cases/{case_id}"):
        page = text(client.get(path))
        assert evil not in page and "<b>粗体</b>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_case_page_shows_deadlines_with_their_legal_basis(town, client_for):
    case_id = new_case(town)
    town.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"})
    town.engine.fire(case_id, "open_public_comment", "zhangwei", {
        "draft_ref": "草案", "explanation": "说明", "channels": ["网站", "公告栏"], "period_days": 30})
    page = text(client_for("zhangwei").get(f"/cases/{case_id}"))
    deadlines = parse(page).text('section[aria-labelledby="deadlines-title"]')
    assert "公开征求意见期限" in deadlines and "最短期间" in deadlines and "30日" in deadlines
    assert "2026年4月1日" in deadlines and "条例第十五条" in deadlines
    record = parse(page).one('section[aria-labelledby="record-title"]')
    assert "公布渠道" in record and "网站" in [li.text for li in record.all("li")] and "征求意见期限（日）" in record


def test_an_unknown_case_is_a_chinese_404_page(client_for):
    response = client_for("zhangwei").get("/cases/MD-2099-9999")
    assert response.status_code == 404
    assert "未找到" in text(response) and "不存在" in text(response)


def test_an_unexpected_error_is_a_chinese_500_page_without_a_stack_trace(own_app):
    app = own_app
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom():
        raise RuntimeError("secret internals")

    app.add_url_rule("/boom", "boom", boom)
    client = app.test_client()
    login(client, "zhangwei")
    response = client.get("/boom")
    assert response.status_code == 500
    assert "系统发生错误" in text(response)
    assert "secret internals" not in text(response) and "Traceback" not in text(response)


def test_each_submitted_step_calls_the_engine_exactly_once(town, client_for, monkeypatch):
    case_id = new_case(town)
    calls = []
    real_fire = town.engine.fire

    def counting_fire(*args, **kwargs):
        calls.append(args[1])
        return real_fire(*args, **kwargs)

    monkeypatch.setattr(town.engine, "fire", counting_fire)
    client = client_for("huangzhenhua")
    assert submit_step(client, case_id, "start", {}).status_code == 422  # refused: lead unit missing
    assert submit_step(client, case_id, "start", START).status_code == 302
    assert calls == ["start", "start"]
