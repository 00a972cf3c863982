"""The legal rules of a request for government information (《政府信息公开条例》2019, legal-facts-2 §3), one
function per rule, each citing its article. A guard reads its GuardContext only and never writes."""

from __future__ import annotations

from datetime import date

from workflow.guards import Fail, GuardContext, GuardTable, as_date
from workflow.procedures.information_request import fees
from workflow.procedures.information_request.clock import answer_clock
from workflow.procedures.information_request.law import (
    CORRECTION_NOTICE_DAYS,
    FEE_MEASURES,
    FEE_TIME_PAUSES_CLOCK,
    MAX_EXTENSION_DAYS,
    OGI,
    PROCEDURE,
    RECEIPT_DAY_FIELD,
)

GUARDS = GuardTable("information_request")

CHANNEL_ZH = {"in_person": "当面提交", "oral_transcribed": "口头提出", "registered_mail": "需签收的邮寄",
              "ordinary_mail": "平常信函", "online": "网上申请", "fax": "传真"}
FIELD_ZH = {"submitted_on": "当面提交之日", "signed_for_on": "签收邮件之日", "confirmed_on": "与申请人确认之日",
            "arrived_on": "平常信函送达之日"}


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@GUARDS.guard("receipt_day_per_channel", article=f"{OGI}第三十一条",
              zh="收到申请之日依申请方式确定：当面提交的为提交之日，需签收的邮寄为签收之日，平常信函为当日确认之日，"
                 "网上或传真为双方确认之日",
              en="The day of receipt follows from the channel: submission in person, the day mail was signed for, "
                 "the same-day confirmation of ordinary mail, the day both sides confirmed an online or fax request")
def receipt_day_per_channel(ctx: GuardContext) -> Fail | None:
    channel = str((ctx.data.get("request") or {}).get("channel", ""))
    field = RECEIPT_DAY_FIELD.get(channel)
    if field is None:
        return Fail(f"申请方式「{channel}」未知", f"unknown channel {channel!r}")
    given = ctx.payload.get(field)
    if _blank(given):
        return Fail(f"{CHANNEL_ZH[channel]}的申请须填写「{FIELD_ZH[field]}」",
                    f"a request by {channel} needs the field {field}")
    day = as_date(given)
    if channel == "ordinary_mail":
        arrived = ctx.payload.get("arrived_on")
        if _blank(arrived):
            return Fail("平常信函须填写送达之日", "ordinary mail needs the day it arrived")
        if as_date(arrived) != day:
            return Fail(f"平常信函应当在送达当日（{as_date(arrived).isoformat()}）与申请人确认，确认之日为{day.isoformat()}",
                        f"ordinary mail must be confirmed the day it arrived ({as_date(arrived).isoformat()}), "
                        f"not {day.isoformat()}")
    received = as_date(ctx.payload["received_on"])
    if received != day:
        return Fail(f"{CHANNEL_ZH[channel]}的申请，收到申请之日应为{FIELD_ZH[field]}{day.isoformat()}，而填写的是"
                    f"{received.isoformat()}",
                    f"for a request by {channel} the day of receipt is {field} {day.isoformat()}, "
                    f"not {received.isoformat()}")
    return None


@GUARDS.guard("correction_notice_once", article=f"{OGI}第三十条",
              zh="补正应当一次性告知，不得再次要求补正",
              en="A correction is asked for once; it may not be asked for again")
def correction_notice_once(ctx: GuardContext) -> Fail | None:
    earlier = ctx.data.get("correction_notice")
    if earlier:
        return Fail(f"已于{earlier.get('notified_on')}告知补正", f"a correction was asked for on {earlier.get('notified_on')}")
    return None


@GUARDS.guard("correction_notice_in_time", article=f"{OGI}第三十条",
              zh=f"补正告知应当自收到申请之日起{CORRECTION_NOTICE_DAYS}个工作日内作出",
              en=f"The correction notice is due within {CORRECTION_NOTICE_DAYS} working days of receipt")
def correction_notice_in_time(ctx: GuardContext) -> Fail | None:
    received = as_date(ctx.data["receipt"]["received_on"])
    last = ctx.calendar.add_working_days(received, CORRECTION_NOTICE_DAYS).date
    notified = as_date(ctx.payload["notified_on"])
    if notified > last:
        return Fail(f"收到申请之日为{received.isoformat()}，告知期限至{last.isoformat()}，告知之日为{notified.isoformat()}",
                    f"received {received.isoformat()}, notice due by {last.isoformat()}, given {notified.isoformat()}")
    return None


@GUARDS.guard("correction_period_reasonable", article=f"{OGI}第三十条",
              zh="告知补正应当给出合理的补正期限（晚于告知之日）",
              en="The correction notice gives a reasonable period, ending after the day of the notice")
