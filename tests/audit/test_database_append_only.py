"""Append-only enforcement in the real databases (audit-design §2.6 and §2.9 item 5).

Through the application's own connection (the runtime URL: `lawflow_app` on PostgreSQL, with lawflow's
connection hooks on SQLite) every UPDATE, DELETE, REPLACE, upsert and TRUNCATE of an audit row is refused,
and so is deleting a case. On PostgreSQL the app role lacks the privileges (and cannot disable the triggers),
the owner is stopped by the triggers, and even a superuser in `session_replication_role = replica` is stopped
because the triggers are ENABLE ALWAYS. Schema introspection pins the triggers and grants, so a later
migration cannot drop them silently.

One database per backend serves the whole module: every statement here must be refused, and each test
checks that the audit tables are byte-for-byte unchanged afterwards.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from tests.conftest import PG_APP_URL, PG_OWNER_URL, REQUIRE_PG, _pg_admin, _pg_admin_params, _pg_url
from workflow import accounts
from workflow.audit import signing
from workflow.audit.checkpoint import make_checkpoint
from workflow.clock import FixedClock
from workflow.db import writing
from workflow.migrations.append_only import APPEND_ONLY_TABLES, NO_DELETE_TABLES
from workflow.runtime import Runtime

AUDIT = ("audit_event", "audit_leaf", "audit_checkpoint", "audit_key")
KEY = {"audit_event": "id", "audit_leaf": "log_index", "audit_checkpoint": "tree_size", "audit_key": "key_id"}
# a column each attempt tries to change, and the forged value
CHANGE = {"audit_event": ("kind", "forged"), "audit_leaf": ("seq", 99), "audit_checkpoint": ("root", "0" * 64),
          "audit_key": ("algorithm", "rsa")}
NO_DELETE = ("case_file", "audit_journal")
_numbers = itertools.count()


@dataclass
class Db:
    backend: str
    app: Engine  # the runtime URL, as the application connects
    owner_url: str
    superuser_url: str | None
    rows: dict[str, dict[str, Any]]  # one stored row per audit table
    case_id: str

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        with self.app.connect() as conn:
            return {t: sorted(tuple(r) for r in conn.execute(text(f"SELECT * FROM {t}")))
                    for t in (*AUDIT, *NO_DELETE)}


def _populate(rt: Runtime, tmp: Path) -> str:
    """Users, a case with a refusal, a journal refusal and a checkpoint: a row in every audit table."""
    from workflow.demo import ORG, USERS

    with writing(rt.sessions) as session:
        accounts.ensure_org(session, ORG, "后龙镇", "Houlong")
        session.flush()
        for user in USERS:
            accounts.create_user(session, org_id=ORG, password_hash="x", **user)
    created = rt.engine.create_case("major_decision", "zhangwei", {
        "title": "后龙镇农村生活污水治理方案", "category": "public_policy", "proposer": "leader", "summary": "管网"})
    assert created.ok and created.case_id
    assert not rt.engine.fire(created.case_id, "start", "zhangwei", {"lead_unit": "x"}).ok
    assert rt.engine.fire(created.case_id, "start", "huangzhenhua", {"lead_unit": "x"}).ok
    signing.generate_key_file(tmp / "key")
    assert make_checkpoint(rt.sessions, tmp / "key", rt.origin, rt.clock).tree_size == 3
    return created.case_id


def _rows(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        return {t: dict(conn.execute(text(f"SELECT * FROM {t} ORDER BY {KEY[t]}")).mappings().first() or {})
                for t in AUDIT}


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Db]:
    tmp = tmp_path_factory.mktemp("append-only-sqlite")
    shutil.copy(sqlite_template, tmp / "db.sqlite3")
    url = f"sqlite:///{tmp / 'db.sqlite3'}"
    rt = Runtime(instance=tmp, database_url=url, key_path=tmp / "key", clock=FixedClock())
    case_id = _populate(rt, tmp)
    try:
        yield Db("sqlite", rt.db, url, None, _rows(rt.db), case_id)
    finally:
        rt.db.dispose()


@pytest.fixture(scope="module")
def pg_db(tmp_path_factory: pytest.TempPathFactory, pg_template: str | None) -> Iterator[Db]:
    if pg_template is None:
        if REQUIRE_PG:
            pytest.fail("PostgreSQL is required (LAWFLOW_TEST_REQUIRE_PG=1) but LAWFLOW_TEST_PG_URL is not set")
        pytest.skip("PostgreSQL test server not running (scripts/pg-test-server start)")
    tmp = tmp_path_factory.mktemp("append-only-pg")
    name = f"lawflow_append{os.getpid()}_{next(_numbers)}"
    _pg_admin(f"CREATE DATABASE {name} TEMPLATE {pg_template} OWNER lawflow_owner")
    rt = Runtime(instance=tmp, database_url=_pg_url(PG_APP_URL or "", name), key_path=tmp / "key",
                 clock=FixedClock())
    try:
        case_id = _populate(rt, tmp)
        p = _pg_admin_params()
        yield Db("postgresql", rt.db, _pg_url(PG_OWNER_URL or "", name),
                 f"postgresql+psycopg://postgres@/{name}?host={p['host']}&port={p['port']}", _rows(rt.db), case_id)
    finally:
        rt.db.dispose()
        _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> Db:
    return request.getfixturevalue("sqlite_db" if request.param == "sqlite" else "pg_db")


@pytest.fixture
def unchanged(db: Db) -> Iterator[Db]:
    """Fails the test if any audit row, case row or journal row changed."""
    before = db.snapshot()
    assert all(before[t] for t in (*AUDIT, *NO_DELETE))  # every table has rows to protect
    yield db
    assert db.snapshot() == before


@pytest.fixture
def unchanged_pg(pg_db: Db) -> Iterator[Db]:
    before = pg_db.snapshot()
    yield pg_db
    assert pg_db.snapshot() == before


def execute(engine: Engine, sql: str, params: dict[str, Any] | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(text(sql), params or {})


def refused(engine: Engine, sql: str, params: dict[str, Any] | None, match: str) -> None:
    with pytest.raises(DBAPIError, match=match):
        execute(engine, sql, params)


def plain(url: str) -> Engine:
    """A connection without lawflow's hooks (a DBA's tool): no recursive_triggers, no foreign keys."""
    return create_engine(url, poolclass=NullPool)


def insert_sql(table: str, row: dict[str, Any], verb: str = "INSERT") -> str:
    cols = ", ".join(f'"{c}"' for c in row)
    return f"{verb} INTO {table} ({cols}) VALUES ({', '.join(':' + c for c in row)})"


def statements(db: Db, table: str) -> dict[str, tuple[str, dict[str, Any]]]:
    key, (col, value) = KEY[table], CHANGE[table]
    row = db.rows[table]
    forged = {**row, col: value}
    return {
        "update": (f'UPDATE {table} SET "{col}" = :v WHERE {key} = :k', {"v": value, "k": row[key]}),
        "update_all": (f'UPDATE {table} SET "{col}" = :v', {"v": value}),
        "delete": (f"DELETE FROM {table} WHERE {key} = :k", {"k": row[key]}),
        "delete_all": (f"DELETE FROM {table}", {}),
        "upsert": (insert_sql(table, forged) + f' ON CONFLICT ({key}) DO UPDATE SET "{col}" = excluded."{col}"',
                   forged),
    }


def app_message(db: Db, table: str, op: str) -> str:
    if db.backend == "postgresql":
        return f"permission denied for table {table}"
    verb = {"update": "UPDATE", "update_all": "UPDATE", "delete": "DELETE", "delete_all": "DELETE",
            "upsert": "REPLACE"}[op]  # SQLite: the BEFORE INSERT trigger stops an upsert before DO UPDATE
    return f"{table} is append-only: {verb} refused"


# ----------------------------------------------------------------------------------------------- the app


@pytest.mark.parametrize("op", ["update", "update_all", "delete", "delete_all", "upsert"])
@pytest.mark.parametrize("table", AUDIT)
def test_the_app_cannot_change_audit_rows(unchanged: Db, table: str, op: str) -> None:
    sql, params = statements(unchanged, table)[op]
    refused(unchanged.app, sql, params, app_message(unchanged, table, op))


@pytest.mark.parametrize("table", NO_DELETE)
def test_the_app_cannot_delete_a_case_or_the_journal(unchanged: Db, table: str) -> None:
    match = (f"permission denied for table {table}" if unchanged.backend == "postgresql"
             else f"{table} rows are never deleted")
    refused(unchanged.app, f"DELETE FROM {table}", None, match)
    if table == "case_file":
        refused(unchanged.app, "DELETE FROM case_file WHERE id = :c", {"c": unchanged.case_id}, match)


def test_the_app_can_still_append(db: Db) -> None:
    """The refusals above are not a blanket lock: the same connection reads and appends."""
    with db.app.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one() >= 3
        conn.execute(text("UPDATE case_file SET title = title WHERE id = :c"), {"c": db.case_id})
        row = {**db.rows["audit_key"], "key_id": "0123456789abcdef"}
        conn.execute(text(insert_sql("audit_key", row)), row)
        assert conn.execute(text("SELECT count(*) FROM audit_key")).scalar_one() == 2
        conn.rollback()  # leave the shared database as it was


# ----------------------------------------------------------------------------------------------- SQLite REPLACE


def _replacements(db: Db) -> dict[str, tuple[str, str, dict[str, Any]]]:
    ev, leaf = db.rows["audit_event"], db.rows["audit_leaf"]
    with db.app.connect() as conn:
        next_id = conn.execute(text("SELECT max(id) + 1 FROM audit_event")).scalar_one()
        next_index = conn.execute(text("SELECT max(log_index) + 1 FROM audit_leaf")).scalar_one()
    return {
        # the same primary key, different content
        "event_same_id": ("INSERT OR REPLACE", "audit_event", {**ev, "kind": "forged"}),
        # a new id in the place of an existing (case_id, seq): REPLACE would silently delete the original
        "event_same_case_seq": ("REPLACE", "audit_event", {**ev, "id": next_id, "hash": "f" * 64}),
        "event_same_hash": ("INSERT OR REPLACE", "audit_event", {**ev, "id": next_id, "seq": 99}),
        "leaf_same_index": ("INSERT OR REPLACE", "audit_leaf", {**leaf, "seq": 99}),
        "leaf_same_event": ("REPLACE", "audit_leaf", {**leaf, "log_index": next_index}),
        "checkpoint_same_size": ("INSERT OR REPLACE", "audit_checkpoint",
                                 {**db.rows["audit_checkpoint"], "root": "0" * 64}),
        "key_same_id": ("REPLACE", "audit_key", {**db.rows["audit_key"], "public_key": "A" * 44}),
    }


REPLACEMENTS = ["event_same_id", "event_same_case_seq", "event_same_hash", "leaf_same_index", "leaf_same_event",
                "checkpoint_same_size", "key_same_id"]


@pytest.mark.parametrize("connection", ["app", "plain"])
@pytest.mark.parametrize("case", REPLACEMENTS)
def test_sqlite_replace_is_refused(sqlite_db: Db, case: str, connection: str) -> None:
    """SQLite's REPLACE deletes the old row without firing DELETE triggers unless recursive_triggers is on;
    the BEFORE INSERT trigger refuses it whatever the connection's pragmas (the app's or a DBA tool's)."""
    before = sqlite_db.snapshot()
    verb, table, row = _replacements(sqlite_db)[case]
    engine = sqlite_db.app if connection == "app" else plain(sqlite_db.owner_url)
    try:
        refused(engine, insert_sql(table, row, verb), row, f"{table} is append-only: REPLACE refused")
    finally:
        if engine is not sqlite_db.app:
            engine.dispose()
    assert sqlite_db.snapshot() == before


