"""English messages that are English (issue 17 item 5): an integrator's log shows `message_en`, and each reason's
`en`; a Chinese text there (an article's citation, an untranslated message) is unreadable to them. The articles
stay in each reason's `article`. Requests chosen so that no value the caller sent (Chinese data) is echoed."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import START, new_case

pytestmark = pytest.mark.one_database

CHINESE = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff01-\uff5e]")


def test_the_english_of_refusals_and_errors_holds_no_chinese(api_for, anonymous, town) -> None:
    case_id = new_case(town)
    drafter, head, admin = api_for("zhangwei"), api_for("huangzhenhua"), api_for("admin")
    answers = {
        "role_not_allowed": drafter.fire(case_id, "start", START),
        "invalid_payload": head.fire(case_id, "start", {}),
        "stale": head.fire(case_id, "start", START, version=0),
        "unknown_trigger": head.fire(case_id, "no_such_step", {}),
        "case_not_found": head.get("/cases/houlong-MD-2099-9999"),
        "unauthorized": anonymous.get("/cases"),
        "validation_error": head.get("/cases?page_size=1000"),
        "unknown_procedure": drafter.post("/cases", json={"procedure": "no_such_procedure", "payload": {}}),
        "admin_only": drafter.get("/webhooks"),
        "admin_refused": admin.post("/webhooks", json={"name": "x", "url": "ftp://example.org/"}),
        "webhook_not_found": admin.get("/webhooks/999/deliveries"),
    }
    for what, response in answers.items():
        body = response.get_json()
        assert response.status_code >= 400 and body["message_en"], (what, body)
        assert not CHINESE.search(body["message_en"]), (what, body["message_en"])
        for reason in body["details"].get("reasons", []):
            assert not CHINESE.search(reason["en"]), (what, reason)
        for messages in body["details"].get("fields", {}).values():
            assert not any(CHINESE.search(m["en"]) for m in messages), (what, messages)
    assert [r["article"] for r in answers["role_not_allowed"].get_json()["details"]["reasons"]][0]  # kept there
