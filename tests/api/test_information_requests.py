"""The generic case API carries a request for government information like any procedure: opened, stepped and
refused with the regulation's articles, through the engine (definitions/information_request.v1.yaml)."""

from __future__ import annotations

import pytest

# The API's contract, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

INFO_REQUEST = {"title": "后龙镇2025年农村危房改造补助资金发放情况", "applicant": "陈建华",
                "applicant_type": "natural_person", "contact": "13900000000",
                "description": "2025年度补助对象名单及补助金额", "access_form": "electronic",
                "channel": "registered_mail"}


def test_a_request_is_opened_confirmed_and_refused_with_its_article_through_the_api(api_for, town) -> None:
    officer = api_for("zhoumin")
    opened = officer.post("/cases", json={"procedure": "information_request", "payload": INFO_REQUEST})
    assert opened.status_code == 201, opened.get_json()
    body = opened.get_json()
    case_id = body["id"]
    assert body["state"] == "submitted" and body["procedure_label"]["zh"] == "政府信息公开申请"
    today = town.engine.today()
    steps = officer.get(f"/cases/{case_id}/transitions").get_json()
    assert "confirm_receipt" in str(steps)

    # 第三十一条: mail needing a signature is received the day it was signed for, not the day it is typed in
    wrong = officer.fire(case_id, "confirm_receipt", {"received_on": today.isoformat(),
                                                      "signed_for_on": "2020-01-02"})
    assert wrong.status_code == 422, wrong.get_json()
    [reason] = wrong.get_json()["details"]["reasons"]
    assert reason["code"] == "receipt_day_per_channel" and "第三十一条" in reason["article"]
    assert "2020-01-02" in reason["zh"] and reason["en"]

    day = today.isoformat()
    done = officer.fire(case_id, "confirm_receipt", {"received_on": day, "signed_for_on": day})
    assert done.status_code == 200, done.get_json()
    case = officer.get(f"/cases/{case_id}").get_json()
    assert case["state"] == "processing" and case["data"]["receipt"]["received_on"] == day
    history = officer.get(f"/cases/{case_id}/history").get_json()
    assert [(e["kind"], e["trigger"]) for e in history["items"]] == [
        ("created", "create"), ("refused", "confirm_receipt"), ("transition", "confirm_receipt")]
    assert history["items"][1]["reasons"][0]["code"] == "receipt_day_per_channel"
