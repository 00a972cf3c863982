"""Every error under /api/ is JSON with a code, a Chinese message, an English one and details: never an HTML
page, never a stack trace. The pages keep their HTML error pages."""

from __future__ import annotations

import logging

import pytest

from tests.api.conftest import ApiClient, is_json_error
from tests.web.helpers import login
from web import create_app

# The API's contract, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database


def test_unknown_paths_and_methods(api_for) -> None:
    client = api_for("zhangwei")
    assert is_json_error(client.get("/no/such/thing"), 404)["code"] == "not_found"
    assert is_json_error(client.get("/definitions/major_decision/99"), 404)["code"] == "definition_not_found"
    assert is_json_error(client.get("/definitions/major_decision/x"), 404)
    response = client.request("DELETE", "/cases")
    assert is_json_error(response, 405)["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert is_json_error(client.request("PUT", "/definitions"), 405)


def test_bodies_that_are_not_json(api_for) -> None:
    client = api_for("zhangwei")
    body = is_json_error(client.post("/cases", data="procedure=major_decision",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"}), 415)
    assert body["code"] == "unsupported_media_type" and "application/json" in body["message"]
    assert is_json_error(client.post("/cases", data="{}", headers={"Content-Type": "text/plain"}), 415)
    body = is_json_error(client.post("/cases", data='{"procedure": ', headers={"Content-Type": "application/json"}),
                         400)
    assert body["details"]["fields"]["json"][0]["zh"] == "请求体不是有效的 JSON"
    body = is_json_error(client.post("/cases", json=["major_decision"]), 422)
    assert "json" in body["details"]["fields"]


def test_a_body_over_the_limit_is_413(api_for) -> None:
    big = '{"procedure": "major_decision", "payload": {"title": "' + "长" * 1_000_000 + '"}}'
    body = is_json_error(api_for("zhangwei").post("/cases", data=big.encode(),
                                                  headers={"Content-Type": "application/json"}), 413)
    assert body["code"] == "payload_too_large"


def test_an_unexpected_exception_is_a_logged_500_without_details(town, token_for, caplog) -> None:
    app = create_app(town, {"TESTING": True, "PROPAGATE_EXCEPTIONS": False, "SECRET_KEY": "k" * 40})

    class Broken:
        def latest(self):
            raise RuntimeError("connection string postgresql://secret@db/lawflow")

    town.__dict__["registry"] = Broken()  # the cached registry, replaced for this runtime only
    with caplog.at_level(logging.ERROR):
        response = ApiClient(app.test_client(), token_for("zhangwei")).get("/definitions")
    body = is_json_error(response, 500)
    assert body == {"code": "internal_error", "message": body["message"], "message_en": body["message_en"],
                    "details": {}}
    assert "已记录日志" in body["message"] and "secret" not in response.get_data(as_text=True)
    assert any(r.exc_info and "secret" in str(r.exc_info[1]) for r in caplog.records)


def test_validation_messages_come_in_both_languages(api_for) -> None:
    body = is_json_error(api_for("zhangwei").get("/cases?page_size=500&overdue=perhaps"), 422)
    fields = body["details"]["fields"]
    assert set(fields) == {"query.page_size", "query.overdue"}
    assert fields["query.overdue"] == [{"zh": "应为是/否", "en": "Not a valid boolean."}]
    assert fields["query.page_size"][0]["en"].startswith("Must be")


def test_the_pages_keep_their_html_errors(app) -> None:
    browser = app.test_client()
    assert browser.get("/cases/").status_code == 302  # the pages still send strangers to the login page
    login(browser, "zhangwei")
    page = browser.get("/cases/houlong-MD-2026-9999")
    assert page.status_code == 404 and page.mimetype == "text/html" and "未找到" in page.get_data(as_text=True)