def test_sqlite_app_connection_pragmas(sqlite_db: Db) -> None:
    with sqlite_db.app.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA recursive_triggers").scalar_one() == 1
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2  # FULL


def test_sqlite_schema_has_every_trigger(sqlite_db: Db) -> None:
    with sqlite_db.app.connect() as conn:
        triggers = {name: (table, sql) for name, table, sql in conn.execute(
            text("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"))}
    expected = {f"{t}_{kind}": t for t in AUDIT for kind in ("no_update", "no_delete", "no_replace")}
    expected |= {f"{t}_no_delete": t for t in NO_DELETE}
    assert set(APPEND_ONLY_TABLES) == set(AUDIT) and set(NO_DELETE_TABLES) == set(NO_DELETE)
    missing = sorted(set(expected) - set(triggers))
    assert not missing, f"append-only triggers missing: {missing}"
    for name, table in expected.items():
        on, sql = triggers[name]
        timing = {"no_update": "BEFORE UPDATE", "no_delete": "BEFORE DELETE", "no_replace": "BEFORE INSERT"}[
            name.removeprefix(f"{table}_")]
        assert on == table and f"{timing} ON {table}" in sql and "RAISE(ABORT" in sql, sql


# ----------------------------------------------------------------------------------------------- PostgreSQL


