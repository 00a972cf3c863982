"""Guards of the normative document (行政规范性文件) and of its periodic clean-up: one function per rule, each
citing its article; the verification level of each source (legal-facts-2 §0: V1 read in the official text, V2
secondary, U unverified and therefore an organisation setting) is noted beside the rule.

The framework (GuardContext, Fail, ...) is workflow/guards.py; this family's constants and settings are law.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from workflow.guards import Fail, GuardContext, GuardTable, as_date
from workflow.procedures.normative_document.law import (
    BUSINESS_REG,
    CLEANUP_INVALID,
    COMMENT_BUSINESS_DAYS,
    COMMENT_WORKING_DAYS,
    FAIR_COMPETITION_REG,
    FILING_DAYS,
    FILING_RECIPIENT,
    FILING_UNIT,
    FORUM_SETTING,
    GUIDANCE_115,
    MAX_VALIDITY_YEARS,
    NOTICE_37,
    ORGANIC_LAW,
    REVIEW_MAX_WORKING_DAYS,
    REVIEW_MIN_WORKING_DAYS,
    REVIEW_PACKAGE,
    REVIEW_POINTS,
    REVIEWER_ROLES,
    REVIEWER_SETTING,
    UNITS,
)

GUARDS = GuardTable("normative_document")
guard = GUARDS.guard

DOCUMENT = "normative_document"  # the procedure a clean-up reviews


def _blank(value: Any) -> bool:
    return not (value or "").strip() if isinstance(value, str | type(None)) else False


def _unset(key: str) -> Fail:
    return Fail(f"本单位尚未设置（设置项 {key}）", f"the organisation has not set {key}")


def _whole(value: Any) -> int | None:
    """A setting's whole number, or None while it is unset (or not a number)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# ---------------------------------------------------------------- the gate (legal-facts-2 §1.1–§1.2)


@guard("superior_basis_cited", article=f"{ORGANIC_LAW}第七十六条第一项",
       zh="乡镇人民政府只能执行上级决定和命令、发布决定和命令，设定义务的文件应当写明上级依据",
       en="A town only executes and issues decisions and orders: a document imposing obligations must cite its "
          "superior basis")
def superior_basis_cited(ctx: GuardContext) -> Fail | None:
    """[V1] 地方组织法第七十六条第一项 (towns lack art 73's power to 规定行政措施)."""
    if ctx.payload["new_obligations"] and _blank(ctx.payload.get("superior_basis")):
        return Fail("文件设定义务，但未写明上级依据", "the draft imposes obligations and cites no superior basis")
    return None


@guard("normative_criteria_met", article=f"{GUIDANCE_115}（三）",
       zh="涉及公民、法人和其他组织权利义务、具有普遍约束力并在一定期限内反复适用的公文，才按规范性文件制定",
       en="Only a document affecting rights and obligations, binding generally and applying repeatedly is made "
          "as a normative document")
def normative_criteria_met(ctx: GuardContext) -> Fail | None:
    """[V1] 115号（三）; the working definition is [V2] (legal-facts-2 §1.2 item 7)."""
    labels = {"affects_rights": ("不涉及权利义务", "does not affect rights and obligations"),
              "binds_generally": ("不具有普遍约束力", "does not bind generally"),
              "applies_repeatedly": ("不反复适用", "does not apply repeatedly")}
    unmet = [key for key in labels if not ctx.payload[key]]
    if not unmet:
        return None
    return Fail("认定为" + "、".join(labels[k][0] for k in unmet) + "，应认定为不属于规范性文件",
                "; ".join(labels[k][1] for k in unmet) + ": record it as not a normative document")


# ---------------------------------------------------------------- drafting and public comment (§1.3–§1.4)


@guard("evaluation_recorded", article=f"{NOTICE_37}（三）",
       zh="公开征求意见前应当完成评估论证，或者说明不适用的理由",
       en="The evaluation must be done, or stated not applicable with a reason, before public comment")
