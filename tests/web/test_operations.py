"""The operator's side of the web app (web/ops.py): /healthz, /metrics and who may read it, a database outage
answered with 503 (a Chinese page, JSON under /api/) instead of 500, HSTS and the Secure cookie over TLS."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.helpers import csrf_from, new_case, text
from web import create_app
from workflow.db import make_engine, make_session_factory
from workflow.runtime import Runtime

SECRET = "test-secret-key-for-the-web-tests-only"


def _unreachable(town: Runtime) -> None:
    """The database goes away under the running app: its engine now points at a server or file that is not
    there (the same kind of error as a stopped PostgreSQL or a removed SQLite file)."""
    if town.database_url.startswith("sqlite"):
        url = f"sqlite:///{town.instance}/no-such-folder/gone.sqlite3"
    else:
        url = "postgresql+psycopg://lawflow_app@/lawflow?host=/nonexistent-socket-dir&port=1&connect_timeout=2"
    town.db.dispose()
    town.__dict__["db"] = make_engine(url)
    town.__dict__["sessions"] = make_session_factory(town.__dict__["db"])
    town.__dict__.pop("engine", None)


def _sample(page: str, name: str, labels: str = "") -> int:
    match = re.search(rf"^{re.escape(name)}{re.escape(labels)} (\d+)$", page, re.M)
    assert match, f"{name}{labels} not in the metrics:\n{page}"
    return int(match.group(1))


# ---------------------------------------------------------------- health


def test_healthz_answers_without_login_and_without_data(app: Flask) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert "Set-Cookie" not in response.headers


def test_healthz_is_503_when_the_database_does_not_answer(app: Flask, town: Runtime) -> None:
    _unreachable(town)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unavailable"}


# ---------------------------------------------------------------- outage


def test_a_database_outage_is_a_503_page_in_chinese_not_a_500(app: Flask, town: Runtime, client_for) -> None:
    client = client_for("zhangwei")
    assert client.get("/cases/").status_code == 200
    _unreachable(town)
    response = client.get("/cases/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = text(response)
    assert "服务暂时不可用" in page and "数据库暂时无法访问" in page
    assert "Traceback" not in page and "OperationalError" not in page and "sqlite" not in page.lower()


def test_a_login_during_an_outage_is_a_503(app: Flask, town: Runtime) -> None:
    client = app.test_client()
    token = csrf_from(client.get("/login"))
    _unreachable(town)
    response = client.post("/login", data={"username": "zhangwei", "password": "x" * 12, "csrf_token": token})
    assert response.status_code == 503 and "服务暂时不可用" in text(response)


def test_a_database_outage_on_the_api_is_a_503_in_json(app: Flask, town: Runtime) -> None:
    from workflow import tokens

    with town.sessions.begin() as s:
        _row, token = tokens.create(s, username="zhangwei", name="OA", by="admin", now=town.clock.now())
    _unreachable(town)
    response = app.test_client().get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.get_json()["code"] == "service_unavailable"
    assert response.headers["Retry-After"] == "30"


def test_the_english_outage_page(app: Flask, town: Runtime) -> None:
    client = app.test_client()
    client.get("/login?lang=en")
    _unreachable(town)
    token = csrf_from(client.get("/login"))
    response = client.post("/login", data={"username": "a", "password": "b", "csrf_token": token})
    assert response.status_code == 503 and "Service temporarily unavailable" in text(response)


# ---------------------------------------------------------------- metrics


def test_metrics_count_responses_fire_outcomes_and_audit_events(app: Flask, town: Runtime) -> None:
    case_id = new_case(town)
    refused = town.engine.fire(case_id, "start", "zhangwei", {"lead_unit": "综合办"})  # not the head's
    assert not refused.ok
    client = app.test_client()
    client.get("/no-such-page")
    page = text(client.get("/metrics"))
    assert _sample(page, "lawflow_fire_outcomes_total", '{outcome="accepted"}') == 1  # the case opened
    assert _sample(page, "lawflow_fire_outcomes_total", '{outcome="refused"}') == 1
    assert _sample(page, "lawflow_audit_events_total", '{kind="created"}') == 1
    assert _sample(page, "lawflow_http_responses_total", '{status="302"}') >= 1  # /no-such-page: to the login
    assert "# TYPE lawflow_fire_outcomes_total counter" in page
    town.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "综合办"})
    again = text(client.get("/metrics"))
    assert _sample(again, "lawflow_fire_outcomes_total", '{outcome="accepted"}') == 2
    assert _sample(again, "lawflow_http_responses_total", '{status="200"}') >= 1  # the first scrape


@pytest.mark.parametrize("environ, headers", [
    ({"REMOTE_ADDR": "192.0.2.7"}, {}),  # another machine
    ({"REMOTE_ADDR": "127.0.0.1"}, {"X-Forwarded-For": "198.51.100.4"}),  # through a proxy on this machine
])
def test_metrics_are_not_for_others_without_a_token(app: Flask, environ: dict[str, str],
                                                    headers: dict[str, str]) -> None:
    client = app.test_client()
    client.environ_base.update(environ)
    assert client.get("/metrics", headers=headers).status_code == 404


def test_metrics_with_a_token_only_for_its_bearer(town: Runtime) -> None:
    app = create_app(town, {"TESTING": True, "SECRET_KEY": SECRET, "METRICS_TOKEN": "s3cret-metrics-token"})
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert client.get("/metrics").status_code == 404  # even loopback rules give way to the token
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics-token"})
    assert ok.status_code == 200 and ok.content_type.startswith("text/plain; version=0.0.4")


# ---------------------------------------------------------------- TLS


def _session_cookie(client: FlaskClient, **kwargs: object) -> str:
    token = csrf_from(client.get("/login", **kwargs))
    response = client.post("/login", data={"username": "zhangwei", "password": "houlong2026", "csrf_token": token},
                           **kwargs)
    assert response.status_code == 302
    return next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session="))


def test_plain_http_gets_no_hsts_and_no_secure_cookie(app: Flask) -> None:
    client = app.test_client()
    assert "Strict-Transport-Security" not in client.get("/login").headers
    assert "Secure" not in _session_cookie(client)


def test_https_gets_hsts_and_a_secure_cookie(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Secure" in _session_cookie(client, base_url="https://localhost")


def test_behind_a_trusted_tls_proxy_the_forwarded_scheme_counts(town: Runtime, monkeypatch) -> None:
    monkeypatch.setenv("LAWFLOW_TRUSTED_PROXIES", "1")
    proxied = create_app(town, {"TESTING": True, "SECRET_KEY": SECRET}).test_client()
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.4"}
    assert "Strict-Transport-Security" in proxied.get("/login", headers=forwarded).headers
    assert "Secure" in _session_cookie(proxied, headers=forwarded)
    monkeypatch.delenv("LAWFLOW_TRUSTED_PROXIES")
    direct = create_app(town, {"TESTING": True, "SECRET_KEY": SECRET}).test_client()
    # no proxy is trusted: anyone could send the header, so it changes nothing
    assert "Strict-Transport-Security" not in direct.get("/login", headers=forwarded).headers
    assert "Secure" not in _session_cookie(direct, headers=forwarded)


def test_secure_cookies_can_be_forced(town: Runtime, monkeypatch) -> None:
    monkeypatch.setenv("LAWFLOW_SECURE_COOKIES", "1")
    app = create_app(town, {"TESTING": True, "SECRET_KEY": SECRET})
    assert "Secure" in _session_cookie(app.test_client())


def test_hsts_can_be_turned_off(town: Runtime) -> None:
    app = create_app(town, {"TESTING": True, "SECRET_KEY": SECRET, "HSTS_SECONDS": 0})
    assert "Strict-Transport-Security" not in app.test_client().get("/login", base_url="https://localhost").headers

