"""The tamper matrix of audit-design §2.9 item 3, applied IN THE DATABASE (SQLite and PostgreSQL).

A small story is built once per backend through the engine (three cases and the system journal, a refusal in
the middle of a case), anchored by `make_checkpoint`, extended, and anchored again by `lawflow audit checkpoint`
(whose printed checkpoint is kept as the trusted copy held outside the database). Each test plays the
insider on its own copy of that database (see the `story` fixture) — the table owner / superuser with the
append-only triggers dropped (SQLite) or disabled (PostgreSQL, `DISABLE TRIGGER ALL`, since the triggers are
ENABLE ALWAYS) — and checks that `verify_database` names exactly what was done. The last tests do the same
through `python -m workflow audit verify|export` and the stdlib-only `verifier.py`, in subprocesses.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from tests.auditor_script import auditor_script
from tests.conftest import PG_APP_URL, REQUIRE_PG, _pg_admin, _pg_admin_params, _pg_url
from workflow.audit import signing
from workflow.audit.checkpoint import CheckpointResult, make_checkpoint
from workflow.audit.export import verify_database
from workflow.audit.verifier import GENESIS, Report, event_hash, load_checkpoints
from workflow.clock import FixedClock, parse_stamp, utc_stamp
from workflow.definitions import load_registry
from workflow.replay import replay_case
from workflow.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
STAMP = "2026-03-09T00:00:00.000000Z"
# Tables the insider touches; on PostgreSQL DISABLE TRIGGER ALL also lifts the foreign keys among them.
TABLES = ("audit_event", "audit_leaf", "audit_checkpoint", "audit_key", "case_file", "audit_journal",
          "case_deadline")
PROPOSAL = {"title": "后龙镇农村生活污水治理方案", "category": "public_policy", "proposer": "leader",
            "summary": "部分村庄生活污水直排，拟建设收集管网"}
COMMENT_PERIOD = {"draft_ref": "草案", "explanation": "说明", "channels": ["镇政府网站"], "period_days": 30}
_numbers = itertools.count()


@dataclass(frozen=True)
class Story:
    """One copy of the story database.

    Events (case: seq kind): A 1 created, 2 start, 3 open_public_comment | 4 record_comment;
    B 1 created, 2 REFUSED start, 3 start, 4 open_public_comment | 5 record_comment;
    C 1 created, 2 decline_to_start; SYS 1 refused (unknown user).
    Checkpoint 1 (make_checkpoint) anchors the 10 events left of '|'; checkpoint 2 (the CLI) all 12.
    """

    backend: str
    url: str  # the runtime URL (the app role lawflow_app on PostgreSQL)
    admin_url: str  # the same database for the insider (superuser on PostgreSQL)
    key_path: Path
    trusted: Path  # the checkpoint printed by `lawflow audit checkpoint`, kept outside the database
    backup_url: str  # an older copy: taken after checkpoint 1, before the last events and checkpoint 2
    cases: dict[str, str]  # "A" -> "houlong-MD-2026-0001", ...
    instance: Path
    conn: Connection | None = None  # PostgreSQL: the insider's open transaction (see the `story` fixture)

    def case(self, name: str) -> str:
        return self.cases[name]

    def runtime(self, url: str | None = None) -> Runtime:
        return Runtime(instance=self.instance, database_url=url or self.url, key_path=self.key_path,
                       clock=FixedClock())


# ----------------------------------------------------------------------------------------------- databases


def _superuser_url(name: str) -> str:
    p = _pg_admin_params()
    return f"postgresql+psycopg://postgres@/{name}?host={p['host']}&port={p['port']}"


def _sqlite_copy(src: str, dst: Path) -> str:
    """A consistent copy of a SQLite database (the backup API, so a WAL never gets lost)."""
    source = sqlite3.connect(src.removeprefix("sqlite:///"))
    target = sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return f"sqlite:///{dst}"


def _pg_clone(source: str) -> str:
    name = f"lawflow_tamper{os.getpid()}_{next(_numbers)}"
    _pg_admin(f"CREATE DATABASE {name} TEMPLATE {source} OWNER lawflow_owner")
    return name


def _dbname(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _seed_users(rt: Runtime, password_hash: str) -> None:
    from workflow.demo import seed_town

    seed_town(rt, password_hash)


def _ok(outcome: Any) -> Any:
    assert outcome.ok, outcome.reasons
    return outcome


def _stage_one(rt: Runtime) -> dict[str, str]:
    clock = rt.clock
    assert isinstance(clock, FixedClock)
    engine = rt.engine
    cases = {}
    for name in "ABC":
        cases[name] = _ok(engine.create_case("major_decision", "zhangwei", PROPOSAL)).case_id
        clock.advance(minutes=1)
    a, b, c = cases["A"], cases["B"], cases["C"]
    _ok(engine.fire(a, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}))
    refused = engine.fire(b, "start", "zhangwei", {"lead_unit": "x"})  # the drafter is not the head
    assert not refused.ok and refused.codes == ["role_not_allowed"] and refused.seq == 2
    clock.advance(minutes=1)
    _ok(engine.fire(b, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}))
    _ok(engine.fire(a, "open_public_comment", "zhangwei", COMMENT_PERIOD))
    _ok(engine.fire(b, "open_public_comment", "zhangwei", COMMENT_PERIOD))
    _ok(engine.fire(c, "decline_to_start", "huangzhenhua", {"reason": "不属于重大行政决策事项"}))
    clock.advance(minutes=1)
    # A refusal that belongs to no case goes to the system journal.
    journal = engine.create_case("major_decision", "nobody", PROPOSAL)
    assert not journal.ok and journal.case_id is None and journal.codes == ["unknown_user"]
    return cases


def _stage_two(rt: Runtime, cases: dict[str, str]) -> None:
    assert isinstance(rt.clock, FixedClock)
    rt.clock.advance(days=1)
    for name in "AB":
        _ok(rt.engine.fire(cases[name], "record_comment", "zhangwei", {
            "commenter": f"村民{name}", "received_on": "2026-03-03", "content": "意见"}))


def _cli_env(story: Story) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAWFLOW_")}
    env.update(LAWFLOW_DATABASE_URL=story.url, LAWFLOW_INSTANCE=str(story.instance),
               LAWFLOW_AUDIT_KEY=str(story.key_path), LAWFLOW_ORIGIN="lawflow/houlong")
    return env


def lawflow(story: Story, *commands: list[str]) -> list[subprocess.CompletedProcess[str]]:
    """Run `python -m workflow ARGS...` for each command, side by side (they only read the database)."""
    running = [subprocess.Popen([sys.executable, "-m", "workflow", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=ROOT, env=_cli_env(story))
               for args in commands]
    done = []
    for proc in running:
        out, err = proc.communicate(timeout=120)
        assert "Traceback" not in out + err, err
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path,
             demo_password_hash: str) -> Iterator[Story]:
    """The story, built once per backend; tests work on copies of it (or inside a rolled-back transaction)."""
    tmp = tmp_path_factory.mktemp(f"story-{request.param}")
    key_path = tmp / "audit-signing.key"
    signing.generate_key_file(key_path)
    created: list[str] = []
    if request.param == "sqlite":
        shutil.copy(sqlite_template, tmp / "story.sqlite3")
        url = f"sqlite:///{tmp / 'story.sqlite3'}"
    else:
        pg = request.getfixturevalue("pg_template")
        if pg is None:
            if REQUIRE_PG:
                pytest.fail("PostgreSQL is required (LAWFLOW_TEST_REQUIRE_PG=1) but LAWFLOW_TEST_PG_URL is not set")
            pytest.skip("PostgreSQL test server not running (scripts/pg-test-server start)")
        created.append(_pg_clone(pg))
        url = _pg_url(PG_APP_URL or "", created[-1])
    try:
        rt = Runtime(instance=tmp / "instance", database_url=url, key_path=key_path, clock=FixedClock())
        rt.instance.mkdir()
        _seed_users(rt, demo_password_hash)
        cases = _stage_one(rt)
        assert make_checkpoint(rt.sessions, key_path, rt.origin, rt.clock).tree_size == 10
        rt.db.dispose()
        if request.param == "sqlite":
            backup_url = _sqlite_copy(url, tmp / "backup.sqlite3")
        else:
            created.append(_pg_clone(created[0]))
            backup_url = _pg_url(PG_APP_URL or "", created[-1])
        _stage_two(rt, cases)
        rt.db.dispose()
        story = Story(request.param, url, url if request.param == "sqlite" else _superuser_url(created[0]),
                      key_path, tmp / "trusted-checkpoint.json", backup_url, cases, rt.instance)
        [proc] = lawflow(story, ["audit", "checkpoint"])
        assert proc.returncode == 0, proc.stderr
        assert "新增 2 个事件 added" in proc.stderr
        story.trusted.write_text(proc.stdout, encoding="utf-8")
        assert [cp["tree_size"] for cp in load_checkpoints(str(story.trusted))] == [12]
        yield story
    finally:
        for name in created:
            _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _clone(template: Story, tmp_path: Path) -> Iterator[Story]:
    if template.backend == "sqlite":
        url = _sqlite_copy(template.url, tmp_path / "story.sqlite3")
        yield replace(template, url=url, admin_url=url)
        return
    name = _pg_clone(_dbname(template.url))
    try:
        yield replace(template, url=_pg_url(PG_APP_URL or "", name), admin_url=_superuser_url(name))
    finally:
        _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def committed(template: Story, tmp_path: Path) -> Iterator[Story]:
    """A private, committed copy of the story database (for tests that run the CLI in a subprocess)."""
    yield from _clone(template, tmp_path)


@pytest.fixture
def story(template: Story, tmp_path: Path) -> Iterator[Story]:
    """The story database for one test. SQLite: a private copy (a file copy is cheap). PostgreSQL: the
    template itself, inside one superuser transaction that disables the triggers and is rolled back after
    the test; the app's view (verify, checkpoint) runs in that transaction as the app role
    (SET LOCAL ROLE lawflow_app), so it reads exactly what the app would read after a commit. (A database
    clone per test would cost a CREATE and a DROP DATABASE each.)"""
    if template.backend == "sqlite":
        yield from _clone(template, tmp_path)
        return
    engine = create_engine(template.admin_url, poolclass=NullPool)
    conn = engine.connect()
    try:
        conn.begin()
        for table in TABLES:
            conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        yield replace(template, conn=conn)
    finally:
        conn.rollback()
        conn.close()
        engine.dispose()


@contextmanager
def tampering(story: Story) -> Iterator[Connection]:
    """The insider's connection, in a transaction, with the append-only triggers out of the way."""
    if story.conn is not None:
        yield story.conn
        return
    engine = create_engine(story.admin_url, poolclass=NullPool)  # plain: no lawflow hooks, no FK pragma
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                names = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars().all()
                for name in names:
                    conn.exec_driver_sql(f"DROP TRIGGER {name}")
            else:
                for table in TABLES:
                    conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
            yield conn
    finally:
        engine.dispose()


