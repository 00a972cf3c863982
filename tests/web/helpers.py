"""Browser-like helpers for the web tests: take the CSRF token and the case version from a page's forms."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from workflow.demo import DEMO_PASSWORD
from workflow.runtime import Runtime

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
VERSION = re.compile(r'name="expected_version" value="(\d+)"')

PROPOSAL = {"title": "后龙镇生活垃圾分类实施办法", "category": "public_policy", "proposer": "leader",
            "summary": "落实生活垃圾分类要求，拟出台镇级实施办法。"}
START = {"lead_unit": "党政综合办公室", "co_units": "司法所\n村镇建设服务中心", "instructions": "请按程序组织起草"}


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def csrf_from(response: TestResponse) -> str:
    match = TOKEN.search(text(response))
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def version_from(response: TestResponse) -> str:
    match = VERSION.search(text(response))
    assert match, "the page has no step form"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = DEMO_PASSWORD, next_url: str = "") -> TestResponse:
    token = csrf_from(client.get("/login"))
    path = f"/login?next={next_url}" if next_url else "/login"
    return client.post(path, data={"username": username, "password": password, "csrf_token": token})


def new_case(town: Runtime, actor: str = "zhangwei", **overrides: Any) -> str:
    outcome = town.engine.create_case("major_decision", actor, {**PROPOSAL, **overrides})
    assert outcome.ok, outcome.reasons
    assert outcome.case_id
    return outcome.case_id


def submit_step(client: FlaskClient, case_id: str, trigger: str, data: dict[str, Any],
                **overrides: Any) -> TestResponse:
    """Post a step's form as a browser would: token and version taken from the case page first."""
    page = client.get(f"/cases/{case_id}")
    form = {"csrf_token": csrf_from(page), "expected_version": version_from(page), **data, **overrides}
    return client.post(f"/cases/{case_id}/steps/{trigger}", data=form)
