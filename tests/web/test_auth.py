"""Logging in and out, login required everywhere, the session cookie and the secret key."""

from __future__ import annotations

import stat

import pytest
from sqlalchemy import select

from tests.web.helpers import csrf_from, login, new_case, text
from web import create_app
from workflow.db import writing
from workflow.models import User

# The page, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database


def test_login_success_redirects_to_my_todo_list(app):
    client = app.test_client()
    response = login(client, "zhangwei")
    assert response.status_code == 302
    assert response.headers["Location"] == "/todo/"  # 我的待办: every role's landing (web/todo.py)
    page = client.get("/cases/")
    assert page.status_code == 200
    assert "张伟（党政综合办公室）" in text(page)


@pytest.mark.parametrize(("username", "password"), [("zhangwei", "wrong"), ("nobody", "houlong2026"), ("", "")])
def test_login_failure_shows_a_chinese_message_and_stays_anonymous(app, username, password):
    client = app.test_client()
    response = login(client, username, password)
    assert response.status_code == 200
    assert "用户名或密码不正确" in text(response)
    assert client.get("/cases/").status_code == 302


def test_a_disabled_account_cannot_log_in_and_is_logged_out(app, town):
    client = app.test_client()
    login(client, "lina")
    assert client.get("/cases/").status_code == 200
    with writing(town.sessions) as s:
        s.scalar(select(User).where(User.username == "lina")).active = False
    assert client.get("/cases/").status_code == 302  # the next request already has no user
    assert "用户名或密码不正确" in text(login(app.test_client(), "lina"))


@pytest.mark.parametrize("path", ["/", "/cases/", "/cases/new", "/cases/houlong-MD-2026-0001", "/audit/", "/no/such/page"])
def test_every_page_but_login_requires_a_login(app, path):
    response = app.test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_a_post_without_login_goes_to_the_login_page_and_changes_nothing(app, town):
    case_id = new_case(town)
    response = app.test_client().post(f"/cases/{case_id}/steps/start", data={"lead_unit": "x", "expected_version": "1"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with town.sessions() as s:
        from workflow.models import Case

        assert s.get(Case, case_id).state == "proposed"


def test_static_files_and_the_login_page_are_public(app):
    client = app.test_client()
    assert client.get("/login").status_code == 200
    css = client.get("/static/lawflow.css")
    assert css.status_code == 200 and "font-family" in text(css)


def test_after_login_the_user_returns_to_the_page_asked_for_but_never_off_site(app, town):
    case_id = new_case(town)
    response = login(app.test_client(), "zhangwei", next_url=f"/cases/{case_id}")
    assert response.headers["Location"] == f"/cases/{case_id}"
    for evil in ("//evil.example/x", "https://evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        response = login(app.test_client(), "zhangwei", next_url=evil)
        assert response.headers["Location"] == "/todo/", evil


def test_logout_is_a_post_with_the_csrf_token(app):
    client = app.test_client()
    login(client, "zhangwei")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no token: refused, still logged in
    assert client.get("/cases/").status_code == 200
    token = csrf_from(client.get("/cases/"))
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/cases/").status_code == 302


def test_login_starts_a_new_session_with_a_new_csrf_token(app):
    client = app.test_client()
    before = csrf_from(client.get("/login"))
    login(client, "zhangwei")
    assert csrf_from(client.get("/cases/")) != before


def test_the_session_cookie_is_httponly_and_samesite_lax(app):
    response = login(app.test_client(), "zhangwei")
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_pages_carry_protective_headers(app):
    response = app.test_client().get("/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_demo_accounts_are_listed_only_when_configured(town):
    plain = create_app(town, {"TESTING": True, "SECRET_KEY": "k" * 40}).test_client().get("/login")
    assert "houlong2026" not in text(plain) and "演示账号" not in text(plain)
    demo = create_app(town, {"TESTING": True, "SECRET_KEY": "k" * 40, "SHOW_DEMO_ACCOUNTS": True})
    page = text(demo.test_client().get("/login"))
    assert "演示账号" in page and "houlong2026" in page and "huangzhenhua" in page and "行政首长" in page


def test_the_secret_key_is_generated_once_into_the_instance_folder_with_mode_0600(town, monkeypatch):
    monkeypatch.delenv("LAWFLOW_SECRET_KEY", raising=False)
    first = create_app(town)
    path = town.instance / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) >= 32
    assert create_app(town).config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert not [p for p in town.instance.iterdir() if p.name.startswith(".secret_key")]  # no temp files left


def test_the_secret_key_comes_from_the_environment_when_set(town, monkeypatch):
    monkeypatch.setenv("LAWFLOW_SECRET_KEY", "from-the-environment-" + "x" * 20)
    app = create_app(town)
    assert app.config["SECRET_KEY"].startswith("from-the-environment-")
    assert not (town.instance / "secret_key").exists()
