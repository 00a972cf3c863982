"""The generic case API serves the contract legality review (合同合法性审查) with nothing of its own: a drafter
submits a contract, the adviser is refused an opinion before every point has a finding, with the rule's source.

The API's contract, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
"""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiClient
from workflow import accounts
from workflow.db import writing
from workflow.demo import ORG
from workflow.runtime import Runtime

pytestmark = pytest.mark.one_database

CONTRACT = {"title": "后龙镇农贸市场摊位租赁合同", "contracting_unit": "经济发展办公室",
            "counterparty": "泉州市某商贸有限公司", "amount": "360000", "term": "三年", "kind": "state_assets",
            "administrative_agreement": False, "text": "甲方将农贸市场一层摊位出租给乙方。"}
# The town's contract rules (no national rule: organisation settings with their source, workflow/settings.py).
RULES = {"contract.review_working_days": 5, "contract.filing_working_days": 5,
         "contract.excluded_kinds": ["procurement"], "contract.major_amount": 300000}


def set_contract_rules(town: Runtime) -> None:
    with writing(town.sessions) as session:
        for key, value in RULES.items():
            accounts.set_setting(session, org_id=ORG, key=key, value=value, source="后龙镇合同合法性审查办法（示意）",
                                 by="admin", now=town.clock.now())


def test_a_contract_goes_through_the_generic_case_api(api_for, town) -> None:
    set_contract_rules(town)
    drafter: ApiClient = api_for("lina")
    excluded = drafter.post("/cases", json={"procedure": "contract_review",
                                            "payload": {**CONTRACT, "kind": "procurement"}})
    assert excluded.status_code == 422
    assert [r["code"] for r in excluded.get_json()["details"]["reasons"]] == ["contract_kind_not_excluded"]

    opened = drafter.post("/cases", json={"procedure": "contract_review", "payload": CONTRACT})
    assert opened.status_code == 201, opened.get_json()
    case_id = opened.get_json()["id"]
    assert opened.get_json()["state"] == "under_review"

    adviser: ApiClient = api_for("linzhiyuan")
    triggers = {t["trigger"] for t in adviser.get(f"/cases/{case_id}/transitions").get_json()["steps"]}
    assert {"record_review_point", "issue_opinion"} <= triggers
    refused = adviser.fire(case_id, "issue_opinion", {"outcome": "approve", "opinion": "同意"})
    assert refused.status_code == 422
    reasons = refused.get_json()["details"]["reasons"]
    assert [r["code"] for r in reasons] == ["contract_points_reviewed"]
    assert "审查内容" in reasons[0]["article"] and "争议解决条款" in reasons[0]["zh"]
    assert adviser.get(f"/cases/{case_id}").get_json()["state"] == "under_review"

    # The legal office's reviewer reviews and approves; the head may not sign this major contract (360,000 yuan
    # at or above the town's 300,000) without the adviser heard, and the refusal names the setting.
    counsel: ApiClient = api_for("chenjing")
    for point in ("capacity", "terms", "dispute", "form"):
        assert counsel.fire(case_id, "record_review_point", {"item": point, "finding": "符合规定"}).status_code == 200
    assert counsel.fire(case_id, "issue_opinion", {"outcome": "approve", "opinion": "同意"}).status_code == 200
    head: ApiClient = api_for("huangzhenhua")
    refused = head.fire(case_id, "sign_contract", {"signed_on": town.engine.today().isoformat(), "signatory": "黄振华"})
    assert refused.status_code == 422
    [reason] = refused.get_json()["details"]["reasons"]
    assert reason["code"] == "major_contract_adviser_heard" and "contract.major_amount" in reason["en"]
