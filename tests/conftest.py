"""Shared fixtures: a database test runs on SQLite AND on a real PostgreSQL server where the database matters.

Which tests run on both databases: every test that uses `database_url` (directly, or through `runtime`,
`town`, `app`, `client_for`, ...) is parametrized over ("sqlite", "postgresql") by `pytest_generate_tests`
below, unless it is marked `@pytest.mark.one_database` (usually for a whole module:
`pytestmark = pytest.mark.one_database`), which runs it on SQLite only. Mark a test one_database when its
subject is not the database: a page's wording, layout, language, forms, who may open a page. Keep both
databases when the database is the subject or could change the answer: storage and its bytes, triggers and
append-only rules, concurrency and version races, queries with filters, orders and pages, migrations, and the
feature scenarios (the living specs run on both).

In parallel (`make test` runs `pytest -n 2`, pytest-xdist): every session fixture here (the migrated templates,
the seeded town templates, the dropper) exists once per worker process, and every database, template and
temporary folder is named by the process (pid) or made under the worker's own basetemp, so workers share
nothing but the PostgreSQL server. The feature scenarios' spec-coverage gate and report are merged by the
controller (tests/features/distributed.py; its hooks are at the end of this file).

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
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.apps import AppPool
from tests.cli import Lawflow
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


BACKENDS = ("sqlite", "postgresql")
ONE_DATABASE = "one_database"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that uses `database_url` (directly or through runtime, town, app, ...) runs on each backend,
    unless it (or its module, through `pytestmark`) is marked one_database: then on SQLite only."""
    if "database_url" not in metafunc.fixturenames:
        return
    one = metafunc.definition.get_closest_marker(ONE_DATABASE) is not None
    metafunc.parametrize("database_url", BACKENDS[:1] if one else BACKENDS, indirect=True)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """The parametrized backend ("sqlite" or "postgresql", from pytest_generate_tests) as a fresh database.

    A test that uses `town` gets a copy of a template in which seed_town already ran (see `town`)."""
    seeded = "town" in request.fixturenames
    if request.param == "sqlite":
        target = tmp_path / "lawflow.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_town_template") if seeded else sqlite_template, target)
        url = f"sqlite:///{target}"
        if seeded:
            _SEEDED_TOWNS.add(url)
        yield url
        return
    template = request.getfixturevalue("pg_template")
    if template is None:
        if REQUIRE_PG:
            pytest.fail("PostgreSQL is required (LAWFLOW_TEST_REQUIRE_PG=1) but LAWFLOW_TEST_PG_URL is not set")
        pytest.skip("PostgreSQL test server not running (scripts/pg-test-server start)")
    if seeded:
        template = request.getfixturevalue("pg_town_template")
    name = f"lawflow_t{os.getpid()}_{next(_numbers)}"
    dropper = request.getfixturevalue("pg_dropper")
    _pg_admin(f"CREATE DATABASE {name} TEMPLATE {template} OWNER lawflow_owner")
    try:
        url = _pg_url(PG_APP_URL or "", name)
        if seeded:
            _SEEDED_TOWNS.add(url)
        yield url
    finally:
        dropper.drop(name)


class _Dropper:
    """Drops the tests' PostgreSQL databases in batches, on a background thread, several at a time.

    On PostgreSQL 15 each DROP DATABASE waits for a forced checkpoint ("checkpoint starting: immediate force
    wait" in the server log), which with fsync on, as in production, writes out every dirty page of the server:
    one to several seconds while tests run, and one after the other they queue up. Drops requested together
    share a checkpoint, so the thread takes every name waiting and drops them over DROP_CONNECTIONS connections
    at once (measured under load: 7.4 s per database one by one, 0.5 s eight at a time). The next test never
    waits; the session ends when every drop is done."""

    DROP_CONNECTIONS = 8

    def __init__(self) -> None:
        self.pending: list[str] = []
        self.errors: list[str] = []
        self.lock = threading.Condition()
        self.closing = False
        self.thread = threading.Thread(target=self._run, name="lawflow-pg-dropper", daemon=True)
        self.thread.start()

    def _drop(self, name: str) -> None:
        try:
            _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        except Exception as exc:  # reported at the end of the session, never lost
            self.errors.append(f"{name}: {exc}")

    def _run(self) -> None:
        with ThreadPoolExecutor(self.DROP_CONNECTIONS, thread_name_prefix="lawflow-pg-drop") as pool:
            while True:
                with self.lock:
                    while not self.pending and not self.closing:
                        self.lock.wait()
                    batch, self.pending = self.pending, []
                    if not batch and self.closing:
                        return
                list(pool.map(self._drop, batch))

    def drop(self, name: str) -> None:
        with self.lock:
            self.pending.append(name)
            self.lock.notify()

    def close(self) -> list[str]:
        with self.lock:
            self.closing = True
            self.lock.notify()
        self.thread.join()
        return self.errors


