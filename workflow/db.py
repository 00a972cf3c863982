"""Database engines, sessions and migrations.

SQLite (the town default) runs in WAL mode with synchronous=FULL: a power loss must not drop a committed
audit event that a checkpoint may already cover (audit-design §2.8). Writers take the lock up front
(BEGIN IMMEDIATE) so concurrent fire() calls wait instead of failing half-way.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
IMMEDIATE = {"lawflow_immediate": True}  # execution option: start this SQLite transaction as a writer
BUSY_TIMEOUT_MS = 30_000  # SQLite's own wait for a lock (its busy handler) before it answers SQLITE_BUSY


def default_url(instance_path: str | os.PathLike[str]) -> str:
    return os.environ.get("LAWFLOW_DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'lawflow.sqlite3'}"


def load_json(text: str | bytes) -> Any:
    """Read a JSON column (case data on every fire() and page): orjson parses it in about a third of the
    time, to the same values. What orjson refuses and the json module accepts (NaN, integers beyond 64
    bits, lone surrogates) is read by the json module, so every stored value still reads back."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def make_engine(url: str, **kwargs: Any) -> Engine:
    # Written as before (SQLAlchemy's json.dumps), so the stored text, and what it hashes to, is unchanged.
    kwargs.setdefault("json_deserializer", load_json)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, **kwargs)
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    _name_pg_sessions(engine)
    return engine


def pg_session_name(pid: int) -> str:
    """The application_name of a process's PostgreSQL sessions (see _name_pg_sessions)."""
    return f"lawflow:{pid}"


def _name_pg_sessions(engine: Engine) -> None:
    """Name each PostgreSQL session after the client process that opened it (read when it connects, so a
    forked child's sessions carry its own pid). When a client is killed, the server may still be committing
    what it sent last: the records store's roll-forward asks pg_stat_activity whether a session of a dead
    process remains before it deletes that process's staged files (workflow/records_check.server_sessions)."""
    @event.listens_for(engine, "do_connect")
    def name(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        cparams.setdefault("application_name", pg_session_name(os.getpid()))


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # REPLACE deletes without firing delete triggers unless this is on (audit-design §2.6).
        cursor.execute("PRAGMA recursive_triggers=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_MS)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("lawflow_immediate")
        statement = "BEGIN IMMEDIATE" if immediate else "BEGIN"
        # Straight on the DBAPI connection: Core's statement machinery costs more than the BEGIN itself.
        try:
            conn.connection.dbapi_connection.execute(statement)
        except sqlite3.Error as error:  # "database is locked" past busy_timeout: raise it as SQLAlchemy would
            raise DBAPIError.instance(statement, (), error, sqlite3.Error, dialect=conn.dialect) from error


def is_busy(error: BaseException) -> bool:
    """SQLite answered SQLITE_BUSY (any extended code: "database is locked"): a lock was not to be had, and
    the statement did nothing. The transaction it was in is rolled back whole, so the unit of work may run
    again from the start (workflow/engine: Engine._unit_of_work)."""
    orig = getattr(error, "orig", error)
    return isinstance(orig, sqlite3.OperationalError) and getattr(orig, "sqlite_errorcode", 0) & 0xFF == 5


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def writing(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose transaction takes the write lock first; commits on success, rolls back otherwise."""
    session = factory()
    try:
        session.connection(execution_options=IMMEDIATE)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class Work:
    """One write transaction for the engine's fire(): a Core connection that took the write lock, and an ORM
    session that joins the very same transaction only when something asks for it.

    Most steps never need the ORM (workflow/store.py runs fire()'s statements on the DBAPI connection), and
    a Session's own begin/commit bookkeeping cost about as much CPU as the whole durable floor of issue 2.
    `info` and `connection()` are what workflow.store needs, so a Work and a Session are interchangeable there.
    """

    __slots__ = ("_connection", "_factory", "_session", "info")

    def __init__(self, connection: Connection, factory: sessionmaker[Session]):
        self._connection = connection
        self._factory = factory
        self._session: Session | None = None
        self.info: dict[str, Any] = {}

    def connection(self) -> Connection:
        return self._connection

    @property
    def session(self) -> Session:
        """An ORM session in this transaction (made on first use; flushed before the commit)."""
        if self._session is None:
            # Joined without a savepoint: its flush lands in this transaction and it never commits on its own.
            self._session = self._factory(bind=self._connection, join_transaction_mode="rollback_only")
        return self._session


@contextmanager
def working(factory: sessionmaker[Session]) -> Iterator[Work]:
    """Like writing(), on a Core connection: commits on success, rolls back otherwise (nothing half-done)."""
    bind = factory.kw["bind"]
    with bind.connect() as connection:
        connection.execution_options(**IMMEDIATE)
        work = Work(connection, factory)
        try:
            with connection.begin():
                yield work
                if work._session is not None:
                    work._session.flush()
        finally:
            if work._session is not None:
                work._session.close()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Bring the schema (tables, append-only triggers, grants) up to `revision`."""
    from alembic import command

    if url.startswith("sqlite:///"):
        from workflow.filemodes import private_dir

        private_dir(Path(url.removeprefix("sqlite:///")).parent)
    command.upgrade(alembic_config(url), revision)


def schema_is_current(engine: Engine) -> bool:
    """Whether the database is at the migrations' head. False too when the version cannot be read (a role that
    may not read alembic_version: the runtime role before migration 0010 granted it)."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import ProgrammingError

    heads = set(ScriptDirectory.from_config(alembic_config(str(engine.url))).get_heads())
    try:
        with engine.connect() as conn:
            return set(MigrationContext.configure(conn).get_current_heads()) == heads
    except ProgrammingError:
        return False