@contextmanager
def app_sessions(story: Story, url: str | None = None) -> Iterator[sessionmaker[Session]]:
    """The application's view of the story database."""
    if story.conn is not None and url is None:
        story.conn.exec_driver_sql("SET LOCAL ROLE lawflow_app")
        try:
            yield sessionmaker(bind=story.conn, expire_on_commit=False)
        finally:
            story.conn.exec_driver_sql("RESET ROLE")
        return
    rt = story.runtime(url)
    try:
        yield rt.sessions
    finally:
        rt.db.dispose()


def verify(story: Story, *, trusted: bool = False, url: str | None = None) -> Report:
    pinned = load_checkpoints(str(story.trusted)) if trusted else []
    with app_sessions(story, url) as sessions:
        return verify_database(sessions, "lawflow/houlong", STAMP, pinned)


def checkpoint(story: Story) -> CheckpointResult:
    with app_sessions(story) as sessions:
        return make_checkpoint(sessions, story.key_path, "lawflow/houlong", FixedClock())


def broken_at(report: Report, case: str | None, seq: int | None, field: str | None = None) -> None:
    assert not report.ok, report.message
    assert report.first_error is not None
    got = (report.first_error.case, report.first_error.seq)
    assert got == (case, seq), report.message
    if field is not None:
        assert report.first_error.field == field, report.message