@pytest.fixture(scope="session")
def pg_dropper() -> Iterator[_Dropper]:
    dropper = _Dropper()
    yield dropper
    errors = dropper.close()
    if errors:
        warnings.warn("test databases left behind: " + "; ".join(errors), stacklevel=1)


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
    """The demo password's hash for the people seeded in tests: salted PBKDF2 with few rounds, not the
    product's scrypt (which `lawflow demo` and every account created in the app still use).

    A login checks the stored hash by the method written in it (werkzeug's check_password_hash), so the code
    a login runs is the same; only the work factor differs. scrypt's work factor costs about 0.1 s of CPU per
    login, by design, and the tests log in several thousand times (every role of the authorization matrix and
    the CSRF sweep, every client_for): as Django's documentation advises for test suites, they use a cheap
    hasher instead. A password set through the app or the command line is hashed with scrypt as in production."""
    from werkzeug.security import generate_password_hash

    from workflow.demo import DEMO_PASSWORD

    return generate_password_hash(DEMO_PASSWORD, method="pbkdf2:sha256:1000")


# The town is seeded once per test process and backend, into a template that each test using `town` copies
# (seed_town costs about half a second, most tests use it): the rows are those seed_town writes for the test
# itself, at FixedClock's default time, which is the test's clock when `town` is set up.
_SEEDED_TOWNS: set[str] = set()  # the database URLs copied from a seeded template
TOWN_SEEDED_AT = FixedClock().now()


def _seed_town_at(database_url: str, folder: Path, password_hash: str) -> None:
    from workflow.demo import seed_town

    rt = Runtime(instance=folder / "instance", database_url=database_url,
                 key_path=folder / "instance" / "audit-signing.key", clock=FixedClock(TOWN_SEEDED_AT))
    try:
        seed_town(rt, password_hash)
    finally:
        rt.db.dispose()


@pytest.fixture(scope="session")
def sqlite_town_template(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path,
                         demo_password_hash: str) -> Path:
    folder = tmp_path_factory.mktemp("town-template")
    path = folder / "town.sqlite3"
    shutil.copy(sqlite_template, path)
    _seed_town_at(f"sqlite:///{path}", folder, demo_password_hash)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(scope="session")
def pg_town_template(pg_template: str, tmp_path_factory: pytest.TempPathFactory,
                     demo_password_hash: str) -> Iterator[str]:
    name = f"lawflow_town_template_{os.getpid()}"
    _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _pg_admin(f"CREATE DATABASE {name} TEMPLATE {pg_template} OWNER lawflow_owner")
    _seed_town_at(_pg_url(PG_APP_URL or "", name), tmp_path_factory.mktemp("pg-town-template"),
                  demo_password_hash)
    yield name
    _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def town(runtime: Runtime, demo_password_hash: str) -> Runtime:
    """Houlong town's people and its collective-discussion forum setting, with no cases yet."""
    from workflow.demo import seed_town

    if runtime.database_url in _SEEDED_TOWNS:
        # copied from the seeded template by database_url: the same rows, if the clock has not moved yet
        assert runtime.clock.now() == TOWN_SEEDED_AT, (
            "the clock moved before `town` was set up, but the town's rows were seeded at FixedClock's default "
            "time: move the clock after `town` (tests/conftest.py)")
        return runtime
    seed_town(runtime, demo_password_hash)
    return runtime


# ---------------------------------------------------------------- pytest-xdist: the controller's hooks
# The feature scenarios' records are merged here, not in tests/features/conftest.py: the controller of a
# distributed run collects nothing, so it loads only this conftest (tests/features/distributed.py says why).


def pytest_configure(config: pytest.Config) -> None:
    from tests.features import distributed

    if distributed.is_controller(config):
        distributed.start_run(config)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    from tests.features import distributed

    distributed.configure_node(node.config, node.workerinput)


def pytest_sessionfinish(session: pytest.Session) -> None:
    from tests.features import distributed

    if distributed.is_controller(session.config):
        distributed.finish_run(session)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    from tests.features import distributed

    distributed.terminal_summary(terminalreporter, config)


@pytest.fixture(scope="session")
def app_pool() -> AppPool:
    """The web apps of this test process, one per configuration (tests/apps.py says why)."""
    return AppPool()


@pytest.fixture
def lawflow(town: Runtime) -> Lawflow:
    """`lawflow("case", "list")`: the command line in a subprocess on the town's database (tests/cli.py)."""
    return Lawflow(town)
