"""The collective discussion in a real browser (条例第三十条): the head convenes, the members state their
views, the head decides last — against the majority only with a reason — and the minutes show it all.

The item is brought to collective discussion behind the browser's back with the demo's own story steps
(the drafting, consultation and review pages have their journeys in test_journeys.py); everything from
convening on is done on the pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tests.browser.helpers import Site, expect, nav_link
from workflow.clock import local_date
from workflow.demo import FORUM, _Story
from workflow.models import Case

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

OpenPage = Callable[..., "Page"]
TITLE = "后龙镇集镇公共停车场建设和管理办法"


def awaiting_discussion(site: Site) -> str:
    outcome = site.runtime.engine.create_case("major_decision", "zhangwei", {
        "title": TITLE, "category": "public_policy", "proposer": "leader",
        "summary": "集镇区停车难、占道停车多，拟建设公共停车场并规范管理。"})
    assert outcome.ok and outcome.case_id
    story = _Story(site.runtime.engine, site.clock)
    story.to_argumentation(outcome.case_id, "zhangwei", [])
    story.to_review(outcome.case_id, "zhangwei")
    story.submit_to_discussion(outcome.case_id, "zhangwei")
    return outcome.case_id


def open_meeting(page: Page, case_id: str) -> None:
    """From the navigation, the list of items awaiting discussion, then the item's meeting page."""
    nav_link(page, "集体讨论").click()
    expect(page.get_by_role("heading", name="待集体讨论的事项", level=1)).to_be_visible()
    page.get_by_role("row").filter(has_text=TITLE).get_by_role("link", name=case_id).click()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()


def form_section(page: Page, heading: str) -> Locator:
    return page.locator("section.meeting-form").filter(has=page.get_by_role("heading", name=heading))


def test_the_head_convenes_members_speak_and_the_head_decides_against_the_majority_with_a_reason(
        open_page: OpenPage, site: Site):
    case_id = awaiting_discussion(site)

    head = open_page("huangzhenhua")
    open_meeting(head, case_id)
    convene = form_section(head, "召开集体讨论会议")
    expect(convene.get_by_label("会议形式")).to_have_value(FORUM)  # the town's own forum setting
    convene.get_by_label("会议日期").fill(local_date(site.clock.now()).isoformat())  # held today: no future date
    for name in ("吴建国", "郑丽", "许文", "黄振华"):
        expect(convene.get_by_label(name)).to_be_checked()
    convene.get_by_role("button", name="提交：召开集体讨论会议").click()
    expect(head.locator(".flash.success")).to_contain_text("已办理「召开集体讨论会议」")
    expect(head.locator("ul.attendance")).to_contain_text("郑丽（副镇长） — 尚未发表意见")

    statements = {"wujianguo": ("不同意", "停车场选址紧邻学校，安全风险大"),
                  "zhengli": ("不同意", "收费标准未经听证，建议暂缓"),
                  "xuwen": ("同意", "集镇停车矛盾突出，应尽快实施")}
    for member, (view, statement) in statements.items():
        page = open_page(member)
        open_meeting(page, case_id)
        form = form_section(page, "发表意见")
        form.get_by_role("combobox").select_option(label=view)
        form.get_by_label("发言要点").fill(statement)
        form.get_by_role("button", name="提交：发表意见").click()
        expect(page.locator(".flash.success")).to_contain_text("已办理「发表意见」")
        expect(page.locator("table.views")).to_contain_text(statement)
        expect(form_section(page, "发表意见")).to_have_count(0)  # a view is recorded once

    head.reload()
    decision = form_section(head, "行政首长最后发表意见并作出决定")
    expect(decision.locator("p.tally")).to_contain_text("多数意见：不同意")
    decision.get_by_label("行政首长作出通过决定").check()
    decision.get_by_label("行政首长最后发言").fill("停车难是群众反映最集中的问题，我主张实施")
    decision.get_by_label("决定内容").fill("通过《后龙镇集镇公共停车场建设和管理办法》")
    decision.get_by_role("button", name="提交决定").click()

    refused = form_section(head, "行政首长最后发表意见并作出决定")
    expect(refused.get_by_role("alert")).to_contain_text("应当在会上说明理由")
    expect(refused.get_by_role("alert")).to_contain_text("第三十条第二款")
    expect(refused.get_by_label("行政首长最后发言")).to_have_value("停车难是群众反映最集中的问题，我主张实施")
    with site.runtime.sessions() as s:
        assert s.get(Case, case_id).state == "collective_discussion"

    refused.get_by_label("与多数意见不一致的理由").fill("选址已由区交警大队论证，收费标准将另行听证")
    refused.get_by_role("button", name="提交决定").click()
    expect(head.locator(".flash.success")).to_contain_text(
        "已办理「行政首长作出通过决定」，案件现处于「已作出决定」阶段")

    head.get_by_role("link", name="查看").click()
    expect(head.get_by_role("heading", name="集体讨论会议纪要", level=1)).to_be_visible()
    minutes = head.locator("article")
    expect(minutes).to_contain_text("选址已由区交警大队论证，收费标准将另行听证")
    for _view, statement in statements.values():
        expect(minutes).to_contain_text(statement)
    dissent = head.get_by_role("heading", name="四、不同意见").locator("xpath=following-sibling::ul[1]")
    expect(dissent).to_contain_text("吴建国")
    expect(dissent).to_contain_text("郑丽")
    expect(dissent).not_to_contain_text("许文")