def event(conn: Connection, case: str, seq: int) -> dict[str, Any]:
    row = conn.execute(text("SELECT * FROM audit_event WHERE case_id = :c AND seq = :s"),
                       {"c": case, "s": seq}).mappings().one()
    return dict(row)


def body_of(row: dict[str, Any]) -> dict[str, Any]:
    return {"format": row["format"], "case": row["case_id"], "seq": row["seq"], "kind": row["kind"],
            "trigger": row["trigger"], "from": row["from_state"], "to": row["to_state"], "actor": row["actor"],
            "role": row["role"], "at": row["at"], "procedure": row["procedure"],
            "payload": json.loads(row["payload"]), "reasons": json.loads(row["reasons"]), "prev": row["prev"]}


def dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def flip_hex(value: str) -> str:
    return value[:-1] + ("0" if value[-1] != "0" else "1")


def forge_chain(conn: Connection, case: str, seq: int, change: Callable[[dict[str, Any]], None], *,
                leaves: bool = True) -> None:
    """The careful insider: change one event's payload, then recompute every later prev/hash, the case head and
    (optionally) the leaves' event hashes, so that every chain and leaf check passes again."""
    rows = [dict(r) for r in conn.execute(text("SELECT * FROM audit_event WHERE case_id = :c ORDER BY seq"),
                                          {"c": case}).mappings()]
    prev = rows[seq - 2]["hash"] if seq > 1 else GENESIS
    for row in rows[seq - 1:]:
        body = body_of(row)
        if row["seq"] == seq:
            change(body["payload"])
        body["prev"] = prev
        prev = event_hash(body)
        conn.execute(text("UPDATE audit_event SET payload = :p, prev = :prev, hash = :h WHERE id = :id"),
                     {"p": dump(body["payload"]), "prev": body["prev"], "h": prev, "id": row["id"]})
        if leaves:
            conn.execute(text("UPDATE audit_leaf SET event_hash = :h WHERE event_id = :id"), {"h": prev, "id": row["id"]})
    conn.execute(text("UPDATE case_file SET audit_head = :h WHERE id = :c"), {"h": prev, "c": case})
    replay_row(conn, case)


