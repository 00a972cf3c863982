"""Races between processes (issue 15 item 2), each process with its own Runtime, as gunicorn workers and the
CLI are: N processes firing the same step on the same case at the same version — exactly one wins each
version, the others are refused as stale and that refusal is audited, the chain stays one chain and verifies
(case rows equal to their replay) — on SQLite and PostgreSQL; and on SQLite, many processes writing different
cases never hand "database is locked" to a caller (workflow/engine/busy.py: a bounded retry of SQLITE_BUSY)."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from tests.test_case_numbers import _open
from workflow import db
from workflow.audit.export import verify_database
from workflow.clock import FixedClock, utc_stamp
from workflow.engine import busy
from workflow.models import AuditEvent, Case
from workflow.runtime import Runtime

PROCESSES = 6
ROUNDS = 3  # versions raced for, one after the other, by the same processes
STEPS_EACH = 15  # steps each process fires on its own case in the different-cases run
DEADLINE = 120  # seconds for a whole run, the processes' start included
COMMENT = {"commenter": "后龙村村民", "received_on": "2026-03-02", "content": "建议先改造靠近溪流的自然村。"}


def _in_public_comment(rt: Runtime) -> str:
    case_id = _open(rt)
    assert rt.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}).ok
    assert rt.engine.fire(case_id, "open_public_comment", "zhangwei", {
        "draft_ref": "草案", "explanation": "说明", "channels": ["镇政府网站"], "period_days": 30}).ok
    return case_id


def _worker(url: str, instance: str, case_ids: list[str], versions: list[int | None], barrier: Any,
            results: Any, busy_timeout_ms: int) -> None:
    """One process: its own Runtime; at each start line, fire record_comment on case_ids[i] at versions[i]."""
    db.BUSY_TIMEOUT_MS = busy_timeout_ms
    rt = Runtime(instance=Path(instance), database_url=url, key_path=Path(instance) / "k", clock=FixedClock())
    rt.engine  # noqa: B018 - definitions loaded and the engine built before the start line
    try:
        for i, (case_id, version) in enumerate(zip(case_ids, versions, strict=True)):
            if barrier is not None:
                barrier.wait(timeout=DEADLINE)
            try:
                out = rt.engine.fire(case_id, "record_comment", "zhangwei", {**COMMENT, "commenter": f"村民{i}"},
                                     expected_version=version)
                results.put((i, out.ok, out.codes, out.seq, out.event_hash, "", rt.engine.busy_retries))
            except BaseException as error:  # noqa: BLE001 - "database is locked" included: the test fails on it
                results.put((i, False, [], None, None, repr(error), rt.engine.busy_retries))
    finally:
        rt.db.dispose()


def _run(town: Runtime, tmp_path: Path, jobs: list[tuple[list[str], list[int | None]]], *, barrier: bool,
         busy_timeout_ms: int = db.BUSY_TIMEOUT_MS) -> list[tuple[Any, ...]]:
    town.db.dispose()  # no connection of this process is held while the children run
    ctx = multiprocessing.get_context("spawn")
    start_line = ctx.Barrier(len(jobs)) if barrier else None
    results = ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(town.database_url, str(tmp_path / "instance"), case_ids, versions,
                                                 start_line, results, busy_timeout_ms))
               for case_ids, versions in jobs]
    started = time.monotonic()
    for w in workers:
        w.start()
    try:
        expected = sum(len(case_ids) for case_ids, _ in jobs)
        return [results.get(timeout=max(1.0, DEADLINE - (time.monotonic() - started))) for _ in range(expected)]
    finally:
        for w in workers:
            w.join(timeout=10)
            if w.is_alive():
                w.kill()


def _verified(rt: Runtime) -> None:
    report = verify_database(rt.sessions, rt.origin, utc_stamp(rt.clock.now()), registry=rt.registry)
    assert report.ok, report.message


def test_processes_racing_for_one_version_of_a_case_have_one_winner_the_others_refused_as_stale(
        town: Runtime, tmp_path: Path) -> None:
    case_id = _in_public_comment(town)
    with town.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None
        version, seq = case.version, case.audit_seq
    versions: list[int | None] = [version + r for r in range(ROUNDS)]
    outcomes = _run(town, tmp_path, [([case_id] * ROUNDS, versions)] * PROCESSES, barrier=True)

    assert [o[5] for o in outcomes if o[5]] == []
    for r in range(ROUNDS):
        this_round = [o for o in outcomes if o[0] == r]
        assert len(this_round) == PROCESSES
        assert sum(1 for o in this_round if o[1]) == 1, this_round  # one winner per version
        assert sorted(tuple(o[2]) for o in this_round if not o[1]) == [("stale",)] * (PROCESSES - 1)
    with town.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.version == version + ROUNDS
        events = s.execute(select(AuditEvent.seq, AuditEvent.kind, AuditEvent.reasons, AuditEvent.hash)
                           .where(AuditEvent.case_id == case_id, AuditEvent.seq > seq)
                           .order_by(AuditEvent.seq)).all()
    # One chain: every attempt is one event, numbered on without a gap or a second event at any seq.
    assert [e.seq for e in events] == list(range(seq + 1, seq + 1 + ROUNDS * PROCESSES))
    assert sorted(e.hash for e in events if e.kind == "transition") == sorted(o[4] for o in outcomes if o[1])
    refused = [e for e in events if e.kind == "refused"]  # each stale attempt audited, with its reason
    assert len(refused) == ROUNDS * (PROCESSES - 1)
    assert all([r["code"] for r in json.loads(e.reasons)] == ["stale"] for e in refused)
    _verified(town)


def test_processes_writing_different_cases_never_see_database_locked(town: Runtime, tmp_path: Path) -> None:
    if not town.database_url.startswith("sqlite"):
        pytest.skip("SQLite's single writer lock; PostgreSQL's row locks wait")
    cases = [_in_public_comment(town) for _ in range(PROCESSES)]
    before = _versions(town, cases)
    outcomes = _run(town, tmp_path, [([c] * STEPS_EACH, [None] * STEPS_EACH) for c in cases], barrier=False)
    assert [o[5] for o in outcomes if o[5]] == []  # no "database is locked", nor any other error
    assert sum(1 for o in outcomes if o[1]) == PROCESSES * STEPS_EACH
    assert _versions(town, cases) == [v + STEPS_EACH for v in before]
    _verified(town)


def _versions(rt: Runtime, case_ids: list[str]) -> list[int]:
    with rt.sessions() as s:
        return [s.scalar(select(Case.version).where(Case.id == c)) or 0 for c in case_ids]


def _holding_the_write_lock(path: str, seconds: float) -> threading.Thread:
    """Another connection holds SQLite's write lock for `seconds` (as a backup or an operator's shell might)."""
    taken = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        taken.set()
        time.sleep(seconds)
        conn.execute("ROLLBACK")
        conn.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(10)
    return holder


def test_a_write_lock_held_past_the_busy_timeout_is_waited_out_by_the_bounded_retry(
        town: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    if not town.database_url.startswith("sqlite"):
        pytest.skip("SQLITE_BUSY is SQLite's")
    case_id = _in_public_comment(town)
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 50)  # SQLite's own wait, shortened so that it runs out
    rt = dataclasses.replace(town)  # its own engine and connections, made with that timeout
    # built before the lock is taken: on a loaded machine building it could outlast the 0.15 s hold, and the
    # fire below would then find the lock already released
    engine = rt.engine
    with rt.sessions() as session:
        session.get(Case, case_id)
    holder = _holding_the_write_lock(town.database_url.removeprefix("sqlite:///"), 0.15)
    try:
        outcome = engine.fire(case_id, "record_comment", "zhangwei", COMMENT)
    finally:
        holder.join()
    assert outcome.ok and engine.busy_retries >= 1  # SQLite said BUSY; the caller never saw it
    _verified(rt)
    rt.db.dispose()


def test_a_lock_held_beyond_every_retry_reaches_the_caller_and_changes_nothing(
        town: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    if not town.database_url.startswith("sqlite"):
        pytest.skip("SQLITE_BUSY is SQLite's")
    case_id = _in_public_comment(town)
    with town.sessions() as s:
        before = s.get(Case, case_id).audit_seq  # type: ignore[union-attr]
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 10)
    rt = dataclasses.replace(town)
    budget = (busy.RETRIES + 1) * 0.01 + sum(min(busy.FIRST_PAUSE * 2**a, busy.MAX_PAUSE)
                                              for a in range(busy.RETRIES))
    holder = _holding_the_write_lock(town.database_url.removeprefix("sqlite:///"), budget + 1.0)
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"):
            rt.engine.fire(case_id, "record_comment", "zhangwei", COMMENT)
        waited = time.monotonic() - started
    finally:
        holder.join()
    assert rt.engine.busy_retries == busy.RETRIES and waited < budget + 0.5  # bounded
    with town.sessions() as s:
        assert s.get(Case, case_id).audit_seq == before  # type: ignore[union-attr]
    rt.db.dispose()
