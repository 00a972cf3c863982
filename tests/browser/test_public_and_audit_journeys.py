"""Two more journeys: a member of the public comments on an open consultation (and the drafter decides on
it), and an auditor narrows the audit explorer down and exports what it shows."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from tests.browser.helpers import Site, expect, nav_link, open_case
from workflow.models import AuditEvent, Case

if TYPE_CHECKING:
    from playwright.sync_api import Page

OpenPage = Callable[..., "Page"]
CONSULTATION = "后龙镇老旧小区改造实施方案"
COMMENT = "建议把加装电梯列入改造内容，并公布每个小区的施工时间表。"


def test_a_member_of_the_public_comments_and_the_drafter_decides_whether_to_adopt_it(
        open_page: OpenPage, site: Site):
    public = open_page()  # nobody logged in
    public.goto("/public/consultations?org=houlong")  # the demo has three organisations (a district, two towns)
    public.get_by_role("link", name=CONSULTATION).first.click()
    expect(public.get_by_role("heading", name=CONSULTATION, level=1)).to_be_visible()
    expect(public.locator(".phase-open")).to_contain_text("正在征求意见")

    form = public.locator("#comment-form")
    form.get_by_label("署名").fill("东风小区居民 陈女士")
    form.get_by_label("联系方式（不公开）").fill("138 0000 0000")
    form.get_by_label("意见内容").fill(COMMENT)
    site.clock.advance(minutes=2)  # a person reads the draft before commenting (the form refuses a 0-second fill)
    form.get_by_role("button", name="提交意见").click()
    expect(public.locator(".flash.success")).to_be_visible()

    with site.runtime.sessions() as s:
        case = s.scalar(select(Case).where(Case.title == CONSULTATION))
        comment = case.data["comments"][-1]
        last = s.scalar(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq.desc()))
    assert comment["content"] == COMMENT and comment["contact"] == "138 0000 0000"
    assert (last.kind, last.trigger, last.actor) == ("transition", "submit_public_comment", "public.houlong")

    drafter = open_page("zhangwei")
    open_case(drafter, CONSULTATION)
    expect(drafter.locator("main")).to_contain_text(COMMENT)
    # the button beside the public's comment opens the step with that comment fixed and its text shown
    drafter.locator("section.picks li", has_text=COMMENT[:10]).get_by_role("link", name="作出意见采纳决定").click()
    decide = drafter.locator("details#step-decide_comment_adoption")
    expect(decide).to_have_attribute("open", "")
    expect(decide).to_contain_text(COMMENT[:10])
    decide.get_by_label("采纳情况").select_option(label="采纳")
    decide.get_by_label("理由").fill("电梯加装纳入第二批改造内容")
    decide.get_by_role("button").click()
    expect(drafter.locator(".flash.success")).to_contain_text("作出意见采纳决定")
    with site.runtime.sessions() as s:
        decided = s.get(Case, case.id).data["comments"][comment["no"] - 1]
    assert decided["adoption"] == "adopted"


def test_an_auditor_filters_the_explorer_to_the_refusals_and_exports_them(open_page: OpenPage, tmp_path: Path):
    page = open_page("liushen")
    nav_link(page, "审计事件").click()
    page.get_by_label("事件类型").select_option(value="refused")
    page.get_by_role("button", name="查询").click()
    rows = page.locator("table.history tbody tr")
    expect(rows.first).to_be_visible()
    shown = rows.count()
    assert shown == page.locator("table.history tbody tr.kind-refused").count()  # only refusals are listed

    with page.expect_download() as download:
        page.get_by_role("link", name="JSON Lines").click()
    exported = tmp_path / "refusals.jsonl"
    download.value.save_as(exported)
    records = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines() if line.strip()]
    header, *events, end = records
    assert header["type"] == "header" and end == {"type": "end", "events": len(events)}
    assert events and all(e["type"] == "event" and e["kind"] == "refused" for e in events)
    assert len(events) >= shown  # the export holds the whole filtered set, not only the first page
