"""The rules of a case-file review (案卷评查) and its supervision opinion, each citing its article (law.py).

The regulation's scope (第二条: a government over the governments below it) is enforced by the engine itself
(the definition's `addressee:`, workflow/addressee.py); the rules here are the review's own: what may be sampled,
how a file is scored, what an opinion must name, and the town's answer.
"""

from __future__ import annotations

from typing import Any

from workflow.guards import CaseView, Fail, GuardContext, GuardTable, as_date
from workflow.procedures.enforcement_supervision.law import (
    BODY_ARTICLE,
    DRAW_ALGORITHM,
    LOCAL,
    SCOPE_ARTICLE,
)
from workflow.procedures.enforcement_supervision.sheet import Sheet, draw, scores_of

GUARDS = GuardTable("enforcement_supervision")
# The regulation's articles on reviewing files and on opinions were not verified: the supervising body (第六条,
# verified) works to its own rules, cited as such (tests/test_guards.py: an article, or the organisation's 规定).
REVIEW_RULE = f"{BODY_ARTICLE}；本单位行政执法监督工作规定（案卷评查）"
OPINION_RULE = f"{BODY_ARTICLE}；本单位行政执法监督工作规定（监督意见书、纠错通知）"


def _sheet(ctx: GuardContext) -> Sheet:
    assert ctx.procedure is not None
    sheet = ctx.procedure.block("scoring")
    assert isinstance(sheet, Sheet)
    return sheet


def _review(ctx: GuardContext) -> dict[str, Any]:
    return dict(ctx.data.get("review") or {})


def _sample(ctx: GuardContext) -> list[str]:
    return list((ctx.data.get("sample") or {}).get("cases") or [])


def _blank(value: Any) -> bool:
    return not str(value or "").strip()


def candidates(ctx: GuardContext) -> list[CaseView]:
    """The town's closed cases of the reviewed procedure, closed in the review's year."""
    review, sheet = _review(ctx), _sheet(ctx)
    out = []
    for view in ctx.cases_below(str(review["town"]), sheet.procedure):
        day = sheet.closed_day(view.data)
        if view.state in sheet.closed_states and day and as_date(day).year == int(review["year"]):
            out.append(view)
    return out


@GUARDS.guard("sample_closed_cases_of_town", article=f"{SCOPE_ARTICLE}；{LOCAL}（案卷评查）",
              zh="评查的案卷须为被监督单位在评查年度内办结的该类案件",
              en="A sampled file is a case of the supervised organisation, of the reviewed procedure, closed "
                 "in the review's year")
def sample_closed_cases_of_town(ctx: GuardContext) -> Fail | None:
    review, sheet = _review(ctx), _sheet(ctx)
    town, year = str(review["town"]), int(review["year"])
    wanted = list(ctx.payload.get("cases") or [])
    problems: list[tuple[str, str]] = []
    if len(set(wanted)) != len(wanted):
        problems.append(("抽取的案卷有重复", "a case is sampled twice"))
    for case_id in dict.fromkeys(wanted):
        view = ctx.case_below(case_id)
        day = sheet.closed_day(view.data) if view else None
        if view is None or view.org_id != town:
            problems.append((f"「{case_id}」不是被监督单位（{town}）的案件", f"{case_id} is not a case of {town}"))
        elif view.procedure != sheet.procedure:
            problems.append((f"「{case_id}」不是{sheet.procedure}案件", f"{case_id} is not of {sheet.procedure}"))
        elif view.state not in sheet.closed_states or not day:
            problems.append((f"「{case_id}」尚未办结（当前阶段：{view.state_label}）",
                             f"{case_id} is not closed (stage: {view.state})"))
        elif as_date(day).year != year:
            problems.append((f"「{case_id}」于{day}办结，不在评查年度{year}年内",
                             f"{case_id} was closed on {day}, not in {year}"))
    if not problems:
        return None
    return Fail("；".join(p[0] for p in problems), "; ".join(p[1] for p in problems))