def evaluation_recorded(ctx: GuardContext) -> Fail | None:
    """[V2] 37号（三): 评估论证 comes first of the five procedures."""
    return None if ctx.data.get("evaluation") else Fail()


@guard("comment_period_meets_setting", article=f"{NOTICE_37}（三）；{BUSINESS_REG}第六十二条",
       zh="公开征求意见期限一般不少于本单位设置的工作日数；与市场主体生产经营活动密切相关的，一般不少于30日；"
          "缩短的，应当说明理由",
       en="The comment period is at least the working days the organisation set, at least 30 days where "
          "business is closely affected; a shorter one needs its reason stated")
def comment_period_meets_setting(ctx: GuardContext) -> Fail | None:
    """Both minimums are settings with their source: 7 working days is the 示范指标体系 item 24 [V2], 30 days for
    business-related documents is 营商条例第六十二条 [V1] ("一般"): a stated reason allows a shorter period."""
    business = bool((ctx.data.get("draft") or {}).get("affects_business"))
    key = COMMENT_BUSINESS_DAYS if business else COMMENT_WORKING_DAYS
    minimum = _whole(ctx.settings.get(COMMENT_BUSINESS_DAYS) if business else ctx.settings.get(COMMENT_WORKING_DAYS))
    if minimum is None:
        return _unset(key)
    closes = as_date(ctx.payload["closes_on"])
    if business:
        days, unit_zh, unit_en = ctx.calendar.calendar_days_between(ctx.today, closes), "日", "days"
    else:
        days, _ = ctx.calendar.working_days_between(ctx.today, closes)
        unit_zh, unit_en = "个工作日", "working days"
    if days >= minimum or not _blank(ctx.payload.get("shortening_reason")):
        return None
    return Fail(f"征求意见至{closes.isoformat()}截止，仅{days}{unit_zh}，少于{minimum}{unit_zh}且未说明缩短理由",
                f"closing on {closes.isoformat()} leaves {days} {unit_en}, fewer than {minimum}, and no reason "
                "is stated")


@guard("fair_competition_cleared", article=f"{FAIR_COMPETITION_REG}第二条、第十八条；{BUSINESS_REG}第六十三条",
       zh="涉及经营者经济活动的文件，未经公平竞争审查或者经审查具有排除、限制竞争效果的，不得出台",
       en="A document affecting businesses may not go ahead without a fair-competition review that clears it")
def fair_competition_cleared(ctx: GuardContext) -> Fail | None:
    """[V1] 公平竞争审查条例第十八条 (legal-facts §5.2); the art 12 exemptions are not modelled."""
    if not (ctx.data.get("draft") or {}).get("affects_business"):
        return None
    review = ctx.data.get("fair_competition")
    if not review:
        return Fail("尚未进行公平竞争审查", "no fair-competition review is recorded")
    if review.get("conclusion") != "compliant":
        return Fail("公平竞争审查认为具有排除、限制竞争效果", "the review found a restriction of competition")
    return None


@guard("review_package_complete", article=f"{GUIDANCE_115}（五）",
       zh="报送审核应当提供文件送审稿及其说明、制定依据、征求意见及采纳情况、本单位的合法性审核意见",
       en="The package for review holds the draft and its note, the legal basis, the comments and their "
          "adoption, and the drafting unit's own legality opinion")
def review_package_complete(ctx: GuardContext) -> Fail | None:
    """[V1] 115号（五）."""
    missing = [key for key in REVIEW_PACKAGE if not ctx.payload[key]]
    if not missing:
        return None
    labels = _field_labels(ctx, ctx.trigger)
    return Fail("缺少：" + "、".join(labels.get(k, k) for k in missing), "missing: " + ", ".join(missing))


def _field_labels(ctx: GuardContext, trigger: str) -> dict[str, str]:
    """The Chinese labels of a step's fields, from the definition the case runs under (never restated here)."""
    transition = next((t for t in ctx.procedure.transitions if t.trigger == trigger), None) if ctx.procedure else None
    return {f.name: f.label.zh for f in transition.payload} if transition else {}


