"""Service accounts and scoped tokens (issue 17 item 4): an integration acts on behalf of named users through one
credential, with each user's own roles and separation of duties, and the audit event records both; tokens are
issued and revoked through the API by administrators; a token may be read-only or limited to procedures."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.api.conftest import ENFORCEMENT, PROPOSAL, START, ApiClient, is_json_error, new_case, other_town
from workflow.models import AuditEvent

ON_BEHALF = "X-On-Behalf-Of"


@pytest.fixture
def service(app, town, api_for) -> ApiClient:
    """An OA system's service account (a user with no roles of its own) and a token that acts for users."""
    from workflow import accounts
    from workflow.db import writing

    with writing(town.sessions) as s:
        accounts.create_user(s, username="oa_service", display_name="党政办 OA 系统", org_id="houlong", roles=[],
                             password_hash="x")
    issued = api_for("admin").post("/tokens", json={"username": "oa_service", "name": "OA 对接",
                                                    "acts_for_users": True})
    assert issued.status_code == 201, issued.get_json()
    return ApiClient(app.test_client(), issued.get_json()["token"])


def _event(town, case_id: str, seq: int) -> AuditEvent:
    with town.sessions() as s:
        return s.scalar(select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.seq == seq))


def test_a_service_account_acts_for_a_user_and_the_event_records_both(service, town) -> None:
    opened = service.post("/cases", json={"procedure": "major_decision", "payload": PROPOSAL},
                          headers={ON_BEHALF: "zhangwei"})
    assert opened.status_code == 201, opened.get_json()
    case_id = opened.get_json()["case_id"]
    created = _event(town, case_id, 1)
    assert (created.actor, created.role) == ("zhangwei", "drafter")
    assert '"via":"oa_service"' in (created.facts or "")
    started = service.post(f"/cases/{case_id}/transitions/start", json={"payload": START},
                           headers={ON_BEHALF: "huangzhenhua", "If-Match": 'W/"1"'})
    assert started.status_code == 200, started.get_json()
    assert _event(town, case_id, 2).actor == "huangzhenhua" and "oa_service" in _event(town, case_id, 2).facts


def test_the_users_own_roles_apply_and_a_refusal_records_the_integration(service, town) -> None:
    case_id = new_case(town)
    refused = service.post(f"/cases/{case_id}/transitions/start", json={"payload": START},
                           headers={ON_BEHALF: "zhangwei", "If-Match": 'W/"1"'})  # a drafter may not start it
    body = is_json_error(refused, 403)
    assert [r["code"] for r in body["details"]["reasons"]] == ["role_not_allowed"]
    event = _event(town, case_id, 2)
    assert (event.kind, event.actor) == ("refused", "zhangwei") and "oa_service" in event.facts


def test_a_user_of_another_organisation_cannot_be_acted_for(service, town) -> None:
    other_town(town)
    body = is_json_error(service.get("/cases", headers={ON_BEHALF: "xiaming"}), 403)
    assert body["code"] == "on_behalf_unknown_user"


def test_an_ordinary_token_cannot_act_for_others(api_for) -> None:
    body = is_json_error(api_for("zhangwei").get("/cases", headers={ON_BEHALF: "huangzhenhua"}), 403)
    assert body["code"] == "on_behalf_not_allowed"


def test_a_read_only_token_reads_and_may_not_write(app, api_for, town) -> None:
    issued = api_for("admin").post("/tokens", json={"username": "zhangwei", "name": "报表工具", "read_only": True})
    reader = ApiClient(app.test_client(), issued.get_json()["token"])
    assert reader.get("/cases").status_code == 200
    body = is_json_error(reader.post("/cases", json={"procedure": "major_decision", "payload": PROPOSAL}), 403)
    assert body["code"] == "token_read_only"
    with town.sessions() as s:
        assert s.scalar(select(AuditEvent).where(AuditEvent.kind == "created")) is None  # nothing was opened


def test_a_token_limited_to_a_procedure_sees_and_opens_only_its_cases(app, api_for, town) -> None:
    decision = new_case(town)
    enforcement = town.engine.create_case("enforcement_case", "wanghai", ENFORCEMENT).case_id
    issued = api_for("admin").post("/tokens", json={"username": "chenjing", "name": "执法平台",
                                                    "procedures": ["enforcement_case"]})
    assert issued.status_code == 201, issued.get_json()
    scoped = ApiClient(app.test_client(), issued.get_json()["token"])
    listed = {c["case_id"] for c in scoped.get("/cases").get_json()["items"]}
    assert enforcement in listed and decision not in listed
    is_json_error(scoped.get(f"/cases/{decision}"), 404)
    body = is_json_error(scoped.post("/cases", json={"procedure": "major_decision", "payload": PROPOSAL}), 403)
    assert body["code"] == "token_procedure_scope"


def test_tokens_are_issued_listed_and_revoked_by_administrators_only(app, api_for) -> None:
    admin = api_for("admin")
    is_json_error(api_for("zhangwei").post("/tokens", json={"username": "zhangwei", "name": "x"}), 403)
    issued = admin.post("/tokens", json={"username": "zhangwei", "name": "公文系统"}).get_json()
    assert issued["token"].startswith("lf_") and issued["acts_for_users"] is False
    listed = admin.get("/tokens").get_json()["items"]
    assert issued["id"] in {t["id"] for t in listed} and all("token" not in t for t in listed)
    unknown = is_json_error(admin.post("/tokens", json={"username": "zhangwei", "name": "x",
                                                        "procedures": ["no_such_procedure"]}), 422)
    assert "no_such_procedure" in unknown["message"]
    assert admin.request("DELETE", f"/tokens/{issued['id']}").status_code == 204
    revoked = ApiClient(app.test_client(), issued["token"])
    assert is_json_error(revoked.get("/cases"), 401)["code"] == "invalid_token"


def test_the_directory_lists_the_people_and_their_roles(api_for) -> None:
    body = api_for("zhangwei").get("/users").get_json()
    people = {p["username"]: p for p in body["people"]}
    assert "huangzhenhua" in people and not any(u.startswith(("public.", "system.")) for u in people)
    head = people["huangzhenhua"]
    assert head["name"] != "huangzhenhua" and "head" in {r["name"] for r in head["roles"]}
