"""Demo data for the normative documents (行政规范性文件) of 后龙镇, called from workflow/demo.py's main story.

Four documents in different states, each driven through engine.fire like real work on the demo's simulated clock:
one in force (filed with the district), one trial measure whose validity ran out (ended by the system account, as
the timer worker does), one repealed by the clean-up, one under legality review; and one clean-up round whose two
lists are public. The town's rules for them are settings with an illustrative source (the national texts leave
them to local rules, legal-facts-2 §1 and §9).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from workflow import accounts
from workflow.clock import FixedClock
from workflow.db import writing
from workflow.engine import Engine, Outcome
from workflow.models import CaseDeadline
from workflow.procedures.normative_document import cleanup
from workflow.procedures.normative_document.law import REVIEW_POINTS

SOURCE = ("ILLUSTRATIVE 演示数据：示意《后龙镇人民政府行政规范性文件管理办法》及泉港区人民政府的有关规定（含备案期限、审核主体）；"
          "以本镇和本区实际规定为准")
SETTINGS: tuple[tuple[str, Any], ...] = (
    ("normative.legality_reviewer", "internal"),  # 后龙镇司法所 is designated (115号（四）)
    ("normative.comment_min_working_days", 7),
    ("normative.comment_min_days_business", 30),
    ("normative.collective_forum", "镇长办公会议"),
    ("normative.filing_recipient", "泉州市泉港区人民政府"),
    ("normative.filing_days", 15),
    ("normative.filing_day_unit", "calendar_days"),
    ("normative.max_validity_years", 5),
    ("normative.expiry_reminder_working_days", 20),
)
# (username, display name, unit, roles): a reviewer of the body the district designates (the general office's
# clerk, 周敏, is one of the town's people: workflow/demo.py), with an account of his own.
STAFF: tuple[tuple[str, str, str, list[str]], ...] = (
    ("linhai", "林海", "泉港区司法局", ["county_reviewer"]),
)
DRAFTER, OFFICE, REVIEWER, HEAD = "zhangwei", "zhoumin", "chenjing", "huangzhenhua"


def seed_people_and_rules(engine: Engine, org_id: str, password_hash: str, now: Any) -> None:
    with writing(engine.sessions) as session:
        for username, name, unit, roles in STAFF:
            accounts.create_user(session, org_id=org_id, username=username, display_name=name, unit=unit,
                                 password_hash=password_hash, roles=roles)
        for key, value in SETTINGS:
            accounts.set_setting(session, org_id=org_id, key=key, value=value, source=SOURCE, by="admin", now=now)


class NormativeStory:
    def __init__(self, engine: Engine, clock: FixedClock, org_id: str):
        self.engine, self.clock, self.org_id = engine, clock, org_id
        self.year = 0

    def today(self) -> date:
        return self.engine.today()

    def ok(self, case_id: str, trigger: str, actor: str, payload: dict[str, Any], days: float = 1) -> Outcome:
        self.clock.advance(days=days)
        outcome = self.engine.fire(case_id, trigger, actor, payload)
        if not outcome.ok:
            raise RuntimeError(f"demo step {trigger} on {case_id} refused: {[r.zh for r in outcome.reasons]}")
        return outcome

    def _wait_until_after(self, case_id: str, deadline: str) -> None:
        with self.engine.sessions() as session:
            row = session.get(CaseDeadline, (case_id, deadline))
            due = row.due if row is not None else None
        while due is not None and self.today() <= due:
            self.clock.advance(days=1)

    def draft(self, title: str, summary: str, basis: str) -> str:
        self.clock.advance(hours=2)
        outcome = self.engine.create_case("normative_document", DRAFTER, {
            "title": title, "drafting_unit": "村镇建设服务中心", "summary": summary, "superior_basis": basis,
            "new_obligations": True, "affects_business": False})
        if not outcome.ok or outcome.case_id is None:
            raise RuntimeError(f"demo document {title} refused: {[r.zh for r in outcome.reasons]}")
        cid = outcome.case_id
        self.ok(cid, "confirm_normative", REVIEWER, {"affects_rights": True, "binds_generally": True,
                                                     "applies_repeatedly": True, "note": "涉及群众权利义务，普遍适用"})
        return cid

    def to_review(self, cid: str, points: int = len(REVIEW_POINTS)) -> None:
        self.ok(cid, "record_evaluation", DRAFTER, {"done": "done", "findings": "经评估论证，制定必要、可行"})
        closes = self.engine.calendar.add_working_days(self.today() + timedelta(days=1), 8).date
        self.ok(cid, "open_public_comment", DRAFTER, {"channels": ["后龙镇人民政府网站", "镇政务公开栏"],
                                                       "closes_on": closes.isoformat()})
        self._wait_until_after(cid, "comment_period")
        self.ok(cid, "close_public_comment", DRAFTER, {"comments_received": 2, "adoption": "采纳1条，1条不予采纳并说明理由"})
        self.ok(cid, "submit_to_office", DRAFTER, {"draft": True, "explanation": True, "legal_basis": True,
                                                    "comment_adoption": True, "own_opinion": True})
        self.ok(cid, "forward_for_review", OFFICE, {"note": "材料齐全，转司法所审核"}, days=0.2)
        for item in REVIEW_POINTS[:points]:
            self.ok(cid, "record_review_point", REVIEWER, {"item": item, "finding": "compliant"}, days=0.05)

    def to_registered(self, cid: str, number: int) -> None:
        """From drafting to the unified register: comment, review, deliberation, signature, number."""
        self.to_review(cid)
        # the review takes its time: at least 5 working days from receipt (115号（五）), holidays not counted
        review_days = (self.engine.calendar.add_working_days(self.today(), 6).date - self.today()).days
        self.ok(cid, "issue_legality_opinion", REVIEWER, {"outcome": "lawful",
                                                           "opinion": "经审核，制定主体合法，未超越职权，内容和程序符合规定"},
                days=review_days)
        self.ok(cid, "submit_for_deliberation", DRAFTER, {"opinion_adopted": "fully"})
        self.ok(cid, "adopt_at_meeting", HEAD, {"forum": "镇长办公会议", "meeting_date": self.today().isoformat(),
                                                "attendees": ["黄振华", "吴建国", "郑丽", "许文"],
                                                "views": "与会人员一致同意，无不同意见"}, days=2)
        self.ok(cid, "sign", HEAD, {"signed_on": self.today().isoformat()}, days=0.1)
        self.ok(cid, "register_and_number", OFFICE, {"register_no": f"龙政规〔{self.today().year}〕{number}号",
                                                      "registered_on": self.today().isoformat()}, days=0.1)

    def to_force(self, cid: str, number: int, valid_until: Callable[[date], date], kind: str = "ordinary") -> None:
        self.to_registered(cid, number)
        self.ok(cid, "record_publication", OFFICE, {"channel": "portal", "published_on": self.today().isoformat(),
                                                     "location": f"http://www.qg.gov.cn/houlong/gfxwj/{number}.htm"},
                days=0.1)
        effective = self.today() + timedelta(days=1)
        self.ok(cid, "enter_into_force", OFFICE, {"effective_on": effective.isoformat(), "kind": kind,
                                                   "valid_until": valid_until(effective).isoformat()}, days=0.1)
        self.ok(cid, "file_with_superior", OFFICE, {"recipient": "泉州市泉港区人民政府", "filed_on": self.today().isoformat(),
                                                     "filing_ref": f"龙政文〔{self.today().year}〕{20 + number}号"}, days=3)

    def expire(self, cid: str) -> None:
        """The day after the validity ends the system ends it (what the timer worker does, here at once)."""
        self._wait_until_after(cid, "validity")
        with writing(self.engine.sessions) as session:
            system = accounts.ensure_system_account(session, self.org_id).username
        self.ok(cid, "expire", system, {}, days=0)


def tell(engine: Engine, clock: FixedClock, org_id: str, real_now: Any) -> list[str]:
    """The documents and the clean-up, starting 175 days ago; the ids of the cases opened, in order."""
    story = NormativeStory(engine, clock, org_id)
    clock.current = real_now - timedelta(days=175)
    stalls = story.draft("后龙镇集镇摊点管理暂行规定", "规范集镇摊点设置、经营时间和卫生责任。",
                         "《城市市容和环境卫生管理条例》第十四条")
    story.to_force(stalls, 1, lambda d: d.replace(year=d.year + 3), kind="interim")
    homes = story.draft("后龙镇农村宅基地建房管理规定", "规范农村村民住宅建设的申请、审查、批准和监管，明确村民的申报义务。",
                        "《中华人民共和国土地管理法》第六十二条；《福建省农村村民住宅建设管理办法》")
    story.to_force(homes, 2, lambda d: d.replace(year=d.year + 5))
    floods = story.draft("后龙镇汛期临时避险转移工作规定（试行）", "规定汛期危险区域群众临时避险转移的组织、责任和保障。",
                         "《中华人民共和国防洪法》第四十六条；《福建省防洪条例》")
    story.to_force(floods, 3, lambda d: d + timedelta(days=30), kind="trial")
    story.ok(floods, "evaluate_before_expiry", DRAFTER, {"conclusion": "lapse",
                                                         "report": "汛期已过，临时措施届满后不再施行；明年汛前另行制定"}, days=10)
    story.expire(floods)

    clock.advance(days=2)
    outcome = engine.create_case("normative_cleanup", REVIEWER, {
        "title": f"后龙镇{story.today().year}年行政规范性文件清理", "scope_date": story.today().isoformat(),
        "lead_body": "后龙镇司法所", "reason": "泉港区人民政府部署的行政规范性文件全面清理"})
    assert outcome.case_id
    round_ = outcome.case_id
    story.ok(round_, "record_document_outcome", REVIEWER, {"document": homes, "outcome": "retain",
                                                            "reasons": "符合上位法规定，继续有效"})
    story.ok(round_, "record_document_outcome", REVIEWER, {"document": stalls, "outcome": "repeal",
                                                            "reasons": "集镇摊点已纳入区市场监管统一管理，本规定不再适用"})
    clock.advance(days=3)
    story.ok(round_, "publish_results", HEAD, {"notice_ref": f"龙政告〔{story.today().year}〕1号",
                                               "published_on": story.today().isoformat(),
                                               "location": "http://www.qg.gov.cn/houlong/gfxwj/qingli.htm"}, days=0)
    clock.advance(hours=1)
    for done in cleanup.apply_repeals(engine, round_, HEAD):
        if not done.ok:
            raise RuntimeError(f"demo clean-up repeal refused: {[r.zh for r in done.reasons]}")

    cleaning = story.draft("后龙镇村庄保洁管理办法", "明确村庄公共区域保洁责任、垃圾收运和村民的保洁义务。",
                           "《福建省城乡生活垃圾管理条例》")
    story.to_review(cleaning, points=4)  # under legality review: four of the seven points examined so far
    if clock.now() > real_now:
        raise RuntimeError(f"the normative documents' story ran {clock.now() - real_now} past the present")
    return [stalls, homes, floods, round_, cleaning]
