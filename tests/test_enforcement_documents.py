"""The rest of the enforcement set (issue 12 item 2) issued by the engine from the case's data, each read back with
pdftotext: the 立案审批表 (approve_filing), the 集体讨论记录 (the heads by name), the 法制审核意见书 (each item's
finding in the checklist's words), the 不予行政处罚决定书 (numbered into document_no; refused without the education
处罚法第三十三条第三款 requires), the 结案审批表 (the outcome); and service by public notice (民事诉讼法第九十五条):
recorded as served thirty days after the notice, the service period met by the notice."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from tests.test_documents import DECISION, FILING, _ok, issued, notified, set_codes
from workflow.audit.export import verify_database
from workflow.clock import FixedClock, utc_stamp
from workflow.models import AuditEvent, Case
from workflow.runtime import Runtime

pytestmark = pytest.mark.one_database

CODES = {"enforcement.document_code.filing_approval": "龙综执立",
         "enforcement.document_code.collective_discussion": "龙综执议",
         "enforcement.document_code.legal_review_opinion": "龙综执审",
         "enforcement.document_code.no_penalty_decision": "龙综执不罚",
         "enforcement.document_code.closing_approval": "龙综执结",
         "enforcement.document_code.penalty_decision": "龙综执罚"}
CHECKLIST = ("subject", "officer_qualification", "procedure", "facts", "evidence", "law_applied", "discretion",
             "authority", "documents", "crime_transfer")
NO_PENALTY = {"ground": "minor_corrected", "reasons": "当事人当日清理完毕，未造成危害后果"}


def _text(town: Runtime, case_id: str, doc_type: str) -> tuple[str, Any]:
    doc = next(d for d in issued(town, case_id) if d.doc_type == doc_type)
    # reading order, not -layout: a form's wrapped cell stays whole
    text = subprocess.run(["pdftotext", str(town.records.path_of(doc.sha256)), "-"], capture_output=True, text=True,
                          check=True).stdout
    return "".join(text.split()), doc


def _case(town: Runtime, case_id: str) -> Case:
    with town.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case


def test_opening_discussion_and_review_issue_their_documents(town: Runtime, clock: FixedClock) -> None:
    set_codes(town, clock, CODES)
    clock.set_local_date(date(2026, 3, 2))
    case_id = _ok(town.engine.create_case("enforcement_case", "wanghai", FILING)).case_id
    assert case_id is not None
    _ok(town.engine.fire(case_id, "approve_filing", "huangzhenhua",
                         {"opinion": "符合立案条件，同意立案", "approved_on": "2026-03-02"}))
    text, doc = _text(town, case_id, "enforcement_case/filing_approval")
    assert doc.number == "龙综执立〔2026〕1号"
    for part in ("立案审批表", "龙综执立〔2026〕1号", "陈某某在后龙街两侧堆放建材案", "陈某某（后龙镇后龙村）（公民）",
                 "《城市市容和环境卫生管理条例》第十四条、第三十六条", "符合立案条件，同意立案", "2026年3月2日"):
        assert part in text, part

    for trigger, payload in (
            ("start_investigation", {"officers": ["wanghai", "caiming"]}),
            ("notify_intended_penalty", {"penalty_type": "fine", "amount": "2000", "facts": "在后龙街两侧人行道堆放建材",
                                         "reasons": "经责令后仍未清理", "legal_basis": "《城市市容和环境卫生管理条例》第三十六条",
                                         "rights_told": "你（单位）可提出陈述、申辩", "notified_on": "2026-03-02"}),
            ("assess_major_case", {"major_public_interest": False, "major_rights_after_hearing": False, "complex": True})):
        _ok(town.engine.fire(case_id, trigger, "wanghai", payload))
    _ok(town.engine.fire(case_id, "record_collective_discussion", "huangzhenhua", {
        "meeting_date": "2026-03-02", "attendees": ["huangzhenhua", "wujianguo"], "conclusion": "同意按告知内容作出罚款处罚"}))
    text, doc = _text(town, case_id, "enforcement_case/collective_discussion")
    for part in ("行政处罚案件集体讨论记录", "龙综执议〔2026〕1号", "黄振华、吴建国", "同意按告知内容作出罚款处罚", "第五十七条第二款"):
        assert part in text, part

    review = _ok(town.engine.create_case("enforcement_review", "wanghai", {
        "title": "陈某某占道堆放建材案拟处罚款", "enforcement_case": case_id, "materials": ["调查终结报告", "证据材料"],
        "proposal": "拟处罚款2000元"})).case_id
    assert review is not None
    _ok(town.engine.fire(review, "accept_for_review", "chenjing", {}))
    for item in CHECKLIST:
        _ok(town.engine.fire(review, "record_checklist_finding", "chenjing", {"item": item, "finding": "compliant"}))
    _ok(town.engine.fire(review, "record_checklist_finding", "chenjing",
                         {"item": "discretion", "finding": "compliant", "note": "罚款数额在裁量基准幅度内"}))
    _ok(town.engine.fire(review, "pass_review", "chenjing", {"opinion": "事实清楚，证据充分，同意作出处罚决定"}))
    text, doc = _text(town, review, "enforcement_review/legal_review_opinion")
    for part in ("法制审核意见书", "龙综执审〔2026〕1号", f"行政处罚案件{case_id}", "拟处罚款2000元", "调查终结报告、证据材料",
                 "执法主体是否合法符合要求", "是否适当运用裁量基准符合要求：罚款数额在裁量基准幅度内",
                 "审核结论：审核通过。事实清楚，证据充分，同意作出处罚决定"):
        assert part in text, part
    with town.sessions() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.case_id == review, AuditEvent.seq == doc.event_seq))
    assert event is not None and event.facts is not None
    kept = json.loads(event.facts)["documents"][0]["data"]["findings"]  # what it said, fixed with it
    assert len(kept) == len(CHECKLIST) and kept[6]["note"] == "罚款数额在裁量基准幅度内"
    report = verify_database(town.sessions, town.origin, utc_stamp(clock.now()), registry=town.registry,
                             records_dir=str(town.records.root))
    assert report.ok, report.message


def test_no_penalty_decision_needs_the_education_and_closing_states_the_outcome(town: Runtime,
                                                                                clock: FixedClock) -> None:
    set_codes(town, clock, CODES)
    case_id = notified(town, clock)
    refused = town.engine.fire(case_id, "decide_no_penalty", "huangzhenhua", NO_PENALTY)
    assert not refused.ok
    reason = next(r for r in refused.reasons if r.code == "document_content_missing:no_penalty_decision")
    assert "《不予行政处罚决定书》缺少法定内容「对当事人进行教育的情况」" in reason.zh
    assert (reason.article, reason.field) == ("处罚法第三十三条第三款", "education")
    assert issued(town, case_id) == [] and _case(town, case_id).state == "notified"

    _ok(town.engine.fire(case_id, "decide_no_penalty", "huangzhenhua",
                         {**NO_PENALTY, "education": "向当事人讲解市容管理规定，当事人表示今后不再占道堆放"}))
    text, doc = _text(town, case_id, "enforcement_case/no_penalty_decision")
    assert doc.number == "龙综执不罚〔2026〕1号" == _case(town, case_id).data["no_penalty_decision"]["document_no"]
    for part in ("不予行政处罚决定书", "当事人：陈某某（后龙镇后龙村）", "违法行为轻微并及时改正，没有造成危害后果",
                 "决定对你（单位）不予行政处罚", "向当事人讲解市容管理规定", "2026年3月2日"):
        assert part in text, part

    _ok(town.engine.fire(case_id, "close_case", "huangzhenhua", {"summary": "当事人已清理占道物料，经教育后案件办结"}))
    text, doc = _text(town, case_id, "enforcement_case/closing_approval")
    for part in ("结案审批表", "龙综执结〔2026〕1号", "不予行政处罚（龙综执不罚〔2026〕1号）", "当事人已清理占道物料，经教育后案件办结"):
        assert part in text, part


def test_without_the_code_the_no_penalty_number_is_typed(town: Runtime, clock: FixedClock) -> None:
    case_id = notified(town, clock)
    refused = town.engine.fire(case_id, "decide_no_penalty", "huangzhenhua", NO_PENALTY)
    assert not refused.ok and any("须填写文号" in r.zh for r in refused.reasons), [r.zh for r in refused.reasons]
    _ok(town.engine.fire(case_id, "decide_no_penalty", "huangzhenhua", {**NO_PENALTY, "document_no": "龙综执不罚〔2026〕7号"}))
    assert issued(town, case_id) == []


def test_service_by_public_notice_is_deemed_thirty_days_after_the_notice(town: Runtime, clock: FixedClock) -> None:
    case_id = notified(town, clock)
    _ok(town.engine.fire(case_id, "decide_penalty", "huangzhenhua", {**DECISION, "document_no": "龙综执罚〔2026〕9号"}))
    public = {"method": "public_notice", "proof_ref": "送达回证-009"}
    refused = town.engine.fire(case_id, "serve_decision", "wanghai", {**public, "served_on": "2026-03-02"})
    assert not refused.ok and any(r.code == "public_notice_deemed_served" for r in refused.reasons)
    clock.set_local_date(date(2026, 3, 4))
    _ok(town.engine.fire(case_id, "publish_service_notice", "wanghai", {
        "ground": "whereabouts_unknown", "attempts": "两次上门均无人，村委会称当事人已外出，联系电话停机",
        "channel": "后龙镇人民政府公告栏及政府网站", "notice_on": "2026-03-04"}))
    with town.sessions() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.case_id == case_id)
                               .order_by(AuditEvent.seq.desc()).limit(1))
    assert event is not None and json.loads(event.facts or "{}")["timeliness"]["service_period"]["on_time"] is True

    clock.set_local_date(date(2026, 4, 2))  # 29 days after the notice: not yet served
    early = town.engine.fire(case_id, "serve_decision", "wanghai", {**public, "served_on": "2026-04-02"})
    reason = next(r for r in early.reasons if r.code == "public_notice_deemed_served")
    assert "至2026-04-03方视为送达" in reason.zh and "第九十五条" in reason.article
    clock.set_local_date(date(2026, 4, 10))
    wrong = town.engine.fire(case_id, "serve_decision", "wanghai", {**public, "served_on": "2026-04-10"})
    reason = next(r for r in wrong.reasons if r.code == "public_notice_deemed_served")
    assert "2026-04-03视为送达，送达日期应为2026-04-03，而非2026-04-10" in reason.zh
    _ok(town.engine.fire(case_id, "serve_decision", "wanghai", {**public, "served_on": "2026-04-03"}))
    assert _case(town, case_id).data["service"]["served_on"] == "2026-04-03"
