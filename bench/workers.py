"""Measured workers: one process each, started together, each running for the same fixed duration.

`fire` workers build their own Runtime/Engine (the app's engine settings: SQLite WAL + synchronous=FULL with
BEGIN IMMEDIATE, or PostgreSQL as lawflow_app) and call engine.fire(case, "record_comment", drafter, payload)
round-robin over their own cases. `orm` workers do only the ORM part of it (see _orm_step).

`floor_data` workers are the floor of issue 2: the raw driver doing the same UPDATE + chained INSERT + COMMIT
as fire(), at the same durability. They lock/read the case row, build the chained event (canonical JSON +
SHA-256 over the same body and payload as fire()'s event), INSERT it into a table with UNIQUE(case_id, seq),
append to the case's data the same comment item the engine's recording (workflow/engine/recording.py) stores (payload + recorded_by, recorded_on,
event_seq, trigger, no), serialize the data as SQLAlchemy's JSON type does (json.dumps on SQLite,
psycopg's Json on PostgreSQL), and UPDATE state, version, data, updated_at, audit_seq and audit_head of a
row with case_file's columns. They keep each case's data in memory (read once at start, not measured), so
they never read it back: that is work fire() does and the floor does not need.

`floor` workers are the minimal floor kept from the first runs ("minimal floor (no case data)"): the same
lock, event and INSERT, but the UPDATE writes only version, audit_seq and audit_head of a tiny row.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.databases import COMMENT
from workflow.clock import SHANGHAI

ACTOR, TRIGGER = "zhangwei", "record_comment"

START_TIMEOUT = 300  # seconds for every worker to be ready (8 processes importing on 2 cores)


@dataclass
class Job:
    kind: str  # "fire" | "orm" | "floor_data" | "floor" (minimal)
    backend: str  # "sqlite" | "postgresql"
    target: str  # SQLAlchemy URL (fire, orm) or SQLite path / psycopg params as JSON (floors)
    case_ids: list[str]
    duration: float
    instance: str = ""
    ops: int | None = None  # if set: run exactly this many operations instead of for `duration` seconds


@dataclass
class WorkerResult:
    ops: int = 0
    refused: int = 0
    elapsed: float = 0.0
    cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)
    error: str = ""


def run_workers(jobs: list[Job]) -> list[WorkerResult]:
    """Start one process per job, release them together, and collect their results."""
    ctx = mp.get_context("fork")  # the parent holds no open connection here (engines are disposed)
    barrier = ctx.Barrier(len(jobs))
    queue: Any = ctx.Queue()
    procs = [ctx.Process(target=_main, args=(i, job, barrier, queue), daemon=True) for i, job in enumerate(jobs)]
    for p in procs:
        p.start()
    results: dict[int, WorkerResult] = {}
    deadline = time.monotonic() + START_TIMEOUT + max(j.duration for j in jobs) + 120
    while len(results) < len(jobs):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            index, result = queue.get(timeout=min(remaining, 5))
        except Exception:  # queue.Empty: check that the workers are still alive
            if not any(p.is_alive() for p in procs) and queue.empty():
                break
            continue
        results[index] = result
    for p in procs:
        p.join(timeout=30)
        if p.is_alive():
            p.kill()
    missing = [i for i in range(len(jobs)) if i not in results]
    for i in missing:
        results[i] = WorkerResult(error=f"worker {i} returned nothing (exit code {procs[i].exitcode})")
    return [results[i] for i in range(len(jobs))]


def _main(index: int, job: Job, barrier: Any, queue: Any) -> None:
    try:
        step, close = {"fire": _fire_step, "orm": _orm_step, "floor": _floor_step,
                       "floor_data": _data_floor_step}[job.kind](job)
        result = WorkerResult()
        step(job.case_ids[0])  # warm-up (statement caches, prepared statements), not counted
        barrier.wait(timeout=START_TIMEOUT)
        cases, n_cases = job.case_ids, len(job.case_ids)
        lat = result.latencies
        cpu0 = time.process_time()
        start = now = time.perf_counter()
        stop, limit = start + job.duration, job.ops
        i = 0
        while (i < limit) if limit is not None else (now < stop):
            ok = step(cases[i % n_cases])
            t = time.perf_counter()
            lat.append(t - now)
            now = t
            i += 1
            if not ok:
                result.refused += 1
        result.ops = i
        result.elapsed = now - start
        result.cpu = time.process_time() - cpu0
        close()
    except BaseException:
        barrier.abort()
        result = WorkerResult(error=traceback.format_exc())
    queue.put((index, result))


# ---------------------------------------------------------------- engine.fire


def _fire_step(job: Job) -> tuple[Any, Any]:
    from bench.databases import runtime

    rt = runtime(job.target, Path(job.instance))
    engine = rt.engine

    def step(case_id: str) -> bool:
        return engine.fire(case_id, "record_comment", "zhangwei", COMMENT).ok

    return step, rt.db.dispose


# ---------------------------------------------------------------- the floor


def _event_bytes(case_id: str, seq: int, prev: str, at: str) -> tuple[bytes, str]:
    """The event body the engine would hash for this comment, in canonical JSON, and its payload text."""
    body = {"format": "lawflow.audit.v1", "case": case_id, "seq": seq, "kind": "transition",
            "trigger": "record_comment", "from": "public_participation", "to": "public_participation",
            "actor": "zhangwei", "role": "drafter", "at": at, "procedure": "major_decision@1",
            "payload": COMMENT, "reasons": [], "prev": prev}
    data = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    payload = json.dumps(COMMENT, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return data.encode(), payload


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _floor_step(job: Job) -> tuple[Any, Any]:
    return (_floor_sqlite if job.backend == "sqlite" else _floor_pg)(job)


# ---------------------------------------------------------------- the ORM floor


def _orm_step(job: Job) -> tuple[Any, Any]:
    """The least an SQLAlchemy-ORM write path does: the app's session and writing() transaction, the case
    row under its lock, the engine's append_event, version+1, COMMIT. No user, no validation, no guards,
    no machine, no case data: what is left between this and fire() is lawflow's own work."""
    from bench.databases import runtime
    from workflow.audit.trail import append_event
    from workflow.clock import utc_stamp
    from workflow.db import writing
    from workflow.models import Case

    rt = runtime(job.target, Path(job.instance))

    def step(case_id: str) -> bool:
        now = rt.clock.now()
        with writing(rt.sessions) as session:
            case = session.get(Case, case_id, with_for_update=True)
            assert case is not None
            append_event(session, case, kind="transition", at=utc_stamp(now), procedure="major_decision@1",
                         trigger="record_comment", from_state=case.state, to_state=case.state, actor="zhangwei",
                         role="drafter", payload=COMMENT)
            case.version += 1
            case.updated_at = now
        return True

    return step, rt.db.dispose


