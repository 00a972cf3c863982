"""Fresh databases for the benchmark and the Houlong seed that the measured workers fire on.

SQLite: a file in a temporary directory on the real disk (not tmpfs), migrated like `lawflow init`, opened
by the app's own engine (WAL + synchronous=FULL, BEGIN IMMEDIATE). PostgreSQL: a fresh database on the
test server (scripts/pg-test-server), migrated as the owner with LAWFLOW_DB_APP_ROLE=lawflow_app so that
the grants are made, then used as `lawflow_app` exactly like the test suite does.

Seeding is not measured, so the seeding connection alone relaxes durability (SQLite synchronous=OFF,
PostgreSQL synchronous_commit=off); the workers open their own Runtime with the app's settings.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import event

REPO = Path(__file__).resolve().parent.parent
# Received on the day the benchmark runs: a comment may not be dated before the comment period opened (the
# typed dates' declared order, workflow/typed_dates.py), and the period opens on the day the seed runs.
COMMENT = {"commenter": "后龙村村民 陈先生", "received_on": datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat(),
           "content": "建议优先改造靠近溪流的自然村，并在施工前公告交通组织方案。"}


# ---------------------------------------------------------------- PostgreSQL server and databases


@dataclass(frozen=True)
class PgServer:
    owner_url: str
    app_url: str

    def params(self, url: str | None = None, dbname: str | None = None, user: str | None = None) -> dict[str, str]:
        """psycopg connection keywords for a SQLAlchemy URL of this server (Unix socket, trust auth)."""
        parts = urlsplit(url or self.owner_url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        return {"host": query.get("host", ""), "port": query.get("port", "5432"),
                "user": user or parts.username or "postgres", "dbname": dbname or parts.path.lstrip("/")}

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(**self.params(user="postgres", dbname="postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def url(self, base: str, dbname: str) -> str:
        return urlsplit(base)._replace(path=f"/{dbname}").geturl()

    def version(self) -> str:
        import psycopg

        with psycopg.connect(**self.params(user="postgres", dbname="postgres")) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            settings = dict(conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('fsync', 'synchronous_commit', 'wal_sync_method', 'commit_delay', 'full_page_writes')").fetchall())
        return f"{row[0] if row else '?'} ({', '.join(f'{k}={v}' for k, v in sorted(settings.items()))})"

    def create_database(self, name: str) -> tuple[str, str]:
        """A fresh, migrated database; returns (owner URL, app URL)."""
        from workflow.db import migrate

        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.admin(f"CREATE DATABASE {name} OWNER lawflow_owner")
        previous = os.environ.get("LAWFLOW_DB_APP_ROLE")
        os.environ["LAWFLOW_DB_APP_ROLE"] = "lawflow_app"
        try:
            migrate(self.url(self.owner_url, name))
        finally:
            if previous is None:
                os.environ.pop("LAWFLOW_DB_APP_ROLE", None)
            else:
                os.environ["LAWFLOW_DB_APP_ROLE"] = previous
        return self.url(self.owner_url, name), self.url(self.app_url, name)

    def drop_database(self, name: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def copy_database(self, source: str, name: str) -> str:
        """A copy of `source` (no connection may be open on it) as `name`; returns the app URL of the copy."""
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.admin(f"CREATE DATABASE {name} TEMPLATE {source} OWNER lawflow_owner")
        return self.url(self.app_url, name)


def find_pg_server() -> tuple[PgServer | None, str]:
    """The test server from the environment (make bench), else start it with scripts/pg-test-server."""
    owner, app = os.environ.get("LAWFLOW_TEST_PG_OWNER_URL"), os.environ.get("LAWFLOW_TEST_PG_URL")
    if not (owner and app):
        try:
            done = subprocess.run([str(REPO / "scripts" / "pg-test-server"), "start"], capture_output=True,
                                  text=True, timeout=300, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"scripts/pg-test-server start failed: {exc}"
        found: dict[str, str] = {}
        for line in done.stdout.splitlines():
            for word in shlex.split(line):
                key, _, value = word.partition("=")
                found[key] = value
        owner, app = found.get("LAWFLOW_TEST_PG_OWNER_URL"), found.get("LAWFLOW_TEST_PG_URL")
        if not (owner and app):
            return None, f"scripts/pg-test-server start gave no URLs: {done.stderr.strip()[-300:]}"
    try:
        server = PgServer(owner, app)
        server.admin("SELECT 1")
    except Exception as exc:  # the benchmark still runs on SQLite and says why PostgreSQL is missing
        return None, f"PostgreSQL not reachable: {exc}"
    return server, ""


# ---------------------------------------------------------------- the app's runtime and the seed


def runtime(url: str, instance: Path) -> Any:
    from workflow.runtime import Runtime

    instance.mkdir(parents=True, exist_ok=True)
    return Runtime(instance=instance, database_url=url, key_path=instance / "audit-signing.key")


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database, WAL included (the online backup API)."""
    import sqlite3

    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def relax_durability_for_seeding(rt: Any) -> None:
    """Only for the seeding process: the measured workers build their own engines with the app's settings."""
    if rt.database_url.startswith("sqlite"):
        @event.listens_for(rt.db, "connect")
        def _sqlite_off(dbapi_connection: Any, _record: Any) -> None:  # runs after the app's own listener
            dbapi_connection.execute("PRAGMA synchronous=OFF")
    else:
        @event.listens_for(rt.db, "connect")
        def _pg_off(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("SET synchronous_commit = off")
            dbapi_connection.commit()


def seed_town(rt: Any) -> None:
    """Houlong's people and forum setting (cheap password hashes: nobody logs in here)."""
    from werkzeug.security import generate_password_hash

    from workflow.demo import seed_town as seed

    seed(rt, generate_password_hash("bench", method="pbkdf2:sha256:1"))


def seed_cases(rt: Any, n: int, label: str) -> list[str]:
    """`n` decisions driven through engine.fire to public participation (where record_comment is allowed)."""
    engine = rt.engine
    ids = []
    for i in range(n):
        created = engine.create_case("major_decision", "zhangwei", {
            "title": f"{label} 后龙镇老旧小区改造实施方案（第{i + 1}批）", "category": "public_policy",
            "proposer": "leader", "summary": "镇区老旧小区设施老化，拟分批改造。"})
        case_id = created.case_id
        steps = (("start", "huangzhenhua", {"lead_unit": "村镇建设服务中心"}),
                 ("open_public_comment", "zhangwei", {
                     "draft_ref": f"{case_id}-征求意见稿", "explanation": "改造范围、内容和资金来源说明",
                     "channels": ["后龙镇人民政府网站", "小区公告栏"], "period_days": 30}))
        outcomes = [created] + [engine.fire(case_id, t, who, p) for t, who, p in steps]
        if not all(o.ok for o in outcomes) or case_id is None:
            raise RuntimeError(f"seeding refused: {[(o.trigger, o.codes) for o in outcomes]}")
        ids.append(case_id)
    return ids


# ---------------------------------------------------------------- the floors' own tables

# The minimal floor (kept from the first runs, labelled "minimal floor (no case data)"): a tiny case row
# (version, chain head) and a narrow event row. Its UPDATE writes no case data.
FLOOR_SCHEMA = (
    "CREATE TABLE floor_case (id VARCHAR(40) PRIMARY KEY, version INTEGER NOT NULL,"
    " audit_seq INTEGER NOT NULL, audit_head VARCHAR(64) NOT NULL)",
    "CREATE TABLE floor_event (id {serial} PRIMARY KEY, case_id VARCHAR(40) NOT NULL, seq INTEGER NOT NULL,"
    " kind VARCHAR(32) NOT NULL, at VARCHAR(32) NOT NULL, payload TEXT NOT NULL, prev VARCHAR(64) NOT NULL,"
    " hash VARCHAR(64) NOT NULL, UNIQUE (case_id, seq))",
)

# The floor (issue 2's definition): its case table has case_file's columns, types and (org_id, state) index,
# so its UPDATE writes the same row fire() writes (state, version, data, updated_at, audit_seq, audit_head).
# No foreign key: neither the UPDATE nor the INSERT touches a key column that one would check. The event
# table has the same shape as the minimal floor's (the chained INSERT is unchanged).
DATA_FLOOR_SCHEMA = (
    "CREATE TABLE floor_case_file (id VARCHAR(40) NOT NULL PRIMARY KEY, org_id VARCHAR(64) NOT NULL,"
    " \"procedure\" VARCHAR(64) NOT NULL, procedure_version INTEGER NOT NULL, title VARCHAR(300) NOT NULL,"
    " state VARCHAR(64) NOT NULL, version INTEGER NOT NULL, data {json} NOT NULL, created_by VARCHAR(64) NOT NULL,"
    " created_at {stamp} NOT NULL, updated_at {stamp} NOT NULL, audit_seq INTEGER NOT NULL,"
    " audit_head VARCHAR(64) NOT NULL)",
    "CREATE INDEX ix_floor_case_file_org_state ON floor_case_file (org_id, state)",
    "CREATE TABLE floor_data_event (id {serial} PRIMARY KEY, case_id VARCHAR(40) NOT NULL, seq INTEGER NOT NULL,"
    " kind VARCHAR(32) NOT NULL, at VARCHAR(32) NOT NULL, payload TEXT NOT NULL, prev VARCHAR(64) NOT NULL,"
    " hash VARCHAR(64) NOT NULL, UNIQUE (case_id, seq))",
)
SQLITE_TYPES = {"serial": "INTEGER", "json": "JSON", "stamp": "DATETIME"}  # as the migration makes case_file
PG_TYPES = {"serial": "BIGSERIAL", "json": "JSON", "stamp": "TIMESTAMP WITH TIME ZONE"}
CASE_COLUMNS = ("id, org_id, \"procedure\", procedure_version, title, state, version, data, created_by, created_at,"
                " updated_at, audit_seq, audit_head")


def floor_sqlite(path: Path, case_ids: list[str]) -> None:
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        for sql in (*FLOOR_SCHEMA, *DATA_FLOOR_SCHEMA):
            conn.execute(sql.format(**SQLITE_TYPES))
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO floor_case VALUES (?, 1, 0, ?)", [(c, "0" * 64) for c in case_ids])
        conn.execute("COMMIT")
    finally:
        conn.close()


def floor_pg(server: PgServer, owner_url: str, case_ids: list[str]) -> None:
    import psycopg

    with psycopg.connect(**server.params(owner_url)) as conn:
        for sql in (*FLOOR_SCHEMA, *DATA_FLOOR_SCHEMA):
            conn.execute(sql.format(**PG_TYPES))
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO floor_case VALUES (%s, 1, 0, %s)", [(c, "0" * 64) for c in case_ids])


def copy_cases_sqlite(app_path: Path, floor_path: Path, case_ids: list[str]) -> None:
    """The floor's case rows start as copies of the fire cases' rows (same data text, chain head, version)."""
    import sqlite3

    marks = ", ".join("?" * len(case_ids))
    app = sqlite3.connect(f"file:{app_path}?mode=ro", uri=True)
    try:
        rows = app.execute(f"SELECT {CASE_COLUMNS} FROM case_file WHERE id IN ({marks})", case_ids).fetchall()
    finally:
        app.close()
    floor = sqlite3.connect(floor_path, isolation_level=None)
    try:
        floor.execute("BEGIN")
        floor.executemany(f"INSERT INTO floor_case_file ({CASE_COLUMNS}) VALUES ({', '.join('?' * 13)})", rows)
        floor.execute("COMMIT")
    finally:
        floor.close()


def copy_cases_pg(server: PgServer, owner_url: str, case_ids: list[str]) -> None:
    import psycopg

    with psycopg.connect(**server.params(owner_url)) as conn:
        conn.execute(f"INSERT INTO floor_case_file ({CASE_COLUMNS}) SELECT {CASE_COLUMNS} FROM case_file"
                     " WHERE id = ANY(%s)", (case_ids,))


def compare_case_data_sqlite(app_path: Path, floor_path: Path, case_ids: list[str]) -> dict[str, int]:
    """How many of the floor's cases ended with exactly the stored data text of the same fire case."""
    import sqlite3

    marks = ", ".join("?" * len(case_ids))
    texts = []
    for path, table in ((app_path, "case_file"), (floor_path, "floor_case_file")):
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            texts.append(dict(conn.execute(f"SELECT id, data FROM {table} WHERE id IN ({marks})", case_ids)))
        finally:
            conn.close()
    return _compare(texts[0], texts[1])


def compare_case_data_pg(server: PgServer, owner_url: str, case_ids: list[str]) -> dict[str, int]:
    import psycopg

    with psycopg.connect(**server.params(owner_url)) as conn:  # ::text: the json column's stored text
        app = dict(conn.execute("SELECT id, data::text FROM case_file WHERE id = ANY(%s)", (case_ids,)).fetchall())
        floor = dict(conn.execute("SELECT id, data::text FROM floor_case_file WHERE id = ANY(%s)",
                                  (case_ids,)).fetchall())
    return _compare(app, floor)


def _compare(app: dict[str, str], floor: dict[str, str]) -> dict[str, int]:
    same = sum(1 for k, v in app.items() if floor.get(k) == v)
    return {"cases": len(app), "identical": same, "fire_bytes": sum(len(v) for v in app.values()),
            "floor_bytes": sum(len(v) for v in floor.values())}
