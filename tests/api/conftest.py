"""Fixtures for the API tests: the app on the `town` runtime (SQLite and PostgreSQL), and clients that
carry an API token of a demo user."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.apps import AppPool
from web.api.paths import PREFIX
from workflow import tokens
from workflow.demo import FIELD_STREETS, POWER_STREETS
from workflow.runtime import Runtime

PROPOSAL = {"title": "后龙镇生活垃圾分类实施办法", "category": "public_policy", "proposer": "leader",
            "summary": "落实生活垃圾分类要求，拟出台镇级实施办法。"}
START = {"lead_unit": "党政综合办公室", "co_units": ["司法所", "村镇建设服务中心"], "instructions": "请按程序组织起草"}


class ApiClient:
    """A test client that sends `Authorization: Bearer <token>` (if it has one) to /api/v1 paths."""

    def __init__(self, client: FlaskClient, token: str | None = None):
        self.client = client
        self.token = token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        base = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**base, **(headers or {})}

    def get(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> TestResponse:
        return self.client.get(PREFIX + path, headers=self._headers(headers), **kwargs)

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None,
             **kwargs: Any) -> TestResponse:
        if json is not None:
            kwargs["json"] = json
        return self.client.post(PREFIX + path, headers=self._headers(headers), **kwargs)

    def request(self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> TestResponse:
        return self.client.open(PREFIX + path, method=method, headers=self._headers(headers), **kwargs)

    def fire(self, case_id: str, trigger: str, payload: dict[str, Any] | None = None,
             version: int | str | None = None) -> TestResponse:
        """Take a step with the case's current ETag as If-Match (read first, as a client would)."""
        if version is None:
            version = self.get(f"/cases/{case_id}").headers["ETag"]
        return self.post(f"/cases/{case_id}/transitions/{trigger}", json={"payload": payload or {}},
                         headers={"If-Match": str(version)})


@pytest.fixture
def app(town: Runtime, app_pool: AppPool) -> Iterator[Flask]:
    with app_pool.bound(town, {"TESTING": True, "SECRET_KEY": "test-secret-key-for-the-api-tests-only"}) as app:
        yield app


@pytest.fixture
def token_for(town: Runtime) -> Callable[[str], str]:
    def make(username: str) -> str:
        with town.sessions.begin() as s:
            _, token = tokens.create(s, username=username, name=f"test {username}", by="admin",
                                     now=town.clock.now())
        return token

    return make


@pytest.fixture
def api_for(app: Flask, token_for: Callable[[str], str]) -> Callable[[str], ApiClient]:
    """An API client acting as `username` through a fresh token."""

    def make(username: str) -> ApiClient:
        return ApiClient(app.test_client(), token_for(username))

    return make


@pytest.fixture
def anonymous(app: Flask) -> ApiClient:
    return ApiClient(app.test_client())


def new_case(town: Runtime, actor: str = "zhangwei", **overrides: Any) -> str:
    outcome = town.engine.create_case("major_decision", actor, {**PROPOSAL, **overrides})
    assert outcome.ok and outcome.case_id, outcome.reasons
    return outcome.case_id


def is_json_error(response: TestResponse, status: int) -> dict[str, Any]:
    """The response is the API's JSON error with this status (never an HTML page); returns its body."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:200]
    body = response.get_json()
    assert list(body) == ["code", "message", "message_en", "details"], body
    assert isinstance(body["code"], str) and body["message"] and body["message_en"]
    assert isinstance(body["details"], dict)
    text = response.get_data(as_text=True)
    assert "<html" not in text.lower() and "Traceback" not in text
    return body


ENFORCEMENT = {"title": "某商户占道堆放物料", "party": "某商户", "party_type": "individual",
               "facts": "在后龙镇中心街道两侧堆放建筑材料", "field": FIELD_STREETS, "power": POWER_STREETS,
               "legal_basis": "《城市市容和环境卫生管理条例》第三十六条"}


def other_town(town: Runtime) -> str:
    """A second organisation with a drafter (xiaming) and one case of its own; returns that case's id."""
    from workflow import accounts
    from workflow.db import writing

    with writing(town.sessions) as s:
        accounts.ensure_org(s, "shanyao", "泉州市泉港区山腰街道办事处", "Shanyao Subdistrict Office")
        s.flush()
        accounts.create_user(s, username="xiaming", display_name="夏明", org_id="shanyao", roles=["drafter", "head"],
                             password_hash="x")
    return new_case(town, actor="xiaming", title="山腰街道农贸市场改造方案")
