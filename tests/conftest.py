"""Shared fixtures: every database test runs on SQLite AND on a real PostgreSQL server.

PostgreSQL comes from `scripts/pg-test-server start` (make test starts it and exports the URLs). Each test
gets a fresh database cloned from a migrated template, connected as the runtime role `lawflow_app`, which
only holds SELECT and INSERT on the audit tables. Without the server the PostgreSQL half is skipped on a
developer's machine, but `make test` sets LAWFLOW_TEST_REQUIRE_PG=1 so that CI fails instead of skipping.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from workflow.clock import FixedClock
from workflow.db import migrate
from workflow.runtime import Runtime

PG_OWNER_URL = os.environ.get("LAWFLOW_TEST_PG_OWNER_URL")
PG_APP_URL = os.environ.get("LAWFLOW_TEST_PG_URL")
REQUIRE_PG = os.environ.get("LAWFLOW_TEST_REQUIRE_PG") == "1"
_numbers = itertools.count()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the pages' translations as scripts/bootstrap does, so that a plain `pytest` works on a fresh
    checkout (the .mo is not committed and the web app refuses to start without it)."""
    from web.i18n_tools import compile_catalogues

    compile_catalogues()


def _pg_admin_params() -> dict[str, str]:
    parts = urlsplit(PG_OWNER_URL or "")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return {"host": query.get("host", ""), "port": query.get("port", "5432"), "user": "postgres",
            "dbname": "postgres"}


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(**_pg_admin_params(), autocommit=True) as conn:
        conn.execute(sql)


def _pg_url(base: str, dbname: str) -> str:
    parts = urlsplit(base)
    return parts._replace(path=f"/{dbname}").geturl()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    if not (PG_OWNER_URL and PG_APP_URL):
        yield None
        return
    name = f"lawflow_template_{os.getpid()}"  # one per test session: parallel runs never share it
    _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _pg_admin(f"CREATE DATABASE {name} OWNER lawflow_owner")
    os.environ["LAWFLOW_DB_APP_ROLE"] = "lawflow_app"
    try:
        migrate(_pg_url(PG_OWNER_URL, name))
    finally:
        os.environ.pop("LAWFLOW_DB_APP_ROLE", None)
    yield name
    _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    if request.param == "sqlite":
        target = tmp_path / "lawflow.sqlite3"
        shutil.copy(sqlite_template, target)
        yield f"sqlite:///{target}"
        return
    template = request.getfixturevalue("pg_template")
    if template is None:
        if REQUIRE_PG:
            pytest.fail("PostgreSQL is required (LAWFLOW_TEST_REQUIRE_PG=1) but LAWFLOW_TEST_PG_URL is not set")
        pytest.skip("PostgreSQL test server not running (scripts/pg-test-server start)")
    name = f"lawflow_t{os.getpid()}_{next(_numbers)}"
    _pg_admin(f"CREATE DATABASE {name} TEMPLATE {template} OWNER lawflow_owner")
    try:
        yield _pg_url(PG_APP_URL or "", name)
    finally:
        _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def owner_url(database_url: str) -> str:
    """The same database as the table owner (for tests that play a DBA editing rows behind the app)."""
    if database_url.startswith("sqlite"):
        return database_url
    return _pg_url(PG_OWNER_URL or "", urlsplit(database_url).path.lstrip("/"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def runtime(database_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Runtime]:
    rt = Runtime(instance=tmp_path / "instance", database_url=database_url,
                 key_path=tmp_path / "instance" / "audit-signing.key", clock=clock)
    rt.instance.mkdir(parents=True, exist_ok=True)
    yield rt
    rt.db.dispose()


@pytest.fixture(scope="session")
def demo_password_hash() -> str:
    from werkzeug.security import generate_password_hash

    from workflow.demo import DEMO_PASSWORD

    return generate_password_hash(DEMO_PASSWORD)


@pytest.fixture
def town(runtime: Runtime, demo_password_hash: str) -> Runtime:
    """Houlong town's people and its collective-discussion forum setting, with no cases yet."""
    from workflow.demo import seed_town

    seed_town(runtime, demo_password_hash)
    return runtime