@pytest.mark.parametrize("table", [*AUDIT, *NO_DELETE])
def test_pg_truncate_is_refused_for_the_app_and_the_owner(unchanged_pg: Db, table: str) -> None:
    refused(unchanged_pg.app, f"TRUNCATE {table} CASCADE", None, "permission denied for table")
    owner = plain(unchanged_pg.owner_url)
    try:
        # CASCADE so that foreign keys are no excuse: the statement trigger fires and refuses
        refused(owner, f"TRUNCATE {table} CASCADE", None, r"is append-only: TRUNCATE refused")
    finally:
        owner.dispose()


@pytest.mark.parametrize("op", ["update", "delete", "delete_all", "upsert"])
@pytest.mark.parametrize("table", AUDIT)
def test_pg_owner_is_stopped_by_the_triggers(unchanged_pg: Db, table: str, op: str) -> None:
    sql, params = statements(unchanged_pg, table)[op]
    verb = "UPDATE" if op in ("update", "upsert") else "DELETE"
    owner = plain(unchanged_pg.owner_url)
    try:
        refused(owner, sql, params, f"{table} is append-only: {verb} refused")
    finally:
        owner.dispose()


@pytest.mark.parametrize("table", NO_DELETE)
def test_pg_owner_cannot_delete_a_case_or_the_journal(unchanged_pg: Db, table: str) -> None:
    owner = plain(unchanged_pg.owner_url)
    try:
        refused(owner, f"DELETE FROM {table}", None, f"{table} is append-only: DELETE refused")
    finally:
        owner.dispose()


