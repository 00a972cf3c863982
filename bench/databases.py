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
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import event

REPO = Path(__file__).resolve().parent.parent
COMMENT = {"commenter": "后龙村村民 陈先生", "received_on": "2026-03-02",
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


# ---------------------------------------------------------------- the floor's own tables

FLOOR_SCHEMA = (
    "CREATE TABLE floor_case (id VARCHAR(40) PRIMARY KEY, version INTEGER NOT NULL,"
    " audit_seq INTEGER NOT NULL, audit_head VARCHAR(64) NOT NULL)",
    "CREATE TABLE floor_event (id {serial} PRIMARY KEY, case_id VARCHAR(40) NOT NULL, seq INTEGER NOT NULL,"
    " kind VARCHAR(32) NOT NULL, at VARCHAR(32) NOT NULL, payload TEXT NOT NULL, prev VARCHAR(64) NOT NULL,"
    " hash VARCHAR(64) NOT NULL, UNIQUE (case_id, seq))",
)


def floor_sqlite(path: Path, case_ids: list[str]) -> None:
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        for sql in FLOOR_SCHEMA:
            conn.execute(sql.format(serial="INTEGER"))
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO floor_case VALUES (?, 1, 0, ?)", [(c, "0" * 64) for c in case_ids])
        conn.execute("COMMIT")
    finally:
        conn.close()


def floor_pg(server: PgServer, owner_url: str, case_ids: list[str]) -> None:
    import psycopg

    with psycopg.connect(**server.params(owner_url)) as conn:
        for sql in FLOOR_SCHEMA:
            conn.execute(sql.format(serial="BIGSERIAL"))
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO floor_case VALUES (%s, 1, 0, %s)", [(c, "0" * 64) for c in case_ids])