def replay_row(conn: Connection, case: str) -> None:
    """The careful insider also rewrites the case row to what its (altered) events replay to, so that the
    row check (the case row is a function of its history) passes again."""
    rows = [dict(r) for r in conn.execute(text("SELECT * FROM audit_event WHERE case_id = :c ORDER BY seq"),
                                          {"c": case}).mappings()]
    row = replay_case([{**body_of(r), "hash": r["hash"]} for r in rows], load_registry())
    assert row is not None
    data = "CAST(:d AS JSON)" if conn.dialect.name == "postgresql" else ":d"
    conn.execute(text(f"UPDATE case_file SET state = :s, version = :v, title = :t, data = {data}, audit_seq = :n,"
                      " audit_head = :h WHERE id = :c"),
                 {"s": row["state"], "v": row["version"], "t": row["title"], "d": dump(row["data"]),
                  "n": row["head_seq"], "h": row["head_hash"], "c": case})


def forged_payload(payload: dict[str, Any]) -> None:
    payload["lead_unit"] = "伪造的承办单位"


# ----------------------------------------------------------------------------------------------- the story


def test_the_story_is_intact(story: Story) -> None:
    report = verify(story)
    assert report.ok, report.message
    assert (report.events, report.cases, report.leaves, report.checkpoints) == (12, 4, 12, 2)
    assert report.signatures == "verified" and report.unanchored_events == 0
    assert verify(story, trusted=True).ok
    assert verify(story, url=story.backup_url).ok  # the older copy is consistent in itself


@pytest.mark.parametrize("attempt", ["unknown_case", "unknown_procedure"])
def test_refusal_without_a_known_procedure_still_verifies(town: Runtime, attempt: str) -> None:
    """A refusal recorded before any procedure is known (unknown case id or procedure) must still be a valid
    event. (Regression: it was once stored with procedure '-', which the verifier rejects, so an untouched
    trail verified as BROKEN.)"""
    if attempt == "unknown_case":
        outcome = town.engine.fire("MD-1999-0001", "start", "huangzhenhua", {})
    else:
        outcome = town.engine.create_case("no_such_procedure", "zhangwei", PROPOSAL)
    assert not outcome.ok and outcome.case_id is None
    report = verify_database(town.sessions, town.origin, STAMP)
    assert report.ok, report.message


# ----------------------------------------------------------------------------------------------- columns

# (column, target event, new value from the stored row)
TARGETS = {"refusal": ("B", 2), "transition": ("A", 3)}


def _other(value: str | None, *choices: str) -> str:
    return next(c for c in choices if c != value)


def _at_plus_one_microsecond(row: dict[str, Any]) -> str:
    return utc_stamp(parse_stamp(row["at"]) + timedelta(microseconds=1))


def _payload_one_key(row: dict[str, Any]) -> str:
    payload = json.loads(row["payload"])
    key = sorted(payload)[0]
    payload[key] = payload[key] + 1 if isinstance(payload[key], int) else f"{payload[key]}改"
    return dump(payload)


