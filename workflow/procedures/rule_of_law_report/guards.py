"""Guards of the annual rule-of-law report (法治政府建设年度报告): one function per rule, each citing its source and
its verification level (legal-facts-2 §0: V1 official text read, V2 secondary, U unverified, hence a setting).

The framework (GuardContext, Fail, ...) is workflow/guards.py; this family's sources and settings are law.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from workflow.guards import Fail, GuardContext, GuardTable, as_date
from workflow.procedures.rule_of_law_report import compose
from workflow.procedures.rule_of_law_report.law import (
    CONTENTS_BASIS,
    PUBLICATION_ARTICLE,
    REPORT_BY,
    REQUIRED_PARTS,
    SUPERVISION_RULES,
    publication_last_day,
)
from workflow.wording import day

GUARDS = GuardTable("rule_of_law_report")
guard = GUARDS.guard

PROCEDURE = "rule_of_law_report"
PART_NAMES = {"measures": "上一年度推进法治政府建设的主要举措和成效", "shortcomings": "存在的不足",
              "causes": "不足的原因", "leaders_duties": "党政主要负责人履行推进法治建设第一责任人职责的情况",
              "plans": "下一年度推进法治政府建设的主要安排"}


def _blank(value: Any) -> bool:
    return not str(value or "").strip()


def _draft(ctx: GuardContext) -> Mapping[str, Any]:
    return ctx.data.get("draft") or {}


def _year(ctx: GuardContext) -> int:
    return int((ctx.data.get("report") or ctx.payload).get("year") or 0)


# ---------------------------------------------------------------- opening


@guard("one_report_per_year", article=f"{SUPERVISION_RULES}（每年报告上一年度法治政府建设情况）",
       zh="一个年度只起草一份法治政府建设年度报告", en="One annual report is drafted for a year")
def one_report_per_year(ctx: GuardContext) -> Fail | None:
    """[V2] the report is yearly; a second draft for the same year would split its figures and its sign-off."""
    year = ctx.payload.get("year")
    if not isinstance(year, int):
        return None
    others = [c for c in ctx.linked_cases(PROCEDURE, "report.year", year) if c.id != ctx.case_id]  # type: ignore[arg-type]
    if not others:
        return None
    return Fail(f"{year}年度的报告已有案件{others[0].id}（{others[0].state_label}）",
                f"the {year} report is already case {others[0].id} ({others[0].state})")


@guard("report_year_not_future", article=f"{SUPERVISION_RULES}（报告上一年度情况）",
       zh="报告的年度不得晚于本年度", en="The report's year is not later than this year")
def report_year_not_future(ctx: GuardContext) -> Fail | None:
    """A report states a year's work from its records: a year that has not begun has none. The current year is
    allowed, as towns draft in December (龙政〔2024〕58号 was issued on 2024-12-23)."""
    year = ctx.payload.get("year")
    if not isinstance(year, int) or year <= ctx.today.year:
        return None
    return Fail(f"{year}年度尚未开始（今日{day(ctx.today)}）", f"{year} has not begun (today is {ctx.today.isoformat()})")


# ---------------------------------------------------------------- the text


@guard("report_parts_complete", article=CONTENTS_BASIS,
       zh="年度报告应当包括上一年度的主要举措和成效、不足和原因、党政主要负责人履行第一责任人职责情况、下一年度的主要安排",
       en="The report states the year's measures and results, its shortcomings and their causes, how the "
          "principal leaders discharged their first responsibility, and next year's plans")
def report_parts_complete(ctx: GuardContext) -> Fail | None:
    """[V2, article number U] legal-facts-2 §4 item 65: five required contents; the fifth (其他) is optional. The
    causes of the shortcomings have their own rule (shortcomings_state_causes)."""
    draft = _draft(ctx)
    missing = [p for p in REQUIRED_PARTS if p != "causes" and _blank(draft.get(p))]
    if not missing:
        return None
    return Fail("以下部分尚未撰写：" + "；".join(PART_NAMES[p] for p in missing),
                "parts not written yet: " + ", ".join(missing))


@guard("shortcomings_state_causes", article=CONTENTS_BASIS,
       zh="报告存在的不足的，应当同时说明原因", en="The shortcomings are stated with their causes")
def shortcomings_state_causes(ctx: GuardContext) -> Fail | None:
    """[V2] legal-facts-2 §4 item 65 (2): 「存在的不足和原因」; the source report (龙政〔2024〕58号) lists three
    problems and no cause (legal-facts §10.1): the rule this family exists to enforce."""
    draft = _draft(ctx)
    if _blank(draft.get("shortcomings")) or not _blank(draft.get("causes")):
        return None
    return Fail("已写明存在的不足，但未说明原因", "the shortcomings are stated without their causes")


@guard("figures_named_exist", article=f"{SUPERVISION_RULES}；本系统数据规则（数据应当能够追溯至记录）",
       zh="报告引用的数据应当是程序定义的统计项或者已手工录入并说明理由的数据",
       en="A figure the report cites is one a definition declares, or one entered by hand with its reason")
def figures_named_exist(ctx: GuardContext) -> Fail | None:
    """Every {{程序.统计项}} names a figure of a loaded definition (by its labels or its ids), every {{手工录入.名称}}
    a hand-entered one: a reference to nothing would print as a blank or a stale number in the issued report."""
    draft, manual = _draft(ctx), compose.manual_figures(ctx.data)
    names = compose.figure_names(ctx.procedures())
    unknown: list[str] = []
    for text in draft.values():
        if not isinstance(text, str):
            continue
        for ref in compose.references(text):
            ok = ref.figure in manual if ref.manual else ref.key in names
            if not ok and ref.key not in unknown:
                unknown.append(ref.key)
    if not unknown:
        return None
    return Fail("引用了不存在的数据：" + "、".join("{{" + k + "}}" for k in unknown),
                "the text cites figures that do not exist: " + ", ".join(unknown))


@guard("manual_figure_has_no_record_source",
       article=f"{SUPERVISION_RULES}（年度报告如实报告上一年度情况）；本系统数据规则：有记录来源的数据由记录计算",
       zh="能够由记录计算的数据不得手工录入", en="A figure the records give is not entered by hand")
def manual_figure_has_no_record_source(ctx: GuardContext) -> Fail | None:
    """A hand-entered figure is for what no record holds (e.g. a figure the district supplies); entering one under
    the name of a declared figure would let a typed number stand in for the records' count. Its name is what the
    text cites ({{手工录入.<名称>}}): no space, brace, dot or bar."""
    figure_id = str(ctx.payload.get("figure_id") or "").strip()
    procedures = list(ctx.procedures())
    names = compose.figure_names(procedures)
    # named as a declared figure is cited (程序.统计项, by labels or ids), or by a declared figure's own label
    declared = names.get(figure_id) if "." in figure_id else next(
        (f"{p.id}.{f.id}" for p in procedures for f in p.figures if f.label.zh == figure_id), None)
    if declared is not None:
        pid, _, fid = declared.partition(".")
        procedure = next(p for p in procedures if p.id == pid)
        cite = compose.citation(procedure, next(f for f in procedure.figures if f.id == fid))
        return Fail(f"「{figure_id}」由「{procedure.label.zh}」的记录计算，请在正文中直接引用{cite}",
                    f"{figure_id} is computed from the records of {procedure.label.en}: cite it as {cite}")
    if not compose.MANUAL_ID.fullmatch(figure_id) or figure_id in compose.MANUAL_NAMES:
        return Fail(f"手工数据的名称「{figure_id}」不得含有空格、括号{{}}、点号或竖线",
                    f"the hand-entered figure's name {figure_id!r} may not contain spaces, braces, dots or bars")
    return None


# ---------------------------------------------------------------- reporting and publication


def _month_day(value: Any, year: int) -> date | None:
    try:
        month, dd = (int(x) for x in str(value).split("-"))
        return date(year, month, dd)
    except (TypeError, ValueError):
        return None


@guard("reported_in_time", article=f"{SUPERVISION_RULES}（向上一级党委和政府报告）；本单位设置的报送日期",
       zh="应当在规定日期前向上一级党委和政府报告；逾期报告的，应当说明原因",
       en="The report reaches the level above by the set day; a late one states why")
def reported_in_time(ctx: GuardContext) -> Fail | None:
    """[V2-weak for Fujian] a provincial guideline: towns report to the level above before 1 March; the day is
    the setting report.report_by ("MM-DD" of the next year). Unset: no day is enforced."""
    last = _month_day(ctx.settings.get(REPORT_BY), _year(ctx) + 1)
    on = as_date(ctx.payload["reported_on"])
    if last is None or on <= last or not _blank(ctx.payload.get("late_reason")):
        return None
    return Fail(f"应于{day(last)}前报告（设置项 {REPORT_BY}），{day(on)}报告且未说明逾期原因",
                f"due by {last.isoformat()} ({REPORT_BY}), reported on {on.isoformat()} with no reason for the delay")


@guard("published_before_april", article=PUBLICATION_ARTICLE,
       zh="年度报告应当于次年4月1日之前向社会公开；逾期公开的，应当说明原因",
       en="The report is published before 1 April of the next year; a late publication states why")
def published_before_april(ctx: GuardContext) -> Fail | None:
    """[V2, verbatim] 第二十四条: 「每年4月1日之前……应当通过报刊、网站等新闻媒体向社会公开」. A late publication
    is still recorded (the report must be public), with the reason it is late."""
    last = publication_last_day(_year(ctx))
    on = as_date(ctx.payload["published_on"])
    if on <= last or not _blank(ctx.payload.get("late_reason")):
        return None
    return Fail(f"应于{day(last)}前公开，{day(on)}公开且未说明逾期原因",
                f"to be published by {last.isoformat()}; published on {on.isoformat()} with no reason for the delay")
