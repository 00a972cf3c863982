"""The rules of petitions (信访工作条例, 2022), each citing its article (law.py)."""

from __future__ import annotations

from datetime import date, timedelta

from workflow.guards import Fail, GuardContext, GuardTable, as_date
from workflow.procedures.petitions.law import (
    CLAIM_CLASS,
    DAY_UNIT,
    HANDLING_DAYS,
    LITIGATION_ANSWER_DAYS,
    MAX_EXTENSION_DAYS,
    OBJECTION_WORKING_DAYS,
    PETITION_PROCEDURE,
    PETITION_REG,
    TRANSFERRED,
)

GUARDS = GuardTable("petitions")


@GUARDS.guard("objection_only_for_transferred", article=f"{PETITION_REG}第二十三条第三款",
              zh="只有信访部门转送、交办或者上级交办的信访事项才可以提出异议",
              en="Only an item transferred or assigned to the town may be objected to")
def objection_only_for_transferred(ctx: GuardContext) -> Fail | None:
    source = (ctx.data.get("entry") or {}).get("transferred_from")
    if source in TRANSFERRED:
        return None
    return Fail("该信访事项由信访人直接提出，不是转送、交办的事项，应当书面告知信访人",
                "the item was brought directly by the petitioner, not transferred: the petitioner is told in writing")


@GUARDS.guard("objection_within_5_working_days", article=f"{PETITION_REG}第二十三条第三款",
              zh="对转送、交办的信访事项有异议的，应当自收到之日起5个工作日内提出",
              en="An objection to a transferred item is raised within 5 working days of receipt")
def objection_within_5_working_days(ctx: GuardContext) -> Fail | None:
    received = (ctx.data.get("entry") or {}).get("received_on")
    objected = ctx.payload.get("objected_on")
    if not received or objected is None:
        return None
    received, objected = as_date(received), as_date(objected)
    last = ctx.calendar.add_working_days(received, OBJECTION_WORKING_DAYS).date
    if objected <= last:
        return None
    return Fail(f"{received.isoformat()}收到，{objected.isoformat()}提出异议，已超过5个工作日（至{last.isoformat()}）",
                f"received on {received.isoformat()}; the objection of {objected.isoformat()} is past the 5 working "
                f"days (until {last.isoformat()})")


@GUARDS.guard("handling_period_only_for_claims", article=f"{PETITION_REG}第三十一条第六项、第三十四条",
              zh="六十日内办结并出具处理意见只适用于第三十一条第六项的申诉求决类事项",
              en="The 60-day handling opinion is only for complaints and claims routed under art 31(6)")
def handling_period_only_for_claims(ctx: GuardContext) -> Fail | None:
    kind = (ctx.data.get("entry") or {}).get("petition_class")
    if kind == CLAIM_CLASS:
        return None
    return Fail("该信访事项不是申诉求决类，不适用第三十一条第六项和第三十四条的办理程序",
                "the item is not a complaint or claim (申诉求决): art 31(6) and art 34 do not apply")


def _original_due(ctx: GuardContext) -> date | None:
    accepted = (ctx.data.get("acceptance") or {}).get("accepted_on")
    unit = ctx.settings.get(DAY_UNIT)
    if not accepted or unit not in ("calendar_days", "working_days"):
        return None
    return ctx.calendar.period(as_date(accepted), HANDLING_DAYS, unit).date


@GUARDS.guard("petition_extension_once", article=f"{PETITION_REG}第三十四条",
              zh="情况复杂的，办理期限可以延长一次", en="The handling period may be extended once")
def extension_once(ctx: GuardContext) -> Fail | None:
    earlier = ctx.data.get("extension")
    if not earlier:
        return None
    return Fail(f"办理期限已于{earlier.get('approved_on')}延长至{earlier.get('extended_until')}，不得再次延长",
                f"the period was already extended on {earlier.get('approved_on')} to {earlier.get('extended_until')}")


@GUARDS.guard("petition_extension_approved", article=f"{PETITION_REG}第三十四条",
              zh="延长办理期限须经本机关负责人批准，并告知信访人延期理由",
              en="An extension needs the head's approval and a notice of the reasons to the petitioner")
def extension_approved_with_reasons(ctx: GuardContext) -> Fail | None:
    missing = [(zh, en) for name, zh, en in (("approved_by", "负责人批准", "the head's approval"),
                                             ("approved_on", "批准日期", "the approval date"),
                                             ("reasons", "延期理由", "the reasons"),
                                             ("notified_on", "告知信访人延期理由的日期", "the date the petitioner was told"))
               if not ctx.payload.get(name)]
    if not missing:
        return None
    return Fail("未记载" + "、".join(z for z, _ in missing), "not recorded: " + ", ".join(e for _, e in missing))


@GUARDS.guard("petition_extension_at_most_30_days", article=f"{PETITION_REG}第三十四条",
              zh="延长期限不得超过30日", en="The extension is at most 30 days")