def _floor_sqlite(job: Job) -> tuple[Any, Any]:
    import sqlite3

    conn = sqlite3.connect(job.target, isolation_level=None, timeout=30)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
        conn.execute(f"PRAGMA {pragma}")

    def step(case_id: str) -> bool:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version, seq, head = conn.execute(
                "SELECT version, audit_seq, audit_head FROM floor_case WHERE id = ?", (case_id,)).fetchone()
            at = _stamp()
            data, payload = _event_bytes(case_id, seq + 1, head, at)
            digest = hashlib.sha256(data).hexdigest()
            conn.execute("INSERT INTO floor_event (case_id, seq, kind, at, payload, prev, hash)"
                         " VALUES (?, ?, 'transition', ?, ?, ?, ?)", (case_id, seq + 1, at, payload, head, digest))
            conn.execute("UPDATE floor_case SET version = ?, audit_seq = ?, audit_head = ? WHERE id = ?",
                         (version + 1, seq + 1, digest, case_id))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return True

    return step, conn.close


def _floor_pg(job: Job) -> tuple[Any, Any]:
    import psycopg

    conn = psycopg.connect(**json.loads(job.target))
    conn.execute("SET synchronous_commit = on")
    conn.commit()

    def step(case_id: str) -> bool:
        with conn.cursor() as cur:
            cur.execute("SELECT version, audit_seq, audit_head FROM floor_case WHERE id = %s FOR UPDATE",
                        (case_id,))
            version, seq, head = cur.fetchone()  # type: ignore[misc]
            at = _stamp()
            data, payload = _event_bytes(case_id, seq + 1, head, at)
            digest = hashlib.sha256(data).hexdigest()
            cur.execute("INSERT INTO floor_event (case_id, seq, kind, at, payload, prev, hash)"
                        " VALUES (%s, %s, 'transition', %s, %s, %s, %s)",
                        (case_id, seq + 1, at, payload, head, digest))
            cur.execute("UPDATE floor_case SET version = %s, audit_seq = %s, audit_head = %s WHERE id = %s",
                        (version + 1, seq + 1, digest, case_id))
        conn.commit()
        return True

    return step, conn.close