@guard("supplement_due_after_today", article=f"{GUIDANCE_115}（五）",
       zh="要求起草单位补充材料或说明情况的，应当规定今后的补充期限",
       en="A request for a supplement sets a time limit in the future")
def supplement_due_after_today(ctx: GuardContext) -> Fail | None:
    """[V1] 115号（五）「在规定时间内补充材料或说明情况」."""
    due = as_date(ctx.payload["due_on"])
    if due > ctx.today:
        return None
    return Fail(f"补充期限{due.isoformat()}不晚于今日", f"{due.isoformat()} is not after today")


# ---------------------------------------------------------------- legality review (§1.5)


@guard("reviewer_is_designated", article=f"{GUIDANCE_115}（四）",
       zh="乡镇规范性文件由本单位明确的审核人员审核；未明确的，由县级人民政府确定的审核机构审核",
       en="A town's document is reviewed by its designated reviewer or, where none is designated, by the body "
          "the county government designates")
def reviewer_is_designated(ctx: GuardContext) -> Fail | None:
    """[V1] 115号（四）; which of the two applies is the setting normative.legality_reviewer."""
    value = ctx.settings.get(REVIEWER_SETTING)
    role = REVIEWER_ROLES.get(value) if isinstance(value, str) else None
    if role is None:
        return _unset(REVIEWER_SETTING)
    if role in ctx.actor_roles:
        return None
    return Fail(f"本单位设置的审核主体为「{value}」，办理人不是该审核主体的人员",
                f"the organisation's reviewer is {value!r}; the actor is not one of its reviewers")


def _round_start(data: Mapping[str, Any]) -> int:
    """The event that opened the current review round: the forwarding or the latest resubmission."""
    seqs = [(data.get("forwarding") or {}).get("event_seq", 0)]
    seqs += [r["event_seq"] for r in data.get("revisions", [])]
    return max(seqs)


@guard("all_review_points_recorded", article=f"{GUIDANCE_115}（六）",
       zh="合法性审核应当对制定主体、职权、内容、违法设定事项、减损权益增加义务、扩权卸责、制定程序7个事项逐项提出意见",
       en="The review gives a finding on each of the 7 points (issuer, powers, content, unlawful measures, "
          "burdens, own powers, procedure)")
def all_review_points_recorded(ctx: GuardContext) -> Fail | None:
    """[V1] 115号（六）: in this round (a resubmitted draft is reviewed again on every point)."""
    start = _round_start(ctx.data)
    done = {p["item"] for p in ctx.data.get("findings", []) if p["event_seq"] > start}
    missing = [p for p in REVIEW_POINTS if p not in done]
    if not missing:
        return None
    labels = dict(next((f.choices for t in (ctx.procedure.transitions if ctx.procedure else ())
                        if t.trigger == "record_review_point" for f in t.payload if f.name == "item"), ()))
    names = "；".join(labels[m].zh if m in labels else m for m in missing)
    return Fail(f"尚未提出意见的事项：{names}", f"points without a finding: {', '.join(missing)}")


def _received(ctx: GuardContext) -> date | None:
    row = ctx.deadline("legality_review_time")
    return row.started_on if row is not None else None


@guard("review_time_at_least_5_working_days", article=f"{GUIDANCE_115}（五）",
       zh="合法性审核时间一般不少于5个工作日；为预防、应对和处置突发事件或者执行上级机关的紧急命令和决定需要立即制定"
          "实施的除外，并应说明理由",
       en="A review takes at least 5 working days, unless an emergency or an urgent order from above needs the "
          "document at once, with the reason stated")