def correction_period_reasonable(ctx: GuardContext) -> Fail | None:
    notified, due = as_date(ctx.payload["notified_on"]), as_date(ctx.payload["correction_due"])
    if due <= notified:
        return Fail(f"补正期限{due.isoformat()}不晚于告知之日{notified.isoformat()}",
                    f"the period ends {due.isoformat()}, not after the notice of {notified.isoformat()}")
    return None


@GUARDS.guard("correction_in_time_or_justified", article=f"{OGI}第三十条",
              zh="申请人无正当理由逾期不补正的，视为放弃申请；逾期收到的补正须载明正当理由",
              en="A correction after its period counts only with a good reason; otherwise the request is abandoned")
def correction_in_time_or_justified(ctx: GuardContext) -> Fail | None:
    due = as_date(ctx.data["correction_notice"]["correction_due"])
    received = as_date(ctx.payload["received_on"])
    if received > due and _blank(ctx.payload.get("late_reason")):
        return Fail(f"补正期限至{due.isoformat()}，{received.isoformat()}才收到，未载明正当理由",
                    f"the period ended {due.isoformat()}, received {received.isoformat()}, no reason given")
    return None


@GUARDS.guard("third_party_objection_reasons", article=f"{OGI}第三十二条",
              zh="第三方不同意公开的，应当载明其理由及本机关对理由是否合理的判断",
              en="An objection of the third party is recorded with its reasons and the agency's assessment")
def third_party_objection_reasons(ctx: GuardContext) -> Fail | None:
    if ctx.payload["view"] != "agree" and _blank(ctx.payload.get("reasons")):
        return Fail("未填写理由", "no reasons given")
    return None


@GUARDS.guard("extension_at_most_20_working_days", article=f"{OGI}第三十三条第二款",
              zh=f"延长答复期限最长不得超过{MAX_EXTENSION_DAYS}个工作日",
              en=f"An extension adds at most {MAX_EXTENSION_DAYS} working days")
def extension_at_most_20_working_days(ctx: GuardContext) -> Fail | None:
    days = int(ctx.payload["days"])
    if days > MAX_EXTENSION_DAYS:
        return Fail(f"拟延长{days}个工作日", f"{days} working days asked")
    return None


@GUARDS.guard("extension_once", article=f"{OGI}第三十三条第二款",
              zh="答复期限只能延长一次", en="The answer period is extended once only")
def extension_once(ctx: GuardContext) -> Fail | None:
    earlier = ctx.data.get("extension")
    if earlier:
        return Fail(f"已于{earlier.get('recorded_on')}延长{earlier.get('days')}个工作日",
                    f"already extended by {earlier.get('days')} working days on {earlier.get('recorded_on')}")
    return None


def _due(ctx: GuardContext) -> date:
    clock = answer_clock(ctx.data, ctx.calendar, ctx.today, bool(ctx.settings.get(FEE_TIME_PAUSES_CLOCK)))
    assert clock is not None  # processing: the receipt is confirmed
    return clock.due


@GUARDS.guard("extension_notified_before_due", article=f"{OGI}第三十三条第二款",
              zh="延长答复期限应当在原答复期限届满前告知申请人",
              en="The applicant is told of the extension before the original period ends")
def extension_notified_before_due(ctx: GuardContext) -> Fail | None:
    due, told = _due(ctx), as_date(ctx.payload["applicant_notified_on"])
    if told > due:
        return Fail(f"答复期限至{due.isoformat()}，告知申请人之日为{told.isoformat()}",
                    f"the period ended {due.isoformat()}, the applicant was told {told.isoformat()}")
    return None


@GUARDS.guard("later_deadline_after_due", article=f"{OGI}第三十五条",
              zh="申请数量、频次明显超过合理范围但理由合理的，可以确定延迟答复的合理期限，该期限应当晚于法定答复期限，"
                 "并在法定答复期限届满前告知申请人",
              en="A later deadline for an excessive but reasoned request lies after the statutory one and is told "
                 "to the applicant before that ends")
def later_deadline_after_due(ctx: GuardContext) -> Fail | None:
    due = _due(ctx)
    later, told = as_date(ctx.payload["later_due"]), as_date(ctx.payload["applicant_notified_on"])
    if later <= due:
        return Fail(f"延迟答复期限{later.isoformat()}不晚于法定答复期限{due.isoformat()}",
                    f"the later deadline {later.isoformat()} is not after {due.isoformat()}")
    if told > due:
        return Fail(f"答复期限至{due.isoformat()}，告知申请人之日为{told.isoformat()}",
                    f"the period ended {due.isoformat()}, the applicant was told {told.isoformat()}")
    return None