def _reasons_changed(row: dict[str, Any]) -> str:
    reasons = json.loads(row["reasons"])
    if reasons:
        reasons[0]["article"] = "《重大行政决策程序暂行条例》第一条"
    else:
        reasons = [{"code": "role_not_allowed", "zh": "须由行政首长办理", "en": "needs the head", "article": ""}]
    return dump(reasons)


COLUMNS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "case_id": lambda r: r["case_id"] + "X",
    "seq": lambda r: 99,
    "format": lambda r: "lawflow.audit.v2",
    "kind": lambda r: _other(r["kind"], "transition", "refused"),
    "trigger": lambda r: _other(r["trigger"], "decline_to_start", "start"),
    "from_state": lambda r: _other(r["from_state"], "decided", "proposed"),
    "to_state": lambda r: _other(r["to_state"], "decided", "proposed"),
    "actor": lambda r: _other(r["actor"], "liushen", "admin"),
    "role": lambda r: _other(r["role"], "head", "drafter"),
    "at": _at_plus_one_microsecond,
    "procedure": lambda r: _other(r["procedure"], "major_decision@1", "major_decision@2"),
    "payload": _payload_one_key,
    "reasons": _reasons_changed,
    "prev": lambda r: flip_hex(r["prev"]),
    "hash": lambda r: flip_hex(r["hash"]),
}


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("column", list(COLUMNS))
def test_changed_event_column_is_named(story: Story, column: str, target: str) -> None:
    name, seq = TARGETS[target]
    case = story.case(name)
    with tampering(story) as conn:
        row = event(conn, case, seq)
        new = COLUMNS[column](row)
        assert new != row[column]
        conn.execute(text(f'UPDATE audit_event SET "{column}" = :v WHERE id = :id'), {"v": new, "id": row["id"]})
    report = verify(story)
    # A moved event (changed case or seq) leaves a gap where it was: the verifier names that position.
    broken_at(report, case, seq, {"case_id": "seq", "seq": "seq", "format": "format"}.get(column, "hash"))


def test_event_moved_to_a_case_listed_earlier_is_named_by_its_new_case(story: Story) -> None:
    """An event whose case_id now sorts before every other case: the verifier meets it first and names the
    case it claims (the tampered value), not the one it was taken from."""
    with tampering(story) as conn:
        row = event(conn, story.case("B"), 2)
        conn.execute(text("UPDATE audit_event SET case_id = 'AAA-0001' WHERE id = :id"), {"id": row["id"]})
    report = verify(story)
    assert not report.ok and report.first_error is not None
    assert report.first_error.case == "AAA-0001", report.message
    assert report.first_error.field == "hash"


def test_reformatted_payload_text_is_not_tampering(story: Story) -> None:
    """The stored payload is re-canonicalized before hashing: the same object written differently passes,
    which shows the column tests above fail because of the content, not because of the bytes."""
    with tampering(story) as conn:
        row = event(conn, story.case("A"), 3)
        loose = json.dumps(json.loads(row["payload"]), indent=2, ensure_ascii=True)
        conn.execute(text("UPDATE audit_event SET payload = :v WHERE id = :id"), {"v": loose, "id": row["id"]})
    assert verify(story).ok


# ----------------------------------------------------------------------------------------------- rows


def test_deleted_middle_event(story: Story) -> None:
    b = story.case("B")
    with tampering(story) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE case_id = :c AND seq = 2"), {"c": b})
    broken_at(verify(story), b, 2, "seq")


def test_deleted_last_event_is_tail_truncation(story: Story) -> None:
    b = story.case("B")
    with tampering(story) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE case_id = :c AND seq = 5"), {"c": b})
    report = verify(story)
    broken_at(report, b, 5, "head_seq")
    assert "tail truncated" in report.message


