"""The contract's journey, from its submission through the review and signing to its filing, seen on the contract
register, in a real browser.

The contracting unit's officer submits a major contract (above the demo town's illustrative 300,000 yuan) on the
new-case page; the town's legal adviser records a finding on each review point and approves it on the case page;
the head signs it; the officer files it; the register then shows it signed and filed, marked major, with its
amount written as 元 with thousands separators.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tests.browser.helpers import (
    Site,
    case_id_of,
    expect,
    expect_done,
    nav_link,
    open_case,
    step_form,
    submit,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

OpenPage = Callable[..., "Page"]
TITLE = "后龙镇文化活动中心物业服务合同"
POINTS = ("合同主体资格及签约权限", "合同条款的合法性", "争议解决条款", "合同形式与文字表述")


def test_a_contract_from_submission_to_the_register(open_page: OpenPage, site: Site):
    officer = open_page("lina")
    nav_link(officer, "新建案件").click()
    form = officer.locator("section.step").filter(has=officer.get_by_role("heading", name="合同合法性审查：提交合同送审"))
    form.get_by_label("合同名称").fill(TITLE)
    form.get_by_label("承办单位").select_option("经济发展办公室")  # the town's units
    form.get_by_label("合同相对方").fill("泉州市某物业管理有限公司")
    form.get_by_label("合同金额（元）").fill("480000")
    form.get_by_label("合同期限").fill("2026年起两年")
    form.get_by_label("合同类别").select_option(label="政府购买服务")
    form.get_by_label("属于行政协议").select_option(label="否")
    form.get_by_label("合同文本（送审稿）").fill("甲方委托乙方提供文化活动中心保洁、安保和设施维护服务……")
    form.get_by_role("button", name="提出").click()
    expect(officer.locator(".flash.success")).to_contain_text("已送审：houlong-CR-")
    case_id = case_id_of(officer)

    adviser = open_page("linzhiyuan")  # a major contract: the legal adviser is heard
    open_case(adviser, TITLE)
    for point in POINTS:
        finding = step_form(adviser, "record_review_point", "登记审查要点意见")
        finding.get_by_label("审查要点").select_option(label=point)
        finding.get_by_label("审查意见").fill("符合规定")
        submit(finding, "登记审查要点意见")
        expect(adviser.locator(".flash.success")).to_contain_text("登记审查要点意见")
    opinion = step_form(adviser, "issue_opinion", "出具合法性审查意见")
    opinion.get_by_label("审查结论").select_option(label="同意")
    opinion.get_by_label("审查意见").fill("合同主体适格，条款合法，同意签订。")
    submit(opinion, "出具合法性审查意见")
    expect_done(adviser, "出具合法性审查意见", "已出具审查意见")

    today = site.runtime.engine.today().isoformat()
    head = open_page("huangzhenhua")
    open_case(head, TITLE)
    sign = step_form(head, "sign_contract", "决定签订并登记签订")
    sign.get_by_label("签订日期").fill(today)
    sign.get_by_label("签订人").fill("黄振华")
    submit(sign, "决定签订并登记签订")
    expect_done(head, "决定签订并登记签订", "已签订待备案")

    open_case(officer, TITLE)
    filing = step_form(officer, "file_contract", "签订后报送备案")
    filing.get_by_label("报送备案日期").fill(today)
    filing.get_by_label("备案接收单位").fill("后龙镇司法所、镇档案室")
    filing.get_by_label("归档编号").fill("龙档〔2026〕合同-09")
    submit(filing, "签订后报送备案")
    expect_done(officer, "签订后报送备案", "已签订并备案")

    nav_link(officer, "合同台账").click()
    row = officer.locator("#contract-register").get_by_role("row").filter(has_text=TITLE)
    expect(row).to_contain_text("480,000元")
    expect(row).to_contain_text("重大合同")
    expect(row).to_contain_text("同意")
    expect(row).to_contain_text("已签订并备案")
    expect(row.get_by_role("link", name=TITLE)).to_have_attribute("href", f"/cases/{case_id}")