def review_time_at_least_5_working_days(ctx: GuardContext) -> Fail | None:
    """[V1] 115号（五）: counted from the reviewer's receipt of the complete package (the forwarding, or the
    resubmission after a modification)."""
    received = _received(ctx)
    if received is None:
        return None
    days, provisional = ctx.calendar.working_days_between(received, ctx.today)
    if days >= REVIEW_MIN_WORKING_DAYS:
        return None
    if ctx.payload.get("urgent_ground") and not _blank(ctx.payload.get("urgent_reason")):
        return None
    note = "（含尚无节假日安排的年份，按周一至周五推算）" if provisional else ""
    return Fail(f"自{received.isoformat()}收到送审材料仅{days}个工作日{note}，且未说明紧急情形及理由",
                f"only {days} working days since the package arrived on {received.isoformat()}, and no urgent "
                "ground with its reason")


@guard("late_opinion_explained", article=f"{GUIDANCE_115}（五）",
       zh="合法性审核时间最长不超过15个工作日；超过的，应当说明原因",
       en="A review takes at most 15 working days; a later opinion states why")
def late_opinion_explained(ctx: GuardContext) -> Fail | None:
    """[V1] 115号（五）. An opinion after the limit is still given (the document cannot go on without one),
    but the delay is recorded with its reason; the timer has already escalated it."""
    received = _received(ctx)
    if received is None:
        return None
    days, _ = ctx.calendar.working_days_between(received, ctx.today)
    if days <= REVIEW_MAX_WORKING_DAYS or not _blank(ctx.payload.get("delay_reason")):
        return None
    return Fail(f"自{received.isoformat()}收到送审材料已{days}个工作日，未说明超期原因",
                f"{days} working days since {received.isoformat()}, and no reason for the delay")


# ---------------------------------------------------------------- collective deliberation (§1.5 items 16–17, §1.6)


@guard("lawful_opinion_required", article=f"{GUIDANCE_115}（七）",
       zh="未经合法性审核或者经审核不合法的文件，不得提交集体审议；不得以征求意见、会签、参加审议等方式代替合法性审核",
       en="A document without a 'lawful' review opinion may not go to collective deliberation; no comment "
          "round or countersignature replaces the review")
def lawful_opinion_required(ctx: GuardContext) -> Fail | None:
    """[V1] 115号（七）; 37号（六）[V2]. The latest opinion counts: a modification must be reviewed again."""
    opinion = ctx.data.get("legality_opinion") or {}
    if opinion.get("outcome") == "lawful":
        return None
    signed = "（已会签，但会签不能代替合法性审核）" if ctx.payload.get("countersigned") else ""
    if not opinion:
        return Fail(f"尚无合法性审核意见{signed}", "there is no review opinion")
    outcome = {"unlawful": ("不合法", "unlawful"), "amend": ("应当予以修改", "to be amended")}.get(
        opinion.get("outcome", ""), (opinion.get("outcome", ""), opinion.get("outcome", "")))
    return Fail(f"审核意见为「{outcome[0]}」{signed}", f"the opinion is '{outcome[1]}'")


@guard("non_adoption_explained", article=f"{GUIDANCE_115}（六）",
       zh="起草单位未完全采纳合法性审核意见的，应当在提请审议时详细说明理由和依据",
       en="A drafting unit that does not fully adopt the review opinion explains its reasons and basis when "
          "it submits the document")
def non_adoption_explained(ctx: GuardContext) -> Fail | None:
    """[V1] 115号（六）."""
    if ctx.payload["opinion_adopted"] == "fully" or not _blank(ctx.payload.get("non_adoption_reasons")):
        return None
    return Fail("未完全采纳审核意见，且未说明理由和依据", "the opinion is not fully adopted and no reasons are given")


@guard("deliberation_forum_matches_setting", article=f"{NOTICE_37}（三）；{ORGANIC_LAW}第七十六条",
       zh="集体审议应当在本机关确定的会议形式上进行",
       en="The collective deliberation takes place in the forum the organisation has set")
