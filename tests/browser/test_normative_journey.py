"""The normative document's journey, from the gate to the public register, in a real browser.

The drafter registers the draft and the town's legality reviewer answers the gate (is it a normative document?)
on the case pages; the long middle (comment period, office check, review, deliberation, signature, register) is
driven through the engine as the demo drives it, moving the town's clock where the law counts days; the general
office then records the publication and puts the document into force on the case page, and a visitor finds it
in force on the public register.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
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
from workflow.demo import ORG
from workflow.demo_normative import NormativeStory

if TYPE_CHECKING:
    from playwright.sync_api import Page

OpenPage = Callable[..., "Page"]
TITLE = "后龙镇农村自建房安全管理规定"


def test_a_normative_document_from_the_gate_to_the_public_register(open_page: OpenPage, site: Site):
    drafter = open_page("zhangwei")
    nav_link(drafter, "新建案件").click()
    form = drafter.locator("section.step").filter(has=drafter.get_by_role("heading", name="行政规范性文件：登记拟制定的文件"))
    form.get_by_label("文件名称").fill(TITLE)
    form.get_by_label("起草单位").fill("村镇建设服务中心")
    form.get_by_label("主要内容").fill("规范农村自建房的建设、使用和安全排查，明确房屋所有人的安全责任。")
    form.get_by_label("上级依据（法律、法规、规章和上级文件）").fill("《福建省农村村民住宅建设管理办法》")
    form.get_by_label("设定公民、法人或者其他组织的义务").select_option(label="是")
    form.get_by_label("与市场主体生产经营活动密切相关").select_option(label="否")
    form.get_by_role("button", name="提出").click()
    expect(drafter.locator(".flash.success")).to_contain_text("已登记：houlong-ND-")
    case_id = case_id_of(drafter)

    reviewer = open_page("chenjing")  # the gate: the answer and who gave it are recorded
    open_case(reviewer, TITLE)
    gate = step_form(reviewer, "confirm_normative", "认定属于规范性文件")
    for label in ("涉及公民、法人和其他组织权利义务", "具有普遍约束力", "在一定期限内反复适用"):
        gate.get_by_label(label).select_option(label="是")
    submit(gate, "认定属于规范性文件")
    expect_done(reviewer, "认定属于规范性文件", "起草")

    story = NormativeStory(site.runtime.engine, site.clock, ORG)
    story.to_registered(case_id, 9)

    office = open_page("zhoumin")
    open_case(office, TITLE)
    today = site.runtime.engine.today()
    publish = step_form(office, "record_publication", "登记公开发布")
    publish.get_by_label("发布渠道").select_option(label="政府网站")
    publish.get_by_label("网址或公报期号").fill("http://www.qg.gov.cn/houlong/gfxwj/9.htm")
    publish.get_by_label("发布日期").fill(today.isoformat())
    submit(publish, "登记公开发布")
    expect(office.locator(".flash.success")).to_contain_text("登记公开发布")
    force = step_form(office, "enter_into_force", "施行")
    force.get_by_label("施行日期").fill(today.isoformat())
    force.get_by_label("文件类别").select_option(label="一般")
    force.get_by_label("有效期至").fill((today + timedelta(days=3 * 365)).isoformat())
    submit(force, "施行")
    expect_done(office, "施行", "现行有效")

    visitor = open_page()
    visitor.goto("/public/normative-documents?org=houlong")  # the demo has three organisations
    visitor.get_by_role("link", name="行政规范性文件").first.click()
    row = visitor.locator("section").filter(has=visitor.get_by_role("heading", name="现行有效的行政规范性文件")) \
        .get_by_role("row").filter(has_text=TITLE)
    expect(row).to_contain_text(f"龙政规〔{today.year}〕9号")
    expect(row).to_contain_text("现行有效")
