"""Guards of the enforcement procedures: 行政处罚普通程序, 重大执法决定法制审核 and the compulsory measures of
行政强制法 taken in a penalty case. The framework is workflow/guards.py; the constants are in law.py.

Articles: 处罚法 = 《中华人民共和国行政处罚法》(2021年修订); 118号 = 国办发〔2018〕118号 (the three systems).
Periods of 2, 3, 5 and 7 days are working days (处罚法第八十五条). What the law leaves to the organisation
(delegated powers, the "large fine" threshold, the review catalogue, a rule that extends the 90-day limit)
is read from its settings, and a guard that needs an unset one refuses naming it (legal-facts §12).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from workflow.guards import CaseView, Fail, GuardContext, GuardTable, as_date
from workflow.procedures.enforcement.law import (
    AGENCY_HEAD,
    ALWAYS_HEARING,
    BY_AMOUNT,
    CHECKLIST,
    CIVIL_PROCEDURE_LAW,
    COMPULSION_LAW,
    DECISION_DAYS,
    DELEGATED_POWERS,
    ENFORCEMENT_PROCEDURE,
    EXTENSION_DAYS,
    GUIDELINE_118,
    LARGE_FINE_THRESHOLD,
    LEGAL_QUALIFICATION,
    OFFICER,
    PENALTY_LAW,
    PENALTY_ZH,
    PUBLIC_NOTICE_DAYS,
    REVIEW_CATALOGUE,
    REVIEW_PROCEDURE,
    SEIZURE_DAYS,
    WITH_HEARING_RIGHTS,
)
from workflow.procedures.enforcement.major import assessed_major, is_major, major_finding
from workflow.procedures.enforcement.penalties import (
    KindOrder,
    MajorFinding,
    describe,
    describe_en,
    excess,
    penalties_of,
)
from workflow.records import FORMATS

GUARDS = GuardTable("enforcement")
guard = GUARDS.guard


def _unset(key: str) -> Fail:
    return Fail(f"本单位尚未设置该规则（设置项 {key}，须记录其依据来源）",
                f"the organisation has not set this rule (setting {key}, with its source)")


def _amount(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def acting_officers(data: Mapping[str, Any]) -> list[str]:
    """The case's acting officers: the latest assignment (start_investigation, then each replace_officers)."""
    changes = data.get("officer_changes") or []
    latest = changes[-1] if changes else (data.get("investigation") or {})
    return list(latest.get("officers", []))




def _filed_on(ctx: GuardContext, data: Mapping[str, Any]) -> date:
    recorded = (data.get("filing") or {}).get("recorded_on")
    return as_date(recorded) if recorded else ctx.today


# ---------------------------------------------------------------- opening and investigation (arts 24, 42, 43, 56)


@guard("penalty_power_delegated", article=f"{PENALTY_LAW}第二十四条",
       zh="乡镇只能行使省级人民政府决定交由其行使的行政处罚权",
       en="A town may only exercise the penalty powers the province has handed to it")
def penalty_power_delegated(ctx: GuardContext) -> Fail | None:
    powers = ctx.settings.get(DELEGATED_POWERS)
    if not powers:
        return _unset(DELEGATED_POWERS)
    field, power = ctx.payload["field"], ctx.payload["power"]
    if any(p.get("field") == field and p.get("power") == power for p in powers):
        return None
    return Fail(f"本单位未获赋予「{field}」领域「{power}」的行政处罚权",
                f"no delegated power {power!r} in the field {field!r}")


def certificate_problem(ctx: GuardContext, username: str, field: str) -> tuple[str, str] | None:
    """Why `username` may not investigate in `field` today (Chinese, English), or None when they may."""
    if OFFICER not in (ctx.roles_of(username) or frozenset()):
        return "不是本单位执法人员", "not an enforcement officer of this organisation"
    held = [c for c in ctx.certificates_of(username) if c.kind == "enforcement"]
    if not held:
        return "未取得执法证件", "holds no enforcement certificate"
    in_field = [c for c in held if c.field == field]
    if not in_field:
        fields = "、".join(sorted({c.field for c in held}))
        return f"执法证件的执法领域为{fields}，不含本案的{field}", f"certificate fields {fields}, not {field}"
    if any(c.issued_on <= ctx.today and (c.valid_until is None or ctx.today <= c.valid_until) for c in in_field):
        return None
    last = max(in_field, key=lambda c: c.valid_until or date.max)
    if last.issued_on > ctx.today:
        return f"执法证件自{last.issued_on.isoformat()}起生效", f"certificate valid from {last.issued_on.isoformat()}"
    assert last.valid_until is not None
    return (f"执法证件（{last.number}）已于{last.valid_until.isoformat()}过期",
            f"certificate {last.number} expired on {last.valid_until.isoformat()}")


def _validity(c: Any) -> str:
    until = c.valid_until.isoformat() if c.valid_until else "长期"
    return f"{c.issued_on.isoformat()}至{until}"


