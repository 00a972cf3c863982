"""Logging out ends the session on the server: a copy of the cookie taken before is refused afterwards, while
the same user's other sessions go on (web/web_sessions.py; GB/T 22239-2019 8.1.4.1 结束会话)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from tests.web.helpers import csrf_from, login
from web import web_sessions
from workflow.db import writing
from workflow.models import User, WebSession
from workflow.runtime import Runtime

# The page, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database


def _cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _copy(app: Flask, cookie: str) -> FlaskClient:
    """Another browser holding a copy of the cookie (as someone who captured it would)."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def _logout(client: FlaskClient) -> None:
    token = csrf_from(client.get("/cases/"))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def _rows(town: Runtime, username: str) -> int:
    with town.sessions() as s:
        return s.scalar(select(func.count()).select_from(WebSession).join(User, User.id == WebSession.user_id)
                        .where(User.username == username)) or 0


def test_a_cookie_copied_before_logout_is_refused_after_it(app: Flask, town: Runtime) -> None:
    client = app.test_client()
    assert login(client, "zhangwei").status_code == 302
    thief = _copy(app, _cookie(client))
    assert thief.get("/cases/").status_code == 200  # the copy works while the session lives
    assert _rows(town, "zhangwei") == 1
    _logout(client)
    response = thief.get("/cases/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert thief.get("/api/v1/cases").status_code == 401  # nor does the API accept it as a login
    assert _rows(town, "zhangwei") == 0


def test_logging_out_leaves_the_users_other_sessions(app: Flask, town: Runtime) -> None:
    office, phone = app.test_client(), app.test_client()
    assert login(office, "lina").status_code == 302 and login(phone, "lina").status_code == 302
    assert _rows(town, "lina") == 2
    _logout(office)
    assert office.get("/cases/").status_code == 302
    assert phone.get("/cases/").status_code == 200
    assert _rows(town, "lina") == 1


def test_a_password_change_still_ends_every_session(app: Flask, town: Runtime) -> None:
    office, phone = app.test_client(), app.test_client()
    login(office, "lina")
    login(phone, "lina")
    with writing(town.sessions) as s:
        from workflow import accounts

        user = s.scalar(select(User).where(User.username == "lina"))
        assert user is not None
        accounts.set_password(user, "a-new-password-1234")
    assert office.get("/cases/").status_code == 302 and phone.get("/cases/").status_code == 302


def test_a_session_unused_past_the_idle_limit_is_ended_on_the_server(app: Flask, town: Runtime) -> None:
    """The cookie keeps its own time of last use; the server keeps one too, so a copy cannot outlive the limit."""
    client = app.test_client()
    login(client, "zhangwei")
    long_ago = web_sessions.now() - timedelta(minutes=45)
    with writing(town.sessions) as s:
        s.execute(update(WebSession).values(seen_at=long_ago))
    assert client.get("/cases/").status_code == 302
    assert _rows(town, "zhangwei") == 0


def test_abandoned_sessions_are_deleted_at_the_next_login(app: Flask, town: Runtime) -> None:
    login(app.test_client(), "zhangwei")
    with writing(town.sessions) as s:
        s.execute(update(WebSession).values(seen_at=web_sessions.now() - timedelta(hours=3)))
    login(app.test_client(), "lina")
    assert _rows(town, "zhangwei") == 0 and _rows(town, "lina") == 1


def test_the_database_keeps_no_usable_token(app: Flask, town: Runtime) -> None:
    client = app.test_client()
    login(client, "zhangwei")
    with client.session_transaction() as session:
        token = session["_sid"]
    with town.sessions() as s:
        ids = s.scalars(select(WebSession.id)).all()
    assert token not in ids and len(ids) == 1 and len(ids[0]) == 64