@GUARDS.guard("random_draw_reproducible", article=REVIEW_RULE,
              zh="随机抽取的，记录的随机种子和待抽案卷清单须能重现抽取结果",
              en="A random draw records its seed and the candidate list, and they reproduce the sample")
def random_draw_reproducible(ctx: GuardContext) -> Fail | None:
    if ctx.payload.get("method") != "random":
        return None
    given = sorted(ctx.payload.get("candidates") or [])
    actual = sorted(v.id for v in candidates(ctx))
    if given != actual:
        missing, extra = sorted(set(actual) - set(given)), sorted(set(given) - set(actual))
        return Fail(f"待抽案卷清单应为评查年度内全部办结案件（共{len(actual)}件）"
                    f"{'，缺少' + '、'.join(missing) if missing else ''}{'，多出' + '、'.join(extra) if extra else ''}",
                    f"the candidates must be every case closed in the year ({len(actual)})"
                    f"{', missing ' + ', '.join(missing) if missing else ''}"
                    f"{', not candidates ' + ', '.join(extra) if extra else ''}")
    sample = sorted(ctx.payload.get("cases") or [])
    expected = draw(str(ctx.payload.get("seed") or ""), given, len(sample))
    if sample != expected:
        return Fail(f"以随机种子「{ctx.payload.get('seed')}」从{len(given)}件中抽取{len(sample)}件，结果应为"
                    f"{'、'.join(expected)}（{DRAW_ALGORITHM}），记录的是{'、'.join(sample)}",
                    f"seed {ctx.payload.get('seed')!r} draws {', '.join(expected)} ({DRAW_ALGORITHM}), "
                    f"not {', '.join(sample)}")
    return None


def unscored(ctx: GuardContext) -> list[CaseView]:
    """The sampled files not scored yet: the ones `scored_case_in_sample` accepts."""
    scored = scores_of(ctx.data)
    views = (ctx.case_below(c) for c in _sample(ctx) if c not in scored)
    return [v for v in views if v is not None]


@GUARDS.guard("scored_case_in_sample", article=REVIEW_RULE,
              zh="评分的案卷须为本次抽取且尚未评分的案卷",
              en="A scored file is one of the sample, not yet scored")
def scored_case_in_sample(ctx: GuardContext) -> Fail | None:
    case_id = str(ctx.payload.get("case_id"))
    if case_id not in _sample(ctx):
        return Fail(f"「{case_id}」不在本次抽取的案卷（{'、'.join(_sample(ctx))}）中",
                    f"{case_id} is not in the sample ({', '.join(_sample(ctx))})")
    if case_id in scores_of(ctx.data):
        return Fail(f"「{case_id}」已经评分", f"{case_id} is already scored")
    return None


@GUARDS.guard("score_within_maximum", article=REVIEW_RULE,
              zh="逐项评分，每项得分不得超过评分表规定的分值，也不得为负",
              en="Every item of the sheet is scored, none above its maximum or below zero")
def score_within_maximum(ctx: GuardContext) -> Fail | None:
    sheet = _sheet(ctx)
    scores, problems = sheet.parse(ctx.payload.get("scores") or [])
    seen = [s.item.id for s in scores]
    for s in scores:
        if not 0 <= s.points <= s.item.max:
            problems.append((f"「{s.item.label.zh}」得{s.points}分，超出0至{s.item.max}分",
                             f"{s.item.label.en}: {s.points} is outside 0 to {s.item.max}"))
    twice = sorted({i for i in seen if seen.count(i) > 1})
    if twice:
        problems.append((f"重复评分：{'、'.join(twice)}", f"scored twice: {', '.join(twice)}"))
    missing = [i.label.zh for i in sheet.items if i.id not in seen]
    if missing:
        problems.append((f"未评分的项目：{'、'.join(missing)}", f"items not scored: {', '.join(missing)}"))
    if not problems:
        return None
    return Fail("；".join(p[0] for p in problems), "; ".join(p[1] for p in problems))