def lapse_on(ctx: GuardContext, username: str, field: str, day: date) -> tuple[str, str] | None:
    """Why `username` may not act in `field` on `day`, naming the certificate and its validity; None if they may."""
    if OFFICER not in (ctx.roles_of(username) or frozenset()):
        return "不是本单位执法人员", "is not an enforcement officer of this organisation"
    in_field = [c for c in ctx.certificates_of(username) if c.kind == "enforcement" and c.field == field]
    if not in_field:
        return f"未持有{field}领域的执法证件", f"holds no enforcement certificate for {field}"
    if any(c.issued_on <= day and (c.valid_until is None or day <= c.valid_until) for c in in_field):
        return None
    nearest = max(in_field, key=lambda c: c.valid_until or date.max)
    return (f"的执法证件（{nearest.number}，有效期{_validity(nearest)}）在{day.isoformat()}不在有效期内",
            f"certificate {nearest.number} (valid {nearest.issued_on.isoformat()} to "
            f"{nearest.valid_until.isoformat() if nearest.valid_until else 'open'}) is not valid on {day.isoformat()}")


@guard("acting_officers_certified", article=f"{PENALTY_LAW}第四十二条、第五十五条；《中华人民共和国行政强制法》第十七条、第十八条",
       zh="执法行为应当由不少于两名在行为之日持有本领域有效执法证件的本案执法人员实施；证件失效的，应当先更换执法人员",
       en="An act in person needs at least two of the case's officers holding a certificate for the field valid on "
          "the day of the act; an officer whose certificate lapsed must first be replaced")
def acting_officers_certified(ctx: GuardContext) -> Fail | None:
    day = ctx.act_on or ctx.today
    field = (ctx.data.get("filing") or {}).get("field", "")
    acting = acting_officers(ctx.data)
    officers = acting if ctx.act_officers is None else [o for o in dict.fromkeys(ctx.act_officers) if o in acting]
    zh: list[str] = []
    en: list[str] = []
    valid = 0
    for username in officers:
        problem = lapse_on(ctx, username, field, day)
        if problem is None:
            valid += 1
        else:
            zh.append(f"{ctx.name_of(username)}{problem[0]}")
            en.append(f"{username} {problem[1]}")
    if valid >= 2:
        return None
    who = "在场的本案执法人员" if ctx.act_officers is not None else "本案执法人员"
    zh.insert(0, f"行为日{day.isoformat()}，{who}中持有效证件的仅{valid}名")
    en.insert(0, f"on {day.isoformat()} only {valid} of the case's officers{' present' if ctx.act_officers is not None else ''}"
                 " held a valid certificate")
    return Fail("；".join(zh), "; ".join(en))


@guard("two_certified_officers", article=f"{PENALTY_LAW}第四十二条",
       zh="行政处罚应当由具有行政执法资格的执法人员实施，执法人员不得少于两人",
       en="Penalties are enforced by at least two officers holding a valid certificate for the field")
def two_certified_officers(ctx: GuardContext) -> Fail | None:
    officers = list(dict.fromkeys(ctx.payload["officers"]))
    field = (ctx.data.get("filing") or {}).get("field", "")
    zh: list[str] = []
    en: list[str] = []
    for username in officers:
        problem = certificate_problem(ctx, username, field)
        if problem:
            zh.append(f"{ctx.name_of(username)}{problem[0]}")
            en.append(f"{username}: {problem[1]}")
    if len(officers) < 2:
        zh.insert(0, f"仅指派{len(officers)}名执法人员")
        en.insert(0, f"only {len(officers)} officer(s) assigned")
    return Fail("；".join(zh), "; ".join(en)) if zh else None


@guard("recusal_concerns_investigator", article=f"{PENALTY_LAW}第四十三条",
       zh="回避决定只能针对本案的调查人员", en="A recusal concerns an officer investigating this case")
def recusal_concerns_investigator(ctx: GuardContext) -> Fail | None:
    officer = ctx.payload["officer"]
    return None if officer in acting_officers(ctx.data) else Fail(
        f"{ctx.name_of(officer)}不是本案调查人员", f"{officer} does not investigate this case")


@guard("preservation_approved_by_head", article=f"{PENALTY_LAW}第五十六条",
       zh="先行登记保存证据应当经行政机关负责人批准",
       en="Registering and holding evidence needs the agency head's approval")
def preservation_approved_by_head(ctx: GuardContext) -> Fail | None:
    return None if ctx.payload["head_approved"] else Fail()


@guard("evidence_preservation_registered", article=f"{PENALTY_LAW}第五十六条",
       zh="本案没有先行登记保存的证据，无从作出处理决定",
       en="No evidence of this case is registered and held, so there is nothing to decide on")
def evidence_preservation_registered(ctx: GuardContext) -> Fail | None:
    return None if ctx.data.get("preservations") else Fail()


