"""Taking steps through the API: the steps offered, If-Match as the case version (428 missing, 409 stale),
and the engine's refusals as 403/404/409/422 with every reason, its code, article and field."""

from __future__ import annotations

from tests.api.conftest import START, is_json_error, new_case
from workflow.demo import _Story
from workflow.models import AuditEvent, Case, RoleAssignment, User

OPEN_COMMENT = {"draft_ref": "草案", "explanation": "起草说明", "channels": ["镇政府网站"], "period_days": 30}


def _state(town, case_id: str) -> tuple[str, int, int]:
    with town.sessions() as s:
        case = s.get(Case, case_id)
        events = s.query(AuditEvent).filter(AuditEvent.case_id == case_id).count()
        return case.state, case.version, events


def test_the_steps_offered_to_the_caller_with_their_payload_fields(api_for, town) -> None:
    case_id = new_case(town)
    response = api_for("huangzhenhua").get(f"/cases/{case_id}/transitions")
    assert response.status_code == 200 and response.headers["ETag"] == 'W/"1"'
    body = response.get_json()
    assert (body["case_id"], body["state"], body["version"]) == (case_id, "proposed", 1)
    steps = {s["trigger"]: s for s in body["steps"]}
    assert set(steps) == {"start", "decline_to_start"}
    start = steps["start"]
    assert start["dest"] == "drafting" and start["roles"] == ["head"] and start["basis"] == "条例第十条、第十一条"
    lead = next(f for f in start["payload"] if f["name"] == "lead_unit")
    assert lead == {"name": "lead_unit", "type": "string", "label": {"zh": "决策承办单位", "en": "Lead drafting unit"},
                    "required": True, "choices": [], "min_length": None, "max_length": None, "minimum": None,
                    "maximum": None, "help": ""}
    drafter = api_for("zhangwei").get(f"/cases/{case_id}/transitions").get_json()["steps"]
    assert [s["trigger"] for s in drafter] == ["attach_material"]  # the head decides; the drafter may add files
    # a step with a guard lists it with its article
    assert api_for("huangzhenhua").fire(case_id, "start", START).status_code == 200
    drafter_steps = {s["trigger"]: s for s in api_for("zhangwei").get(f"/cases/{case_id}/transitions")
                     .get_json()["steps"]}
    [guard] = drafter_steps["open_public_comment"]["guards"]
    assert guard["name"] == "comment_period_lawful" and guard["article"].endswith("第十五条")
    assert guard["zh"] and guard["en"]
    choice = next(f for f in drafter_steps["open_public_comment"]["payload"] if f["name"] == "period_days")
    assert choice["type"] == "integer" and choice["required"] is True


def test_a_step_with_the_current_version_lands(api_for, town) -> None:
    head = api_for("huangzhenhua")
    for if_match in ('W/"1"', '"1"', "1", ' W/"1" '):  # the ETag as sent, as quoted, or the bare number
        case_id = new_case(town)
        response = head.fire(case_id, "start", START, version=if_match)
        assert response.status_code == 200, (if_match, response.get_json())
        body = response.get_json()
        assert body["from_state"] == "proposed" and body["to_state"] == "drafting" and body["version"] == 2
        assert body["state_label"] == {"zh": "起草", "en": "Drafting"}
        assert body["event"]["seq"] == 2 and len(body["event"]["hash"]) == 64
        assert response.headers["ETag"] == 'W/"2"'
        case = head.get(f"/cases/{case_id}")
        assert case.headers["ETag"] == 'W/"2"' and case.get_json()["data"]["initiation"]["lead_unit"] == "党政综合办公室"


def test_a_step_without_a_version_is_428_and_not_even_attempted(api_for, town) -> None:
    case_id = new_case(town)
    for headers in ({}, {"If-Match": ""}, {"If-Match": "*"}):
        body = is_json_error(api_for("huangzhenhua").post(f"/cases/{case_id}/transitions/start",
                                                          json={"payload": START}, headers=headers), 428)
        assert body["code"] == "precondition_required" and "If-Match" in body["message"]
    assert _state(town, case_id) == ("proposed", 1, 1)


def test_a_malformed_if_match_is_400_on_the_header(api_for, town) -> None:
    case_id = new_case(town)
    for if_match in ("abc", 'W/"x"', '"1", "2"', "-1"):
        body = is_json_error(api_for("huangzhenhua").post(f"/cases/{case_id}/transitions/start", json={
            "payload": START}, headers={"If-Match": if_match}), 400)
        assert "headers.If-Match" in body["details"]["fields"], if_match
    assert _state(town, case_id) == ("proposed", 1, 1)