def deliberation_forum_matches_setting(ctx: GuardContext) -> Fail | None:
    """[V2] 37号（三）: required; the town's forum is not fixed nationally (legal-facts §2.8), so a setting."""
    forum = ctx.settings.get(FORUM_SETTING)
    if not forum:
        return _unset(FORUM_SETTING)
    given = ctx.payload["forum"]
    return None if given == forum else Fail(f"应为「{forum}」，而非「{given}」", f"expected {forum!r}, not {given!r}")


# ---------------------------------------------------------------- publication, force, filing (§1.7–§1.9)


@guard("published_before_force", article=f"{BUSINESS_REG}第六十四条；{NOTICE_37}（三）",
       zh="未经公开发布的规范性文件不得作为行政管理依据：施行前应当登记公开发布，施行日期不得早于发布日期",
       en="An unpublished document is no basis for administration: record its publication first; it cannot "
          "take effect before it is published")
def published_before_force(ctx: GuardContext) -> Fail | None:
    """[V1] for business-related documents (营商条例第六十四条); for all documents via 37号 [U]."""
    publication = ctx.data.get("publication")
    if not publication:
        return Fail("尚无公开发布记录", "no publication is recorded")
    published, effective = as_date(publication["published_on"]), as_date(ctx.payload["effective_on"])
    if effective < published:
        return Fail(f"施行日期{effective.isoformat()}早于发布日期{published.isoformat()}",
                    f"effective {effective.isoformat()} is before publication on {published.isoformat()}")
    return None


@guard("validity_within_setting", article="《国务院办公厅关于加强行政规范性文件制定和监督管理工作的通知》（国办发〔2018〕37号）（十）；本地规范性文件管理规定（有效期）",
       zh="有效期不得超过本单位依据的规定所定年限",
       en="The validity may not exceed the years the organisation's rule sets")
def validity_within_setting(ctx: GuardContext) -> Fail | None:
    """[V2, not Fujian] 「有效期一般不超过5年」; no national rule [U] (legal-facts-2 §1.9). Unset: no limit is
    applied (the law gives none), but the end must still follow the start."""
    effective, until = as_date(ctx.payload["effective_on"]), as_date(ctx.payload["valid_until"])
    if until <= effective:
        return Fail(f"有效期至{until.isoformat()}，不晚于施行日期{effective.isoformat()}",
                    f"valid until {until.isoformat()}, not after {effective.isoformat()}")
    years = _whole(ctx.settings.get(MAX_VALIDITY_YEARS))
    if years is None:
        return None
    try:
        limit = effective.replace(year=effective.year + years)
    except ValueError:  # 29 February
        limit = effective.replace(year=effective.year + years, day=28)
    if until > limit:
        return Fail(f"有效期至{until.isoformat()}，超过{years}年（至多{limit.isoformat()}）",
                    f"valid until {until.isoformat()}: more than {years} years (at most {limit.isoformat()})")
    return None


@guard("filing_not_yet_done", article="《法规规章备案审查条例》第二十五条",
       zh="规范性文件已报送备案的，不重复报送", en="A document is filed once")
def filing_not_yet_done(ctx: GuardContext) -> Fail | None:
    return Fail() if ctx.data.get("filing") else None


@guard("filing_lawful", article="《法规规章备案审查条例》第二十五条；本地规范性文件备案审查办法（备案机关、期限）",
       zh="规范性文件应当自公布之日起在本单位依据的规定所定期限内报送规定的备案机关；逾期的应当说明原因",
       en="The document is filed with the set recipient within the set period from publication; a late "
          "filing states why")
