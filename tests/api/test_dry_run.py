"""Dry-running a step through the API (POST …/transitions/{trigger}/check, engine.check): an OA system validates
a form before it submits it. The answer is what taking the step would come to, with every reason and article;
nothing is written — no event, no refusal in the audit trail, no new version."""

from __future__ import annotations

from tests.api.conftest import START, is_json_error, new_case
from tests.api.test_transitions import _state


def _check(client, case_id: str, trigger: str, payload=None, if_match: str | None = None):
    headers = {"If-Match": if_match} if if_match else {}
    return client.post(f"/cases/{case_id}/transitions/{trigger}/check", json={"payload": payload or {}},
                       headers=headers)


def test_a_step_that_would_land_is_answered_ok_and_nothing_is_written(api_for, town) -> None:
    case_id = new_case(town)
    before = _state(town, case_id)
    response = _check(api_for("huangzhenhua"), case_id, "start", START)
    assert response.status_code == 200 and response.headers["ETag"] == 'W/"1"'
    assert response.get_json() == {"case_id": case_id, "trigger": "start", "version": 1, "ok": True, "status": 200,
                                   "from_state": "proposed", "to_state": "drafting", "reasons": []}
    assert _state(town, case_id) == before
    assert api_for("huangzhenhua").fire(case_id, "start", START).status_code == 200  # taking it still decides


def test_a_step_that_would_be_refused_says_why_with_the_status_taking_it_would_get(api_for, town) -> None:
    case_id = new_case(town)
    before = _state(town, case_id)
    by_role = _check(api_for("zhangwei"), case_id, "start", START).get_json()
    assert (by_role["ok"], by_role["status"], by_role["to_state"]) == (False, 403, None)
    [reason] = by_role["reasons"]
    assert reason["code"] == "role_not_allowed" and reason["article"] == "条例第十条、第十一条"
    by_form = _check(api_for("huangzhenhua"), case_id, "start", {}).get_json()
    assert by_form["status"] == 422 and {r["field"] for r in by_form["reasons"]} >= {"lead_unit"}
    # the same refusal when the step is taken: the dry run said what fire() would
    taken = api_for("zhangwei").fire(case_id, "start", START)
    assert [r["code"] for r in is_json_error(taken, 403)["details"]["reasons"]] == [reason["code"]]
    state, version, events = _state(town, case_id)
    assert (state, version, events) == (before[0], before[1], before[2] + 1)  # only the real attempt is audited


def test_an_old_version_is_reported_stale_and_no_version_means_the_current_one(api_for, town) -> None:
    case_id = new_case(town)
    head = api_for("huangzhenhua")
    assert head.fire(case_id, "start", START).status_code == 200
    stale = _check(api_for("zhangwei"), case_id, "attach_material", {}, if_match='W/"1"').get_json()
    assert stale["status"] == 409 and [r["code"] for r in stale["reasons"]] == ["stale"]
    assert _check(head, case_id, "nope", {}).get_json()["ok"] is False
    assert is_json_error(_check(head, case_id, "NOT A STEP"), 404)["code"] == "step_not_found"
    assert is_json_error(_check(head, "no-such-case", "start"), 404)["code"] == "case_not_found"
