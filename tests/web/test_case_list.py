"""The case list as a work list: filters, ordering by next deadline, pages of fifty, a drafter's own cases."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.web.helpers import new_case, text
from workflow import accounts
from workflow.accounts import names_and_posts
from workflow.clock import local_date
from workflow.db import writing
from workflow.demo import FIELD_STREETS, POWER_STREETS
from workflow.models import CaseDeadline
from workflow.procedures.petitions.law import DAY_UNIT

FILING = {"title": "陈某某在后龙街两侧堆放建材案", "party": "陈某某（后龙镇后龙村）", "party_type": "individual",
          "facts": "当事人在后龙街两侧人行道堆放建材约20立方米，经责令后未清理。", "field": FIELD_STREETS,
          "power": POWER_STREETS, "legal_basis": "《城市市容和环境卫生管理条例》第三十六条"}
COMMENT = {"draft_ref": "草案", "explanation": "说明", "channels": ["网站"], "period_days": 30}


def _penalty_case(town, title: str = FILING["title"]) -> str:
    outcome = town.engine.create_case("enforcement_case", "wanghai", {**FILING, "title": title})
    assert outcome.ok and outcome.case_id, outcome.reasons
    return outcome.case_id


def _in_comment_period(town, actor: str = "zhangwei", days: int = 30, **overrides) -> str:
    case_id = new_case(town, actor=actor, **overrides)
    assert town.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}).ok
    assert town.engine.fire(case_id, "open_public_comment", actor, {**COMMENT, "period_days": days}).ok
    return case_id


def _due(town, case_id: str) -> date:
    with town.sessions() as s:
        return min(s.scalars(select(CaseDeadline.due).where(CaseDeadline.case_id == case_id)))


def _listed(page: str, *case_ids: str) -> list[str]:
    """The given cases in the order the page lists them (those it lists)."""
    found = [(page.find(f">{c}</a>"), c) for c in case_ids]
    return [c for at, c in sorted(found) if at >= 0]


# ---------------------------------------------------------------- filters


def test_the_list_filters_by_procedure_and_stage(town, client_for):
    proposed = new_case(town, title="后龙镇生活垃圾分类实施办法")
    drafting = new_case(town, title="后龙镇农村生活污水治理方案")
    assert town.engine.fire(drafting, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}).ok
    penalty = _penalty_case(town)
    client = client_for("huangzhenhua")  # the head sees decisions and (as agency head) penalty cases

    page = text(client.get("/cases/?procedure=enforcement_case"))
    assert _listed(page, proposed, drafting, penalty) == [penalty]
    assert "共1件案件，第1/1页。" in page
    page = text(client.get("/cases/?procedure=major_decision&state=drafting"))
    assert _listed(page, proposed, drafting, penalty) == [drafting]
    assert "起草" in page  # the stage by its label
    page = text(client.get("/cases/?state=proposed"))
    assert _listed(page, proposed, drafting, penalty) == [proposed]
    page = text(client.get("/cases/?procedure=enforcement_case&state=decided"))
    assert _listed(page, proposed, drafting, penalty) == [] and "没有符合条件的案件。" in page


def test_my_cases_are_the_ones_i_opened_the_soonest_deadline_first(town, client_for):
    no_deadline = new_case(town, actor="zhangwei", title="甲事项")
    someone_elses = new_case(town, actor="lina", title="乙事项")
    later = _in_comment_period(town, days=45, title="丙事项")
    sooner = _in_comment_period(town, days=30, title="丁事项")
    assert _due(town, sooner) < _due(town, later)
    page = text(client_for("zhangwei").get("/cases/?mine=created"))
    assert _listed(page, no_deadline, someone_elses, later, sooner) == [sooner, later, no_deadline]
    # by last update instead, when asked: the newest change first
    page = text(client_for("zhangwei").get("/cases/?mine=created&order=updated"))
    assert _listed(page, no_deadline, later, sooner)[0] in (sooner, later)


def test_cases_awaiting_a_step_of_my_roles(town, client_for):
    proposed = new_case(town, title="待决定是否启动的事项")  # the head decides whether to start
    drafting = new_case(town, title="起草中的事项")  # a drafter opens the public comment
    assert town.engine.fire(drafting, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}).ok
    page = text(client_for("huangzhenhua").get("/cases/?mine=todo"))
    assert _listed(page, proposed, drafting) == [proposed]
    page = text(client_for("lina").get("/cases/?mine=todo"))  # any drafter: the engine authorises by role
    assert _listed(page, proposed, drafting) == [drafting]
    page = text(client_for("liushen").get("/cases/?mine=todo"))  # an auditor takes no step
    assert _listed(page, proposed, drafting) == [] and "没有符合条件的案件。" in page


def test_overdue_and_due_soon_count_limits_not_minimum_periods(town, clock, client_for):
    first = _penalty_case(town, "第一宗处罚案件")  # 90 days to decide (处罚法第六十条)
    clock.advance(days=40)
    second = _penalty_case(town, "第二宗处罚案件")
    comment = _in_comment_period(town)  # a minimum period: it must pass; it is never "overdue"
    client = client_for("huangzhenhua")  # who sees both procedures (the definitions' `visibility:`)

    clock.set_local_date(_due(town, first) + timedelta(days=1))
    page = text(client.get("/cases/?deadline=overdue"))
    assert _listed(page, first, second, comment) == [first]
    assert "逾期1日" in page

    due = _due(town, second)
    calendar = town.engine.calendar
    today = next(due - timedelta(days=k) for k in range(1, 15)
                 if calendar.add_working_days(due - timedelta(days=k), 2).date == due)
    clock.set_local_date(today)
    assert _listed(text(client.get("/cases/?deadline=soon")), first, second, comment) == [second]
    assert _listed(text(client.get("/cases/?deadline=soon&days=1")), first, second, comment) == []
    clock.set_local_date(_due(town, comment) - timedelta(days=1))
    assert comment not in text(client.get("/cases/?deadline=soon&days=60"))


def test_the_search_finds_words_of_the_title_and_the_case_number(town, client_for):
    waste = new_case(town, title="后龙镇生活垃圾分类实施办法")
    sewage = new_case(town, title="后龙镇农村生活污水治理方案")
    client = client_for("zhangwei")
    assert _listed(text(client.get("/cases/?q=污水")), waste, sewage) == [sewage]
    assert _listed(text(client.get(f"/cases/?q={waste.lower()}")), waste, sewage) == [waste]
    # LIKE's wildcards are searched for as typed, not as wildcards
    assert _listed(text(client.get("/cases/?q=%25")), waste, sewage) == []
    assert _listed(text(client.get("/cases/?q=_")), waste, sewage) == []


# ---------------------------------------------------------------- pages


def test_the_list_filters_by_the_days_opened_in_beijing_and_the_openers_unit(town, clock, client_for):
    first = new_case(town, actor="zhangwei", title="后龙镇生活垃圾分类实施办法")  # 党政综合办公室
    opened_on = local_date(clock.now())
    clock.advance(days=3)
    later = new_case(town, actor="lina", title="后龙镇农村生活污水治理方案")  # 经济发展办公室
    client = client_for("huangzhenhua")

    day = opened_on.isoformat()
    page = text(client.get(f"/cases/?opened_from={day}&opened_to={day}"))
    assert _listed(page, first, later) == [first]
    page = text(client.get(f"/cases/?opened_from={(opened_on + timedelta(days=1)).isoformat()}"))
    assert _listed(page, first, later) == [later]
    page = text(client.get("/cases/?unit=经济发展办公室"))
    assert _listed(page, first, later) == [later]
    assert '<option value="经济发展办公室" selected>' in page  # the units are the town's own people's
    assert '<option value="党政综合办公室">党政综合办公室</option>' in page


def test_a_party_is_found_by_name_only_by_those_who_may_see_the_party(town, client_for):
    penalty = _penalty_case(town, title="后龙街两侧堆放建材案")  # the party's name is not in the title
    other = town.engine.create_case("enforcement_case", "wanghai", {**FILING, "party": "郭某某（后龙镇后龙村）",
                                                                    "title": "文化广场搭建彩钢棚案"}).case_id
    officer = text(client_for("wanghai").get("/cases/?party=陈某某"))
    assert _listed(officer, penalty, other) == [penalty]
    assert 'id="f-party"' in officer
    assert set(_listed(text(client_for("wanghai").get("/cases/?party=某某")), penalty, other)) == {penalty, other}
    # the auditor sees penalty cases with the party masked: no party search, and the form does not offer it
    auditor = client_for("liushen")
    assert 'id="f-party"' not in text(auditor.get("/cases/"))
    refused = auditor.get("/cases/?party=陈")
    assert refused.status_code == 400 and penalty not in text(refused)


def test_a_party_named_in_a_list_of_several_is_found_by_each_name(town, clock, client_for):
    def petition(title: str, petitioners: list[str]) -> str:
        outcome = town.engine.create_case("petition", "guomin", {
            "received_on": local_date(clock.now()).isoformat(), "title": title, "petitioners": petitioners,
            "channel": "letter", "petition_class": "claim", "transferred_from": "direct"})
        assert outcome.ok and outcome.case_id, outcome.reasons
        return outcome.case_id

    with writing(town.sessions) as session:  # how the town counts the petition periods: its own setting
        accounts.set_setting(session, org_id="houlong", key=DAY_UNIT, value="calendar_days", source="测试",
                             by="admin", now=clock.now())
    wages = petition("企业欠薪投诉", ["黄某", "郑某某"])
    road = petition("道路硬化建议", ["林某"])
    keeper = client_for("guomin")  # 郭敏 keeps the registers and sees the petitioners (信访工作条例: no one else)
    assert _listed(text(keeper.get("/cases/?party=郑某某")), wages, road) == [wages]  # the second of two names
    assert _listed(text(keeper.get("/cases/?party=林")), wages, road) == [road]
    assert _listed(text(keeper.get("/cases/?party=100%25")), wages, road) == []  # a LIKE wildcard is a character


def test_the_export_is_every_row_of_the_filtered_list_as_a_workbook(town, client_for):
    penalties = [_penalty_case(town, title=f"堆放建材案{n}") for n in range(3)]
    formula = _penalty_case(town, title='=HYPERLINK("http://example.invalid","点击")')
    new_case(town, title="后龙镇生活垃圾分类实施办法")
    with town.sessions() as s:
        opener = names_and_posts(s, "houlong")["wanghai"]  # the name and unit, as the pages show a person
    response = client_for("wanghai").get("/cases/export.xlsx?procedure=enforcement_case")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0].startswith("案件列表")
    assert rows[1] == ("编号", "事项名称", "程序", "当前阶段", "下一期限", "发起人", "发起日期", "最后更新")
    assert sorted(r[0] for r in rows[2:]) == sorted([*penalties, formula])
    assert {r[5] for r in rows[2:]} == {opener}
    assert next(r[1] for r in rows[2:] if r[0] == formula).startswith("=HYPERLINK")  # as typed, as text
    assert "导出Excel" in text(client_for("wanghai").get("/cases/?procedure=enforcement_case"))


def test_the_list_comes_in_pages_of_fifty_with_a_total_and_page_links(town, client_for):
    ids = [new_case(town, title=f"后龙镇第{i}号事项") for i in range(55)]
    client = client_for("zhangwei")
    first = text(client.get("/cases/?order=updated"))
    second = text(client.get("/cases/?order=updated&page=2"))
    assert "共55件案件，第1/2页。" in first and "共55件案件，第2/2页。" in second
    on_first, on_second = set(_listed(first, *ids)), set(_listed(second, *ids))
    assert len(on_first) == 50 and len(on_second) == 5 and not on_first & on_second
    assert on_first | on_second == set(ids)
    assert 'href="/cases/?order=updated&amp;page=2"' in first  # the links keep the filters
    assert "aria-current=\"page\">2<" in second
    # a page past the end shows the last one; a page that is no number, the first
    assert "第2/2页" in text(client.get("/cases/?page=99"))
    assert "第1/2页" in text(client.get("/cases/?page=abc"))


# ---------------------------------------------------------------- bad input, scope, landing


@pytest.mark.parametrize(("query", "message"), [
    ("mine=everyone", "未知的范围"),
    ("procedure=no_such_procedure", "未知的程序"),
    ("state=nowhere", "未知的阶段"),
    ("procedure=enforcement_case&state=public_participation", "未知的阶段"),
    ("deadline=yesterday", "未知的期限状态"),
    ("deadline=soon&days=0", "请填写1至60之间的整数"),
    ("days=many", "请填写1至60之间的整数"),
    ("order=random", "未知的排序方式"),
    ("q=" + "长" * 101, "不能超过100个字符"),
    ("q=%01", "含有不允许的控制字符"),
    ("opened_from=2026-13-01", "日期无效"),
    ("opened_from=2026-03-02&opened_to=2026-03-01", "截止日期早于起始日期"),
    ("unit=" + "办" * 101, "不能超过100个字符"),
])
def test_a_bad_filter_is_named_in_chinese_with_400_never_a_server_error(town, client_for, query, message):
    new_case(town)
    response = client_for("zhangwei").get(f"/cases/?{query}")
    assert response.status_code == 400
    page = text(response)
    assert "筛选条件有误，请按提示修改后重新查询。" in page and message in page
    assert 'aria-invalid="true"' in page and "houlong-MD-2026-0001<" not in page


def test_no_filter_shows_another_organisations_cases(town, client_for):
    ours = new_case(town, title="后龙镇的事项")
    with writing(town.sessions) as s:
        accounts.ensure_org(s, "fengwei", "泉港区峰尾镇人民政府", "Fengwei Town People's Government")
        s.flush()
        accounts.create_user(s, username="fw_drafter", display_name="峰尾起草人", password="pw-fengwei-1",
                             org_id="fengwei", roles=["drafter"])
    theirs = new_case(town, actor="fw_drafter", title="峰尾镇的事项")
    client = client_for("huangzhenhua")
    for query in ("", "?mine=todo", "?q=事项", "?state=proposed", "?procedure=major_decision&order=deadline"):
        page = text(client.get(f"/cases/{query}"))
        assert ours in page and theirs not in page and "峰尾镇的事项" not in page, query


def test_a_drafters_landing_shows_their_cases_with_stage_and_next_deadline(town, client_for):
    mine = _in_comment_period(town, title="后龙镇老旧小区改造实施方案")
    lina = new_case(town, actor="lina", title="李娜承办的事项")
    page = text(client_for("zhangwei").get("/cases/"))
    panel, everything = page.split("本单位案件", 1)
    assert "我的案件" in panel and mine in panel and lina not in panel
    assert "公众参与" in panel and "公开征求意见期限" in panel and "尚余30日届满" in panel
    assert mine in everything and lina in everything  # and below, the organisation's list as before
    auditor = text(client_for("liushen").get("/cases/"))
    assert "我的案件" not in auditor and mine in auditor  # who opens no cases gets no such section
