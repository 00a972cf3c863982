"""One journey per role, in a real browser: what each person clicks, types, uploads and sees.

Everything goes through the pages as a person uses them (links, forms, selects, the file input); the only
thing a test does behind the browser's back is move the town's clock where the law counts days, and read
the database to confirm that a refused form changed nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from tests.browser.helpers import (
    Site,
    case_id_of,
    expect,
    expect_done,
    go_to_case_list,
    nav_link,
    open_case,
    stage,
    step_form,
    submit,
)
from workflow.demo import FIELD_STREETS, POWER_STREETS
from workflow.models import AuditEvent, Case

if TYPE_CHECKING:
    from playwright.sync_api import Page

OpenPage = Callable[..., "Page"]

TITLE = "后龙镇集镇公共停车场建设和管理办法"
SUMMARY = "集镇区停车难、占道停车多；依据《道路交通安全法》和《福建省城市停车管理办法》，拟建设公共停车场并规范管理。"


def propose(page: Page, title: str = TITLE) -> str:
    """A drafter opens a new major decision from the form; the new case's id."""
    nav_link(page, "新建案件").click()
    form = page.locator("section.step").filter(has=page.get_by_role("heading", name="重大行政决策：提出决策建议"))
    form.get_by_label("决策事项名称").fill(title)
    form.get_by_label("决策事项类别").select_option(label="重大公共政策和措施")
    form.get_by_label("建议来源").select_option(label="决策机关领导人员")
    form.get_by_label("问题、理由、依据及初步方案").fill(SUMMARY)
    form.get_by_role("button", name="提出").click()
    expect(page.locator(".flash.success")).to_contain_text("已提出：houlong-MD-2026-")
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    return case_id_of(page)


# ---------------------------------------------------------------- the journeys


def test_a_drafter_proposes_a_decision_and_finds_it_in_the_case_list(open_page: OpenPage):
    page = open_page("zhangwei")
    case_id = propose(page)
    expect(stage(page)).to_have_text("决策建议")
    expect(page.locator("table.history tbody tr")).to_have_count(1)
    expect(page.locator("table.history")).to_contain_text("张伟（党政综合办公室）")

    go_to_case_list(page)
    row = page.get_by_role("row").filter(has_text=TITLE)
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(0)).to_have_text(case_id)
    expect(row.get_by_role("cell").nth(2)).to_have_text("重大行政决策")
    expect(row.get_by_role("cell").nth(3)).to_have_text("决策建议")
    expect(page.locator("table.cases tbody tr").first).to_contain_text(case_id)  # the latest comes first