def _nth_request_of_month(ctx: GuardContext) -> int:
    """Which request of its calendar month this is for the applicant (by the day of receipt, then case number)."""
    request = ctx.data["request"]
    received = as_date(ctx.data["receipt"]["received_on"])
    same: list[tuple[date, str]] = []
    for case in ctx.linked_cases(PROCEDURE, "request.applicant", str(request["applicant"])):
        receipt = case.data.get("receipt")
        if not receipt:
            continue
        day = as_date(receipt["received_on"])
        if (day.year, day.month) == (received.year, received.month):
            same.append((day, case.id))
    same.sort()
    return 1 + next((i for i, (_, cid) in enumerate(same) if cid == ctx.case_id), len(same))


@GUARDS.guard("fee_per_national_tariff", article=f"{OGI}第四十二条；{FEE_MEASURES}第四条、第五条",
              zh="依申请提供政府信息原则上不收费；数量、频次明显超过合理范围的，按国家收费标准按件或按量计收信息处理费",
              en="Information is provided free; a fee is charged only beyond the national tariff's thresholds, "
                 "per request or per volume, at its amounts")
def fee_per_national_tariff(ctx: GuardContext) -> Fail | None:
    method, amount = ctx.payload["method"], int(ctx.payload["amount"])
    try:
        if method == "per_volume":
            pages = ctx.payload.get("pages")
            if pages is None:
                return Fail("按量计收须填写页数", "a fee per volume needs the number of pages")
            due, what = fees.per_volume(int(pages), ctx.settings), f"{pages}页"
            what_en = f"{pages} pages"
        else:
            n = _nth_request_of_month(ctx)
            due, what, what_en = fees.per_request(n, ctx.settings), f"本月第{n}件申请", f"request no. {n} this month"
    except fees.TariffUnset as unset:
        return Fail(f"本单位尚未设置收费标准（设置项 {unset.key}，须注明依据）",
                    f"the organisation has not set the tariff (setting {unset.key}, with its source)")
    if due == 0:
        return Fail(f"{what}未超过免费范围，不收费", f"{what_en} is within the free allowance: no fee")
    if amount != due:
        return Fail(f"{what}应收{due}元，通知金额为{amount}元", f"{what_en} costs {due} yuan, not {amount}")
    return None


@GUARDS.guard("disclosure_says_where_and_how", article=f"{OGI}第三十六条第一项、第二项",
              zh="已主动公开的，应当告知获取的方式和途径；予以公开的，应当提供或者告知获取的方式、途径和时间",
              en="An answer that discloses says how, where and when to obtain the information")
def disclosure_says_where_and_how(ctx: GuardContext) -> Fail | None:
    if ctx.payload["answer_type"] in ("proactively_disclosed", "disclosed", "partly_disclosed") \
            and _blank(ctx.payload.get("where_to_obtain")):
        return Fail("未填写获取信息的方式、途径和时间", "how, where and when to obtain it is missing")
    return None


@GUARDS.guard("refusal_states_ground_and_reasons", article=f"{OGI}第三十六条第三项；《中华人民共和国行政复议法》第二十三条",
              zh="决定不予公开的，应当告知申请人不予公开并说明理由（载明理由类别及具体理由）",
              en="A refusal states its ground and the reasons")
def refusal_states_ground_and_reasons(ctx: GuardContext) -> Fail | None:
    if ctx.payload["answer_type"] != "refused":
        return None
    missing = [(key, zh) for key, zh in (("refusal_ground", "不予公开的理由类别"), ("reasons", "理由"))
               if _blank(ctx.payload.get(key))]
    if missing:
        return Fail("未填写" + "、".join(zh for _, zh in missing), "missing: " + ", ".join(key for key, _ in missing))
    return None


@GUARDS.guard("partial_disclosure_states_reasons", article=f"{OGI}第三十七条",
              zh="部分公开的，应当向申请人提供可以公开的部分，并对不予公开的部分说明理由",
              en="A partial disclosure gives the reasons for the part withheld")
def partial_disclosure_states_reasons(ctx: GuardContext) -> Fail | None:
    if ctx.payload["answer_type"] == "partly_disclosed" and _blank(ctx.payload.get("reasons")):
        return Fail("未说明不予公开部分的理由", "no reasons for the part withheld")
    return None


@GUARDS.guard("referral_names_the_agency", article=f"{OGI}第三十六条第五项",
              zh="所申请信息不属于本机关负责公开的，应当说明理由；能够确定负责公开该信息的机关的，告知其名称、联系方式",
              en="An answer that the information is not this agency's gives the reasons and names the agency responsible")
def referral_names_the_agency(ctx: GuardContext) -> Fail | None:
    if ctx.payload["answer_type"] != "not_this_agency":
        return None
    if _blank(ctx.payload.get("reasons")):
        return Fail("未说明理由", "no reasons given")
    if _blank(ctx.payload.get("responsible_agency")):
        return Fail("未告知负责公开该信息的机关（不能确定的，应载明）", "the responsible agency is not named")
    return None


