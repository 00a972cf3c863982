"""A short history of 后龙镇 with late entries (补录), made through the engine: for the compliance and page tests.

2026-03-02 a penalty case is opened, notified and decided the same day; 03-10 its service of 03-03 is entered
late, with a reason; 03-16 its publication of 03-10 is entered late, with a reason (on time: the 7 working
days end 03-11). A decision opens its public comment on 03-02; 03-16 a comment received 03-03 is entered late.
The town's records.late_entry_days is set to the demo's 3 (workflow/demo.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from workflow import accounts
from workflow.clock import FixedClock
from workflow.db import writing
from workflow.demo import LATE_ENTRY_DEMO_DAYS, LATE_ENTRY_SOURCE, ORG
from workflow.engine import Outcome
from workflow.runtime import Runtime
from workflow.typed_dates import LATE_ENTRY_DAYS

SERVICE_REASON = "送达后执法人员外出办案，返回后据送达回证录入"
PUBLICATION_REASON = "公示平台已于3月10日发布，系统录入遗漏"
COMMENT_REASON = "信件由村委会转交，迟至3月16日送达承办单位"


def _ok(outcome: Outcome) -> Outcome:
    assert outcome.ok, [r.zh for r in outcome.reasons]
    return outcome


def tell(town: Runtime, clock: FixedClock) -> tuple[str, str]:
    """(the penalty case's id, the decision's id)."""
    engine = town.engine
    clock.set_local_date(date(2026, 3, 2))
    with writing(town.sessions) as session:
        accounts.set_setting(session, org_id=ORG, key=LATE_ENTRY_DAYS, value=LATE_ENTRY_DEMO_DAYS,
                             source=LATE_ENTRY_SOURCE, by="admin", now=clock.now())
    case = _ok(engine.create_case("enforcement_case", "wanghai", {
        "title": "陈某某在后龙街两侧堆放建材案", "party": "陈某某（后龙镇后龙村）", "party_type": "individual",
        "facts": "当事人在后龙街两侧人行道堆放建材约20立方米，经责令后未清理。", "field": "市容环境卫生",
        "power": "对在街道两侧和公共场地堆放物料、搭建建筑物或者构筑物的处罚",
        "legal_basis": "《城市市容和环境卫生管理条例》第十四条、第三十六条"})).case_id
    assert case is not None

    def fire(trigger: str, who: str, payload: dict[str, Any]) -> Outcome:
        return _ok(engine.fire(case, trigger, who, payload))

    fire("start_investigation", "wanghai", {"officers": ["wanghai", "caiming"]})
    fire("notify_intended_penalty", "wanghai", {
        "penalty_type": "fine", "amount": "2000", "facts": "当事人在后龙街两侧人行道堆放建材约20立方米",
        "reasons": "违反《城市市容和环境卫生管理条例》第十四条", "legal_basis": "《城市市容和环境卫生管理条例》第三十六条",
        "rights_told": "告知当事人有陈述、申辩的权利", "notified_on": "2026-03-02"})
    fire("assess_major_case", "wanghai", {"major_public_interest": False, "major_rights_after_hearing": False,
                                          "complex": False})
    fire("decide_penalty", "huangzhenhua", {
        "document_no": "龙综执罚〔2026〕1号", "party": "陈某某，住后龙镇后龙村", "facts_and_evidence": "现场勘验笔录、询问笔录",
        "penalty_type": "fine", "amount": "2000", "legal_basis": "《城市市容和环境卫生管理条例》第三十六条",
        "performance": "自收到本决定书之日起十五日内缴纳罚款", "reconsideration_body": "泉州市泉港区人民政府",
        "reconsideration_days": 60, "litigation_months": 6, "decided_on": "2026-03-02", "sealed": True})
    decision = _ok(engine.create_case("major_decision", "zhangwei", {
        "title": "后龙镇老旧小区改造实施方案", "category": "public_policy", "proposer": "leader",
        "summary": "镇区6个老旧小区设施老化，拟分批改造。"})).case_id
    assert decision is not None
    _ok(engine.fire(decision, "start", "huangzhenhua", {"lead_unit": "村镇建设服务中心"}))
    _ok(engine.fire(decision, "open_public_comment", "zhangwei", {
        "draft_ref": "征求意见稿", "explanation": "改造范围、内容和资金来源说明", "channels": ["后龙镇人民政府网站"],
        "period_days": 30}))
    clock.set_local_date(date(2026, 3, 10))
    fire("serve_decision", "wanghai", {"method": "direct", "served_on": "2026-03-03", "proof_ref": "送达回证-001",
                                       "late_entry_reason": SERVICE_REASON})
    clock.set_local_date(date(2026, 3, 16))
    fire("publish_decision", "wanghai", {"channel": "portal", "location": "后龙镇人民政府网站·行政执法公示专栏",
                                         "published_on": "2026-03-10", "late_entry_reason": PUBLICATION_REASON})
    _ok(engine.fire(decision, "record_comment", "zhangwei", {
        "commenter": "东风小区居民 林先生", "received_on": "2026-03-03", "content": "希望加装电梯纳入改造内容",
        "late_entry_reason": COMMENT_REASON}))
    return case, decision
