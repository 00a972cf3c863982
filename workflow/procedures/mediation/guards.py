"""The rules of people's mediation, each citing its article (law.py)."""

from __future__ import annotations

from datetime import timedelta

from workflow.guards import Fail, GuardContext, GuardTable, as_date
from workflow.procedures.mediation.law import CONFIRMATION_DAYS, CPL, MAX_MEMBERS, MIN_MEMBERS, PML

GUARDS = GuardTable("mediation")


@GUARDS.guard("committee_composition", article=f"{PML}第八条",
              zh="人民调解委员会由委员三至九人组成，应当有妇女成员",
              en="A mediation committee has three to nine members, women among them")
def committee_composition(ctx: GuardContext) -> Fail | None:
    members, women = ctx.payload.get("members"), ctx.payload.get("women_members")
    if members is None or women is None:
        return None
    found = []
    if not MIN_MEMBERS <= members <= MAX_MEMBERS:
        found.append((f"委员{members}人，不在{MIN_MEMBERS}至{MAX_MEMBERS}人之间",
                      f"{members} members, not between {MIN_MEMBERS} and {MAX_MEMBERS}"))
    if women < 1:
        found.append(("没有妇女委员", "no woman member"))
    elif women > members:
        found.append((f"妇女委员{women}人多于委员总数{members}人", f"{women} women members exceed the {members} members"))
    if not found:
        return None
    return Fail("；".join(z for z, _ in found), "; ".join(e for _, e in found))


@GUARDS.guard("agreement_takes_effect_lawfully", article=f"{PML}第二十九条、第三十条",
              zh="口头调解协议自达成之日起生效；书面调解协议自各方签名、盖章或者按指印并加盖调解委员会印章之日起生效，不早于达成之日",
              en="An oral agreement takes effect when reached; a written one when all have signed and the seal is "
                 "affixed, not before it was reached")
def agreement_takes_effect_lawfully(ctx: GuardContext) -> Fail | None:
    agreed, effective = ctx.payload.get("agreed_on"), ctx.payload.get("effective_on")
    if agreed is None or effective is None:
        return None
    agreed, effective = as_date(agreed), as_date(effective)
    if ctx.payload.get("form") == "oral" and effective != agreed:
        return Fail(f"口头协议的生效日期{effective.isoformat()}应为达成之日{agreed.isoformat()}",
                    f"an oral agreement takes effect on the day reached ({agreed.isoformat()}), not {effective.isoformat()}")
    if effective < agreed:
        return Fail(f"生效日期{effective.isoformat()}早于达成协议日期{agreed.isoformat()}",
                    f"effective on {effective.isoformat()}, before it was reached on {agreed.isoformat()}")
    return None


@GUARDS.guard("judicial_confirmation_within_30_days", article=f"{PML}第三十三条；{CPL}第二百零五条",
              zh="申请司法确认应当自调解协议生效之日起三十日内提出",
              en="Judicial confirmation is applied for within 30 days of the agreement taking effect")
def judicial_confirmation_within_30_days(ctx: GuardContext) -> Fail | None:
    applied = ctx.payload.get("applied_on")
    agreement = ctx.data.get("agreement") or {}
    if applied is None or not agreement.get("effective_on"):
        return None
    applied, effective = as_date(applied), as_date(agreement["effective_on"])
    last = effective + timedelta(days=CONFIRMATION_DAYS)
    if applied < effective:
        return Fail(f"申请日期{applied.isoformat()}早于协议生效日期{effective.isoformat()}",
                    f"applied on {applied.isoformat()}, before the agreement took effect on {effective.isoformat()}")
    if applied > last:
        return Fail(f"协议于{effective.isoformat()}生效，申请日期{applied.isoformat()}已超过三十日（至{last.isoformat()}）",
                    f"the agreement took effect on {effective.isoformat()}; {applied.isoformat()} is past the 30 days "
                    f"(until {last.isoformat()})")
    return None


@GUARDS.guard("judicial_confirmation_joint", article=f"{PML}第三十三条；{CPL}第二百零五条",
              zh="司法确认由双方当事人共同申请", en="Both parties apply jointly for judicial confirmation")
def judicial_confirmation_joint(ctx: GuardContext) -> Fail | None:
    if ctx.payload.get("joint_application") is False:
        return Fail("未记载双方当事人共同申请", "the joint application of both parties is not recorded")
    return None