@pytest.mark.parametrize("op", ["update", "delete"])
def test_pg_replica_mode_does_not_skip_the_triggers(unchanged_pg: Db, op: str) -> None:
    """A superuser's `session_replication_role = replica` skips ordinary triggers, not ENABLE ALWAYS ones."""
    sql, params = statements(unchanged_pg, "audit_event")[op]
    engine = plain(unchanged_pg.superuser_url or "")
    try:
        with pytest.raises(DBAPIError, match=f"audit_event is append-only: {op.upper()} refused"), \
                engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            assert conn.exec_driver_sql("SHOW session_replication_role").scalar_one() == "replica"
            conn.execute(text(sql), params)
    finally:
        engine.dispose()


@pytest.mark.parametrize("sql, match", [
    ("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only", "must be owner of table audit_event"),
    ("ALTER TABLE audit_event DISABLE TRIGGER ALL", "must be owner of table audit_event"),
    ("DROP TRIGGER audit_leaf_append_only ON audit_leaf", "must be owner of relation audit_leaf"),
    ("ALTER TABLE audit_event DROP CONSTRAINT uq_audit_event_case_seq", "must be owner of table audit_event"),
    ("SET session_replication_role = replica", 'permission denied to set parameter "session_replication_role"'),
    ("SET ROLE lawflow_owner", 'permission denied to set role "lawflow_owner"'),
    ("CREATE RULE hide AS ON UPDATE TO audit_event DO INSTEAD NOTHING", "must be owner of table audit_event"),
])
def test_pg_app_role_cannot_lift_the_guard_rails(unchanged_pg: Db, sql: str, match: str) -> None:
    refused(unchanged_pg.app, sql, None, match)


