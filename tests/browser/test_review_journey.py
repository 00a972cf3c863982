"""Legal counsel's journey in a real browser: the review queue, returning the demo's decision for supplement,
the drafter resubmitting it, and after the adviser's opinion a lawful legality opinion."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from tests.browser.helpers import Site, expect, expect_done, nav_link, open_case, step_form, submit
from workflow.models import AuditEvent, Case

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

OpenPage = Callable[..., "Page"]

TITLE = "后龙镇集镇农贸市场搬迁建设项目"  # the demo's major decision under legality review (workflow/demo.py)


def open_queue(page: Page) -> Locator:
    nav_link(page, "审查任务").click()
    expect(page.get_by_role("heading", name="待审查案件", level=1)).to_be_visible()
    return page.locator("table.reviews tbody tr").filter(has_text=TITLE)


def opinion_form(page: Page) -> Locator:
    form = page.locator("section#opinion")
    expect(form.get_by_role("heading", name="审查意见")).to_be_visible()
    return form


def test_counsel_returns_the_decision_then_passes_it_as_lawful_after_the_advisers_opinion(
        open_page: OpenPage, site: Site):
    counsel = open_page("chenjing")
    row = open_queue(counsel)
    expect(row).to_have_count(1)
    expect(counsel.locator("table.reviews tbody tr").first).to_contain_text(TITLE)  # overdue: first
    expect(row).to_contain_text("合法性审查完成日期")
    expect(row).to_contain_text(re.compile(r"逾期\d+个工作日"))  # one overdue marker
    row.get_by_role("link").click()
    expect(counsel.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    case_id = counsel.url.rsplit("/", 1)[-1]
    materials = counsel.locator("section").filter(has=counsel.get_by_role("heading", name="送审材料与前置程序"))
    expect(materials).to_contain_text("《城乡规划法》；《福建省农贸市场管理办法》")
    expect(materials).to_contain_text("风险可控")

    opinion = opinion_form(counsel)
    opinion.get_by_role("radio", name="退回补充材料", exact=True).check()
    opinion.get_by_label("需补充的材料", exact=True).fill("请补充摊主过渡期安置的资金测算和来源说明")
    opinion.get_by_role("button", name="提交审查意见").click()
    expect(counsel.locator(".flash.success")).to_contain_text(
        f"{case_id}：已办理「退回补充材料」，案件现处于「专家论证与风险评估」阶段")
    expect(counsel.get_by_role("heading", name="待审查案件", level=1)).to_be_visible()
    expect(counsel.locator("table.reviews tbody tr").filter(has_text=TITLE)).to_have_count(0)

    drafter = open_page("lina")
    assert open_case(drafter, TITLE) == case_id
    resubmit = step_form(drafter, "submit_for_legality_review", "送请合法性审查")
    resubmit.get_by_label("决策草案").fill(f"{case_id}-送审稿（补充后）")
    resubmit.get_by_label("制定依据").fill("《城乡规划法》；《福建省农贸市场管理办法》")
    resubmit.get_by_label("履行法定程序的说明").fill("已公开征求意见、风险评估；已补充安置资金测算")
    resubmit.get_by_label("要求审查完成日期").fill("2026-03-20")
    submit(resubmit, "送请合法性审查")
    expect_done(drafter, "送请合法性审查", "合法性审查")

    row = open_queue(counsel)
    expect(row).not_to_contain_text("逾期")  # a new requested-by date
    row.get_by_role("link").click()
    records = counsel.locator("section").filter(
        has=counsel.get_by_role("heading", name="补充材料要求、法律顾问意见和审查意见"))
    expect(records).to_contain_text("请补充摊主过渡期安置的资金测算和来源说明")

    # Without the adviser's involvement the opinion is refused, with the article, and the input is kept.
    opinion = opinion_form(counsel)
    opinion.get_by_role("radio", name="合法", exact=True).check()
    fill_opinion(opinion)
    opinion.get_by_role("button", name="提交审查意见").click()
    opinion = opinion_form(counsel)
    alert = opinion.get_by_role("alert")
    expect(alert).to_contain_text("合法性审查应当注重听取法律顾问、公职律师的意见")
    expect(alert.locator(".article")).to_contain_text("《重大行政决策程序暂行条例》第二十八条")
    expect(opinion.get_by_role("radio", name="合法", exact=True)).to_be_checked()
    expect(opinion.get_by_label("理由", exact=True)).to_have_value("经审查，补充后的草案合法")

    adviser = step_form(counsel, "record_adviser_opinion", "登记法律顾问意见")
    adviser.get_by_label("法律顾问或公职律师").fill("林志远律师")
    adviser.get_by_label("身份").select_option(label="法律顾问")
    adviser.get_by_label("意见").fill("安置方案补充后未发现与上位法相抵触的内容")
    submit(adviser, "登记法律顾问意见")
    expect(counsel.locator(".flash.success")).to_contain_text("已办理「登记法律顾问意见」")
    expect(counsel.get_by_role("heading", name=TITLE, level=1)).to_be_visible()  # still on the review page

    opinion = opinion_form(counsel)
    opinion.get_by_role("radio", name="合法", exact=True).check()
    fill_opinion(opinion)
    opinion.get_by_role("button", name="提交审查意见").click()
    expect(counsel.locator(".flash.success")).to_contain_text(
        f"{case_id}：已办理「出具合法性审查意见」，案件现处于「已出具审查意见」阶段")
    expect(counsel.locator("table.reviews tbody tr").filter(has_text=TITLE)).to_have_count(0)

    with site.runtime.sessions() as s:
        case = s.get(Case, case_id)
        assert case.state == "reviewed"
        assert case.data["legality_opinion"]["conclusion"] == "lawful"
        kinds = [(e.kind, e.trigger) for e in s.query(AuditEvent).filter(AuditEvent.case_id == case_id)
                 .order_by(AuditEvent.seq.desc()).limit(5)]
    assert kinds == [("transition", "issue_legality_opinion"), ("transition", "record_adviser_opinion"),
                     ("refused", "issue_legality_opinion"), ("transition", "submit_for_legality_review"),
                     ("transition", "return_for_supplement")]


def fill_opinion(opinion: Locator) -> None:
    opinion.get_by_label("是否符合法定权限", exact=True).fill("属于镇人民政府职权范围")
    opinion.get_by_label("是否履行法定程序", exact=True).fill("已履行公众参与、风险评估程序，并按要求补充材料")
    opinion.get_by_label("内容是否合法合规", exact=True).fill("内容符合法律法规和国家政策")
    opinion.get_by_label("理由", exact=True).fill("经审查，补充后的草案合法")
    opinion.get_by_label("依据", exact=True).fill("《重大行政决策程序暂行条例》第二十七条")
