"""The generic case API serves the normative documents (行政规范性文件) with nothing of their own: a client opens
one, reads the steps offered, takes the gate and is refused with the rule's article when the answer does not fit.

The API's contract, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
"""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiClient

pytestmark = pytest.mark.one_database

NORMATIVE = {"title": "后龙镇农村宅基地建房管理规定", "drafting_unit": "村镇建设服务中心",
             "summary": "规范农村村民住宅建设的申请、审查、批准和监管。",
             "superior_basis": "《中华人民共和国土地管理法》第六十二条", "new_obligations": True,
             "affects_business": False}
GATE = {"affects_rights": True, "binds_generally": True, "applies_repeatedly": True}


def test_a_normative_document_goes_through_the_generic_case_api(api_for) -> None:
    drafter: ApiClient = api_for("zhangwei")
    opened = drafter.post("/cases", json={"procedure": "normative_document", "payload": NORMATIVE})
    assert opened.status_code == 201, opened.get_json()
    case_id = opened.get_json()["id"]
    assert opened.get_json()["state"] == "screening"

    counsel: ApiClient = api_for("chenjing")
    offered = counsel.get(f"/cases/{case_id}/transitions").get_json()
    triggers = {t["trigger"] for t in offered["steps"]}
    assert {"confirm_normative", "exclude"} <= triggers

    refused = counsel.fire(case_id, "confirm_normative", {**GATE, "binds_generally": False})
    assert refused.status_code == 422
    reasons = refused.get_json()["details"]["reasons"]
    assert [r["code"] for r in reasons] == ["normative_criteria_met"]
    assert "国办发〔2018〕115号" in reasons[0]["article"] and "不具有普遍约束力" in reasons[0]["zh"]

    taken = counsel.fire(case_id, "confirm_normative", GATE)
    assert taken.status_code == 200, taken.get_json()
    case = counsel.get(f"/cases/{case_id}").get_json()
    assert case["state"] == "drafting"
    assert case["data"]["gate"]["recorded_by"] == "chenjing"
