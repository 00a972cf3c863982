"""Guards of the major administrative decision (重大行政决策程序): one function per rule, each citing its article.

Articles: 条例 = 《重大行政决策程序暂行条例》(国务院令第713号). A town applies it by reference (art 42).
The framework (GuardContext, Fail, ...) is workflow/guards.py; this family's legal constants are in law.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workflow.guards import Fail, GuardContext, GuardTable, as_date
from workflow.procedures.major_decision.discussion import majority
from workflow.procedures.major_decision.law import FORUM_SETTING, QUORUM_SETTING, REG713

if TYPE_CHECKING:
    from workflow.definitions import RollCallSpec

GUARDS = GuardTable("major_decision")
guard = GUARDS.guard


# ---------------------------------------------------------------- public participation (arts 14–18)


@guard("comment_period_lawful", article=f"{REG713}第十五条",
       zh="公开征求意见的期限一般不少于30日；因情况紧急等原因需要缩短的，应当在征求意见时予以说明",
       en="A public comment period is generally at least 30 days; a shorter one needs the urgency reason stated when it opens")
def comment_period_lawful(ctx: GuardContext) -> Fail | None:
    days = ctx.payload["period_days"]
    if days >= 30 or (ctx.payload.get("urgency_reason") or "").strip():
        return None
    return Fail(f"本次征求意见期限为{days}日，且未说明缩短理由", f"the period is {days} days and no urgency reason was given")


@guard("comment_period_open", article=f"{REG713}第十五条",
       zh="公开征求意见期限届满后，不再接收公众意见",
       en="Comments are received only until the public comment period ends")
def comment_period_open(ctx: GuardContext) -> Fail | None:
    """The period runs to the end (24:00 Beijing time) of its last day, as computed when the consultation opened
    (a last day falling on a holiday is moved to the next working day, 民法典第二百零三条)."""
    period = ctx.deadline("comment_period")
    if period is None or period.due is None:
        return Fail("本事项没有正在进行的公开征求意见", "no public comment period is running")
    if ctx.today > period.due:
        due = period.due.isoformat()
        return Fail(f"征求意见期限已于{due}届满", f"the period ended on {due}")
    return None


@guard("comment_exists", article=f"{REG713}第十八条",
       zh="只能对已登记的公众意见作出采纳决定", en="An adoption decision must refer to a recorded public comment")
def comment_exists(ctx: GuardContext) -> Fail | None:
    numbers = {c["no"] for c in ctx.data.get("comments", [])}
    no = ctx.payload["comment_no"]
    return None if no in numbers else Fail(f"第{no}条意见不存在", f"comment no. {no} does not exist")


@guard("hearing_materials_sent_7_days_before", article=f"{REG713}第十六条第二款",
       zh="听证材料应当于听证会召开7日前送达听证参加人",
       en="Hearing materials must reach the participants at least 7 days before the hearing")
def hearing_materials_sent_7_days_before(ctx: GuardContext) -> Fail | None:
    gap = (as_date(ctx.payload["hearing_date"]) - as_date(ctx.payload["materials_sent_on"])).days
    return None if gap >= 7 else Fail(f"材料送达距听证仅{gap}日", f"materials were sent only {gap} days before")


@guard("hearing_scheduled", article=f"{REG713}第十六条",
       zh="尚未安排听证会，不能登记听证情况", en="No hearing has been scheduled, so none can be recorded")
def hearing_scheduled(ctx: GuardContext) -> Fail | None:
    return None if ctx.data.get("hearing") else Fail()


@guard("hearing_record_signed", article=f"{REG713}第十七条",
       zh="听证笔录应当经听证参加人确认并签字", en="The hearing record must be confirmed and signed by the participants")
def hearing_record_signed(ctx: GuardContext) -> Fail | None:
    return None if ctx.payload["signed_by_participants"] else Fail()


@guard("hearing_held_as_scheduled", article=f"{REG713}第十六条、第十七条",
       zh="听证会应当按公告的日期举行，登记的举行日期不得早于安排的日期或晚于今日",
       en="The hearing is held on or after its announced date, and not in the future")
def hearing_held_as_scheduled(ctx: GuardContext) -> Fail | None:
    hearing = ctx.data.get("hearing")
    if not hearing:
        return None  # hearing_scheduled reports this
    held, scheduled = as_date(ctx.payload["held_on"]), as_date(hearing["hearing_date"])
    if held < scheduled:
        return Fail(f"安排于{scheduled.isoformat()}，登记为{held.isoformat()}举行",
                    f"scheduled for {scheduled.isoformat()}, recorded as held on {held.isoformat()}")
    if held > ctx.today:
        return Fail(f"举行日期{held.isoformat()}晚于今日", f"{held.isoformat()} is in the future")
    return None


@guard("scheduled_hearing_held", article=f"{REG713}第十六条、第十七条",
       zh="已安排的听证会尚未举行并登记笔录", en="A scheduled hearing has not yet been held and recorded")
def scheduled_hearing_held(ctx: GuardContext) -> Fail | None:
    if ctx.data.get("hearing") and not ctx.data.get("hearing_record"):
        return Fail()
    return None


@guard("all_comments_have_adoption_decision", article=f"{REG713}第十八条、第二十九条第一款第二项",
       zh="每条公众意见均应作出是否采纳的决定并说明理由",
       en="Every public comment needs an adoption decision with its reason")
def all_comments_have_adoption_decision(ctx: GuardContext) -> Fail | None:
    open_ = [c["no"] for c in ctx.data.get("comments", []) if not c.get("adoption")]
    if not open_:
        return None
    listed = "、".join(str(n) for n in open_)
    return Fail(f"第{listed}条意见尚未作出采纳决定", f"comments {', '.join(map(str, open_))} have no decision")


# ---------------------------------------------------------------- expert argumentation, risk (arts 19–24)


@guard("expert_report_signed", article=f"{REG713}第十九条",
       zh="专家、专业机构应当对其论证意见签字或者盖章", en="Experts must sign or seal their written opinion")
def expert_report_signed(ctx: GuardContext) -> Fail | None:
    return None if ctx.payload["report_signed"] else Fail()


@guard("experts_have_no_direct_interest", article=f"{REG713}第二十条",
       zh="不得选择与决策事项有直接利害关系的专家、专业机构",
       en="Experts with a direct interest in the matter may not be chosen")
def experts_have_no_direct_interest(ctx: GuardContext) -> Fail | None:
    return None if ctx.payload["no_direct_interest"] else Fail()


@guard("expert_argumentation_not_yet_done", article=f"{REG713}第十九条",
       zh="已组织专家论证并登记论证意见的，不能再改为说明无需论证",
       en="Once expert argumentation is recorded it cannot be replaced by a not-applicable statement")
def expert_argumentation_not_yet_done(ctx: GuardContext) -> Fail | None:
    done = (ctx.data.get("expert_argumentation") or {}).get("trigger") == "record_expert_argumentation"
    return Fail() if done else None


@guard("no_uncontrollable_risk_outstanding", article=f"{REG713}第二十四条",
       zh="风险评估认为风险不可控的，应当调整决策草案并重新评估，不能改为说明无需风险评估",
       en="After an assessment finds the risk uncontrollable, the draft must be adjusted and reassessed; "
          "the assessment cannot be waived instead")
def no_uncontrollable_risk_outstanding(ctx: GuardContext) -> Fail | None:
    risk = ctx.data.get("risk_assessment") or {}
    return Fail() if risk.get("conclusion") == "uncontrollable" else None


@guard("expert_argumentation_resolved", article=f"{REG713}第十九条",
       zh="专家论证尚未完成，也未说明不适用的理由",
       en="Expert argumentation is neither done nor marked not applicable with a justification")
def expert_argumentation_resolved(ctx: GuardContext) -> Fail | None:
    return None if ctx.data.get("expert_argumentation") else Fail()


@guard("risk_assessment_resolved", article=f"{REG713}第二十二条",
       zh="风险评估尚未完成，也未说明不适用的理由",
       en="Risk assessment is neither done nor marked not applicable with a justification")
def risk_assessment_resolved(ctx: GuardContext) -> Fail | None:
    return None if ctx.data.get("risk_assessment") else Fail()


@guard("risk_controllable", article=f"{REG713}第二十四条",
       zh="风险评估认为风险不可控的，应当调整决策草案、将风险控制在可控范围后方可提交",
       en="An uncontrollable risk blocks the decision until the draft is adjusted and the risk is controllable")
def risk_controllable(ctx: GuardContext) -> Fail | None:
    risk = ctx.data.get("risk_assessment") or {}
    return Fail() if risk.get("conclusion") == "uncontrollable" else None


@guard("reassessment_follows_adjustment", article=f"{REG713}第二十四条",
       zh="风险不可控的，应当先调整决策草案再重新评估",
       en="After an uncontrollable risk the draft must be adjusted before it is assessed again")
def reassessment_follows_adjustment(ctx: GuardContext) -> Fail | None:
    risk = ctx.data.get("risk_assessment") or {}
    if risk.get("conclusion") != "uncontrollable":
        return None
    adjusted_after = [a for a in ctx.data.get("adjustments", []) if a["event_seq"] > risk["event_seq"]]
    return None if adjusted_after else Fail()


# ---------------------------------------------------------------- legality review (arts 25–28)


@guard("review_time_at_least_7_working_days", article=f"{REG713}第二十六条第二款",
       zh="送请合法性审查，应当保证必要的审查时间，一般不少于7个工作日",
       en="A legality review must be given the necessary time, generally at least 7 working days")
def review_time_at_least_7_working_days(ctx: GuardContext) -> Fail | None:
    requested = as_date(ctx.payload["requested_by"])
    days, provisional = ctx.calendar.working_days_between(ctx.today, requested)
    if days >= 7:
        return None
    note = "（含尚无节假日安排的年份，按法定节假日推算，调休未知）" if provisional else ""
    return Fail(f"要求完成日期{requested.isoformat()}距今仅{days}个工作日{note}",
                f"{requested.isoformat()} leaves only {days} working days")


@guard("adviser_involved", article=f"{REG713}第二十八条",
       zh="合法性审查应当注重听取法律顾问、公职律师的意见，本次送审尚未登记其参与情况",
       en="The review must hear the legal adviser or government lawyer; their involvement in this "
          "submission is not recorded")
def adviser_involved(ctx: GuardContext) -> Fail | None:
    submitted = (ctx.data.get("legality_submission") or {}).get("event_seq", 0)
    heard = [o for o in ctx.data.get("adviser_opinions", []) if o["event_seq"] > submitted]
    return None if heard else Fail()


@guard("lawful_opinion_or_exploratory_reform", article=f"{REG713}第二十五条",
       zh="未经合法性审查或者经审查不合法的，不得提交讨论；改革探索事项应当明确提示法律风险",
       en="A draft without a 'lawful' opinion may not go to discussion, unless it is an exploratory reform "
          "with the legal risk stated")
def lawful_opinion_or_exploratory_reform(ctx: GuardContext) -> Fail | None:
    opinion = ctx.data.get("legality_opinion") or {}
    if opinion.get("conclusion") == "lawful":
        return None
    if ctx.payload.get("exploratory_reform") and (ctx.payload.get("legal_risk_statement") or "").strip():
        return None
    if not opinion:
        return Fail("尚无合法性审查意见", "there is no legality opinion")
    return Fail("合法性审查意见为不合法，且未按改革探索事项提示法律风险",
                "the opinion is 'unlawful' and no exploratory-reform legal risk is stated")


# ---------------------------------------------------------------- collective discussion (arts 29–31)

@guard("forum_matches_setting", article=f"{REG713}第三十条；《地方组织法》第六条、第七十七条",
       zh="集体讨论应当在本机关确定的会议形式上进行",
       en="The collective discussion must take place in the forum the organisation has set")
def forum_matches_setting(ctx: GuardContext) -> Fail | None:
    forum = ctx.settings.get(FORUM_SETTING)
    if not forum:
        return Fail(f"本单位尚未设置集体讨论会议形式（设置项 {FORUM_SETTING}）",
                    f"the organisation has not set its forum (setting {FORUM_SETTING})")
    given = ctx.payload["forum"]
    return None if given == forum else Fail(f"应为「{forum}」，而非「{given}」", f"expected {forum!r}, not {given!r}")


def roll_call(ctx: GuardContext) -> RollCallSpec | None:
    """The step's roll call in the definition: who the decision body is (its roles), which payload field lists
    those present and where the engine recorded the absent ones. Read from the definition, never restated
    here, so the rule and the attendance the engine records cannot drift apart."""
    transition = ctx.procedure.transition(ctx.trigger, ctx.state) if ctx.procedure else None
    return transition.roll_call if transition else None


def _no_roll_call(ctx: GuardContext) -> Fail:
    return Fail(f"程序定义中「{ctx.trigger}」步骤未声明决策机关组成人员（roll_call）",
                f"the definition declares no roll_call (the decision body) for the step {ctx.trigger!r}")


@guard("no_views_recorded_yet", article=f"{REG713}第三十条",
       zh="组成人员已发表意见的，不得重新召集会议另定出席人员（会议应当如实记录）",
       en="Once members have stated their views the meeting cannot be re-convened with other attendees")
def no_views_recorded_yet(ctx: GuardContext) -> Fail | None:
    return Fail() if ctx.data.get("member_views") else None


@guard("attendees_are_decision_members", article=f"{REG713}第三十条",
       zh="出席人员应为决策机关组成人员", en="Attendees must be members of the decision body",
       needs=("roll_call",))
def attendees_are_decision_members(ctx: GuardContext) -> Fail | None:
    spec = roll_call(ctx)
    if spec is None:
        return _no_roll_call(ctx)
    body = frozenset(spec.body)
    outsiders = [u for u in ctx.payload[spec.present] if not (ctx.roles_of(u) or frozenset()) & body]
    names = [ctx.name_of(u) for u in outsiders]
    return Fail(f"非组成人员：{'、'.join(names)}", f"not members: {', '.join(outsiders)}") if outsiders else None


@guard("quorum_present", article=f"{REG713}第三十条；本机关议事规则（法定人数）",
       zh="集体讨论应有本机关确定的法定人数的组成人员出席",
       en="The collective discussion needs the quorum of members the organisation has set",
       needs=("roll_call",))
def quorum_present(ctx: GuardContext) -> Fail | None:
    """More than `setting` per cent of the decision body's members present (the absent ones are those the
    engine recorded from the roll call). A quorum is what makes a meeting a collective discussion at all."""
    share = ctx.settings.get(QUORUM_SETTING)
    if not isinstance(share, int) or isinstance(share, bool):
        return Fail(f"本单位尚未设置集体讨论的法定人数（设置项 {QUORUM_SETTING}）",
                    f"the organisation has not set the quorum (setting {QUORUM_SETTING})")
    spec = roll_call(ctx)
    if spec is None:
        return _no_roll_call(ctx)
    body = frozenset(spec.body)
    present = [u for u in ctx.payload[spec.present] if (ctx.roles_of(u) or frozenset()) & body]
    members = len(present) + len(ctx.payload.get(spec.absent) or [])
    required = members * share // 100 + 1  # "more than share %": the smallest count above it
    if len(present) >= required:
        return None
    return Fail(f"组成人员{members}人，出席{len(present)}人，须超过{share}%即至少{required}人出席",
                f"{len(present)} of {members} members present; more than {share}% means at least {required}")


@guard("meeting_convened", article=f"{REG713}第三十条",
       zh="尚未召开集体讨论会议", en="The collective discussion meeting has not been convened")
def meeting_convened(ctx: GuardContext) -> Fail | None:
    return None if ctx.data.get("meeting") else Fail()


@guard("actor_attends_meeting", article=f"{REG713}第三十条",
       zh="只有出席会议的组成人员可以发表意见", en="Only members attending the meeting can state a view")
def actor_attends_meeting(ctx: GuardContext) -> Fail | None:
    meeting = ctx.data.get("meeting") or {}
    return None if ctx.actor in meeting.get("attendees", []) else Fail()


@guard("member_view_not_yet_recorded", article=f"{REG713}第三十条",
       zh="每位组成人员的意见只记录一次", en="Each member's view is recorded once")
def member_view_not_yet_recorded(ctx: GuardContext) -> Fail | None:
    spoken = {v["recorded_by"] for v in ctx.data.get("member_views", [])}
    return Fail() if ctx.actor in spoken else None


def _members_to_speak(ctx: GuardContext) -> list[str]:
    meeting = ctx.data.get("meeting") or {}
    spoken = {v["recorded_by"] for v in ctx.data.get("member_views", [])}
    return [u for u in meeting.get("attendees", []) if u != ctx.actor and u not in spoken]


@guard("all_attending_members_spoke", article=f"{REG713}第三十条第二款",
       zh="组成人员应当充分发表意见，行政首长最后发表意见",
       en="Members speak fully and the head speaks last")
def all_attending_members_spoke(ctx: GuardContext) -> Fail | None:
    waiting = _members_to_speak(ctx)
    names = "、".join(ctx.name_of(u) for u in waiting)
    return Fail(f"尚未发表意见：{names}", f"still to speak: {', '.join(waiting)}") if waiting else None


@guard("reason_when_departing_from_majority", article=f"{REG713}第三十条第二款",
       zh="行政首长拟作出的决定与会议组成人员多数人的意见不一致的，应当在会上说明理由",
       en="A head whose decision departs from the majority of members must state the reason at the meeting")
def reason_when_departing_from_majority(ctx: GuardContext) -> Fail | None:
    views = [v["view"] for v in ctx.data.get("member_views", [])]
    agree, disagree = views.count("agree"), views.count("disagree")
    adopts = ctx.trigger == "adopt_decision"
    departs = majority(views) == ("disagree" if adopts else "agree")
    if departs and not (ctx.payload.get("reason_against_majority") or "").strip():
        return Fail(f"多数意见为{'不同意' if adopts else '同意'}（同意{agree}，不同意{disagree}）",
                    f"the majority view differs (agree {agree}, disagree {disagree})")
    return None


# ---------------------------------------------------------------- after the decision (arts 32–37)


@guard("evaluator_independent", article=f"{REG713}第三十六条第二款",
       zh="决策后评估不得由承担主要论证评估工作的单位实施",
       en="A post-decision evaluation may not be done by the unit that did the main argumentation or assessment")
def evaluator_independent(ctx: GuardContext) -> Fail | None:
    evaluator = ctx.payload["evaluator_unit"].strip()
    return Fail(f"「{evaluator}」承担了决策前的论证评估", f"{evaluator!r} did the pre-decision work") \
        if evaluator in _argumentation_units(ctx.data) else None


def _argumentation_units(data: Mapping[str, Any]) -> set[str]:
    """Every unit that argued or assessed the decision: current, superseded and earlier-round records."""
    units: set[str] = set()
    for key in ("expert_argumentation", "risk_assessment"):
        for record in [data.get(key) or {}, *(data.get("superseded") or {}).get(key, [])]:
            if record.get("unit"):
                units.add(record["unit"].strip())
    for earlier in data.get("previous_rounds", []):
        units |= _argumentation_units(earlier)
    return units