def test_a_stale_version_is_409_with_the_engines_reason(api_for, town) -> None:
    case_id = new_case(town)
    head, other_head_client = api_for("huangzhenhua"), api_for("huangzhenhua")
    seen = head.get(f"/cases/{case_id}").headers["ETag"]
    assert other_head_client.fire(case_id, "start", START, version=seen).status_code == 200
    response = head.post(f"/cases/{case_id}/transitions/decline_to_start",
                         json={"payload": {"reason": "财政资金暂不具备条件"}}, headers={"If-Match": seen})
    body = is_json_error(response, 409)
    assert body["code"] == "refused" and [r["code"] for r in body["details"]["reasons"]] == ["stale"]
    assert "版本" in body["message"] and response.headers["ETag"] == 'W/"2"'  # the version to re-read
    assert _state(town, case_id) == ("drafting", 2, 3)  # unchanged but for the audited refusal


def test_a_guard_refusal_is_422_with_its_article(api_for, town) -> None:
    case_id = new_case(town)
    assert api_for("huangzhenhua").fire(case_id, "start", START).status_code == 200
    body = is_json_error(api_for("zhangwei").fire(case_id, "open_public_comment",
                                                  {**OPEN_COMMENT, "period_days": 10}), 422)
    [reason] = body["details"]["reasons"]
    assert reason["code"] == "comment_period_lawful" and reason["field"] is None
    assert reason["article"] == "《重大行政决策程序暂行条例》第十五条"
    assert "10日" in reason["zh"] and "10 days" in reason["en"]
    assert "第十五条" in body["message"]
    assert _state(town, case_id)[:2] == ("drafting", 2)


def test_an_invalid_payload_is_422_per_field_and_no_body_is_an_empty_payload(api_for, town) -> None:
    case_id = new_case(town)
    head = api_for("huangzhenhua")
    body = is_json_error(head.fire(case_id, "start", {"lead_unit": "", "co_units": "not a list",
                                                      "unknown": 1}), 422)
    assert {r["field"] for r in body["details"]["reasons"]} == {"lead_unit", "co_units", "unknown"}
    assert set(body["details"]["fields"]) == {"json.payload.lead_unit", "json.payload.co_units",
                                              "json.payload.unknown"}
    empty = head.post(f"/cases/{case_id}/transitions/start", headers={"If-Match": 'W/"1"'})
    assert [r["field"] for r in is_json_error(empty, 422)["details"]["reasons"]] == ["lead_unit"]


def test_a_role_refusal_is_403(api_for, town) -> None:
    case_id = new_case(town)
    body = is_json_error(api_for("zhangwei").fire(case_id, "start", START), 403)
    [reason] = body["details"]["reasons"]
    assert reason["code"] == "role_not_allowed" and reason["article"] == "条例第十条、第十一条"


def test_separation_of_duties_is_403(api_for, town) -> None:
    """陈静 drafted the decision, so she may not review its legality, though she holds the role."""
    with town.sessions.begin() as s:
        user = s.query(User).filter_by(username="chenjing").one()
        s.add(RoleAssignment(user_id=user.id, role="drafter"))
    case_id = new_case(town, actor="chenjing")
    story = _Story(town.engine, town.clock)
    story.to_argumentation(case_id, "chenjing", [])
    story.to_review(case_id, "chenjing")
    body = is_json_error(api_for("chenjing").fire(case_id, "record_adviser_opinion", {
        "adviser": "林志远", "capacity": "legal_adviser", "opinion": "合法"}), 403)
    assert [r["code"] for r in body["details"]["reasons"]] == ["separation_of_duties"]
    assert body["details"]["reasons"][0]["article"] == "条例第二十八条"


def test_a_step_not_possible_in_the_state_is_409_and_an_unknown_step_404(api_for, town) -> None:
    case_id = new_case(town)
    head = api_for("huangzhenhua")
    body = is_json_error(head.fire(case_id, "close_public_comment", {"summary": "x"}), 409)
    assert [r["code"] for r in body["details"]["reasons"]] == ["not_allowed_in_state"]
    body = is_json_error(head.fire(case_id, "no_such_step", {}), 404)
    assert [r["code"] for r in body["details"]["reasons"]] == ["unknown_trigger"]
    body = is_json_error(head.fire(case_id, "Not-A-Step", {}), 404)
    assert body["code"] == "step_not_found"


def test_history_lists_every_event_refusals_included_in_pages(api_for, town) -> None:
    case_id = new_case(town)
    api_for("zhangwei").fire(case_id, "start", START)  # refused: role
    api_for("huangzhenhua").fire(case_id, "start", START)
    client = api_for("liushen")
    first = client.get(f"/cases/{case_id}/history?page_size=2").get_json()
    assert (first["total"], first["pages"]) == (3, 2)
    assert [e["kind"] for e in first["items"]] == ["created", "refused"]
    refused = first["items"][1]
    assert refused["actor"] == "zhangwei" and refused["reasons"][0]["code"] == "role_not_allowed"
    assert refused["reasons"][0]["field"] is None and refused["prev"] == first["items"][0]["hash"]
    second = client.get(first["links"]["next"].removeprefix("/api/v1")).get_json()
    [last] = second["items"]
    assert last["kind"] == "transition" and last["to_state"] == "drafting" and last["seq"] == 3
    assert last["payload"]["lead_unit"] == "党政综合办公室" and last["at"].endswith("Z")