# ---------------------------------------------------------------- the floor (issue 2's definition)


def _data_floor_step(job: Job) -> tuple[Any, Any]:
    return (_data_floor_sqlite if job.backend == "sqlite" else _data_floor_pg)(job)


def _comment(now: datetime, seq: int, no: int) -> dict[str, Any]:
    """The item the engine's recording appends to data["comments"] for record_comment: payload, who, when, which event."""
    return {**COMMENT, "recorded_by": ACTOR, "recorded_on": now.astimezone(SHANGHAI).date().isoformat(),
            "event_seq": seq, "trigger": TRIGGER, "no": no}


def _data_floor_sqlite(job: Job) -> tuple[Any, Any]:
    import sqlite3

    conn = sqlite3.connect(job.target, isolation_level=None, timeout=30)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
        conn.execute(f"PRAGMA {pragma}")
    marks = ", ".join("?" * len(job.case_ids))
    cases = {case_id: json.loads(text) for case_id, text in conn.execute(
        f"SELECT id, data FROM floor_case_file WHERE id IN ({marks})", job.case_ids)}

    def step(case_id: str) -> bool:
        conn.execute("BEGIN IMMEDIATE")
        appended: list[dict[str, Any]] | None = None
        try:
            state, version, seq, head = conn.execute(
                "SELECT state, version, audit_seq, audit_head FROM floor_case_file WHERE id = ?", (case_id,)).fetchone()
            now = datetime.now(UTC)
            at = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            seq += 1
            data, payload = _event_bytes(case_id, seq, head, at)
            digest = hashlib.sha256(data).hexdigest()
            conn.execute("INSERT INTO floor_data_event (case_id, seq, kind, at, payload, prev, hash)"
                         " VALUES (?, ?, 'transition', ?, ?, ?, ?)", (case_id, seq, at, payload, head, digest))
            case_data = cases[case_id]
            comments = case_data.setdefault("comments", [])
            comments.append(_comment(now, seq, len(comments) + 1))
            appended = comments
            conn.execute("UPDATE floor_case_file SET state = ?, version = ?, data = ?, updated_at = ?, audit_seq = ?,"
                         " audit_head = ? WHERE id = ?",
                         (state, version + 1, json.dumps(case_data), now.strftime("%Y-%m-%d %H:%M:%S.%f"), seq,
                          digest, case_id))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            if appended is not None:
                appended.pop()
            raise
        return True

    return step, conn.close


def _data_floor_pg(job: Job) -> tuple[Any, Any]:
    import psycopg
    from psycopg.types.json import Json

    conn = psycopg.connect(**json.loads(job.target))
    conn.execute("SET synchronous_commit = on")
    conn.commit()
    cases = dict(conn.execute("SELECT id, data FROM floor_case_file WHERE id = ANY(%s)", (job.case_ids,)).fetchall())
    conn.commit()

    def step(case_id: str) -> bool:
        appended: list[dict[str, Any]] | None = None
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT state, version, audit_seq, audit_head FROM floor_case_file WHERE id = %s"
                            " FOR UPDATE", (case_id,))
                state, version, seq, head = cur.fetchone()  # type: ignore[misc]
                now = datetime.now(UTC)
                at = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                seq += 1
                data, payload = _event_bytes(case_id, seq, head, at)
                digest = hashlib.sha256(data).hexdigest()
                cur.execute("INSERT INTO floor_data_event (case_id, seq, kind, at, payload, prev, hash)"
                            " VALUES (%s, %s, 'transition', %s, %s, %s, %s)", (case_id, seq, at, payload, head, digest))
                case_data = cases[case_id]
                comments = case_data.setdefault("comments", [])
                comments.append(_comment(now, seq, len(comments) + 1))
                appended = comments
                cur.execute("UPDATE floor_case_file SET state = %s, version = %s, data = %s, updated_at = %s,"
                            " audit_seq = %s, audit_head = %s WHERE id = %s",
                            (state, version + 1, Json(case_data), now, seq, digest, case_id))
            conn.commit()
        except BaseException:
            conn.rollback()
            if appended is not None:
                appended.pop()
            raise
        return True

    return step, conn.close
