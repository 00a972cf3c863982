"""Who may call the API: a bearer token acts as its owner; a browser session may only read; anything else
is 401 in JSON (never the login page)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from tests.api.conftest import PROPOSAL, START, ApiClient, is_json_error, new_case
from tests.web.helpers import csrf_from, login
from workflow import tokens
from workflow.db import writing
from workflow.models import ApiToken, Case, RoleAssignment, User

# The API's contract, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

PATHS = ["/cases", "/cases/houlong-MD-2026-0001", "/cases/houlong-MD-2026-0001/transitions", "/cases/houlong-MD-2026-0001/history",
         "/definitions", "/definitions/major_decision/1", "/audit/export", "/no/such/path"]


def test_without_credentials_every_api_path_is_401_json(anonymous) -> None:
    for path in PATHS:
        response = anonymous.get(path)
        body = is_json_error(response, 401)
        assert body["code"] == "unauthorized", path
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert is_json_error(anonymous.post("/cases", json={"procedure": "major_decision"}), 401)


def test_outside_v1_the_api_answers_json_too(app) -> None:
    response = app.test_client().get("/api/v2/cases")
    assert is_json_error(response, 401)
    assert is_json_error(app.test_client().post("/api", json={}), 401)


def test_a_bad_token_is_401_invalid_token(app) -> None:
    for header in ("Bearer lf_not-a-real-token", "Bearer ", "Basic emhhbmd3ZWk6aG91bG9uZzIwMjY=",
                   "lf_token-without-scheme", "Bearer lf_a lf_b"):
        response = app.test_client().get("/api/v1/cases", headers={"Authorization": header})
        body = is_json_error(response, 401)
        assert body["code"] == "invalid_token", header
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_revoked_token_stops_working_at_once(app, town, token_for) -> None:
    token = token_for("zhangwei")
    client = ApiClient(app.test_client(), token)
    assert client.get("/cases").status_code == 200
    with town.sessions.begin() as s:
        row = s.scalar(select(ApiToken).where(ApiToken.token_hash == tokens.digest(token)))
        tokens.revoke(s, row.id, town.clock.now())
    assert is_json_error(client.get("/cases"), 401)["code"] == "invalid_token"
    assert is_json_error(client.post("/cases", json={"procedure": "major_decision", "payload": PROPOSAL}),
                         401)["code"] == "invalid_token"
    with town.sessions() as s:
        assert s.query(Case).count() == 0


def test_a_disabled_owners_token_is_401(app, town, token_for) -> None:
    client = ApiClient(app.test_client(), token_for("lina"))
    with writing(town.sessions) as s:
        s.scalar(select(User).where(User.username == "lina")).active = False
    assert is_json_error(client.get("/cases"), 401)["code"] == "invalid_token"


def test_a_token_acts_as_its_owner_with_the_roles_held_now(app, town, token_for) -> None:
    client = ApiClient(app.test_client(), token_for("zhangwei"))
    created = client.post("/cases", json={"procedure": "major_decision", "payload": PROPOSAL})
    assert created.status_code == 201 and created.get_json()["created_by"] == "zhangwei"
    with writing(town.sessions) as s:  # the drafter role is taken away: the next request knows
        user = s.scalar(select(User).where(User.username == "zhangwei"))
        s.execute(delete(RoleAssignment).where(RoleAssignment.user_id == user.id))
    assert is_json_error(client.post("/cases", json={"procedure": "major_decision", "payload": PROPOSAL}),
                         403)["details"]["reasons"][0]["code"] == "role_not_allowed"


def test_last_used_is_recorded(app, town, token_for) -> None:
    token = token_for("zhangwei")
    ApiClient(app.test_client(), token).get("/definitions")
    with town.sessions() as s:
        row = s.scalar(select(ApiToken).where(ApiToken.token_hash == tokens.digest(token)))
        assert tokens.aware(row.last_used_at) == town.clock.now()


def test_a_browser_session_may_read_but_not_change(app, town) -> None:
    case_id = new_case(town)
    browser = app.test_client()
    assert login(browser, "huangzhenhua").status_code == 302
    assert browser.get("/api/v1/cases").get_json()["total"] == 1
    assert browser.get(f"/api/v1/cases/{case_id}/transitions").get_json()["steps"]
    token = csrf_from(browser.get("/cases/"))  # even with the session's CSRF token
    response = browser.post(f"/api/v1/cases/{case_id}/transitions/start", json={"payload": START},
                            headers={"If-Match": 'W/"1"', "X-CSRF-Token": token})
    body = is_json_error(response, 401)
    assert body["code"] == "token_required" and "令牌" in body["message"]
    with town.sessions() as s:
        assert s.get(Case, case_id).state == "proposed"


def test_the_document_and_the_explorer_need_no_credentials(anonymous) -> None:
    assert anonymous.get("/openapi.json").status_code == 200
    assert anonymous.get("/docs").status_code == 200
