"""A supervision of enforcement from the district to the town and back (issue 14 item 2): 泉港区's supervisor opens a
case-file review of 后龙镇, ticks two of its closed penalty files the page lists, scores them item by item on the
sheet and serves a correction notice; the
town's head finds it in 我的待办 and answers with a rectification report; the supervisor closes it; the town's
auditor reads the review's events in the town's own audit explorer, and a sampled file's page names the review."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import select

from tests.browser.helpers import Site, case_id_of, expect, expect_done, nav_link, step_form, submit
from workflow.demo_district import PASSWORD
from workflow.models import Case

if TYPE_CHECKING:
    from playwright.sync_api import Page

OpenPage = Callable[..., "Page"]
TITLE = "后龙镇行政处罚案卷专项评查"
FULL = ["subject=10", "facts=15", "procedure=20", "law=10", "discretion=10", "documents=10", "archive=5"]


def test_a_correction_notice_from_the_district_to_the_town_and_back(open_page: OpenPage, site: Site):
    today = site.runtime.engine.today()
    with site.runtime.sessions() as s:
        files = list(s.scalars(select(Case.id).where(Case.org_id == "houlong", Case.procedure == "enforcement_case",
                                                     Case.state == "closed").order_by(Case.id)))[:2]
    assert len(files) == 2

    supervisor = open_page("qg_supervisor", PASSWORD)
    nav_link(supervisor, "新建案件").click()
    form = supervisor.locator("section.step").filter(
        has=supervisor.get_by_role("heading", name="行政执法监督（案卷评查）：启动案卷评查"))
    form.get_by_label("评查事项").fill(TITLE)
    form.get_by_label("被监督单位（单位代码）").fill("houlong")
    form.get_by_label("评查案件类别").select_option(label="行政处罚案件")
    form.get_by_label("评查年度（办结年度）").fill(str(today.year))
    form.get_by_role("button", name="提出").click()
    expect(supervisor.locator(".flash.success")).to_contain_text("quangang-ES-")
    review = case_id_of(supervisor)

    sample = step_form(supervisor, "draw_sample", "抽取案卷")  # the town's closed files, one box each
    sample.locator("select[name=method]").select_option(label="指定抽取")  # "抽取方式" also names the random fields
    for case_id in files:
        sample.locator(f"input[type=checkbox][name=cases][value='{case_id}']").check()
    submit(sample, "抽取案卷")
    expect_done(supervisor, "抽取案卷", "评查中")
    for case_id, evidence in zip(files, (("14", "询问笔录未载明执法证件号码"), ("20", "")), strict=True):
        score = step_form(supervisor, "score_case", "逐项评分")  # the sample's files, the sheet's items
        score.get_by_label("评查的案卷（案件号）").select_option(case_id)
        for line in FULL:
            item, points = line.split("=")
            score.locator(f"input[name=scores__{item}__points]").fill(points)
        score.get_by_label("证据确凿", exact=True).fill(evidence[0])
        score.get_by_label("证据确凿的扣分理由").fill(evidence[1])
        submit(score, "逐项评分")
        expect(supervisor.locator(".flash.success")).to_contain_text("逐项评分")
    notice = step_form(supervisor, "issue_opinion", "制发监督意见书或纠错通知")
    notice.get_by_label("文书种类").select_option(label="纠错通知（责令纠正）")
    notice.get_by_label("文号").fill("泉港司执监纠〔2026〕9号")
    notice.get_by_label("发现的问题（每条写明案件号）").fill(f"{files[0]}：询问笔录未载明执法证件号码")
    notice.get_by_label("送达被监督单位日期").fill(today.isoformat())
    submit(notice, "制发监督意见书或纠错通知")
    expect_done(supervisor, "制发监督意见书或纠错通知", "待被监督单位整改")

    head = open_page("huangzhenhua")  # lands on 我的待办: the district's notice awaits the town's answer
    row = head.get_by_role("row").filter(has_text=review)
    expect(row).to_contain_text("报送整改报告")
    row.get_by_role("link", name=review).click()
    expect(head.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    answer = step_form(head, "submit_rectification", "报送整改报告")
    answer.get_by_label("报送日期").fill(today.isoformat())
    answer.get_by_label("逐条整改情况").fill("已补正询问笔录，组织执法队学习笔录制作规范")
    submit(answer, "报送整改报告")
    expect_done(head, "报送整改报告", "整改报告待审查")
    expect(head.locator("details#step-accept_rectification")).to_have_count(0)  # the district's step, not the town's

    supervisor.goto(f"/cases/{review}")
    accept = step_form(supervisor, "accept_rectification", "整改到位，办结")
    accept.get_by_label("办结日期").fill(today.isoformat())
    accept.get_by_label("审查意见").fill("整改到位，予以办结")
    submit(accept, "整改到位，办结")
    expect_done(supervisor, "整改到位，办结", "已办结")

    auditor = open_page("liushen")  # the town's own audit explorer holds the district's review of it
    auditor.goto(f"/audit/events?case={review}")
    events = auditor.locator("main table")
    for step in ("启动案卷评查", "制发监督意见书或纠错通知", "报送整改报告", "整改到位，办结"):
        expect(events).to_contain_text(step)
    auditor.goto(f"/cases/{files[0]}")  # the sampled file names the review and its score
    line = auditor.locator(".concerned").filter(has_text=review)
    expect(line).to_contain_text(f"本案已被抽取评查（监督案件号 {review}，已办结）")
    expect(line).to_contain_text("评查得分94分（满分100分），优秀")