@GUARDS.guard("third_party_objection_respected", article=f"{OGI}第三十二条",
              zh="第三方不同意公开且有合理理由的，不予公开；认为不公开可能对公共利益造成重大影响而予以公开的，应当载明理由，"
                 "并将决定公开的内容和理由书面告知第三方",
              en="A reasoned objection of the third party blocks disclosure, unless the public interest overrides "
                 "it: then the reasons are stated and the third party is told in writing")
def third_party_objection_respected(ctx: GuardContext) -> Fail | None:
    if ctx.payload["answer_type"] not in ("disclosed", "partly_disclosed"):
        return None
    views = [v for v in ctx.data.get("third_party_views") or [] if v.get("view")]
    if not views or views[-1]["view"] != "object_reasoned":
        return None
    missing = []
    if _blank(ctx.payload.get("public_interest")):
        missing.append(("不公开会对公共利益造成重大影响的理由", "the overriding public interest"))
    if _blank(ctx.payload.get("third_party_told_on")):
        missing.append(("书面告知第三方之日", "the day the third party was told in writing"))
    if missing:
        return Fail("第三方已提出合理的反对理由；未填写" + "、".join(m[0] for m in missing),
                    "the third party objected with good reasons; missing: " + ", ".join(m[1] for m in missing))
    return None


# ---------------------------------------------------------------- reconsideration and litigation (条例第五十条第（三）项)

REPORT_FORMAT = "《中华人民共和国政府信息公开工作年度报告格式》（国办公开办函〔2021〕30号）第四部分"


def _remedy(ctx: GuardContext, no: int) -> dict[str, object] | None:
    return next((r for r in ctx.data.get("remedies") or [] if r.get("no") == no), None)


@GUARDS.guard("remedy_still_pending", article=REPORT_FORMAT,
              zh="只能为已登记且尚未审结的行政复议或行政诉讼登记结果；已审结的结果不得改写",
              en="A result is recorded only for a recorded reconsideration or lawsuit still pending; a decided one "
                 "is not rewritten")
def remedy_still_pending(ctx: GuardContext) -> Fail | None:
    no = int(ctx.payload["remedy_no"])
    remedy = _remedy(ctx, no)
    if remedy is None:
        return Fail(f"第{no}项行政复议或行政诉讼未登记", f"no reconsideration or lawsuit no. {no} is recorded")
    if remedy.get("outcome") != "pending":
        return Fail(f"第{no}项已于{remedy.get('decided_on')}审结", f"no. {no} was decided on {remedy.get('decided_on')}")
    return None


@GUARDS.guard("remedy_outcome_dated", article=REPORT_FORMAT,
              zh="已审结的应当载明作出决定或裁判之日，且不早于申请复议或起诉之日；尚未审结的不填该日期",
              en="A decided result states the day of the decision, not before the day it was filed; a pending one "
                 "has no such day")
def remedy_outcome_dated(ctx: GuardContext) -> Fail | None:
    outcome, decided = ctx.payload["outcome"], ctx.payload.get("decided_on")
    if outcome == "pending":
        return Fail("尚未审结，却填写了作出决定或裁判之日", "pending, yet a day of decision is given") if decided else None
    if not decided:
        return Fail("已审结，未填写作出决定或裁判之日", "decided, but the day of the decision is missing")
    remedy = _remedy(ctx, int(ctx.payload["remedy_no"])) if "remedy_no" in ctx.payload else ctx.payload
    filed = (remedy or {}).get("filed_on")
    if filed and as_date(decided) < as_date(filed):
        return Fail(f"作出决定或裁判之日{as_date(decided).isoformat()}早于申请复议或起诉之日{as_date(filed).isoformat()}",
                    f"decided {as_date(decided).isoformat()}, before it was filed on {as_date(filed).isoformat()}")
    return None


@GUARDS.guard("litigation_after_reconsideration_follows_one", article="《中华人民共和国行政诉讼法》第四十五条",
              zh="复议后起诉的，该申请应当已登记行政复议并已作出复议决定",
              en="A lawsuit after reconsideration needs a recorded, decided reconsideration of the request")
def litigation_after_reconsideration_follows_one(ctx: GuardContext) -> Fail | None:
    if ctx.payload["kind"] != "litigation_after_reconsideration":
        return None
    decided = [r for r in ctx.data.get("remedies") or []
               if r.get("kind") == "reconsideration" and r.get("outcome") != "pending"]
    if not decided:
        return Fail("本申请未登记已作出决定的行政复议", "no decided reconsideration is recorded on this request")
    return None