def test_deleted_tail_with_rewritten_head(story: Story) -> None:
    b = story.case("B")
    with tampering(story) as conn:
        last = event(conn, b, 5)
        conn.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": last["id"]})
        conn.execute(text("UPDATE case_file SET audit_seq = 4, audit_head = :h WHERE id = :c"),
                     {"h": last["prev"], "c": b})
    # The chain and the head agree again, but the row still holds what seq 5 did.
    report = verify(story)
    broken_at(report, b, None, "version")
    assert "案件记录与其历史不符 the case row differs from its history" in report.message
    with tampering(story) as conn:
        replay_row(conn, b)
    # The row agrees too; the leaf that anchored seq 5 still points at it.
    broken_at(verify(story), b, 5, "leaf")
    with tampering(story) as conn:
        conn.execute(text("DELETE FROM audit_leaf WHERE event_id = :id"), {"id": last["id"]})
    report = verify(story)  # the leaf is gone too: the stored checkpoint covers more leaves than remain
    assert not report.ok and report.first_error is not None
    assert report.first_error.field == "tree_size" and "covers 12 leaves but the export has only 11" in report.message
    with tampering(story) as conn:
        conn.execute(text("DELETE FROM audit_checkpoint WHERE tree_size = 12"))
    assert verify(story).ok  # the database alone is consistent again ...
    report = verify(story, trusted=True)  # ... but not with the checkpoint held outside it
    assert not report.ok and report.first_error is not None and report.first_error.field == "tree_size"
    assert "fewer than this checkpoint held outside the database" in report.message


def test_swapped_events(story: Story) -> None:
    b = story.case("B")
    with tampering(story) as conn:
        two, three = event(conn, b, 2), event(conn, b, 3)
        conn.execute(text("UPDATE audit_event SET seq = 1000 WHERE id = :id"), {"id": two["id"]})
        conn.execute(text("UPDATE audit_event SET seq = 2 WHERE id = :id"), {"id": three["id"]})
        conn.execute(text("UPDATE audit_event SET seq = 3 WHERE id = :id"), {"id": two["id"]})
    broken_at(verify(story), b, 2, "hash")


def _drop_event_uniqueness(conn: Connection) -> None:
    """The owner removes UNIQUE(case_id, seq) and UNIQUE(hash) so that an exact copy fits."""
    if conn.dialect.name == "postgresql":
        names = conn.execute(text("SELECT conname FROM pg_constraint WHERE conrelid = 'audit_event'::regclass "
                                  "AND contype = 'u'")).scalars().all()
        assert set(names) == {"uq_audit_event_case_seq", "audit_event_hash_key"}
        for name in names:
            conn.exec_driver_sql(f"ALTER TABLE audit_event DROP CONSTRAINT {name}")
    else:  # SQLite cannot drop a constraint: rebuild the table without any
        conn.exec_driver_sql("CREATE TABLE audit_event_loose AS SELECT * FROM audit_event")
        conn.exec_driver_sql("DROP TABLE audit_event")
        conn.exec_driver_sql("ALTER TABLE audit_event_loose RENAME TO audit_event")


def _insert_event(conn: Connection, row: dict[str, Any]) -> None:
    columns = ", ".join(f'"{k}"' for k in row)
    conn.execute(text(f"INSERT INTO audit_event ({columns}) VALUES ({', '.join(':' + k for k in row)})"), row)


def test_duplicated_event_exact_copy(story: Story) -> None:
    b = story.case("B")
    with tampering(story) as conn:
        _drop_event_uniqueness(conn)
        row = event(conn, b, 2)
        row["id"] = conn.execute(text("SELECT max(id) + 1 FROM audit_event")).scalar_one()
        _insert_event(conn, row)
    report = verify(story)
    broken_at(report, b, 2, "seq")
    assert "appears twice" in report.message


def test_duplicated_event_as_the_next_seq(story: Story) -> None:
    """A copy of a middle event appended as seq 6 (its hash recomputed so it fits the UNIQUE index, the case head
    moved to it): the copy still points at seq 1, not at seq 5."""
    b = story.case("B")
    with tampering(story) as conn:
        row = event(conn, b, 2)
        row.update(id=conn.execute(text("SELECT max(id) + 1 FROM audit_event")).scalar_one(), seq=6)
        row["hash"] = event_hash(body_of(row))
        _insert_event(conn, row)
        conn.execute(text("UPDATE case_file SET audit_seq = 6, audit_head = :h WHERE id = :c"),
                     {"h": row["hash"], "c": b})
    broken_at(verify(story), b, 6, "prev")


# ----------------------------------------------------------------------------------------------- recomputed history