@guard("extension_within_rule", article=f"{PENALTY_LAW}第六十条",
       zh="行政处罚法未规定延长办案期限；只有法律、法规、规章另有规定的，才能在其允许的范围内延长一次",
       en="The law itself has no extension: only a law, regulation or rule may allow one, once and within its limit")
def extension_within_rule(ctx: GuardContext) -> Fail | None:
    allowed = ctx.settings.get(EXTENSION_DAYS)
    if not allowed:
        return _unset(EXTENSION_DAYS)
    if ctx.data.get("extension"):
        return Fail("本案已延长过一次", "the limit was already extended once")
    due = ctx.calendar.period(_filed_on(ctx, ctx.data), DECISION_DAYS, "calendar_days").date
    latest = ctx.calendar.period(due, int(allowed), "calendar_days").date
    until = as_date(ctx.payload["extended_until"])
    if due < until <= latest:
        return None
    return Fail(f"延长至{until.isoformat()}，应晚于原期限{due.isoformat()}且不超过{latest.isoformat()}（延长{allowed}日）",
                f"{until.isoformat()} must fall after {due.isoformat()} and by {latest.isoformat()}")


@guard("certificates_shown", article=f"{PENALTY_LAW}第五十五条第一款",
       zh="执法人员在调查或者进行检查时，应当主动向当事人或者有关人员出示执法证件；不出示的，当事人有权拒绝接受调查或者检查",
       en="Officers show their enforcement certificates when investigating; without them the party may refuse")
def certificates_shown(ctx: GuardContext) -> Fail | None:
    return None if ctx.payload["certificates_shown"] else Fail()


# ---------------------------------------------------------------- notice, statement, hearing (arts 44, 45, 63, 64)


def hearing_eligible(ctx: GuardContext, penalty: str, amount: Decimal | None) -> bool | Fail:
    """处罚法第六十三条: may the party ask a hearing for this penalty? A Fail when it cannot be told."""
    if penalty in ALWAYS_HEARING:
        return True
    if penalty not in BY_AMOUNT:
        return False
    if amount is None:
        return Fail("罚款、没收须填写金额，才能判断是否属于较大数额", "a fine or confiscation needs its amount")
    thresholds = ctx.settings.get(LARGE_FINE_THRESHOLD)
    party_type = (ctx.data.get("filing") or {}).get("party_type", "individual")
    threshold = _amount((thresholds or {}).get(party_type))
    if threshold is None:
        return _unset(LARGE_FINE_THRESHOLD)
    return amount >= threshold


@guard("hearing_rights_match_penalty", article=f"{PENALTY_LAW}第四十四条、第六十三条",
       zh="告知应当与拟作出的处罚相符：属于听证范围的处罚，应当同时告知要求听证的权利",
       en="The notice must fit the intended penalty: a hearing-eligible penalty is notified with the hearing right")
def hearing_rights_match_penalty(ctx: GuardContext) -> Fail | None:
    eligible: bool | Fail = False
    for p in penalties_of(ctx.payload):  # the penalty and any imposed with it: one eligible is enough
        one = hearing_eligible(ctx, p.kind, p.amount)
        if isinstance(one, Fail):
            return one
        eligible = eligible or one
    with_rights = ctx.trigger in WITH_HEARING_RIGHTS
    if eligible and not with_rights:
        return Fail("拟作出的处罚属于听证范围，应当告知当事人有要求听证的权利",
                    "the intended penalty is hearing-eligible: the hearing right must be notified")
    if not eligible and with_rights:
        return Fail("拟作出的处罚不属于听证范围（较大数额以本单位设置为准）",
                    "the intended penalty is not hearing-eligible (large amount as the organisation set it)")
    return None


@guard("hearing_right_notified", article=f"{PENALTY_LAW}第六十三条、第六十四条",
       zh="本案告知的处罚不属于听证范围，当事人未被告知听证权利",
       en="The notified penalty is not hearing-eligible; no hearing right was notified")
def hearing_right_notified(ctx: GuardContext) -> Fail | None:
    return None if (ctx.data.get("notice") or {}).get("trigger") in WITH_HEARING_RIGHTS else Fail()


@guard("hearing_requested_in_time", article=f"{PENALTY_LAW}第六十四条第一项、第八十五条",
       zh="当事人要求听证的，应当在行政机关告知后5个工作日内提出",
       en="A hearing must be requested within 5 working days of the notice")
def hearing_requested_in_time(ctx: GuardContext) -> Fail | None:
    notified = as_date((ctx.data.get("notice") or {}).get("notified_on") or ctx.today)
    requested = as_date(ctx.payload["requested_on"])
    last = ctx.calendar.add_working_days(notified, 5).date
    if requested > ctx.today:
        return Fail(f"申请日期{requested.isoformat()}晚于今日", f"{requested.isoformat()} is in the future")
    if notified <= requested <= last:
        return None
    return Fail(f"告知书于{notified.isoformat()}送达，申请期限至{last.isoformat()}，申请日期为{requested.isoformat()}",
                f"notified {notified.isoformat()}, period ended {last.isoformat()}, requested {requested.isoformat()}")


