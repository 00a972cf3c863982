"""The checks of the legal-education registers (law.py says why none of them cites a statute)."""

from __future__ import annotations

from decimal import Decimal

from workflow.guards import Fail, GuardContext, GuardTable, as_date
from workflow.procedures.legal_education.law import DATA_CHECK, OBSERVANCE_NOTE

GUARDS = GuardTable("legal_education")


@GUARDS.guard("occasion_matches_date", article=f"{DATA_CHECK}；{OBSERVANCE_NOTE}",
              zh="为宣传日（月）举办的活动，其日期应当在该宣传日（月）", en="An activity held for an observance falls on its day or in its month",
              needs=("observances",))
def occasion_matches_date(ctx: GuardContext) -> Fail | None:
    assert ctx.procedure is not None
    fixed = ctx.procedure.block("observances").days.get(ctx.payload.get("occasion"))
    held = ctx.payload.get("held_on")
    if fixed is None or held is None:
        return None
    day, (month, dom) = as_date(held), fixed
    if day.month == month and (dom is None or day.day == dom):
        return None
    when_zh = f"{month}月{dom}日" if dom else f"{month}月"
    when_en = f"{dom} of month {month}" if dom else f"month {month}"
    return Fail(f"活动日期{day.isoformat()}不在所选宣传节点（{when_zh}）", f"the date {day.isoformat()} is not the "
                f"observance's ({when_en})")


@GUARDS.guard("roster_holds_a_role", article=DATA_CHECK,
              zh="登记的人员应当至少担任法律明白人或者法治带头人之一", en="A person on the roster holds at least one of the two roles")
def roster_holds_a_role(ctx: GuardContext) -> Fail | None:
    if ctx.payload.get("legal_understanding") is False and ctx.payload.get("rule_of_law_leader") is False:
        return Fail("既未勾选法律明白人，也未勾选法治带头人", "neither 法律明白人 nor 法治带头人 is ticked")
    return None


@GUARDS.guard("attendance_hours_within_session", article=DATA_CHECK,
              zh="每人学时不得超过本次学习培训的总学时", en="Hours per person do not exceed the session's hours")
def attendance_hours_within_session(ctx: GuardContext) -> Fail | None:
    hours, each = ctx.payload.get("hours"), ctx.payload.get("hours_per_person")
    if hours is None or each is None:
        return None
    if Decimal(str(each)) > Decimal(str(hours)):
        return Fail(f"每人学时{each}超过总学时{hours}", f"{each} hours per person exceed the session's {hours}")
    return None
