"""A request for government information from the public form to the answer the applicant reads: a visitor sends
it and keeps the tracking code; the disclosure officer confirms receipt (条例第三十一条) and answers (第三十六条) on
the case page; the applicant reads the stage and the answer by the code, without logging in."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import select

from tests.browser.helpers import Site, expect, expect_done, step_form, submit
from workflow.models import Case
from workflow.procedures.information_request.annual_report import CARRIED, NEW, TOTAL, requests_table
from workflow.procedures.information_request.register import requests

if TYPE_CHECKING:
    from playwright.sync_api import Page

OpenPage = Callable[..., "Page"]
TITLE = "后龙村2026年村道修缮资金使用情况"
REPLY = "经审查，您申请的信息予以公开，现以电子邮件发送。"


def test_a_request_from_the_public_form_to_the_answer_read_by_its_tracking_code(open_page: OpenPage, site: Site):
    # the demo's requests give the year's report table figures, and it balances (国办公开办函〔2021〕30号)
    engine = site.runtime.engine
    with site.runtime.sessions() as s:
        demo_rows = requests(s, site.runtime.registry, "houlong", engine.calendar, engine.today())
    table = requests_table(demo_rows, engine.today().year)
    assert table.ok and table.count(NEW, "all") + table.count(CARRIED, "all") >= 3 and table.count(TOTAL, "all")
    public = open_page()  # nobody logged in
    public.goto("/public/information-requests/new?org=houlong")
    public.get_by_label("所需政府信息的名称").fill(TITLE)
    public.get_by_label("申请人姓名或名称").fill("陈建华")
    public.get_by_label("申请人类型").select_option(label="自然人")
    public.get_by_label("联系方式").fill("13900000000")
    public.get_by_label("所需信息的文号或描述").fill("2026年村道修缮资金的使用明细")
    public.get_by_label("获取信息的方式").select_option(label="电子文档")
    site.clock.advance(minutes=2)  # a person types for a while (the form refuses a 0-second fill)
    public.get_by_role("button", name="提交申请").click()
    expect(public.get_by_role("heading", name="申请已提交", level=1)).to_be_visible()
    code = public.locator("#tracking-code").inner_text().strip()
    assert len(code) == 22
    with site.runtime.sessions() as s:
        case_id = s.scalar(select(Case.id).where(Case.title == TITLE))
    assert case_id and case_id in public.locator("main").inner_text()

    today = site.runtime.engine.today().isoformat()
    officer = open_page("zhoumin")
    officer.goto(f"/cases/{case_id}")
    confirm = step_form(officer, "confirm_receipt", "确认收到申请")
    confirm.get_by_label("收到申请之日").fill(today)
    confirm.get_by_label("与申请人确认之日").fill(today)
    submit(confirm, "确认收到申请")
    expect_done(officer, "确认收到申请", "办理中")
    answer = step_form(officer, "answer", "作出答复")
    answer.get_by_label("答复类型").select_option(label="予以公开（第三十六条第二项）")
    answer.get_by_label("获取信息的方式、途径和时间").fill("以电子邮件发送至申请人邮箱")
    answer.get_by_label("答复书正文").fill(REPLY)
    answer.get_by_label("答复之日").fill(today)
    submit(answer, "作出答复")
    expect_done(officer, "作出答复", "已答复")

    public.goto("/public/information-requests/status")
    public.get_by_label("查询码").fill(code)
    public.get_by_role("button", name="查询").click()
    expect(public.locator("#request-stage")).to_have_text("已答复")
    expect(public.locator("#request-answer")).to_contain_text(REPLY)
    expect(public.locator("#request-answer")).to_contain_text("予以公开（第三十六条第二项）")