@guard("hearing_notice_7_working_days", article=f"{PENALTY_LAW}第六十四条第二项、第八十五条",
       zh="行政机关应当在举行听证的7个工作日前，通知当事人举行听证的时间、地点",
       en="The party is told the time and place at least 7 working days before the hearing")
def hearing_notice_7_working_days(ctx: GuardContext) -> Fail | None:
    notified, held = as_date(ctx.payload["notified_on"]), as_date(ctx.payload["hearing_date"])
    days, provisional = ctx.calendar.working_days_between(notified, held)
    if days >= 7:
        return None
    note = "（含尚无节假日安排的年份，按法定节假日推算，调休未知）" if provisional else ""
    return Fail(f"通知日{notified.isoformat()}距听证日{held.isoformat()}仅{days}个工作日{note}",
                f"only {days} working days between the notice and the hearing")


@guard("enforcement_hearing_scheduled", article=f"{PENALTY_LAW}第六十四条",
       zh="尚未通知听证的时间、地点，不能登记听证笔录",
       en="No hearing has been notified, so none can be recorded")
def enforcement_hearing_scheduled(ctx: GuardContext) -> Fail | None:
    request = (ctx.data.get("hearing_request") or {}).get("event_seq", 0)
    hearing = ctx.data.get("hearing") or {}
    return None if hearing.get("event_seq", 0) > request else Fail()


@guard("hearing_record_signed_by_party", article=f"{PENALTY_LAW}第六十四条第八项",
       zh="听证笔录应当交当事人或者其代理人核对无误后签字或者盖章",
       en="The hearing record must be checked and signed or sealed by the party or the agent")
def hearing_record_signed_by_party(ctx: GuardContext) -> Fail | None:
    return None if ctx.payload["signed_by_party"] else Fail()


# ---------------------------------------------------------------- major cases, the decision (arts 45, 57, 58, 61)


def _grounds_zh(finding: MajorFinding) -> str:
    return "；".join(f"目录清单「{g.entry}」：{g.zh}" for g in finding.grounds)


def _grounds_en(finding: MajorFinding) -> str:
    return "; ".join(f"catalogue {g.entry!r}: {g.en}" for g in finding.grounds)


@guard("catalogue_item_listed", article=f"{PENALTY_LAW}第五十八条第一款第四项；{GUIDELINE_118}",
       zh="所填事项应当列入本单位重大执法决定法制审核目录清单",
       en="The item named must be in the organisation's catalogue of decisions needing legal review")
def catalogue_item_listed(ctx: GuardContext) -> Fail | None:
    item = ctx.payload.get("catalogue_item")
    if not item:
        return None
    catalogue = ctx.settings.get(REVIEW_CATALOGUE)
    if not catalogue:
        return _unset(REVIEW_CATALOGUE)
    return None if item in catalogue else Fail(f"目录清单中没有「{item}」", f"{item!r} is not in the catalogue")


@guard("attendees_are_agency_heads", article=f"{PENALTY_LAW}第五十七条第二款",
       zh="集体讨论应当由行政机关负责人参加，且不少于两人",
       en="The collective discussion is among the agency heads, at least two of them")
def attendees_are_agency_heads(ctx: GuardContext) -> Fail | None:
    attendees = list(dict.fromkeys(ctx.payload["attendees"]))
    others = [u for u in attendees if AGENCY_HEAD not in (ctx.roles_of(u) or frozenset())]
    if others:
        return Fail(f"非行政机关负责人：{'、'.join(ctx.name_of(u) for u in others)}", f"not heads: {', '.join(others)}")
    if len(attendees) < 2:
        return Fail(f"仅{len(attendees)}名负责人出席", f"only {len(attendees)} head(s) attended")
    return None


def _kind_order(ctx: GuardContext) -> KindOrder:
    """The definition's order of penalty kinds (the guards that compare kinds declare `needs=("severity",)`, so
    the loader refuses a step naming them in a definition without one)."""
    order = ctx.procedure.block("severity")
    assert isinstance(order, KindOrder)
    return order


def _said(p: Mapping[str, Any]) -> str:
    return describe(penalties_of(p), PENALTY_ZH)


def _defences(data: Mapping[str, Any]) -> list[tuple[int, str]]:
    """The party's statements and hearings (event_seq, what), in order: each answered the notice before it."""
    hearings = [*(data.get("superseded") or {}).get("hearing_record", []), data.get("hearing_record")]
    found = [(int(s["event_seq"]), f"{s.get('recorded_on', '')}陈述申辩") for s in data.get("statements", [])]
    found += [(int(h["event_seq"]), f"{h.get('held_on', '')}听证") for h in hearings if h]
    return sorted(found)