def filing_lawful(ctx: GuardContext) -> Fail | None:
    """[V1] 备案审查条例第二十五条 leaves it to local systems; the Fujian recipient and period are [U]: settings."""
    recipient, days, unit = (ctx.settings.get(FILING_RECIPIENT), _whole(ctx.settings.get(FILING_DAYS)),
                             ctx.settings.get(FILING_UNIT))
    if not recipient:
        return _unset(FILING_RECIPIENT)
    if days is None:
        return _unset(FILING_DAYS)
    if unit not in UNITS:
        return _unset(FILING_UNIT)
    given = ctx.payload["recipient"]
    if given != recipient:
        return Fail(f"备案机关应为「{recipient}」，而非「{given}」", f"the recipient is {recipient!r}, not {given!r}")
    published = as_date((ctx.data.get("publication") or {})["published_on"])
    due = ctx.calendar.period(published, days, unit).date
    filed = as_date(ctx.payload["filed_on"])
    if filed > due and _blank(ctx.payload.get("late_reason")):
        return Fail(f"应于{due.isoformat()}前报送（发布后{days}{'日' if unit == 'calendar_days' else '个工作日'}），"
                    f"{filed.isoformat()}报送且未说明逾期原因",
                    f"due by {due.isoformat()}, filed on {filed.isoformat()} with no reason for the delay")
    return None


# ---------------------------------------------------------------- clean-up (§1.10)


@guard("cleanup_decided_repeal", article=f"{NOTICE_37}（十）；《福建省行政规范性文件备案审查办法》第二十九条",
       zh="依清理结果废止的，清理结果应当已经公布并决定废止或者宣布失效本文件",
       en="A repeal by clean-up needs a published clean-up result repealing or invalidating this document")
def cleanup_decided_repeal(ctx: GuardContext) -> Fail | None:
    """[V2] 37号（十）, 福建219号第二十九条: the published result notice makes the repealed documents unusable."""
    ref = ctx.payload["cleanup_case"]
    cleanup = ctx.case_view(ref)
    if cleanup is None or cleanup.procedure != "normative_cleanup":
        return Fail(f"「{ref}」不是清理案件", f"{ref!r} is not a clean-up case")
    if cleanup.state != "published":
        return Fail(f"清理案件{ref}的结果尚未公布", f"the result of {ref} is not published")
    outcome = next((o for o in cleanup.data.get("outcomes", []) if o.get("document") == ctx.case_id), None)
    if outcome is None or outcome.get("outcome") not in CLEANUP_INVALID:
        return Fail(f"清理案件{ref}未决定废止或宣布失效本文件", f"{ref} does not repeal this document")
    return None


@guard("document_in_force", article=f"{NOTICE_37}（十）",
       zh="清理的对象是本单位现行有效的规范性文件",
       en="A clean-up reviews the organisation's documents in force")
def document_in_force(ctx: GuardContext) -> Fail | None:
    """[V2] 37号（十）."""
    ref = ctx.payload["document"]
    document = ctx.case_view(ref)
    if document is None or document.procedure != DOCUMENT:
        return Fail(f"「{ref}」不是规范性文件案件", f"{ref!r} is not a normative document")
    if document.state != "in_force":
        label = document.state_label or document.state
        return Fail(f"{ref}处于「{label}」阶段，不是现行有效的文件", f"{ref} is {document.state}, not in force")
    return None


@guard("document_outcome_once", article=f"{NOTICE_37}（十）",
       zh="每件文件在一次清理中只作出一个清理结论", en="Each document gets one outcome in a clean-up")
def document_outcome_once(ctx: GuardContext) -> Fail | None:
    ref = ctx.payload["document"]
    return Fail(f"{ref}已作出清理结论", f"{ref} already has an outcome") \
        if any(o.get("document") == ref for o in ctx.data.get("outcomes", [])) else None


@guard("cleanup_outcomes_recorded", article=f"{NOTICE_37}（十）；《福建省行政规范性文件备案审查办法》第二十九条",
       zh="清理结果应当对每件文件作出结论后向社会公布", en="The result is published once every document has an outcome")
def cleanup_outcomes_recorded(ctx: GuardContext) -> Fail | None:
    """[V2]: a result with no document decided lists nothing."""
    return None if ctx.data.get("outcomes") else Fail("尚未对任何文件作出清理结论", "no document has an outcome")