def test_forged_and_recomputed_chain_is_caught_only_by_the_checkpoint(story: Story) -> None:
    b = story.case("B")
    with tampering(story) as conn:
        forge_chain(conn, b, 3, forged_payload)
    report = verify(story)
    # Every event hash, chain link, case head and leaf checks out: the first problem is a checkpoint root.
    assert not report.ok and report.first_error is not None
    assert (report.first_error.case, report.first_error.seq, report.first_error.field) == (None, None, "root")
    assert "anchored events were altered" in report.message
    # Without the checkpoints (and their leaves) the forged history verifies: the chain alone proves nothing.
    with tampering(story) as conn:
        conn.execute(text("DELETE FROM audit_checkpoint"))
        conn.execute(text("DELETE FROM audit_leaf"))
    intact = verify(story)
    assert intact.ok and intact.checkpoints == 0 and intact.unanchored_events == 12, intact.message
    # The copy of `lawflow audit checkpoint`'s output kept outside the database still catches it.
    report = verify(story, trusted=True)
    assert not report.ok and report.first_error is not None and report.first_error.field == "tree_size"
    assert "fewer than this checkpoint held outside the database" in report.message


def test_forger_holding_the_key_rebuilds_and_resigns_the_log(story: Story) -> None:
    """The insider also has the signing key: forge, drop every leaf and checkpoint, sign a fresh log. The
    database is consistent and signed; only the checkpoint held outside it shows the history was rewritten."""
    b = story.case("B")
    with tampering(story) as conn:
        forge_chain(conn, b, 3, forged_payload, leaves=False)
        conn.execute(text("DELETE FROM audit_checkpoint"))
        conn.execute(text("DELETE FROM audit_leaf"))
    assert checkpoint(story).tree_size == 12
    assert verify(story).ok
    report = verify(story, trusted=True)
    assert not report.ok and report.first_error is not None and report.first_error.field == "root"
    assert "history rewritten" in report.message


@pytest.mark.parametrize("case_row", ["kept", "deleted"])
def test_deleted_whole_case_with_its_leaves_kept(story: Story, case_row: str) -> None:
    c = story.case("C")
    with tampering(story) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE case_id = :c"), {"c": c})
        if case_row == "deleted":
            conn.execute(text("DELETE FROM case_deadline WHERE case_id = :c"), {"c": c})
            conn.execute(text("DELETE FROM case_file WHERE id = :c"), {"c": c})
    report = verify(story)
    if case_row == "kept":  # the case row still says 2 events
        broken_at(report, c, 1, "head_seq")
        assert "the export has no events for this case" in report.message
    else:  # the leaves still anchor C's events
        broken_at(report, c, 1, "leaf")
        assert "case deleted?" in report.message


def test_deleted_whole_case_with_its_leaves(story: Story) -> None:
    c = story.case("C")
    with tampering(story) as conn:
        conn.execute(text("DELETE FROM audit_leaf WHERE case_id = :c"), {"c": c})
        for table, column in (("case_deadline", "case_id"), ("audit_event", "case_id"), ("case_file", "id")):
            conn.execute(text(f"DELETE FROM {table} WHERE {column} = :c"), {"c": c})
    # Leaves go in (case, seq) order per batch, and SYS sorts before houlong-…: C's leaves were 8 and 9, so
    # the log now jumps from 7 to 10. Nothing of C is left to name; the neighbour whose leaf comes next is
    # not blamed.
    report = verify(story)
    broken_at(report, None, None, "log_index")
    assert "leaf log_index 10 where 8 was expected: log indexes 8–9 are missing" in report.message
    assert "no remaining case has events that belong there" in report.message


def test_deleted_whole_case_with_the_log_rebuilt(story: Story) -> None:
    c = story.case("C")
    with tampering(story) as conn:
        for table, column in (("case_deadline", "case_id"), ("audit_event", "case_id"), ("case_file", "id")):
            conn.execute(text(f"DELETE FROM {table} WHERE {column} = :c"), {"c": c})
        conn.execute(text("DELETE FROM audit_checkpoint"))
        conn.execute(text("DELETE FROM audit_leaf"))
    assert checkpoint(story).tree_size == 10
    assert verify(story).ok
    report = verify(story, trusted=True)
    assert not report.ok and report.first_error is not None and report.first_error.field == "tree_size"


def test_restored_older_backup(story: Story) -> None:
    report = verify(story, trusted=True, url=story.backup_url)
    assert not report.ok and report.first_error is not None and report.first_error.field == "tree_size"
    assert "has only 10 leaves, fewer than this checkpoint held outside the database" in report.message


# ----------------------------------------------------------------------------------------------- checkpoints