@GUARDS.guard("deduction_has_reason", article=REVIEW_RULE,
              zh="扣分的，应当写明扣分理由", en="Every deduction states its reason")
def deduction_has_reason(ctx: GuardContext) -> Fail | None:
    scores, _problems = _sheet(ctx).parse(ctx.payload.get("scores") or [])
    bare = [f"{s.item.label.zh}（{s.points}/{s.item.max}分）" for s in scores
            if s.points < s.item.max and _blank(s.reason)]
    if bare:
        return Fail(f"扣分未写明理由：{'、'.join(bare)}", f"deductions without a reason: {', '.join(bare)}")
    return None


@GUARDS.guard("every_sampled_case_scored", article=REVIEW_RULE,
              zh="抽取的案卷全部评分后，才能作出评查结论", en="Every sampled file is scored before the conclusion")
def every_sampled_case_scored(ctx: GuardContext) -> Fail | None:
    missing = [c for c in _sample(ctx) if c not in scores_of(ctx.data)]
    if missing:
        return Fail(f"尚未评分的案卷：{'、'.join(missing)}", f"files not yet scored: {', '.join(missing)}")
    return None


@GUARDS.guard("opinion_names_problems", article=OPINION_RULE,
              zh="监督意见书、纠错通知应当逐条写明发现的问题及其所涉案卷",
              en="An opinion or correction notice names each problem and the sampled file it concerns")
def opinion_names_problems(ctx: GuardContext) -> Fail | None:
    problems = [p for p in ctx.payload.get("problems") or [] if not _blank(p)]
    if not problems:
        return Fail("未写明发现的问题", "no problem is named")
    sample = _sample(ctx)
    loose = [p for p in problems if not any(c in p for c in sample)]
    if loose:
        return Fail(f"以下问题未写明所涉案卷（{'、'.join(sample)}）：{'；'.join(loose)}",
                    f"these problems name no sampled file ({', '.join(sample)}): {'; '.join(loose)}")
    return None


@GUARDS.guard("rectification_answers_each_problem", article=OPINION_RULE,
              zh="整改报告应当逐条说明每个问题的整改情况", en="The rectification report answers each problem")
def rectification_answers_each_problem(ctx: GuardContext) -> Fail | None:
    asked = len((ctx.data.get("opinion") or {}).get("problems") or [])
    given = len([c for c in ctx.payload.get("corrections") or [] if not _blank(c)])
    if given != asked:
        return Fail(f"监督意见列明{asked}个问题，整改报告说明了{given}条", f"{asked} problems, {given} answers")
    return None


@GUARDS.guard("late_answer_has_reason", article=OPINION_RULE,
              zh="逾期报送整改报告的，应当说明逾期原因", en="A rectification report after the time limit states why")
def late_answer_has_reason(ctx: GuardContext) -> Fail | None:
    period = ctx.deadline("answer_period")
    answered = ctx.payload.get("answered_on")
    if period is None or period.due is None or answered is None or as_date(answered) <= period.due:
        return None
    if not _blank(ctx.payload.get("late_reason")):
        return None
    return Fail(f"整改报告期限至{period.due}，{answered}报送，未说明逾期原因",
                f"the report was due by {period.due}, given on {answered}, without a reason for the delay")


@GUARDS.guard("returned_once_only", article=OPINION_RULE,
              zh="整改报告只能退回一次，再次不符合要求的，依监督程序另行处理",
              en="A rectification report is returned once only")
def returned_once_only(ctx: GuardContext) -> Fail | None:
    earlier = ctx.data.get("returned")
    if earlier:
        return Fail(f"整改报告已于{earlier.get('served_on')}退回过一次", f"already returned on {earlier.get('served_on')}")
    return None