def extension_at_most_30_days(ctx: GuardContext) -> Fail | None:
    until, due = ctx.payload.get("extended_until"), _original_due(ctx)
    if until is None or due is None:
        return None
    until = as_date(until)
    last = due + timedelta(days=MAX_EXTENSION_DAYS)
    if until > last:
        return Fail(f"原办理期限至{due.isoformat()}，延长至{until.isoformat()}已超过30日（至{last.isoformat()}）",
                    f"the period ran to {due.isoformat()}; {until.isoformat()} is more than 30 days later "
                    f"(until {last.isoformat()})")
    if until <= due:
        return Fail(f"延长后的期限{until.isoformat()}不晚于原办理期限{due.isoformat()}",
                    f"{until.isoformat()} is not later than the period's end {due.isoformat()}")
    return None


@GUARDS.guard("litigation_answer_period_set",
              article="本单位行政应诉工作规定（答辩期限，按人民法院应诉通知书；行政诉讼法条号未核实）",
              zh="登记行政诉讼前，本单位应当设置提交答辩状的期限并注明依据",
              en="Before a lawsuit is registered the organisation sets the period to answer, with its source")
def litigation_answer_period_set(ctx: GuardContext) -> Fail | None:
    # legal-facts holds no article of the 行政诉讼法 on the defendant's answer: the period is the organisation's
    # setting, and without it the answer's deadline could not be counted
    if ctx.payload.get("kind") != "litigation" or ctx.settings.get(LITIGATION_ANSWER_DAYS):
        return None
    return Fail(f"本单位尚未设置行政诉讼答辩期限（设置项 {LITIGATION_ANSWER_DAYS}）",
                f"the organisation has not set the period to answer a lawsuit ({LITIGATION_ANSWER_DAYS})")


def _reviewed_repeat(ctx: GuardContext) -> tuple[str, list[str], Fail | None]:
    """The earlier petition this entry repeats (`entry.repeats`), the petitioners both name, and why it is not a
    repeat after 复核 (None when it is one): the earlier item must be a petition of the town whose 复核 gave its
    opinion, brought by one of the same petitioners (第三十六条: 同一事实和理由, which the registrar states)."""
    entry = ctx.data.get("entry") or {}
    earlier_id = str(entry.get("repeats") or "")
    if not earlier_id:
        return "", [], Fail("登记时未关联所重复的原信访事项编号",
                            "no earlier petition was linked when the item was registered (its number: repeats)")
    earlier = ctx.case_view(earlier_id)
    if earlier is None or earlier.procedure != PETITION_PROCEDURE:
        return earlier_id, [], Fail(f"所关联的原信访事项「{earlier_id}」不是本单位的信访事项",
                                    f"{earlier_id} is not a petition of this organisation")
    review = earlier.data.get("review") or {}
    if not review.get("opinion_on"):
        return earlier_id, [], Fail(f"原信访事项「{earlier_id}」尚未经复核作出复核意见，不适用第三十六条“不再受理”",
                                    f"the earlier petition {earlier_id} has no review (复核) opinion yet: art 36 does "
                                    f"not apply")
    before = set((earlier.data.get("entry") or {}).get("petitioners") or [])
    common = sorted(before & set(entry.get("petitioners") or []))
    if not common:
        return earlier_id, [], Fail(f"原信访事项「{earlier_id}」的信访人与本事项的信访人不同",
                                    f"the earlier petition {earlier_id} was brought by other petitioners")
    return earlier_id, common, None


@GUARDS.guard("repeat_after_review", article=f"{PETITION_REG}第三十六条",
              zh="信访人对复核意见不服，以同一事实和理由再次提出的，不再受理；须关联已经复核的原信访事项",
              en="A claim repeated on the same facts and reasons after review is not accepted again; the earlier, "
                 "reviewed petition is linked")
def repeat_after_review(ctx: GuardContext) -> Fail | None:
    return _reviewed_repeat(ctx)[2]


@GUARDS.guard("not_a_repeat_after_review", article=f"{PETITION_REG}第三十六条",
              zh="经复核后以同一事实和理由再次提出的信访事项，不再受理",
              en="A claim repeated on the same facts and reasons after review is not accepted again")
def not_a_repeat_after_review(ctx: GuardContext) -> Fail | None:
    earlier_id, common, why_not = _reviewed_repeat(ctx)
    if why_not is not None:
        return None  # not a repeat after 复核 (or none linked): accepted as any other claim
    earlier = ctx.case_view(earlier_id)
    reviewed_on = ((earlier.data if earlier else {}).get("review") or {}).get("opinion_on")
    who = "、".join(common)
    return Fail(f"{who}就原信访事项「{earlier_id}」已经复核（复核意见{reviewed_on}），以同一事实和理由再次提出的不再受理，"
                f"应当登记为不再受理",
                f"{who} had the earlier petition {earlier_id} reviewed (opinion of {reviewed_on}); the same claim is "
                f"not accepted again: record it as not accepted")
