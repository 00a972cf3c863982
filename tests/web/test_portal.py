"""The public register (行政执法公示): read without logging in, valid certificates only, withdrawals with reasons."""

from __future__ import annotations

from typing import Any

from tests.web.helpers import text
from workflow.demo import FIELD_STREETS, POWER_STREETS
from workflow.runtime import Runtime


def _ok(town: Runtime, case_id: str, trigger: str, actor: str, payload: dict[str, Any]) -> None:
    outcome = town.engine.fire(case_id, trigger, actor, payload)
    assert outcome.ok, [r.zh for r in outcome.reasons]


def published_and_withdrawn(town: Runtime) -> str:
    """A served 2000-yuan fine, published, then revoked on reconsideration and withdrawn."""
    today = town.clock.now().date().isoformat()
    opened = town.engine.create_case("enforcement_case", "wanghai", {
        "title": "陈某某在后龙街两侧堆放建材案", "party": "陈某某", "party_type": "individual",
        "facts": "当事人在后龙街两侧人行道堆放建材约20立方米。", "field": FIELD_STREETS, "power": POWER_STREETS,
        "legal_basis": "《城市市容和环境卫生管理条例》第三十六条"})
    assert opened.ok and opened.case_id, [r.zh for r in opened.reasons]
    cid = opened.case_id
    _ok(town, cid, "start_investigation", "wanghai", {"officers": ["wanghai", "caiming"]})
    _ok(town, cid, "notify_intended_penalty", "wanghai", {
        "penalty_type": "fine", "amount": "2000", "facts": "占道堆放建材", "reasons": "违反第十四条",
        "legal_basis": "第三十六条", "rights_told": "陈述、申辩", "notified_on": today})
    _ok(town, cid, "assess_major_case", "wanghai", {"major_public_interest": False,
                                                    "major_rights_after_hearing": False, "complex": False})
    _ok(town, cid, "decide_penalty", "huangzhenhua", {
        "document_no": "龙综执罚〔2026〕9号", "party": "陈某某", "facts_and_evidence": "勘验笔录、照片",
        "penalty_type": "fine", "amount": "2000", "legal_basis": "第三十六条", "performance": "十五日内缴纳",
        "reconsideration_body": "泉州市泉港区人民政府", "reconsideration_days": 60, "litigation_months": 6,
        "decided_on": today, "sealed": True})
    _ok(town, cid, "serve_decision", "wanghai", {"method": "direct", "served_on": today, "proof_ref": "回证-9"})
    _ok(town, cid, "publish_decision", "wanghai", {"channel": "portal", "location": "后龙镇政府网站",
                                                   "published_on": today})
    _ok(town, cid, "record_withdrawal_ground", "wanghai", {"ground": "revoked", "document_ref": "泉港政复决〔2026〕3号",
                                                           "occurred_on": today})
    _ok(town, cid, "withdraw_publication", "wanghai", {"public_reason": "该决定已被行政复议决定撤销",
                                                       "withdrawn_on": today})
    return cid


def test_the_register_is_public_and_lists_only_valid_certificates(town, app):
    page = app.test_client().get("/public/register")
    assert page.status_code == 200, text(page)
    body = text(page)
    assert "行政执法公示" in body and "王海" in body and FIELD_STREETS in body
    assert "洪志强" not in body and "闽QG-2020-0033" not in body  # expired on 2026-01-31
    assert POWER_STREETS in body and "行政处罚案件（普通程序）" in body and "申请行政复议" in body


def test_a_withdrawn_decision_shows_its_reason(town, app):
    published_and_withdrawn(town)
    body = text(app.test_client().get("/public/register"))
    assert "龙综执罚〔2026〕9号" in body and "该决定已被行政复议决定撤销" in body
    assert "暂无公开的行政处罚决定" in body  # withdrawn, so no longer among the published


def test_the_register_in_english(town, app):
    body = text(app.test_client().get("/public/register?lang=en"))
    assert "Enforcement officers" in body and "Remedies" in body


def test_the_case_page_says_whether_the_publication_was_on_time(town, client_for):
    case_id = published_and_withdrawn(town)
    page = text(client_for("wanghai").get(f"/cases/{case_id}"))
    assert "处罚决定公开期限：期限至" in page and "按期" in page
    assert "撤回公开的处罚决定期限：期限至" in page