def test_flipped_bit_in_a_stored_checkpoint_signature(story: Story) -> None:
    with tampering(story) as conn:
        sig = bytearray(base64.b64decode(conn.execute(
            text("SELECT signature FROM audit_checkpoint WHERE tree_size = 10")).scalar_one()))
        sig[17] ^= 0x04
        conn.execute(text("UPDATE audit_checkpoint SET signature = :s WHERE tree_size = 10"),
                     {"s": base64.b64encode(bytes(sig)).decode()})
    report = verify(story)
    assert not report.ok and report.first_error is not None and report.first_error.field == "signature"
    assert "checkpoint #1 (tree_size 10): Ed25519 signature is not valid" in report.message


def test_checkpoint_signed_by_an_unknown_key(story: Story, tmp_path: Path) -> None:
    own = signing.generate_key_file(tmp_path / "insider.key")
    own_id = signing.key_id_for("lawflow/houlong", own)
    with tampering(story) as conn:
        row = dict(conn.execute(text("SELECT * FROM audit_checkpoint WHERE tree_size = 12")).mappings().one())
        row["key_id"] = own_id
        conn.execute(text("UPDATE audit_checkpoint SET key_id = :k, signature = :s WHERE tree_size = 12"),
                     {"k": own_id, "s": signing.sign(own, row)})
    report = verify(story)
    assert not report.ok and report.first_error is not None and report.first_error.field == "key_id"
    assert f"signed by unknown key_id {own_id!r}" in report.message


def test_key_record_replaced_by_another_key(story: Story, tmp_path: Path) -> None:
    own = signing.generate_key_file(tmp_path / "insider.key")
    with tampering(story) as conn:
        conn.execute(text("UPDATE audit_key SET public_key = :k"),
                     {"k": base64.b64encode(signing.public_raw(own)).decode()})
    report = verify(story)
    assert not report.ok and report.first_error is not None and report.first_error.field == "key_id"
    assert "does not match the public key" in report.message


# ----------------------------------------------------------------------------------------------- the CLI


def _named(text_: str) -> tuple[str, int]:
    m = re.search(r"case '([^']+)' seq (\d+)", text_)
    assert m, text_
    return m[1], int(m[2])


def _offline(path: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-I", "-S", str(auditor_script()), str(path)], capture_output=True, text=True,
                          timeout=120)
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def test_cli_verify_and_offline_verifier_agree(committed: Story, tmp_path: Path) -> None:
    story = committed
    intact, tampered = tmp_path / "intact.jsonl", tmp_path / "tampered.jsonl"
    verified, exported = lawflow(story, ["audit", "verify", "--quiet"], ["audit", "export", "-o", str(intact)])
    assert verified.returncode == 0, verified.stderr
    assert "审计记录完整 INTACT: 12 events in 4 cases" in verified.stdout
    assert exported.returncode == 0, exported.stderr
    offline = _offline(intact)
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert offline.stdout.strip().splitlines()[-1].startswith("INTACT: 12 events in 4 cases; 12 anchored")

    b = story.case("B")
    with tampering(story) as conn:
        row = event(conn, b, 2)
        conn.execute(text("UPDATE audit_event SET payload = :v WHERE id = :id"),
                     {"v": _payload_one_key(row), "id": row["id"]})
    verified, exported = lawflow(story, ["audit", "verify", "--quiet"], ["audit", "export", "-o", str(tampered)])
    assert verified.returncode == 1, verified.stdout + verified.stderr
    assert "BROKEN" in verified.stderr and _named(verified.stderr) == (b, 2)
    assert exported.returncode == 0, exported.stderr  # exporting a broken trail is allowed: it is evidence
    offline = _offline(tampered)
    assert offline.returncode == 1, offline.stdout + offline.stderr
    last = offline.stdout.strip().splitlines()[-1]
    assert last.startswith("BROKEN:") and _named(last) == (b, 2)


def test_cli_verify_with_the_trusted_checkpoint_file(committed: Story) -> None:
    story = committed
    b = story.case("B")
    with tampering(story) as conn:
        forge_chain(conn, b, 3, forged_payload)
        conn.execute(text("DELETE FROM audit_checkpoint"))
        conn.execute(text("DELETE FROM audit_leaf"))
    alone, pinned = lawflow(story, ["audit", "verify", "--quiet"],
                            ["audit", "verify", "--quiet", "--trusted-checkpoint", str(story.trusted)])
    assert alone.returncode == 0, alone.stderr  # the database alone looks fine
    assert pinned.returncode == 1, pinned.stdout + pinned.stderr
    assert "fewer than this checkpoint held outside the database" in pinned.stderr
