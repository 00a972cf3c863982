"""Fixtures for the web tests: the app on the `town` runtime (SQLite, and PostgreSQL unless the module is marked
one_database: tests/conftest.py), and logged-in clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.apps import AppPool
from tests.web.helpers import login
from web import create_app
from workflow.runtime import Runtime

CONFIG = {"TESTING": True, "SECRET_KEY": "test-secret-key-for-the-web-tests-only"}


@pytest.fixture
def app(town: Runtime, app_pool: AppPool) -> Iterator[Flask]:
    with app_pool.bound(town, CONFIG) as app:
        yield app


@pytest.fixture
def own_app(town: Runtime) -> Flask:
    """A new app of this test's own, for a test that changes the app itself (adds a route)."""
    return create_app(town, CONFIG)


@pytest.fixture
def client_for(app: Flask) -> Callable[[str], FlaskClient]:
    """A new browser session logged in as `username`."""

    def make(username: str) -> FlaskClient:
        client = app.test_client()
        response = login(client, username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make