def test_the_head_starts_it_and_the_drafter_fills_the_next_forms_through_to_legality_review(
        open_page: OpenPage, site: Site):
    drafter = open_page("zhangwei")
    case_id = propose(drafter)

    head = open_page("huangzhenhua")
    assert open_case(head, TITLE) == case_id
    start = step_form(head, "start", "决定启动并确定承办单位")
    start.get_by_label("决策承办单位").select_option("党政综合办公室")  # the town's units
    start.get_by_label("协办单位").fill("村镇建设服务中心\n综治中心")
    start.get_by_label("启动意见").fill("请按程序组织起草，广泛听取群众意见")
    submit(start, "决定启动并确定承办单位")
    expect_done(head, "决定启动并确定承办单位", "起草")

    # A period shorter than 30 days with no reason given: refused, reasons and article next to the form,
    # everything typed still there.
    drafter.reload()
    expect(stage(drafter)).to_have_text("起草")
    comment = step_form(drafter, "open_public_comment", "公开征求意见")
    comment.get_by_label("决策草案（文件编号或名称）").fill("龙政办〔2026〕停车-征求意见稿")
    comment.get_by_label("起草说明").fill("说明停车场选址、收费和管理的主要考虑")
    comment.get_by_label("公布渠道").fill("后龙镇人民政府网站\n镇政务公开栏")
    comment.get_by_label("征求意见期限（日）").fill("15")
    submit(comment, "公开征求意见")
    refused = drafter.locator("details#step-open_public_comment")
    alert = refused.get_by_role("alert")
    expect(alert).to_contain_text("未能办理「公开征求意见」，原因如下：")
    expect(alert).to_contain_text("公开征求意见的期限一般不少于30日")
    expect(alert).to_contain_text("本次征求意见期限为15日，且未说明缩短理由")
    expect(alert.locator(".article")).to_contain_text("《重大行政决策程序暂行条例》第十五条")
    expect(refused.get_by_label("决策草案（文件编号或名称）")).to_have_value("龙政办〔2026〕停车-征求意见稿")
    expect(refused.get_by_label("起草说明")).to_have_value("说明停车场选址、收费和管理的主要考虑")
    expect(refused.get_by_label("公布渠道")).to_have_value("后龙镇人民政府网站\n镇政务公开栏")
    expect(refused.get_by_label("征求意见期限（日）")).to_have_value("15")
    expect(stage(drafter)).to_have_text("起草")
    expect(drafter.locator("table.history tr.kind-refused")).to_contain_text("本次征求意见期限为15日")

    refused.get_by_label("征求意见期限（日）").fill("30")
    submit(refused, "公开征求意见")
    expect_done(drafter, "公开征求意见", "公众参与")

    record = step_form(drafter, "record_comment", "登记公众意见")
    record.get_by_label("意见提出人").fill("后龙村村民 陈先生")
    record.get_by_label("收到日期").fill("2026-03-02")
    record.get_by_label("意见内容").fill("建议在农贸市场附近增设临时停车位")
    submit(record, "登记公众意见")
    expect_done(drafter, "登记公众意见", "公众参与")

    # the comment to decide is chosen by the button beside it, which opens the step's form with it fixed
    drafter.locator("section.picks li").first.get_by_role("link", name="作出意见采纳决定").click()
    adopt = drafter.locator("details#step-decide_comment_adoption")
    expect(adopt).to_have_attribute("open", "")
    adopt.get_by_label("采纳情况").select_option(label="采纳")
    adopt.get_by_label("理由").fill("已在选址方案中增加临时停车位")
    submit(adopt, "作出意见采纳决定")
    expect_done(drafter, "作出意见采纳决定", "公众参与")

    site.clock.advance(days=31)  # the 30-day comment period runs out
    close = step_form(drafter, "close_public_comment", "结束公众参与并汇总意见")
    close.get_by_label("意见采纳情况汇总").fill("共收到意见1条，已采纳1条")
    submit(close, "结束公众参与并汇总意见")
    expect_done(drafter, "结束公众参与并汇总意见", "专家论证与风险评估")

    experts = step_form(drafter, "record_expert_argumentation", "登记专家论证")
    experts.get_by_label("组织论证单位").fill("党政综合办公室")
    experts.get_by_label("论证方式").select_option(label="论证会")
    experts.get_by_label("参加论证的专家或机构").fill("泉州市交通规划研究院 周工\n华侨大学 王教授")
    experts.get_by_label("专家与决策事项无直接利害关系").select_option(label="是")
    experts.get_by_label("论证报告编号").fill("停车-论证-01")
    experts.get_by_label("论证意见已签字或盖章").select_option(label="是")
    experts.get_by_label("论证结论").fill("选址可行，建议分期建设")
    submit(experts, "登记专家论证")
    expect_done(drafter, "登记专家论证", "专家论证与风险评估")

    risk = step_form(drafter, "record_risk_assessment", "登记风险评估")
    risk.get_by_label("评估单位").fill("综治中心")
    risk.get_by_label("风险评估报告编号").fill("停车-风评-01")
    risk.get_by_label("报告已签署").select_option(label="是")
    risk.get_by_label("风险点").fill("收费标准引发不满")
    risk.get_by_label("防范措施和处置预案").fill("收费标准听证并公示")
    risk.get_by_label("评估结论").select_option(label="风险可控")
    submit(risk, "登记风险评估")
    expect_done(drafter, "登记风险评估", "专家论证与风险评估")

    review = step_form(drafter, "submit_for_legality_review", "送请合法性审查")
    review.get_by_label("决策草案").fill("龙政办〔2026〕停车-送审稿")
    review.get_by_label("制定依据").fill("《道路交通安全法》第三十三条")
    review.get_by_label("履行法定程序的说明").fill("已公开征求意见30日，组织专家论证和风险评估")
    review.get_by_label("要求审查完成日期").fill("2026-04-24")
    submit(review, "送请合法性审查")
    expect_done(drafter, "送请合法性审查", "合法性审查")
    expect(drafter.locator("#deadlines-title + .table-wrap")).to_contain_text("合法性审查完成日期")

    history = drafter.locator("table.history tbody tr")
    expect(history).to_have_count(10)  # created, started, the refusal, and seven steps
    go_to_case_list(drafter)
    expect(drafter.get_by_role("row").filter(has_text=TITLE).get_by_role("cell").nth(3)).to_have_text("合法性审查")


PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
       b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


def test_an_officer_opens_a_penalty_case_assigns_officers_and_uploads_and_downloads_a_record(
        open_page: OpenPage, tmp_path: Path):
    page = open_page("wanghai")
    nav_link(page, "新建案件").click()
    filing = page.locator("section.step").filter(has=page.get_by_role("heading", name=re.compile("：立案$")))
    filing.get_by_label("案由").fill("蔡某某在后龙街占道堆放杂物案")
    filing.get_by_label(re.compile(r"^当事人[\s*]*（必填）$")).fill("蔡某某（后龙镇后龙村）")
    filing.get_by_label("当事人类型").select_option(label="公民")
    filing.get_by_label("违法事实摘要").fill("当事人在后龙街人行道堆放杂物约5立方米，经责令后未清理")
    filing.get_by_label("执法领域").select_option(FIELD_STREETS)  # from the powers delegated to the town
    filing.get_by_label("行政处罚权事项").select_option(POWER_STREETS)
    filing.get_by_label("立案依据").fill("《城市市容和环境卫生管理条例》第十四条、第三十六条")
    filing.get_by_role("button", name="提出").click()
    expect(page.locator(".flash.success")).to_contain_text("已立案：houlong-EC-2026-")
    case_id = case_id_of(page)
    expect(stage(page)).to_have_text("已立案")

    assign = step_form(page, "start_investigation", "指派执法人员开展调查")
    officers = assign.get_by_role("group", name="执法人员（账号）")  # the town's officers, by name, to tick
    expect(officers.get_by_role("checkbox")).to_have_count(4)
    officers.get_by_role("checkbox", name=re.compile(r"^王海")).check()
    officers.get_by_role("checkbox", name=re.compile(r"^蔡明")).check()
    assign.get_by_label("调查方案").fill("现场检查、询问当事人、拍照取证")
    submit(assign, "指派执法人员开展调查")
    expect_done(page, "指派执法人员开展调查", "调查取证")

    pdf = tmp_path / "询问笔录（蔡某某）.pdf"
    pdf.write_bytes(PDF)
    upload = step_form(page, "attach_record", "附加执法记录")
    upload.get_by_label("记录文件").set_input_files(pdf)
    upload.get_by_label("记录类型").select_option(label="文字记录")
    upload.get_by_label("记录名称").fill("询问笔录（蔡某某）")
    upload.get_by_label("文件格式").select_option(label="PDF")
    upload.get_by_label("记录制作日期").fill("2026-03-02")
    submit(upload, "附加执法记录（文字或音像）")
    expect(page.locator(".flash.success")).to_contain_text("已办理「附加执法记录（文字或音像）」")

    digest = hashlib.sha256(PDF).hexdigest()
    evidence = page.locator("section").filter(has=page.get_by_role("heading", name="执法全过程记录", level=2))
    row = evidence.get_by_role("row").filter(has_text="询问笔录（蔡某某）")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("调查取证")  # the stage it was recorded in
    expect(row).to_contain_text("文字记录")
    expect(row).to_contain_text(f"PDF · {len(PDF):,} 字节")
    expect(row).to_contain_text("王海")
    expect(row.locator("code")).to_have_text(f"{digest[:12]}…")
    expect(row.locator("code")).to_have_attribute("title", digest)

    with page.expect_download() as info:
        row.get_by_role("link", name="询问笔录（蔡某某）").click()
    download = info.value
    assert download.suggested_filename == pdf.name
    assert Path(download.path()).read_bytes() == PDF
    assert case_id.startswith("houlong-EC-2026-")


