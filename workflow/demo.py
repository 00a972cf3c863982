"""Demo data: 后龙镇 (Houlong town, Quangang district, Quanzhou, Fujian) with its people and decisions.

All people are invented. Every case is driven through engine.fire like real work; the demo's engine runs
on a simulated clock that starts about five months ago and stops before today, so the histories look
lived-in while no event is ever stamped later than the real time of the run.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from workflow import accounts, demo_district, demo_normative, demo_petitions, demo_registers, demo_report
from workflow.clock import FixedClock
from workflow.db import writing
from workflow.engine import Engine, Outcome
from workflow.models import CaseDeadline
from workflow.procedures.enforcement.law import DELEGATED_POWERS, LARGE_FINE_THRESHOLD, REVIEW_CATALOGUE
from workflow.procedures.information_request.law import (
    FEE_BAND,
    FEE_FREE_REQUESTS,
    FEE_PAGE_TIERS,
    FEE_PER_REQUEST,
    FEE_SOURCE,
    FEE_TIER_END,
    FEE_TIME_PAUSES_CLOCK,
)
from workflow.procedures.major_decision.law import FORUM_SETTING, QUORUM_SETTING
from workflow.runtime import Runtime
from workflow.typed_dates import LATE_ENTRY_DAYS

ORG = "houlong"
DEMO_PASSWORD = "houlong2026"

USERS: list[dict[str, Any]] = [
    {"username": "zhangwei", "display_name": "张伟", "unit": "党政综合办公室", "roles": ["drafter"]},
    {"username": "lina", "display_name": "李娜", "unit": "经济发展办公室", "roles": ["drafter"]},
    {"username": "chenjing", "display_name": "陈静", "unit": "司法所", "roles": ["legal_counsel", "legal_reviewer"]},
    {"username": "guomin", "display_name": "郭敏", "unit": "司法所", "roles": ["legal_reviewer", "register_keeper"]},
    {"username": "wanghai", "display_name": "王海", "unit": "综合执法队", "roles": ["enforcement_officer"]},
    {"username": "caiming", "display_name": "蔡明", "unit": "综合执法队", "roles": ["enforcement_officer"]},
    {"username": "hongzhiqiang", "display_name": "洪志强", "unit": "综合执法队", "roles": ["enforcement_officer"]},
    {"username": "lixiaodong", "display_name": "李晓东", "unit": "综合执法队", "roles": ["enforcement_officer"]},
    {"username": "linzhiyuan", "display_name": "林志远", "unit": "镇政府法律顾问（律师）", "roles": ["legal_adviser"]},
    {"username": "huangzhenhua", "display_name": "黄振华", "unit": "镇长", "roles": ["head", "agency_head"]},
    {"username": "wujianguo", "display_name": "吴建国", "unit": "副镇长", "roles": ["decision_member", "agency_head"]},
    {"username": "zhengli", "display_name": "郑丽", "unit": "副镇长", "roles": ["decision_member"]},
    {"username": "xuwen", "display_name": "许文", "unit": "副镇长", "roles": ["decision_member"]},
    {"username": "liushen", "display_name": "刘慎", "unit": "纪检监察室", "roles": ["auditor"]},
    {"username": "admin", "display_name": "系统管理员", "unit": "党政综合办公室", "roles": ["admin"]},
    # 政府信息公开工作机构 (条例第四条): its officer, and its head who alone may extend the answer period (第三十三条)
    {"username": "zhoumin", "display_name": "周敏", "unit": "党政综合办公室（政务公开）",
     "roles": ["disclosure_officer", "office_clerk"]},  # the general office also keeps the normative register
    {"username": "linhaiyan", "display_name": "林海燕", "unit": "党政综合办公室主任（政务公开负责人）",
     "roles": ["disclosure_head"]},
]

# Enforcement (行政处罚法第二十四条): a town holds only the penalty powers the province handed to it. The two
# fields and items below are ILLUSTRATIVE of what Fujian towns commonly receive, not a published list.
FIELD_STREETS = "市容环境卫生"
FIELD_PLANNING = "城乡规划建设"
POWER_STREETS = "对在街道两侧和公共场地堆放物料、搭建建筑物或者构筑物的处罚"
POWER_PLANNING = "对在乡、村庄规划区内未依法取得乡村建设规划许可证进行建设的处罚"
ENFORCEMENT_SETTINGS: list[tuple[str, Any, str]] = [
    (DELEGATED_POWERS, [{"field": FIELD_STREETS, "power": POWER_STREETS},
                        {"field": FIELD_PLANNING, "power": POWER_PLANNING}],
     "演示数据：示意福建省人民政府赋予乡镇部分县级行政处罚权的决定及泉港区公布的赋权事项清单；以实际公布文本为准"),
    (LARGE_FINE_THRESHOLD, {"individual": "10000", "organisation": "100000"},
     "演示数据：较大数额罚款标准以福建省或者有关部门的规定为准（行政处罚法第六十三条）；此处数额仅为示意"),
    (REVIEW_CATALOGUE, ["拟作出较大数额罚款的", "拟责令停产停业、责令关闭、限制从业的", "拟吊销许可证件的", "经过听证程序的"],
     "演示数据：示意《后龙镇重大执法决定法制审核目录清单》"),
    ("enforcement.other_publication_working_days", 20,
     "国办发〔2018〕118号的地方实施办法：其他行政执法决定（含不予行政处罚决定）自作出之日起20个工作日内公开（演示数据；以本地实施办法为准）"),
    ("enforcement.publication_working_days", 7,
     "国办发〔2018〕118号的地方实施办法：行政处罚决定自作出之日起7个工作日内公开（演示数据；以本地实施办法为准）"),
]
# The town's late-entry rule (workflow/typed_dates.py, every procedure). Seeded by seed() only, not seed_town():
# the tests' town types dates of its own, and the scenarios that need the rule set it themselves.
LATE_ENTRY_SOURCE = ("演示数据（ILLUSTRATIVE）：示意《后龙镇执法全过程记录和档案管理办法》“事项办理后3日内录入系统，"
                     "逾期录入的注明补录理由”；以本镇实际制度为准")
LATE_ENTRY_DEMO_DAYS = 3
# (username, kind, number, field, issued_on, valid_until, issuer); 洪志强's certificate has expired.
CERTIFICATES: list[tuple[str, str, str, str, date, date | None, str]] = [
    ("wanghai", "enforcement", "闽QG-2023-0101", FIELD_STREETS, date(2023, 7, 1), date(2029, 6, 30), "泉州市泉港区人民政府"),
    ("wanghai", "enforcement", "闽QG-2023-0102", FIELD_PLANNING, date(2023, 7, 1), date(2029, 6, 30), "泉州市泉港区人民政府"),
    ("caiming", "enforcement", "闽QG-2024-0215", FIELD_STREETS, date(2024, 1, 1), date(2028, 12, 31), "泉州市泉港区人民政府"),
    ("hongzhiqiang", "enforcement", "闽QG-2020-0033", FIELD_STREETS, date(2020, 2, 1), date(2026, 1, 31),
     "泉州市泉港区人民政府"),
    ("lixiaodong", "enforcement", "闽QG-2025-0307", FIELD_PLANNING, date(2025, 3, 1), date(2030, 2, 28),
     "泉州市泉港区人民政府"),
    ("chenjing", "legal_qualification", "A20173505000000", "", date(2017, 12, 20), None, "中华人民共和国司法部"),
]

FORUM = "镇长办公会议"
FORUM_SOURCE = "《后龙镇人民政府工作规则》第十二条（演示数据；以本镇实际规则为准）"
QUORUM = 50  # more than half of the members present
QUORUM_SOURCE = ("ILLUSTRATIVE 演示数据：示意《后龙镇人民政府工作规则》“镇长办公会议须有过半数组成人员出席方能举行”；"
                 "乡镇的法定人数无全国性规定（legal-facts §2.8 [U]），以本镇实际议事规则为准")


# The town's units the forms offer (setting organisation.units): its offices, as the demo's people and stories use them.
UNITS = ("党政综合办公室", "经济发展办公室", "社会事务办公室", "村镇建设服务中心", "综合执法队", "司法所")
DOCUMENT_CODES = (("enforcement.document_code.penalty_notice", "龙综执告"),
                  ("enforcement.document_code.penalty_decision", "龙综执罚"),
                  ("major_decision.document_code.decision", "龙政"),
                  ("enforcement.document_code.service_receipt", "龙综执送"),
                  ("enforcement.document_code.hearing_notice", "龙综执听"),
                  # the rest of the enforcement set (issue 12 item 2); the 不予行政处罚决定书's is left unset: the
                  # district's demo (demo_supervision.py) types those numbers as a paper-keeping town does
                  ("enforcement.document_code.filing_approval", "龙综执立"),
                  ("enforcement.document_code.collective_discussion", "龙综执议"),
                  ("enforcement.document_code.legal_review_opinion", "龙综执审"),
                  ("enforcement.document_code.closing_approval", "龙综执结"))
DOCUMENT_CODES_SOURCE = "ILLUSTRATIVE 演示数据：示意《后龙镇人民政府公文处理办法》中的发文机关代字；以本镇实际规定为准"
# When the timer worker reminds before a time limit (workflow/timers/): no law says; ILLUSTRATIVE values.
TIMER_SOURCE = ("ILLUSTRATIVE 演示数据：示意《后龙镇行政执法监督和督查督办工作制度》“办理期限届满前3个工作日、1个工作日"
                "预警提醒承办人”；法律未规定提醒时点，以本镇实际制度为准")
# The national tariff of 国办函〔2020〕109号 (条例第四十二条), as published: not demo-specific.
FEE_SETTINGS: list[tuple[str, Any]] = [
    (FEE_FREE_REQUESTS, 10), (FEE_TIER_END, 30), (FEE_PER_REQUEST, 100), (FEE_BAND, 10),
    (FEE_PAGE_TIERS, ["30=0", "100=10", "200=20", "*=40"]),
]
# Whether the time to pay the fee stops the answer period: no verified text says (legal-facts-2 §3.6, §9), so the town
# records that it has not decided otherwise: 0, the period runs on (workflow/procedures/information_request/clock.py).
FEE_TIME_SOURCE = ("未经核实：国办函〔2020〕109号第七条未检索到原文（legal-facts-2 §3.6、§9），缴费时间是否计入答复期限没有"
                   "经核实的规定；在核实前按计入（不暂停）处理")
TIMER_SETTINGS: list[tuple[str, Any, str]] = [
    ("timers.first_reminder_working_days", 3, TIMER_SOURCE),
    ("timers.last_reminder_working_days", 1, TIMER_SOURCE),
]


def seed_town(runtime: Runtime, password_hash: str | None = None, now: datetime | None = None) -> None:
    """The town, its people (all with the demo password), its settings and certificates; no cases."""
    with writing(runtime.sessions) as session:
        accounts.ensure_org(session, ORG, "泉州市泉港区后龙镇人民政府", "Houlong Town People's Government")
        session.flush()
        password_hash = password_hash or generate_password_hash(DEMO_PASSWORD)
        for u in USERS:
            accounts.create_user(session, org_id=ORG, password_hash=password_hash, **u)
        accounts.set_setting(session, org_id=ORG, key=FORUM_SETTING, value=FORUM, source=FORUM_SOURCE,
                             by="admin", now=now or runtime.clock.now())
        accounts.set_setting(session, org_id=ORG, key=QUORUM_SETTING, value=QUORUM, source=QUORUM_SOURCE,
                             by="admin", now=now or runtime.clock.now())
        for key, value, source in ENFORCEMENT_SETTINGS:
            accounts.set_setting(session, org_id=ORG, key=key, value=value, source=source, by="admin",
                                 now=now or runtime.clock.now())
        for key, value in FEE_SETTINGS:
            accounts.set_setting(session, org_id=ORG, key=key, value=value, source=FEE_SOURCE, by="admin",
                                 now=now or runtime.clock.now())
        accounts.set_setting(session, org_id=ORG, key=FEE_TIME_PAUSES_CLOCK, value=0, source=FEE_TIME_SOURCE,
                             by="admin", now=now or runtime.clock.now())
        for key, value, source in TIMER_SETTINGS:
            accounts.set_setting(session, org_id=ORG, key=key, value=value, source=source, by="admin",
                                 now=now or runtime.clock.now())
        session.flush()  # the certificates refer to the users
        for username, kind, number, field, issued_on, valid_until, issuer in CERTIFICATES:
            accounts.add_certificate(session, username=username, kind=kind, number=number, field=field,
                                     issued_on=issued_on, valid_until=valid_until, issuer=issuer)


def seed(runtime: Runtime, *, full_registers: bool = False) -> list[str]:
    """Create the town, its users and settings, and run several decisions to different stages. The town's 2024
    registers: all their entries with `full_registers` (`lawflow demo`: the annual report's figures), else a few
    of each (the tests that visit every case of the demo)."""
    real_now = runtime.clock.now()
    clock = FixedClock(real_now - timedelta(days=170))
    seed_town(runtime, now=clock.now())
    with writing(runtime.sessions) as session:  # the demo town's own list (not in seed_town: tests hold hearings)
        accounts.set_setting(session, org_id=ORG, key="enforcement.mandatory_av_acts", value=["record_hearing"],
                             source="演示数据：示意《后龙镇行政执法音像记录事项清单》（听证全程音像记录）；以本镇实际清单为准",
                             by="admin", now=clock.now())
        accounts.set_setting(session, org_id=ORG, key=LATE_ENTRY_DAYS, value=LATE_ENTRY_DEMO_DAYS,
                             source=LATE_ENTRY_SOURCE, by="admin", now=clock.now())
        accounts.set_setting(session, org_id=ORG, key="organisation.units", value=list(UNITS), by="admin",
                             now=clock.now(), source="演示数据：示意《后龙镇机构设置方案》；以本镇实际方案为准")
        for key, value in DOCUMENT_CODES:  # the demo's documents are numbered and issued by lawflow (issue 12)
            accounts.set_setting(session, org_id=ORG, key=key, value=value, source=DOCUMENT_CODES_SOURCE, by="admin",
                                 now=clock.now())
    engine = Engine(runtime.sessions, runtime.registry, clock, runtime.engine.calendar, records=runtime.records,
                    documents=runtime.documents)
    story = _Story(engine, clock)
    cases = []
    # Each story starts so many days before today; none may run past the real time of this run.
    for days_ago, tell in ((165, story.sewage_plan), (120, story.market_relocation), (100, story.village_plan),
                           (12, story.old_estates), (2, story.waste_sorting), (60, story.revoked_fine),
                           (30, story.street_obstruction), (20, story.shed_on_square), (8, story.seized_materials)):
        clock.current = real_now - timedelta(days=days_ago)
        cases.append(tell())
        if clock.now() > real_now:
            raise RuntimeError(f"demo story {tell.__name__} ran {clock.now() - real_now} past the present")
    information_requests(story, real_now)
    cases.extend(contracts(story, real_now))  # 合同合法性审查 (issue 13 item 3)
    # Normative documents and their clean-up (issue 13): their own story, from 175 days ago (workflow/demo_normative.py).
    clock.current = real_now - timedelta(days=176)
    demo_normative.seed_people_and_rules(engine, ORG, generate_password_hash(DEMO_PASSWORD), clock.now())
    cases.extend(demo_normative.tell(engine, clock, ORG, real_now))
    # The district above the town, and a second town with cases of its own (issue 14): workflow/demo_district.py.
    cases.extend(demo_district.seed(engine, clock, ORG, real_now, field=FIELD_STREETS, power=POWER_STREETS, rules=[
        (FORUM_SETTING, FORUM), (QUORUM_SETTING, QUORUM), *[(key, value) for key, value, _ in ENFORCEMENT_SETTINGS]]))
    demo_registers.tell(engine, full=full_registers)  # the town's 2024 registers (issue 14 item 4), entered today
    demo_petitions.tell(engine, ORG, full=full_registers)  # 信访、投诉举报、复议和应诉 (issue 14 item 4)
    cases.append(demo_report.tell(engine))  # its 2024 annual report, written from those records (issue 14 item 5)
    cases.append(demo_report.draft_second_town(engine))  # 峰尾镇's, still in drafting: the district's page shows both
    return cases


class _Story:
    def __init__(self, engine: Engine, clock: FixedClock):
        self.engine, self.clock = engine, clock

    def step(self, case_id: str, trigger: str, actor: str, payload: dict[str, Any] | None = None,
             days: float = 1) -> Outcome:
        self.clock.advance(days=days)
        outcome = self.engine.fire(case_id, trigger, actor, payload or {})
        return outcome

    def ok(self, case_id: str, trigger: str, actor: str, payload: dict[str, Any] | None = None,
           days: float = 1) -> Outcome:
        outcome = self.step(case_id, trigger, actor, payload, days)
        if not outcome.ok:
            raise RuntimeError(f"demo step {trigger} on {case_id} refused: {[r.zh for r in outcome.reasons]}")
        return outcome

    def new(self, title: str, category: str, summary: str, drafter: str = "zhangwei") -> str:
        self.clock.advance(hours=2)
        outcome = self.engine.create_case("major_decision", drafter, {
            "title": title, "category": category, "proposer": "leader", "summary": summary})
        assert outcome.case_id
        return outcome.case_id

    def past_period(self, cid: str, name: str, lead: int = 1) -> None:
        """Wait out a minimum period, so that a step `lead` days later comes after it: a period whose last
        day is a holiday runs on to the next working day, so 30 days are not always over after 31."""
        with self.engine.sessions() as session:
            due = session.scalar(select(CaseDeadline.due).where(CaseDeadline.case_id == cid,
                                                                CaseDeadline.name == name))
        while due is not None and self.engine.today() + timedelta(days=lead) <= due:
            self.clock.advance(days=1)

    def today(self) -> str:
        return self.engine.today().isoformat()

    def in_days(self, n: int) -> str:
        return (self.engine.today() + timedelta(days=n)).isoformat()

    # ---- the common first half: start, comment, argumentation, review, discussion
    def to_argumentation(self, cid: str, drafter: str, comments: list[tuple[str, str, str, str]],
                         materials: tuple[tuple[str, str, str], ...] = ()) -> None:
        self.ok(cid, "start", "huangzhenhua", {"lead_unit": "党政综合办公室", "instructions": "请按程序组织起草"})
        for kind, title, version_note in materials:  # drafted before the public comment opens
            self.material(cid, drafter, kind, title, version_note)
        self.ok(cid, "open_public_comment", drafter, {
            "draft_ref": f"{cid}-草案", "explanation": "起草背景、依据和主要内容说明",
            "channels": ["后龙镇人民政府网站", "镇政务公开栏"], "period_days": 30}, days=5)
        for i, (who, content, adoption, reason) in enumerate(comments, start=1):
            self.ok(cid, "record_comment", drafter, {"commenter": who, "received_on": self.today(),
                                                     "content": content}, days=3)
            self.ok(cid, "decide_comment_adoption", drafter, {"comment_no": i, "adoption": adoption,
                                                              "adoption_reason": reason}, days=1)
        self.clock.advance(days=31 - 4 * len(comments))
        self.past_period(cid, "comment_period")
        self.ok(cid, "close_public_comment", drafter, {"summary": f"共收到意见{len(comments)}条，均已研究处理"})

    def to_review(self, cid: str, drafter: str) -> None:
        self.ok(cid, "record_expert_argumentation", drafter, {
            "unit": "党政综合办公室", "method": "meeting", "experts": ["泉州市环境科学研究所 王教授", "福建某设计院 周工"],
            "no_direct_interest": True, "report_ref": f"{cid}-论证-01", "report_signed": True,
            "conclusion": "方案总体可行，建议优化管网布局"}, days=4)
        self.ok(cid, "record_risk_assessment", drafter, {
            "unit": "综治中心", "report_ref": f"{cid}-风评-01", "report_signed": True,
            "risk_points": "施工期间交通影响；征地补偿", "measures": "分段施工，提前公告；补偿标准公开",
            "conclusion": "controllable"}, days=3)
        self.ok(cid, "submit_for_legality_review", drafter, {
            "draft_ref": f"{cid}-送审稿", "legal_basis": "《水污染防治法》第四十九条；《福建省农村生活污水处理设施运行管理办法》",
            "procedure_account": "已公开征求意见30日，组织专家论证和风险评估", "requested_by": self.review_time(lead=2)}, days=2)

    def review_time(self, lead: int) -> str:
        """16 days from today, or the 7th working day after the step (taken `lead` days later) when a long holiday
        (春节) leaves fewer: the review's time must be at least 7 working days (条例第二十六条)."""
        seventh = self.engine.calendar.add_working_days(self.engine.today() + timedelta(days=lead), 7).date
        return max(self.in_days(16), seventh.isoformat())

    def to_discussion(self, cid: str, drafter: str) -> None:
        self.submit_to_discussion(cid, drafter)
        self.ok(cid, "convene_meeting", "huangzhenhua", {
            "forum": FORUM, "meeting_date": self.in_days(0), "attendees": ["wujianguo", "zhengli", "xuwen",
                                                                          "huangzhenhua"]}, days=2)

    def submit_to_discussion(self, cid: str, drafter: str) -> None:
        """From legality review to collective discussion, the meeting not yet convened."""
        self.ok(cid, "record_adviser_opinion", "linzhiyuan", {
            "adviser": "林志远律师", "capacity": "legal_adviser", "opinion": "未发现与上位法相抵触的内容"}, days=3)
        self.ok(cid, "issue_legality_opinion", "chenjing", {
            "conclusion": "lawful", "authority": "属于镇人民政府职权范围", "procedure": "已履行公众参与、专家论证、风险评估程序",
            "content": "内容符合法律法规和国家政策", "reasons": "经审查，草案合法", "legal_basis": "《重大行政决策程序暂行条例》第二十七条"},
            days=4)
        self.ok(cid, "submit_for_collective_discussion", drafter, {
            "materials": ["决策草案及说明", "公众意见采纳情况", "专家论证报告", "风险评估报告", "合法性审查意见"]}, days=1)

    def material(self, cid: str, drafter: str, kind: str, title: str, version_note: str = "",
                 days: float = 0.01) -> None:
        """A material of a decision (条例第二十六条、第二十九条、第三十三条): a stand-in one-page PDF naming it."""
        payload = {"material": kind, "title": title, "format": "pdf", "made_on": self.in_days(0),
                   **({"version_note": version_note} if version_note else {})}
        self.clock.advance(days=days)
        assert self.engine.records is not None
        outcome = self.engine.fire(cid, "attach_material", drafter, payload, attachment=self.engine.records.stage_bytes(
            _demo_file("pdf", f"{cid} {title}"), f"{title}.pdf"))
        if not outcome.ok:
            raise RuntimeError(f"demo material {title} on {cid} refused: {[r.zh for r in outcome.reasons]}")

    # ---- the stories
    def sewage_plan(self) -> str:
        title = "后龙镇农村生活污水治理三年行动方案（2026—2028年）"
        cid = self.new(title, "public_policy",
                       "部分村庄生活污水直排，需统筹建设收集管网和终端设施；依据《水污染防治法》，拟定三年行动方案。")
        self.to_argumentation(cid, "zhangwei", [
            ("后龙村村民 陈先生", "建议优先改造靠近溪流的自然村", "adopted", "符合治理优先序，已在第二条中体现"),
            ("某企业", "建议由企业承包全部运维", "not_adopted", "运维主体须依法通过公开招标确定"),
        ], materials=(("consultation_draft", f"{title}（征求意见稿）", "征求意见稿"),
                      ("explanation", f"关于《{title}》的起草说明", "")))
        self.to_review(cid, "zhangwei")
        self.to_discussion(cid, "zhangwei")
        for member, view in (("wujianguo", "agree"), ("zhengli", "agree"), ("xuwen", "disagree")):
            self.ok(cid, "record_member_view", member, {"view": view, "statement": "同意方案" if view == "agree"
                                                        else "资金测算偏乐观，建议分年度核定"}, days=0.02)
        self.ok(cid, "adopt_decision", "huangzhenhua", {"head_statement": "同意实施，资金分年度核定",
                                                        "decision_text": "原则通过《行动方案》"}, days=0.02)
        self.ok(cid, "report_to_party_committee", "zhangwei", {
            "committee": "中共后龙镇委员会", "reported_on": self.in_days(0), "report_ref": "龙政〔2026〕21号"}, days=1)
        self.ok(cid, "publish", "zhangwei", {"channels": ["后龙镇人民政府网站"],
                                             "published_on": self.in_days(0)}, days=3)
        self.material(cid, "zhangwei", "publication", f"{title}（龙政〔2026〕23号）", "公布文本")
        self.ok(cid, "start_execution", "huangzhenhua", {"executing_unit": "村镇建设服务中心"}, days=1)
        self.ok(cid, "report_execution", "zhangwei", {"report": "已完成4个自然村管网建设"}, days=20)
        return cid

    def market_relocation(self) -> str:
        cid = self.new("后龙镇集镇农贸市场搬迁建设项目", "public_project",
                       "现农贸市场占道经营、消防隐患突出，拟择址新建。", drafter="lina")
        self.to_argumentation(cid, "lina", [("摊主代表 郭女士", "希望过渡期保留临时摊位", "partly_adopted",
                                             "过渡期设置临时疏解点，期限不超过六个月")])
        self.ok(cid, "waive_expert_argumentation", "lina", {"justification": "项目技术方案已由住建部门审查，不属于专业性、技术性较强须另行论证的事项"}, days=2)
        self.ok(cid, "record_risk_assessment", "lina", {
            "unit": "综治中心", "report_ref": f"{cid}-风评-01", "report_signed": True,
            "risk_points": "摊主安置；群体性上访风险", "measures": "设过渡摊位", "conclusion": "uncontrollable"}, days=3)
        self.ok(cid, "adjust_draft", "lina", {"changes": "增加过渡期安置和租金减免条款", "draft_ref": f"{cid}-草案-修改稿"}, days=5)
        self.ok(cid, "record_risk_assessment", "lina", {
            "unit": "综治中心", "report_ref": f"{cid}-风评-02", "report_signed": True,
            "risk_points": "摊主安置", "measures": "过渡摊位、租金减免", "conclusion": "controllable"}, days=4)
        self.ok(cid, "submit_for_legality_review", "lina", {
            "draft_ref": f"{cid}-送审稿", "legal_basis": "《城乡规划法》；《福建省农贸市场管理办法》",
            "procedure_account": "已公开征求意见、风险评估（经调整后可控）", "requested_by": self.in_days(20)}, days=2)
        return cid

    def old_estates(self) -> str:
        cid = self.new("后龙镇老旧小区改造实施方案", "public_policy", "镇区6个老旧小区设施老化，拟分批改造。")
        self.ok(cid, "start", "huangzhenhua", {"lead_unit": "村镇建设服务中心"}, days=3)
        self.ok(cid, "open_public_comment", "zhangwei", {
            "draft_ref": f"{cid}-征求意见稿", "explanation": "改造范围、内容和资金来源说明",
            "channels": ["后龙镇人民政府网站", "小区公告栏"], "period_days": 30}, days=2)
        self.ok(cid, "record_comment", "zhangwei", {"commenter": "东风小区居民 林先生", "received_on": self.today(),
                                                    "content": "希望加装电梯纳入改造内容"}, days=2)
        return cid

    def village_plan(self) -> str:
        cid = self.new("后龙镇峰前村村庄规划调整", "development_plan", "峰前村产业用地布局需调整。", drafter="lina")
        self.to_argumentation(cid, "lina", [])
        self.to_review(cid, "lina")
        self.to_discussion(cid, "lina")
        self.ok(cid, "record_member_view", "wujianguo", {"view": "agree", "statement": "同意"}, days=0.02)
        return cid

    # ---- enforcement (行政处罚): the parties are invented
    def open_enforcement(self, title: str, party: str, facts: str, field: str, power: str, basis: str) -> str:
        self.clock.advance(hours=2)
        outcome = self.engine.create_case("enforcement_case", "wanghai", {
            "title": title, "party": party, "party_type": "individual", "facts": facts, "field": field,
            "power": power, "legal_basis": basis})
        if not outcome.case_id:
            raise RuntimeError(f"demo enforcement case refused: {[r.zh for r in outcome.reasons]}")
        return outcome.case_id

    def attach(self, cid: str, title: str, fmt: str = "pdf", act: str | None = None, days: float = 0.01,
               **av: Any) -> None:
        """A record of the case (处罚法第四十七条). The demo's files are stand-ins: a one-page PDF, or the
        header of an MP4 file (not playable), each naming the case and the record."""
        kind = "av" if fmt == "mp4" else "text"
        payload = {"kind": kind, "title": title, "format": fmt, "made_on": self.in_days(0),
                   **({"act": act} if act else {}), **av}
        if kind == "av":
            payload.setdefault("duration_seconds", 900)
            payload.setdefault("device", "执法记录仪 HL-ZF-03")
            payload.setdefault("recorder", "caiming")
        content = _demo_file(fmt, f"{cid} {title}")
        self.clock.advance(days=days)
        assert self.engine.records is not None
        outcome = self.engine.fire(cid, "attach_record", "wanghai", payload,
                                   attachment=self.engine.records.stage_bytes(content, f"{title}.{fmt}"))
        if not outcome.ok:
            raise RuntimeError(f"demo record {title} on {cid} refused: {[r.zh for r in outcome.reasons]}")

    def notice(self, amount: str, facts: str, basis: str) -> dict[str, Any]:
        return {"penalty_type": "fine", "amount": amount, "facts": facts, "reasons": "经调查，违法事实清楚",
                "legal_basis": basis, "rights_told": "告知陈述、申辩权利" + ("及要求听证的权利" if int(amount) >= 10000 else ""),
                "notified_on": self.in_days(0)}

    def street_obstruction(self) -> str:
        """An ordinary case, decided, served and published (处罚法第四十八条)."""
        facts = "当事人在后龙街两侧人行道堆放建材约20立方米，经责令后未清理"
        basis = "《城市市容和环境卫生管理条例》第三十六条"
        cid = self.open_enforcement("陈某某在后龙街两侧堆放建材案", "陈某某（后龙镇后龙村）", facts, FIELD_STREETS,
                                    POWER_STREETS, "《城市市容和环境卫生管理条例》第十四条、第三十六条")
        self.attach(cid, "立案审批表")
        self.ok(cid, "start_investigation", "wanghai", {"officers": ["wanghai", "caiming"],
                                                       "plan": "现场勘验、询问当事人、调取照片"}, days=1)
        self.attach(cid, "现场勘验执法记录仪录像", "mp4", act="record_investigation_conduct", duration_seconds=1260)
        self.attach(cid, "现场勘验笔录")
        self.attach(cid, "询问笔录（陈某某）")
        self.ok(cid, "record_investigation_conduct", "wanghai", {
            "occasion": "现场勘验后龙街两侧人行道", "conducted_on": self.in_days(0), "certificates_shown": True,
            "duties_told": True, "av_record_ref": f"{cid}-执法记录仪-01"}, days=0)
        self.clock.advance(days=6)  # the notice is dated the day it is entered
        self.ok(cid, "notify_intended_penalty", "wanghai", self.notice("2000", facts, basis), days=0)
        self.attach(cid, "行政处罚事先告知书及送达回证", act="notify_intended_penalty")
        self.ok(cid, "record_statement", "wanghai", {"statement": "当事人称系临时堆放，请求从轻处罚",
                                                    "review": "经复核，已清理部分物料，按告知内容处罚"}, days=2)
        self.ok(cid, "assess_major_case", "wanghai", {"major_public_interest": False,
                                                     "major_rights_after_hearing": False, "complex": False}, days=1)
        self.ok(cid, "decide_penalty", "huangzhenhua", {
            "party": "陈某某，住后龙镇后龙村", "facts_and_evidence": facts,
            "penalty_type": "fine", "amount": "2000", "legal_basis": basis,
            "performance": "自收到本决定书之日起十五日内到指定银行缴纳罚款", "reconsideration_body": "泉州市泉港区人民政府",
            "reconsideration_days": 60, "litigation_months": 6, "decided_on": self.in_days(0), "sealed": True}, days=2)
        self.attach(cid, "行政处罚决定书")
        self.ok(cid, "serve_decision", "wanghai", {"method": "direct", "served_on": self.in_days(0),
                                                  "place": "后龙镇后龙村陈某某住所", "recipient": "陈某某",
                                                  "servers": "王海、蔡明"}, days=1)  # 送达回证 numbered by lawflow
        self.attach(cid, "处罚决定书送达回证", act="serve_decision")
        # Same moment (days=0): the demo's later cases keep their dates.
        self.ok(cid, "publish_decision", "wanghai", {"channel": "portal", "location": "后龙镇人民政府网站·行政执法公示专栏",
                                                    "published_on": self.in_days(0)}, days=0)
        return cid

    def shed_on_square(self) -> str:
        """A major case (a large fine, in the review catalogue) whose legal review is under way."""
        facts = "当事人在后龙镇文化广场搭建彩钢棚约120平方米用于堆放货物，经责令后逾期未拆除"
        basis = "《城市市容和环境卫生管理条例》第三十六条"
        cid = self.open_enforcement("郭某某在文化广场搭建彩钢棚案", "郭某某（后龙镇后龙村）", facts, FIELD_STREETS,
                                    POWER_STREETS, "《城市市容和环境卫生管理条例》第十四条、第三十六条")
        # 洪志强's certificate has expired: the first assignment is refused (and recorded), the second one holds.
        self.step(cid, "start_investigation", "wanghai", {"officers": ["wanghai", "hongzhiqiang"]}, days=1)
        self.ok(cid, "start_investigation", "wanghai", {"officers": ["wanghai", "caiming"]}, days=0.05)
        self.clock.advance(days=5)
        self.ok(cid, "notify_with_hearing_rights", "wanghai", self.notice("20000", facts, basis), days=0)
        self.ok(cid, "assess_major_case", "wanghai", {
            "major_public_interest": False, "major_rights_after_hearing": False, "complex": False,
            "catalogue_item": "拟作出较大数额罚款的"}, days=1)
        self.clock.advance(days=1)
        review = self.engine.create_case("enforcement_review", "wanghai", {
            "title": "郭某某搭建彩钢棚案拟处罚款2万元", "enforcement_case": cid,
            "materials": ["调查终结报告", "告知书及送达回证", "证据材料"], "proposal": f"拟处罚款20,000元，依据{basis}"})
        if not review.case_id:
            raise RuntimeError(f"demo legal review refused: {[r.zh for r in review.reasons]}")
        self.ok(review.case_id, "accept_for_review", "chenjing", {"note": "材料齐全，予以受理"}, days=1)
        for item in ("subject", "officer_qualification", "procedure"):
            self.ok(review.case_id, "record_checklist_finding", "chenjing", {"item": item, "finding": "compliant"},
                    days=0.1)
        return cid

    def revoked_fine(self) -> str:
        """A fine decided, served and published, then revoked on reconsideration: the publication is
        withdrawn within 3 working days with a public reason (处罚法第四十八条第二款)."""
        facts = "当事人在后龙村村道旁搭建简易棚屋约30平方米用于经营，经责令后逾期未拆除"
        basis = "《城市市容和环境卫生管理条例》第三十六条"
        cid = self.open_enforcement("林某某在村道旁搭建棚屋案", "林某某（后龙镇土坑村）", facts, FIELD_STREETS,
                                    POWER_STREETS, "《城市市容和环境卫生管理条例》第十四条、第三十六条")
        self.attach(cid, "立案审批表")
        self.ok(cid, "start_investigation", "wanghai", {"officers": ["wanghai", "caiming"]}, days=1)
        self.attach(cid, "现场检查执法记录仪录像", "mp4", act="record_investigation_conduct")
        self.ok(cid, "record_investigation_conduct", "wanghai", {
            "occasion": "现场检查土坑村村道", "conducted_on": self.in_days(0), "certificates_shown": True,
            "duties_told": True, "av_record_ref": f"{cid}-执法记录仪-01"}, days=0)
        self.attach(cid, "现场检查笔录")
        # Entered 5 days after the notice was served: a late entry (补录, records.late_entry_days), with its reason.
        self.ok(cid, "notify_intended_penalty", "wanghai", {
            **self.notice("3000", facts, basis),
            "late_entry_reason": "告知书当场送达后执法人员连续外勤，返回后据送达回证补录"}, days=5)
        self.attach(cid, "行政处罚事先告知书及送达回证", act="notify_intended_penalty")
        self.ok(cid, "assess_major_case", "wanghai", {"major_public_interest": False,
                                                     "major_rights_after_hearing": False, "complex": False}, days=4)
        self.ok(cid, "decide_penalty", "huangzhenhua", {
            "party": "林某某，住后龙镇土坑村", "facts_and_evidence": facts,
            "penalty_type": "fine", "amount": "3000", "legal_basis": basis,
            "performance": "自收到本决定书之日起十五日内到指定银行缴纳罚款", "reconsideration_body": "泉州市泉港区人民政府",
            "reconsideration_days": 60, "litigation_months": 6, "decided_on": self.in_days(0), "sealed": True}, days=1)
        self.attach(cid, "行政处罚决定书")
        self.ok(cid, "serve_decision", "wanghai", {"method": "direct", "served_on": self.in_days(0),
                                                  "place": "后龙镇土坑村林某某住所", "recipient": "林某某",
                                                  "servers": "王海、蔡明"}, days=1)  # 送达回证 numbered by lawflow
        self.attach(cid, "处罚决定书送达回证", act="serve_decision")
        self.ok(cid, "publish_decision", "wanghai", {"channel": "portal", "location": "后龙镇人民政府网站·行政执法公示专栏",
                                                    "published_on": self.in_days(0)}, days=2)
        self.clock.advance(days=30)  # the party applied for reconsideration; the district revoked the fine
        self.ok(cid, "record_withdrawal_ground", "wanghai", {
            "ground": "revoked", "document_ref": "泉港政复决〔2026〕7号", "occurred_on": self.in_days(0)}, days=0)
        self.attach(cid, "行政复议决定书（撤销原处罚决定）")
        self.ok(cid, "withdraw_publication", "wanghai", {
            "public_reason": "该处罚决定已被泉州市泉港区人民政府行政复议决定撤销，故撤回公开",
            "withdrawn_on": self.in_days(0)}, days=1)
        return cid

    def seized_materials(self) -> str:
        """A planning case under investigation: building materials seized, with the seizure on video first
        (国办发〔2018〕118号; 行政强制法第十八条、第二十五条)."""
        facts = "当事人未取得乡村建设规划许可证，在后龙村规划区内擅自建设三层砖混结构房屋"
        cid = self.open_enforcement("刘某某未取得乡村建设规划许可证建房案", "刘某某（后龙镇后龙村）", facts, FIELD_PLANNING,
                                    POWER_PLANNING, "《中华人民共和国城乡规划法》第四十一条、第六十五条")
        self.attach(cid, "立案审批表")
        self.ok(cid, "start_investigation", "wanghai", {"officers": ["wanghai", "lixiaodong"],
                                                       "plan": "现场勘验、测量建筑面积、询问当事人"}, days=1)
        self.attach(cid, "扣押建筑材料现场执法记录仪录像", "mp4", act="seal_or_seize_property", duration_seconds=2340,
                    recorder="lixiaodong")
        self.ok(cid, "seal_or_seize_property", "wanghai", {
            "measure": "seize", "items": ["红砖约2000块", "水泥30包", "搅拌机1台"], "decision_no": "龙综执扣〔2026〕1号",
            "carried_out_on": self.in_days(0), "until": self.in_days(30), "head_approved": True,
            "officers_present": ["wanghai", "lixiaodong"], "party_notified": True, "on_site_record": True}, days=0.05)
        self.attach(cid, "查封、扣押决定书及清单")
        self.attach(cid, "扣押现场笔录")
        return cid

    def waste_sorting(self) -> str:
        return self.new("后龙镇生活垃圾分类实施办法", "public_policy", "落实生活垃圾分类要求，拟出台镇级实施办法。")


def _demo_file(fmt: str, text: str) -> bytes:
    """A stand-in evidence file: a valid one-page PDF naming the record (its Chinese written as \\u escapes:
    the stand-in embeds no CJK font), or the header of an MP4 file followed by the record's name."""
    if fmt == "mp4":
        return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + text.encode("utf-8")
    label = text.encode("unicode_escape").decode("ascii").replace("\\", "/")
    stream = f"BT /F1 11 Tf 56 780 Td (lawflow demo record) Tj 0 -18 Td ({label[:90]}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


# ---------------------------------------------------------------- requests for government information

IR_REQUEST = {"applicant_type": "natural_person", "contact": "13900000000", "access_form": "electronic"}


def information_requests(story: _Story, real_now: datetime) -> list[str]:
    """Requests for government information (条例第二十七条至第四十五条) in several states, so that the disclosure
    annual report of the current year has figures in most rows: one carried over from last year, one corrected,
    one extended (and then sued over, pending), one with a third party's reasoned objection (its refusal upheld on
    reconsideration), one with another agency, one paid a fee, a petition, a lapsed one and one still open at the
    end (carried to next year)."""
    engine, clock = story.engine, story.clock
    officer, head = "zhoumin", "linhaiyan"
    with writing(engine.sessions) as session:
        system = accounts.ensure_system_account(session, ORG).username

    def new(days_ago: int, title: str, channel: str, applicant: str, actor: str = officer, **request: Any) -> str:
        clock.current = real_now - timedelta(days=days_ago)
        outcome = engine.create_case("information_request", actor, {
            **IR_REQUEST, "title": title, "description": title, "applicant": applicant, "channel": channel,
            **request})
        if not outcome.ok or not outcome.case_id:
            raise RuntimeError(f"demo request {title} refused: {[r.zh for r in outcome.reasons]}")
        return outcome.case_id

    def receipt(cid: str, field: str, days: float = 0.1) -> None:
        day = story.in_days(0)
        dates = {"received_on": day, field: day, **({"arrived_on": day} if field == "confirmed_on" else {})}
        story.ok(cid, "confirm_receipt", officer, dates, days=days)

    def answer(cid: str, kind: str, days: float, **fields: Any) -> None:
        clock.advance(days=days)
        story.ok(cid, "answer", officer, {"answer_type": kind, "answered_on": story.today(), **fields}, days=0.01)

    cases = []
    # 上年结转: received in December of last year, answered in January
    last_dec = (real_now - real_now.replace(year=real_now.year - 1, month=12, day=22)).days
    # early in a year, the December before last
    cid = new(last_dec if last_dec > 30 else last_dec + 365, "后龙镇2025年度镇级财政预算执行情况", "in_person", "泉州市某会计师事务所",
              applicant_type="business")
    receipt(cid, "submitted_on")
    answer(cid, "proactively_disclosed", 16, where_to_obtain="已在后龙镇人民政府网站“财政信息”栏目主动公开，可自行查阅下载",
           reply_text="您申请的信息已主动公开，获取方式见下。")
    cases.append(cid)

    # 补正: ordinary mail confirmed the day it arrived; a correction, then a partial disclosure
    cid = new(110, "后龙村土地征收补偿情况", "ordinary_mail", "林某某")
    receipt(cid, "confirmed_on")
    story.ok(cid, "request_correction", officer, {"items": ["请写明所涉地块或项目名称"], "notified_on": story.in_days(1),
                                                  "correction_due": story.in_days(15)}, days=1)
    story.ok(cid, "receive_correction", officer, {"received_on": story.in_days(6),
                                                  "corrected": "所涉项目为后龙村农贸市场扩建用地"}, days=6)
    answer(cid, "partly_disclosed", 12, where_to_obtain="以电子邮件发送", reasons="补偿明细中涉及个人身份证号码和银行账号的部分属于个人隐私，不予公开（条例第十五条）",
           reply_text="予以部分公开，不予公开部分的理由见下。")
    cases.append(cid)

    # 延长: an online request confirmed the next day; the head of the disclosure office extends the period
    cid = new(95, "后龙镇2026年集镇污水管网改造项目招标文件", "online", "陈建华", actor=accounts.portal_username(ORG))
    clock.advance(days=1)
    receipt(cid, "confirmed_on")
    story.ok(cid, "extend_answer_period", head, {"days": 15, "reason": "材料涉及多个部门，需汇总核对",
                                                 "applicant_notified_on": story.in_days(18)}, days=18)
    answer(cid, "disclosed", 20, where_to_obtain="以电子邮件发送至申请人邮箱", reply_text="经审查，予以公开。")
    # 行政诉讼 (条例第五十一条): the applicant sues over the completeness of what was provided; still pending
    story.ok(cid, "record_remedy", officer, {"kind": "litigation_direct", "filed_on": story.in_days(12),
                                             "body": "泉州市泉港区人民法院", "outcome": "pending",
                                             "note": "原告认为提供的招标文件不完整"}, days=12)
    cases.append(cid)

    # 第三方: a reasoned objection, so the information is not disclosed (条例第三十二条)
    cid = new(80, "后龙镇农贸市场摊位承租企业的报价资料", "registered_mail", "郑某", applicant_type="other_org")
    receipt(cid, "signed_for_on")
    story.ok(cid, "consult_third_party", officer, {"third_party": "泉州市某商贸有限公司", "concern": "报价属于商业秘密",
                                                   "letter_received_on": story.in_days(2)}, days=2)
    story.ok(cid, "record_third_party_view", officer, {"view": "object_reasoned", "replied_on": story.in_days(8),
                                                       "reasons": "报价为该公司商业秘密，公开将损害其竞争地位；理由成立"},
             days=8)
    answer(cid, "refused", 2, refusal_ground="third_party_rights",
           reasons="第三方不同意公开且理由合理（条例第三十二条、第十五条）",
           reply_text="不予公开。如不服，可自收到本答复之日起60日内向泉州市泉港区人民政府申请行政复议。")
    # 行政复议 (条例第五十一条): the applicant asks the district government; the refusal is upheld (annual report 四)
    story.ok(cid, "record_remedy", officer, {"kind": "reconsideration", "filed_on": story.in_days(10),
                                             "body": "泉州市泉港区人民政府", "outcome": "pending"}, days=10)
    story.ok(cid, "record_remedy_outcome", officer, {"remedy_no": 1, "outcome": "maintained",
                                                     "decided_on": story.in_days(28),
                                                     "note": "复议决定维持本机关不予公开的答复"}, days=28)
    cases.append(cid)

    # 其他机关: the district bureau agrees; the information is disclosed
    cid = new(70, "后龙镇危房改造补助对象名单", "in_person", "黄某某")
    receipt(cid, "submitted_on")
    story.ok(cid, "consult_agency", officer, {"agency": "泉州市泉港区住房和城乡建设局",
                                              "letter_received_on": story.in_days(1)}, days=1)
    story.ok(cid, "record_agency_view", officer, {"view": "agree", "replied_on": story.in_days(5)}, days=5)
    answer(cid, "disclosed", 3, where_to_obtain="到后龙镇政务服务中心窗口领取纸质文本", reply_text="经审查，予以公开。")
    story.ok(cid, "archive", officer, {"archive_ref": "龙档〔2026〕公开-05"}, days=2)
    cases.append(cid)

    # 信息处理费: 150 pages per volume (国办函〔2020〕109号第五条: 700 + 50 × 20 = 1700 yuan), paid
    cid = new(50, "后龙镇2021年至2025年全部会议纪要", "in_person", "某研究院课题组", applicant_type="research")
    receipt(cid, "submitted_on")
    story.ok(cid, "notify_fee", officer, {"method": "per_volume", "pages": 150, "amount": 1700,
                                          "notified_on": story.in_days(2), "pay_by": story.in_days(20)}, days=2)
    story.ok(cid, "record_payment", officer, {"paid_on": story.in_days(5)}, days=5)
    answer(cid, "disclosed", 4, where_to_obtain="以光盘邮寄", reply_text="经审查，予以公开。")
    cases.append(cid)

    # 信访: a complaint dressed as a request (条例第三十九条)
    cid = new(40, "要求查处邻居违建并公开处理结果", "in_person", "吴某")
    receipt(cid, "submitted_on")
    story.ok(cid, "treat_as_petition", officer, {
        "kind": "complaint", "channel": "后龙镇综合执法队投诉电话、泉港区12345热线",
        "reply_text": "您反映的事项属于投诉举报，不作为政府信息公开申请处理，请通过相应渠道提出。", "answered_on": story.in_days(2)},
        days=2)
    cases.append(cid)

    # 逾期不补正: the system closes it the day after the correction period (条例第三十条)
    cid = new(35, "镇里的那个文件", "in_person", "张某")
    receipt(cid, "submitted_on")
    story.ok(cid, "request_correction", officer, {"items": ["请写明文件名称、文号或者其他特征描述"],
                                                  "notified_on": story.in_days(2), "correction_due": story.in_days(12)},
             days=2)
    story.past_period(cid, "correction_period")
    story.ok(cid, "lapse_uncorrected", system, {}, days=1)
    cases.append(cid)

    # still open at the end of the year: carried to next year
    cid = new(3, "后龙镇2027年度民生实事项目征集情况", "in_person", "陈某某")
    receipt(cid, "submitted_on")
    cases.append(cid)
    if clock.now() > real_now:
        raise RuntimeError(f"the information requests ran {clock.now() - real_now} past the present")
    return cases


# ---------------------------------------------------------------- contract legality review (合同合法性审查)

# No national or Fujian rule sets the scope or the periods of a town's contract review (legal-facts-2 §2, [U]):
# ILLUSTRATIVE values of the local models elsewhere (§2 item 38, [V2]), as settings with their source.
CONTRACT_SOURCE = ("ILLUSTRATIVE 演示数据：示意《后龙镇人民政府合同合法性审查办法》“送审后5个工作日内出具审查意见，签订后5个工作日内"
                   "报司法所备案；政府采购、劳动人事、应急处置合同除外”（参照外地办法，legal-facts-2 §2 第38项）；以本镇实际规定为准")
CONTRACT_SETTINGS: list[tuple[str, Any]] = [
    ("contract.excluded_kinds", ["procurement", "employment", "emergency"]),
    ("contract.review_working_days", 5), ("contract.filing_working_days", 5)]
# What makes a contract major (重大合同) has no national or Fujian rule either (legal-facts-2 §2 item 36, [U]).
MAJOR_CONTRACT_AMOUNT = 300000
MAJOR_CONTRACT_SOURCE = ("ILLUSTRATIVE 演示数据：示意《后龙镇人民政府合同合法性审查办法》“合同金额30万元以上的为重大合同，应当听取法律顾问"
                         "意见”（中办发〔2016〕30号，legal-facts-2 §2 第36项）；以本镇实际规定为准")
CONTRACT_POINTS = {"capacity": "相对方营业执照、资质有效，签约代表持有授权委托书",
                   "terms": "租金标准经集体讨论确定，条款不违反法律法规",
                   "dispute": "约定由泉州仲裁委员会仲裁，条款明确有效",
                   "form": "书面形式，文字表述清楚"}


def contracts(story: _Story, real_now: datetime) -> list[str]:
    """Contracts under legality review (legal-facts-2 §2): one signed and filed after an amendment and a second
    review, and an administrative agreement (征收补偿协议, 行政复议法第七十一条) still under review."""
    engine, clock = story.engine, story.clock
    clock.current = real_now - timedelta(days=45)
    with writing(engine.sessions) as session:
        for key, value in CONTRACT_SETTINGS:
            accounts.set_setting(session, org_id=ORG, key=key, value=value, source=CONTRACT_SOURCE, by="admin",
                                 now=clock.now())
        accounts.set_setting(session, org_id=ORG, key="contract.major_amount", value=MAJOR_CONTRACT_AMOUNT,
                             source=MAJOR_CONTRACT_SOURCE, by="admin", now=clock.now())

    def new(title: str, **contract: Any) -> str:
        clock.advance(hours=2)
        outcome = engine.create_case("contract_review", "lina", {
            "contracting_unit": "经济发展办公室", "title": title, **contract})
        if not outcome.ok or not outcome.case_id:
            raise RuntimeError(f"demo contract {title} refused: {[r.zh for r in outcome.reasons]}")
        return outcome.case_id

    def review(cid: str, points: dict[str, str]) -> None:
        for item, finding in points.items():
            story.ok(cid, "record_review_point", "linzhiyuan", {"item": item, "finding": finding}, days=0.1)

    cases = []
    cid = new("后龙镇农贸市场摊位租赁合同", counterparty="泉州市某商贸有限公司", amount="360000",
              counterparty_type="legal_person",
              term="2026年起三年", kind="state_assets", administrative_agreement=False,
              text="甲方将后龙镇农贸市场一层摊位出租给乙方……违约金为年租金的百分之五十。")
    review(cid, {**CONTRACT_POINTS, "terms": "违约金约定为年租金的百分之五十，明显过高，建议调整为百分之二十"})
    story.ok(cid, "issue_opinion", "linzhiyuan", {"outcome": "approve_with_changes",
                                                  "opinion": "违约金条款应予调整，修改后同意签订。"}, days=0.5)
    story.ok(cid, "resubmit_contract", "lina", {"changes": "违约金调整为年租金的百分之二十",
                                     "text": "甲方将后龙镇农贸市场一层摊位出租给乙方……违约金为年租金的百分之二十。"}, days=1)
    review(cid, CONTRACT_POINTS)
    story.ok(cid, "issue_opinion", "linzhiyuan", {"outcome": "approve", "opinion": "已按审查意见修改，同意签订。"},
             days=0.5)
    story.ok(cid, "sign_contract", "huangzhenhua", {"signed_on": story.in_days(2), "signatory": "黄振华"}, days=2)
    story.ok(cid, "file_contract", "lina", {"filed_on": story.in_days(1), "filed_with": "后龙镇司法所、镇档案室",
                                   "archive_ref": "龙档〔2026〕合同-01"}, days=1)
    cases.append(cid)

    clock.current = real_now - timedelta(days=1)
    cid = new("后龙村农贸市场扩建项目房屋征收补偿协议", counterparty="林某某", amount="285000", term="至补偿款付清及房屋交付之日",
              counterparty_type="natural_person",
              kind="expropriation_compensation", administrative_agreement=True,
              text="征收人后龙镇人民政府与被征收人林某某就后龙村农贸市场扩建项目范围内房屋的补偿达成如下协议……",
              remedy_clause="被征收人对本协议的订立、履行、变更或者解除不服的，可以自知道之日起60日内向泉州市泉港区人民政府申请"
                            "行政复议，或者自知道之日起6个月内向有管辖权的人民法院提起行政诉讼。")
    review(cid, {"capacity": CONTRACT_POINTS["capacity"].replace("营业执照、资质", "身份证明、房屋权属证明")})
    cases.append(cid)
    if clock.now() > real_now:
        raise RuntimeError(f"the contracts ran {clock.now() - real_now} past the present")
    return cases