def test_pg_triggers_are_installed_and_enable_always(pg_db: Db) -> None:
    owner = plain(pg_db.owner_url)
    try:
        with owner.connect() as conn:
            rows = conn.execute(text(
                "SELECT c.relname, t.tgname, t.tgenabled, t.tgtype, p.proname FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
                "WHERE NOT t.tgisinternal")).all()
            rules = conn.execute(text("SELECT tablename, rulename FROM pg_rules WHERE schemaname = 'public'")).all()
    finally:
        owner.dispose()
    found = {name: (table, enabled, tgtype, proc) for table, name, enabled, tgtype, proc in rows}
    # tgtype bits: 1 row-level, 2 BEFORE, 8 DELETE, 16 UPDATE, 32 TRUNCATE
    expected = {f"{t}_append_only": (t, 1 | 2 | 8 | 16) for t in AUDIT}
    expected |= {f"{t}_append_only": (t, 1 | 2 | 8) for t in NO_DELETE}
    expected |= {f"{t}_no_truncate": (t, 2 | 32) for t in (*AUDIT, *NO_DELETE)}
    missing = sorted(set(expected) - set(found))
    assert not missing, f"append-only triggers missing: {missing}"
    for name, (table, tgtype) in expected.items():
        assert found[name] == (table, "A", tgtype, "lawflow_refuse_change"), (name, found[name])
    # every trigger on these tables is ENABLE ALWAYS (none left 'O'rigin-only, 'R'eplica-only or 'D'isabled)
    guarded = {*AUDIT, *NO_DELETE}
    assert all(enabled == "A" for table, enabled, _, _ in found.values() if table in guarded), found
    assert [r for r in rules if r.tablename in guarded] == []  # a DO INSTEAD NOTHING rule would hide changes


def test_pg_runtime_role_privileges(pg_db: Db) -> None:
    with pg_db.app.connect() as conn:
        def has(table: str, privilege: str) -> bool:
            return conn.execute(text("SELECT has_table_privilege(current_user, :t, :p)"),
                                {"t": table, "p": privilege}).scalar_one()

        assert conn.exec_driver_sql("SELECT current_user").scalar_one() == "lawflow_app"
        for table in AUDIT:
            assert (has(table, "SELECT"), has(table, "INSERT")) == (True, True), table
            for privilege in ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES"):
                assert not has(table, privilege), (table, privilege)
        for table in NO_DELETE:
            assert has(table, "UPDATE") and not has(table, "DELETE") and not has(table, "TRUNCATE"), table
        owners = dict(conn.execute(text(
            "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'")).all())
        assert {owners[t] for t in (*AUDIT, *NO_DELETE)} == {"lawflow_owner"}
        role = conn.execute(text(
            "SELECT rolsuper, rolbypassrls, pg_has_role('lawflow_app', 'lawflow_owner', 'MEMBER') "
            "FROM pg_roles WHERE rolname = 'lawflow_app'")).one()
        assert tuple(role) == (False, False, False)


def test_pg_app_connection_commits_synchronously(pg_db: Db) -> None:
    with pg_db.app.connect() as conn:
        assert conn.exec_driver_sql("SHOW synchronous_commit").scalar_one() == "on"


def test_sqlite_db_file_and_plain_connection_share_the_triggers(sqlite_db: Db) -> None:
    """A careless tool (plain sqlite3, default pragmas) is refused too: the triggers live in the file."""
    path = sqlite_db.owner_url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="audit_event is append-only: DELETE refused"):
            conn.execute("DELETE FROM audit_event")
        with pytest.raises(sqlite3.IntegrityError, match="case_file rows are never deleted"):
            conn.execute("DELETE FROM case_file")
        conn.rollback()
        assert conn.execute("SELECT count(*) FROM audit_event").fetchone() == (3,)
    finally:
        conn.close()