def _notices(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    notice = data.get("notice")
    return [*(data.get("superseded") or {}).get("notice", []), *([notice] if notice else [])]


@guard("no_heavier_penalty_after_defence", article=f"{PENALTY_LAW}第四十五条第二款",
       zh="行政机关不得因当事人陈述、申辩而给予更重的处罚",
       en="The party may not be given a heavier penalty for having stated a defence", needs=("severity",))
def no_heavier_penalty_after_defence(ctx: GuardContext) -> Fail | None:
    """Compared with each notice the party answered (a statement or a hearing after it): a new notice or the
    decision may not go beyond it, unless a later notice was made on newly found facts or evidence (then the
    heavier penalty is not because of the defence, and the party was given the rights again)."""
    if ctx.payload.get("change_ground") == "new_facts":
        return None  # this new notice itself rests on new facts; its rights run again
    notices, defences = _notices(ctx.data), _defences(ctx.data)
    order = _kind_order(ctx)
    for i, notice in enumerate(notices):
        after = int(notice.get("event_seq", 0))
        until = int(notices[i + 1]["event_seq"]) if i + 1 < len(notices) else None
        answered = [what for seq, what in defences if seq > after and (until is None or seq < until)]
        if not answered or any(n.get("change_ground") == "new_facts" for n in notices[i + 1:]):
            continue
        if excess(penalties_of(ctx.payload), penalties_of(notice), order):
            return Fail(f"告知的处罚为{_said(notice)}，拟决定为{_said(ctx.payload)}，当事人已陈述申辩（{answered[0]}）；"
                        "加重处罚只能基于新发现的违法事实或者证据重新告知",
                        f"notified {describe_en(penalties_of(notice))}, now {describe_en(penalties_of(ctx.payload))}, "
                        "after the party's defence; a heavier penalty needs a new notice on new facts or evidence")
    return None


def passed_reviews(ctx: GuardContext, case_id: str) -> list[CaseView]:
    """Passed reviews of the case, not concluded before the day of its last notice: a review that passed an
    earlier intended penalty did not review the one now notified (处罚法第五十八条)."""
    notified = (ctx.data.get("notice") or {}).get("recorded_on", "") if case_id == ctx.case_id else ""
    return [c for c in ctx.linked_cases(REVIEW_PROCEDURE, "submission.enforcement_case", case_id)
            if c.state == "passed" and (c.data.get("conclusion") or {}).get("recorded_on", "") >= notified]


@guard("legal_review_passed_if_major", article=f"{PENALTY_LAW}第五十八条",
       zh="重大执法决定未经法制审核或者审核未通过的，不得作出决定",
       en="A major enforcement decision may not be made without a passed legal review")
def legal_review_passed_if_major(ctx: GuardContext) -> Fail | None:
    """Major as `is_major` says at the decision: computed again from the decision about to be made, so a case
    that became major after its assessment (a hearing held, a larger amount) needs its review too."""
    finding = major_finding(ctx.data, ctx.settings, ctx.procedure, ctx.payload)
    if finding.unset and not finding.major:
        return _unset(finding.unset[0])
    major = True if finding.major else assessed_major(ctx.data)
    if major is None:
        return Fail("尚未认定本案是否属于重大执法决定", "nobody assessed whether the decision is major")
    if not major or passed_reviews(ctx, ctx.case_id):
        return None
    linked = ctx.linked_cases(REVIEW_PROCEDURE, "submission.enforcement_case", ctx.case_id)
    status = "、".join(f"{c.id}（{c.state_label}）" for c in linked) or "尚未提请"
    status_en = ", ".join(f"{c.id} ({c.state})" for c in linked) or "none submitted"
    if linked and any(c.state == "passed" for c in linked):
        status += "，通过的审核早于最后一次告知"
        status_en += ", the passed review precedes the last notice"
    why = f"（{_grounds_zh(finding)}）" if finding.major else ""
    why_en = f" ({_grounds_en(finding)})" if finding.major else ""
    return Fail(f"本案属于重大执法决定，法制审核：{status}{why}", f"major decision; legal review: {status_en}{why_en}")


@guard("collective_discussion_if_major", article=f"{PENALTY_LAW}第五十七条第二款",
       zh="对情节复杂或者重大违法行为给予行政处罚，行政机关负责人应当集体讨论决定",
       en="Complex or major cases are decided collectively by the agency heads")
def collective_discussion_if_major(ctx: GuardContext) -> Fail | None:
    major = is_major(ctx.data, ctx.settings, ctx.procedure, ctx.payload)
    return Fail() if major and not ctx.data.get("collective_discussion") else None


@guard("electronic_service_consented", article=f"{PENALTY_LAW}第六十一条第二款",
       zh="电子送达须经当事人同意并签订确认书",
       en="Electronic service needs the party's consent and a signed confirmation")
def electronic_service_consented(ctx: GuardContext) -> Fail | None:
    if ctx.payload["method"] == "electronic" and not ctx.payload.get("electronic_consent"):
        return Fail()
    return None


@guard("public_notice_deemed_served", article=f"{PENALTY_LAW}第六十一条；{CIVIL_PROCEDURE_LAW}第九十五条",
       zh="公告送达的，自发出公告之日起经过三十日即视为送达，送达日期为该日",
       en="Served by public notice, the party is deemed served thirty days after the notice: that day is the date of service")
def public_notice_deemed_served(ctx: GuardContext) -> Fail | None:
    if ctx.payload["method"] != "public_notice":
        return None
    notice = ctx.data.get("service_notice")
    if not notice:
        return Fail("本案尚未发出送达公告（须先记录公告送达的原因、经过和公告日期）",
                    "no notice of service has been published in this case (record its reason, process and date first)")
    published = as_date(notice["notice_on"])
    deemed = published + timedelta(days=PUBLIC_NOTICE_DAYS)
    if ctx.today < deemed:
        return Fail(f"公告于{published}发出，至{deemed}方视为送达，公告期间尚未届满",
                    f"the notice was published on {published}; the party is deemed served only on {deemed}")
    served = as_date(ctx.payload["served_on"])
    if served != deemed:
        return Fail(f"公告于{published}发出，经过三十日即{deemed}视为送达，送达日期应为{deemed}，而非{served}",
                    f"the notice was published on {published}: deemed served on {deemed}, not {served}")
    return None


# ---------------------------------------------------------------- publicity of the decision (art 48, 118号)
# Lateness is never a refusal: a late publication or withdrawal is still owed, so it is recorded as late
# (the engine notes each ended limit's due date and whether it was met, see workflow/engine/timeliness.py).


@guard("publicity_not_yet_settled", article=f"{PENALTY_LAW}第四十八条第一款",
       zh="本案处罚决定是否公开已有记录，不能重复办理",
       en="Whether this decision is published is already on record")
def publicity_not_yet_settled(ctx: GuardContext) -> Fail | None:
    published = ctx.data.get("publication")
    if published:
        return Fail(f"本案处罚决定已于{published['published_on']}公开", f"published on {published['published_on']}")
    if ctx.data.get("publication_waiver"):
        return Fail("本案已记录不予公开的理由", "the reason for not publishing is already on record")
    return None


@guard("decision_published", article=f"{PENALTY_LAW}第四十八条第二款",
       zh="只有已公开且尚未撤回的处罚决定才需要撤回",
       en="Only a published decision not yet withdrawn can be withdrawn")
def decision_published(ctx: GuardContext) -> Fail | None:
    if not ctx.data.get("publication"):
        return Fail("本案处罚决定未公开", "the decision was not published")
    if ctx.data.get("withdrawal"):
        return Fail("本案公开的处罚决定已撤回", "the published decision is already withdrawn")
    return None


@guard("withdrawal_ground_recorded", article=f"{PENALTY_LAW}第四十八条第二款",
       zh="撤回公开的处罚决定，应当先登记决定被变更、撤销、确认违法或者确认无效的事由",
       en="Withdrawing needs the recorded ground: the decision changed, revoked, confirmed unlawful or void")
def withdrawal_ground_recorded(ctx: GuardContext) -> Fail | None:
    if ctx.data.get("withdrawal"):
        return Fail("本案公开的处罚决定已撤回", "the published decision is already withdrawn")
    return None if ctx.data.get("withdrawal_ground") else Fail()


# ---------------------------------------------------------------- the legal review (art 58, 118号)


@guard("enforcement_case_awaits_review", article=f"{PENALTY_LAW}第五十八条第一款",
       zh="只能对已告知当事人、尚未作出决定且已认定为重大执法决定的行政处罚案件提请法制审核",
       en="Only a major enforcement case that is notified and not yet decided can be submitted for review")
def enforcement_case_awaits_review(ctx: GuardContext) -> Fail | None:
    number = ctx.payload["enforcement_case"]
    case = ctx.case_view(number)
    if case is None or case.procedure != ENFORCEMENT_PROCEDURE:
        return Fail(f"本单位没有行政处罚案件「{number}」", f"no enforcement case {number!r} in this organisation")
    if case.state != "notified":
        return Fail(f"案件「{number}」处于「{case.state_label}」阶段", f"case {number} is in state {case.state}")
    if not is_major(case.data, ctx.settings, ctx.procedure_of(case.procedure, case.version)):
        return Fail(f"案件「{number}」未认定为重大执法决定", f"case {number} is not assessed as major")
    return None


def _review_target(ctx: GuardContext) -> CaseView | None:
    return ctx.case_view((ctx.data.get("submission") or {}).get("enforcement_case", ""))


@guard("first_time_reviewer_qualified", article=f"{PENALTY_LAW}第五十八条第二款",
       zh="初次从事行政处罚决定法制审核的人员，应当通过国家统一法律职业资格考试取得法律职业资格",
       en="A first-time legal reviewer of penalty decisions must hold the national legal professional qualification")
def first_time_reviewer_qualified(ctx: GuardContext) -> Fail | None:
    if any(c.kind == LEGAL_QUALIFICATION for c in ctx.certificates_of(ctx.actor)):
        return None
    # Someone who has concluded a review here before is not a first-time reviewer.
    if ctx.linked_cases(REVIEW_PROCEDURE, "conclusion.recorded_by", ctx.actor):
        return None
    return Fail(f"{ctx.name_of(ctx.actor)}未登记法律职业资格，且此前未从事过法制审核",
                f"{ctx.actor} has no recorded legal qualification and no earlier review")


@guard("actor_is_assigned_reviewer", article=f"{PENALTY_LAW}第五十八条",
       zh="只有受理本次审核的法制审核人员可以办理", en="Only the reviewer who took up this review may act on it")
def actor_is_assigned_reviewer(ctx: GuardContext) -> Fail | None:
    reviewer = (ctx.data.get("reviewer") or {}).get("recorded_by")
    return None if reviewer == ctx.actor else Fail(
        f"本次审核由{ctx.name_of(reviewer or '')}受理", f"the review was taken up by {reviewer}")


def _latest_findings(data: Mapping[str, Any]) -> dict[str, str]:
    """The last finding per checklist item since the review was last taken up (an earlier round's do not count)."""
    since = (data.get("reviewer") or {}).get("event_seq", 0)
    return {f["item"]: f["finding"] for f in data.get("findings", []) if f["event_seq"] > since}


@guard("checklist_complete_without_problems", article=f"{GUIDELINE_118}；{PENALTY_LAW}第五十八条",
       zh="审核通过前，每一审核事项均应登记意见且均符合要求",
       en="Before passing, every checklist item needs a finding and all must be compliant")
def checklist_complete_without_problems(ctx: GuardContext) -> Fail | None:
    findings = _latest_findings(ctx.data)
    missing = [i for i in CHECKLIST if i not in findings]
    problems = [i for i in CHECKLIST if findings.get(i) == "problem"]
    zh, en = [], []
    if missing:
        zh.append(f"尚未审核{len(missing)}项：{'、'.join(CHECKLIST[i] for i in missing)}")
        en.append(f"no finding yet: {', '.join(missing)}")
    if problems:
        zh.append(f"存在问题：{'、'.join(CHECKLIST[i] for i in problems)}")
        en.append(f"problems: {', '.join(problems)}")
    return Fail("；".join(zh), "; ".join(en)) if zh else None


@guard("problem_recorded", article=f"{PENALTY_LAW}第五十八条；{GUIDELINE_118}",
       zh="审核不通过应当以登记的具体问题为依据",
       en="A review fails on the problems recorded in its findings")
def problem_recorded(ctx: GuardContext) -> Fail | None:
    return None if "problem" in _latest_findings(ctx.data).values() else Fail()


# ---------------------------------------------------------------- compulsory measures (行政强制法)

@guard("compulsory_measure_conditions", article=f"{COMPULSION_LAW}第十八条",
       zh="实施行政强制措施须经行政机关负责人批准，由两名以上执法人员实施，通知当事人到场并制作现场笔录",
       en="A compulsory measure needs the head's prior approval, two or more officers, the party called to attend "
          "and an on-site record")
def compulsory_measure_conditions(ctx: GuardContext) -> Fail | None:
    p = ctx.payload
    missing = []
    if not p.get("head_approved"):
        missing.append(("未经行政机关负责人批准", "no prior approval by the agency head"))
    officers = [o for o in p.get("officers_present", []) if o in acting_officers(ctx.data)]
    if len(set(officers)) < 2:
        missing.append(("在场的本案执法人员少于两名", "fewer than two of the case's officers present"))
    if not p.get("party_notified"):
        missing.append(("未通知当事人到场", "the party was not called to attend"))
    if not p.get("on_site_record"):
        missing.append(("未制作现场笔录", "no on-site record"))
    if missing:
        return Fail("；".join(m[0] for m in missing), "; ".join(m[1] for m in missing))
    return None


@guard("seizure_within_30_days", article=f"{COMPULSION_LAW}第二十五条",
       zh="查封、扣押的期限不得超过三十日", en="A seizure may last no more than 30 days")
def seizure_within_30_days(ctx: GuardContext) -> Fail | None:
    start, until = as_date(ctx.payload["carried_out_on"]), as_date(ctx.payload["until"])
    if until < start:
        return Fail("期限届满日早于实施日", "the end is before the day it was carried out")
    if (until - start).days > SEIZURE_DAYS:
        return Fail(f"自{start.isoformat()}至{until.isoformat()}共{(until - start).days}日",
                    f"{(until - start).days} days from {start.isoformat()} to {until.isoformat()}")
    return None


# ---------------------------------------------------------------- whole-process records (处罚法第四十七条)


@guard("record_details_complete", article=f"{PENALTY_LAW}第四十七条；{GUIDELINE_118}（执法全过程记录制度）",
       zh="音像记录须为音视频格式并载明时长、记录设备和记录人；文字记录须为文书格式",
       en="An audio-video record must be an audio or video file with its duration, device and who recorded it; "
          "a text record must be a document")
def record_details_complete(ctx: GuardContext) -> Fail | None:
    p = ctx.payload
    fmt = FORMATS[p["format"]]
    if fmt.kind != p["kind"]:
        kind_zh = "音像记录" if p["kind"] == "av" else "文字记录"
        return Fail(f"{kind_zh}不能是{fmt.label}格式", f"a {p['kind']} record cannot be {fmt.name}")
    if p["kind"] != "av":
        return None
    missing = [(zh, en) for name, zh, en in (
        ("duration_seconds", "时长", "duration"), ("device", "记录设备", "device"),
        ("recorder", "记录人", "who recorded it")) if p.get(name) in (None, "")]
    if missing:
        return Fail("未填写" + "、".join(m[0] for m in missing), "missing " + ", ".join(m[1] for m in missing))
    roles = ctx.roles_of(p["recorder"])
    if roles is None or OFFICER not in roles:
        return Fail(f"记录人「{ctx.name_of(p['recorder'])}」不是本单位执法人员",
                    f"{p['recorder']!r} is not an enforcement officer of this organisation")
    return None


# ---------------------------------------------------------------- what was notified bounds the decision (arts 44, 62)


@guard("decision_within_last_notice", article=f"{PENALTY_LAW}第四十四条、第六十二条",
       zh="处罚决定不得超出最后一次告知的处罚：金额更大、种类更重或者增加、改换未告知的处罚种类的，应当重新告知",
       en="The decision may not exceed the last notice (a larger amount, a heavier kind, or a kind never notified): "
          "notify the intended penalty again first", needs=("severity",))
def decision_within_last_notice(ctx: GuardContext) -> Fail | None:
    """Whether or not the party made a statement: the party answered the last notice, and a penalty it was not
    told of is a decision without notice (第六十二条). Equal amounts are within it; a cent more is not."""
    notice = ctx.data.get("notice")
    if not notice:
        return Fail("本案没有告知记录", "the case has no notice on record")
    order, notified = _kind_order(ctx), penalties_of(notice)
    found = excess(penalties_of(ctx.payload), notified, order)
    if not found:
        return None
    zh, en = [], []
    for e in found:
        name = PENALTY_ZH.get(e.decided.kind, e.decided.kind)
        if e.notified is not None:
            zh.append(f"{name}{e.decided.amount}元超过告知的{e.notified.amount or 0}元")
            en.append(f"{e.decided.kind} {e.decided.amount} exceeds the notified {e.notified.amount or 0}")
        elif any(order.lighter(e.decided.kind, n.kind) for n in notified):  # lighter, but on top of them
            zh.append(f"增加了未经告知的处罚种类{name}")
            en.append(f"{e.decided.kind} was not notified and is added to the notified penalties")
        else:
            zh.append(f"{name}未经告知，且不轻于告知的任何一种处罚")
            en.append(f"{e.decided.kind} was not notified and is lighter than no notified kind")
    return Fail(f"最后一次告知（{notice.get('notified_on', '')}）的处罚为{_said(notice)}，拟决定为{_said(ctx.payload)}："
                + "；".join(zh),
                f"last notice ({notice.get('notified_on', '')}): {describe_en(penalties_of(notice))}; decision: "
                f"{describe_en(penalties_of(ctx.payload))}: " + "; ".join(en))


# ---------------------------------------------------------------- "major" as the catalogue makes it (art 58)


@guard("assessment_not_below_catalogue", article=f"{PENALTY_LAW}第五十八条第一款；{GUIDELINE_118}",
       zh="本单位法制审核目录清单列明的重大执法决定，不得认定为非重大",
       en="A case the organisation's review catalogue makes major may not be assessed as not major")
def assessment_not_below_catalogue(ctx: GuardContext) -> Fail | None:
    """An officer may find a case major that the catalogue does not, never the reverse. Judged on the last
    notice and a hearing held; the decision is judged again when it is made (legal_review_passed_if_major)."""
    if assessed_major({"major_assessment": ctx.payload}):
        return None
    finding = major_finding(ctx.data, ctx.settings, ctx.procedure)
    if finding.major:
        return Fail(f"本案{_grounds_zh(finding)}，属于重大执法决定", f"the case meets {_grounds_en(finding)}")
    if finding.unset:
        return _unset(finding.unset[0])
    return None