def test_an_auditor_opens_the_audit_page_and_sees_the_trail_verified_intact(open_page: OpenPage):
    page = open_page("liushen")
    nav_link(page, "审计").click()
    expect(page.get_by_role("heading", name="审计概览", level=1)).to_be_visible()
    expect(page.locator("section.verification")).to_contain_text("尚未校验")  # nothing verified on this copy yet
    page.get_by_role("link", name="前往完整性校验").click()
    page.get_by_role("button", name="运行完整校验").click()
    verification = page.locator("section.verification")
    expect(verification).to_have_class(re.compile(r"\bok\b"))
    expect(verification).to_contain_text(re.compile(r"已重新计算哈希的记录文件 \d+"))
    nav_link(page, "审计").click()
    verification = page.locator("section.verification")
    expect(verification).to_have_class(re.compile(r"\bok\b"))  # the overview shows the stored result
    expect(verification.get_by_role("heading")).to_have_text("完整性校验：校验通过")
    expect(verification).to_contain_text(re.compile(r"事件数 \d{2,}"))
    events = page.locator("table.history tbody tr")
    expect(events.first).to_be_visible()
    expect(page.locator("table.history tr.kind-refused").filter(has_text="闽QG-2020-0033")).to_have_count(1)
    expect(page.get_by_role("link", name="新建案件")).to_have_count(0)  # an auditor opens no case


def test_the_public_register_is_readable_without_logging_in(page: Page):
    page.goto("/public/register?org=houlong")  # the demo has three organisations (a district, two towns)
    assert page.url.endswith("/public/register?org=houlong")  # not sent to the login page
    expect(page.get_by_role("heading", level=1)).to_have_text("泉州市泉港区后龙镇人民政府 · 行政执法公示")
    officers = page.locator("section").filter(has=page.get_by_role("heading", name="执法人员", level=2))
    expect(officers).to_contain_text("王海")
    expect(officers).to_contain_text("闽QG-2023-0101")
    expect(officers).not_to_contain_text("洪志强")  # his certificate expired on 2026-01-31
    published = page.locator("section").filter(has=page.get_by_role("heading", name="公开的行政处罚决定"))
    expect(published).to_contain_text(re.compile(r"龙综执罚〔\d{4}〕2号"))  # numbered by the register (issue 12)
    withdrawn = page.locator("section").filter(has=page.get_by_role("heading", name="已撤回的公开决定"))
    expect(withdrawn).to_contain_text(re.compile(r"龙综执罚〔\d{4}〕1号"))
    expect(withdrawn).to_contain_text("行政复议决定撤销")
    expect(page.get_by_role("button", name="退出")).to_have_count(0)  # nobody is logged in


def test_the_language_switches_to_english_and_back(open_page: OpenPage):
    page = open_page("zhangwei")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="My to-do", level=1)).to_be_visible()  # every role's landing
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Cases", exact=True).click()
    expect(page.get_by_role("heading", name="Cases", level=1)).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="后龙镇生活垃圾分类实施办法")).to_contain_text("Proposed")

    page.get_by_role("row").filter(has_text="后龙镇生活垃圾分类实施办法").get_by_role("link").click()  # remembered
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(stage(page)).to_have_text("Proposed")
    expect(page.get_by_role("heading", name="History")).to_be_visible()

    page.get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(stage(page)).to_have_text("决策建议")
    expect(page.get_by_role("heading", name="办理经过")).to_be_visible()
    go_to_case_list(page)
    expect(page.get_by_role("link", name="English")).to_be_visible()


def test_a_form_whose_csrf_token_was_altered_is_refused_in_chinese_and_changes_nothing(
        open_page: OpenPage, site: Site):
    page = open_page("huangzhenhua")
    case_id = open_case(page, "后龙镇生活垃圾分类实施办法")
    expect(stage(page)).to_have_text("决策建议")
    with site.runtime.sessions() as s:
        version = s.get(Case, case_id).version
        events = s.scalar(select(func.count()).select_from(AuditEvent))
    rows = page.locator("table.history tbody tr").count()

    start = step_form(page, "start", "决定启动并确定承办单位")
    start.get_by_label("决策承办单位").select_option("党政综合办公室")  # the town's units
    start.locator("input[name=csrf_token]").evaluate("input => { input.value = 'forged' + input.value.slice(6); }")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        submit(start, "决定启动并确定承办单位")
    assert answer.value.status == 400
    expect(page.get_by_text("表单已失效或来源不明（缺少或错误的安全令牌）。请返回、刷新页面后重新提交。")).to_be_visible()

    page.go_back()
    page.reload()
    expect(stage(page)).to_have_text("决策建议")
    expect(page.locator("table.history tbody tr")).to_have_count(rows)
    with site.runtime.sessions() as s:
        assert s.get(Case, case_id).version == version
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == events
