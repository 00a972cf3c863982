"""Fixtures for the web tests: the app on the `town` runtime (SQLite, and PostgreSQL unless the module is marked
one_database: tests/conftest.py), and logged-in clients."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.helpers import login
from web import create_app
from workflow.runtime import Runtime


@pytest.fixture
def app(town: Runtime) -> Flask:
    return create_app(town, {"TESTING": True, "SECRET_KEY": "test-secret-key-for-the-web-tests-only"})


@pytest.fixture
def client_for(app: Flask) -> Callable[[str], FlaskClient]:
    """A new browser session logged in as `username`."""

    def make(username: str) -> FlaskClient:
        client = app.test_client()
        response = login(client, username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make
