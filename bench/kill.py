"""Kill harness (issue 15 item 1): SIGKILL a process at random moments while it fires steps, uploads records
or signs checkpoints, and check after every kill that nothing acknowledged is lost and nothing is half-written.

A child process (forked from the harness, so a trial costs no interpreter start) builds its own Runtime on the
instance's database and loops one kind of work; after each call that returned, it writes `ACK ...` to a
pipe (an unbuffered write: what was acknowledged to a caller is known even if the child dies a microsecond
later). The harness sleeps a random time (seeded), SIGKILLs the child, and then checks:

  1. `audit verify`: every hash, chain, leaf and checkpoint, every case row equal to the replay of its
     history, every evidence file an event names re-hashed (workflow/audit/export.verify_database);
  2. `records check`, which first rolls forward what the killed child left staged (workflow/records.py: a file
     its committed event names is moved into place, anything else deleted): no event's file missing or
     altered, and no orphan (a stored file no event names) nor temporary upload left — each would be a
     failure; every stored file hashes to its name (no half-written file). What the roll-forward moved and
     deleted is counted;
  3. every acknowledged step is in the database with the hash the caller was given; an acknowledged
     checkpoint is covered by the database's latest checkpoint.

Kinds: fire (open a case; record an investigation act: plain steps), record (attach an evidence file of
64 KiB–1 MiB, new content each time), checkpoint (one step, then sign a checkpoint), timers (the timer worker
catching up due timers, a year in seconds: bench/kill_timers.py has its own checks; it runs last, its clock
moves years ahead).

Long run (bench/RESULTS.md, "Kill harness"):
  PYTHONPATH=. .venv/bin/python bench/kill.py --trials 200 --seed 1 [--pg]    (PostgreSQL: the owner URL in
  LAWFLOW_TEST_PG_OWNER_URL and the app URL in LAWFLOW_TEST_PG_URL, as scripts/pg-test-server exports them)
The short version runs in the suite: tests/test_kill_short.py.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import select
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select as sql_select

KINDS = ("fire", "record", "checkpoint")
TIMERS = "timers"  # the timer worker killed while it acts (bench/kill_timers.py); last: its clock runs years ahead
PROPOSAL = {"title": "农村生活污水治理方案", "category": "public_policy", "proposer": "leader",
            "summary": "部分村庄生活污水直排，拟建设收集管网"}
CONDUCT = {"occasion": "现场勘验", "conducted_on": "2026-03-02", "certificates_shown": True, "duties_told": True}
TEXT = {"kind": "text", "title": "询问笔录", "format": "pdf", "made_on": "2026-03-02"}
PDF_HEAD = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


@dataclass
class KindResult:
    kind: str
    trials: int = 0
    acknowledged: int = 0  # acknowledged calls checked present
    killed_mid_work: int = 0  # kills that left the child inside a call (not at a loop boundary)
    orphans: int = 0  # stored files no event names (a failure: the roll-forward leaves none)
    temporary: int = 0  # uploads left in records/tmp (a failure: nothing stages there any more)
    missing: int = 0  # events whose file is missing or altered (a failure)
    moved: int = 0  # staged files of a killed child that its committed event names: moved into place
    deleted: int = 0  # staged files of a killed child never recorded (or cut off mid-upload): deleted
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rounds: int = 0  # timers: rounds of prepared due timers run to their end (bench/kill_timers.py)
    unrecorded_fires: int = 0  # timers: system steps fired once whose timer_act row a kill cut off

    def as_dict(self) -> dict[str, object]:
        if self.kind == "timers":
            return {"kind": self.kind, "trials": self.trials, "acts_acknowledged": self.acknowledged,
                    "rounds": self.rounds, "unrecorded_fires": self.unrecorded_fires, "failures": self.failures, "seconds": round(self.seconds, 1)}
        return {"kind": self.kind, "trials": self.trials, "acknowledged": self.acknowledged,
                "orphans": self.orphans, "temporary": self.temporary, "missing": self.missing,
                "rolled_forward_moved": self.moved, "rolled_forward_deleted": self.deleted,
                "failures": self.failures, "seconds": round(self.seconds, 1)}


# ---------------------------------------------------------------- the child


MAX_RECORD = 1024 * 1024  # bytes: the largest evidence file the record kind uploads (--max-record-kb)


def _child(runtime_factory: Callable[[], object], kind: str, ack_fd: int, seed: int, registry: object) -> None:
    """Loop `kind` forever, writing one ACK line per completed call. Never returns (killed, or os._exit)."""
    try:
        rt = runtime_factory()
        rt.__dict__["registry"] = registry  # the definitions the parent loaded (read-only): no YAML parse per trial
        engine = rt.engine  # type: ignore[attr-defined]
        rnd = random.Random(seed)
        case_id = _investigating(engine)
        os.write(ack_fd, b"READY\n")
        while True:
            if kind == "fire":
                opened = engine.create_case("major_decision", "zhangwei", PROPOSAL)
                _ack(ack_fd, opened)
                _ack(ack_fd, engine.fire(case_id, "record_investigation_conduct", "wanghai", CONDUCT))
            elif kind == "record":
                body = PDF_HEAD + rnd.randbytes(rnd.randrange(min(64 * 1024, MAX_RECORD // 2), MAX_RECORD))
                staged = rt.records.stage_bytes(body)  # type: ignore[attr-defined]
                _ack(ack_fd, engine.fire(case_id, "attach_record", "wanghai", TEXT, attachment=staged))
            else:
                from workflow.audit.checkpoint import make_checkpoint

                _ack(ack_fd, engine.fire(case_id, "record_investigation_conduct", "wanghai", CONDUCT))
                done = make_checkpoint(rt.sessions, rt.key_path, rt.origin, rt.clock)  # type: ignore[attr-defined]
                os.write(ack_fd, f"CHECKPOINT {done.tree_size} {done.root}\n".encode())
    except BaseException as exc:  # noqa: BLE001 - report and leave without cleanup, like a crash
        os.write(ack_fd, f"ERROR {type(exc).__name__}: {exc}\n".encode()[:2000])
    finally:
        os._exit(3)


def _investigating(engine: object) -> str:
    from workflow.demo import POWER_STREETS

    filing = {"title": "陈某某占道堆放建材案", "party": "陈某某", "party_type": "individual",
              "facts": "当事人在后龙街两侧人行道堆放建材约20立方米。", "field": "市容环境卫生", "power": POWER_STREETS,
              "legal_basis": "《城市市容和环境卫生管理条例》第三十六条"}
    opened = engine.create_case("enforcement_case", "wanghai", filing)  # type: ignore[attr-defined]
    assert opened.ok, opened.reasons
    started = engine.fire(opened.case_id, "start_investigation", "wanghai",  # type: ignore[attr-defined]
                          {"officers": ["wanghai", "caiming"]})
    assert started.ok, started.reasons
    return opened.case_id


def _ack(fd: int, outcome: object) -> None:
    if not outcome.ok:  # type: ignore[attr-defined]
        raise RuntimeError(f"refused: {[r.en for r in outcome.reasons]}")  # type: ignore[attr-defined]
    os.write(fd, f"ACK {outcome.case_id} {outcome.seq} {outcome.event_hash}\n".encode())  # type: ignore[attr-defined]


# ---------------------------------------------------------------- one trial


def trial(rt: object, runtime_factory: Callable[[], object], kind: str, rnd: random.Random,
          result: KindResult, *, window: float = 0.6) -> None:
    """Fork a child doing `kind`, kill it at a random moment, check the instance."""
    registry = rt.registry  # type: ignore[attr-defined]
    seed = rnd.randrange(2**32)
    lines = killed_child(rt, rnd, window, lambda write_fd: _child(runtime_factory, kind, write_fd, seed, registry))
    result.trials += 1
    errors = [line for line in lines if line.startswith("ERROR")]
    if errors:
        result.failures.append(f"{kind} trial {result.trials}: the child failed before the kill: {errors[0]}")
        return
    check(rt, kind, lines, result)


def killed_child(rt: object, rnd: random.Random, window: float, work: Callable[[int], None]) -> list[str]:
    """Fork a child that does `work` (writing its ACK lines to the fd it is given), SIGKILL it at a random moment
    within `window` seconds after it is ready, wait until it and its server session are wholly gone: the lines it
    wrote. Every kind of the harness (bench/kill_timers.py too) kills the same way."""
    rt.db.dispose()  # type: ignore[attr-defined]  # no pooled connection crosses the fork
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_fd)
        work(write_fd)
    os.close(write_fd)
    lines = _read_until_ready(read_fd, pid)
    time.sleep(rnd.uniform(0.0, window))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    _server_sessions_gone(rt, pid)
    lines += _drain(read_fd)
    os.close(read_fd)
    return lines


def _server_sessions_gone(rt: object, pid: int, timeout: float = 60.0) -> None:
    """On PostgreSQL a killed client's last COMMIT may still be carried out by its server session: the
    process is wholly gone only when that session is (the records store's roll-forward waits for it too)."""
    from workflow.records_check import server_sessions

    remaining = server_sessions(rt.sessions)  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while remaining(pid):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server sessions of killed process {pid} did not end in {timeout} s")
        time.sleep(0.01)


def _read_until_ready(fd: int, pid: int, timeout: float = 60.0) -> list[str]:
    buffer = b""
    deadline = time.monotonic() + timeout
    while b"READY\n" not in buffer and b"ERROR" not in buffer:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(fd, 65536) if ready else b""
        if not chunk:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise RuntimeError(f"the child did not start: {buffer.decode(errors='replace')[-500:]}")
        buffer += chunk
    head, _, rest = buffer.partition(b"READY\n")
    return [line for line in (head + rest).decode(errors="replace").splitlines() if line]


def _drain(fd: int) -> list[str]:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return [line for line in b"".join(chunks).decode(errors="replace").splitlines() if line]


def check(rt: object, kind: str, lines: list[str], result: KindResult) -> None:
    from workflow import records_check
    from workflow.audit.checkpoint import latest_checkpoint
    from workflow.audit.export import verify_database
    from workflow.clock import utc_stamp
    from workflow.models import AuditEvent

    label = f"{kind} trial {result.trials}"
    # Evidence files are re-hashed once, by the records check below (verify would hash them all a second time).
    report = verify_database(rt.sessions, rt.origin, utc_stamp(rt.clock.now()),  # type: ignore[attr-defined]
                             registry=rt.registry)  # type: ignore[attr-defined]
    if not report.ok:
        result.failures.append(f"{label}: audit verify: {report.message}")
    store = records_check.check(rt.sessions, rt.records, min_age=0)  # type: ignore[attr-defined]
    for broken in store.broken:
        result.failures.append(f"{label}: evidence of {broken.case_id} seq {broken.seq}: {broken.problem}")
    for loose in store.orphans:
        problem = "half-written" if hashlib.sha256(loose.path.read_bytes()).hexdigest() != loose.path.name \
            else "orphan (named by no event)"
        result.failures.append(f"{label}: {problem} file in the store: {loose.path}")
    for loose in store.temporary:
        result.failures.append(f"{label}: temporary upload left: {loose.path}")
    if store.recovery.live or store.recovery.damaged:
        result.failures.append(f"{label}: the roll-forward found {store.recovery.live} staged file(s) of a live "
                               f"process and {store.recovery.damaged} damaged one(s) after the kill")
    result.orphans += len(store.orphans)
    result.temporary += len(store.temporary)
    result.missing += len(store.broken)
    result.moved += store.recovery.moved
    result.deleted += store.recovery.discarded + store.recovery.partial
    records_check.sweep(store)  # so that one trial's leftovers do not count again in the next
    acks = [line.split() for line in lines if line.startswith("ACK ")]
    checkpoints = [int(line.split()[1]) for line in lines if line.startswith("CHECKPOINT ")]
    with rt.sessions() as session:  # type: ignore[attr-defined]
        for _, case_id, seq, event_hash in acks:
            stored = session.scalar(sql_select(AuditEvent.hash).where(AuditEvent.case_id == case_id,
                                                                      AuditEvent.seq == int(seq)))
            if stored != event_hash:
                result.failures.append(f"{label}: acknowledged {case_id} seq {seq} is "
                                       f"{'missing' if stored is None else 'different'}")
        result.acknowledged += len(acks)
        if checkpoints:
            latest = latest_checkpoint(session)
            if latest is None or latest.tree_size < max(checkpoints):
                result.failures.append(f"{label}: acknowledged checkpoint {max(checkpoints)} is missing")
            result.acknowledged += len(checkpoints)


def run_kind(rt: object, runtime_factory: Callable[[], object], kind: str, trials: int, seed: int,
             *, window: float = 0.6, budget: float | None = None, progress: bool = False) -> KindResult:
    """`trials` kills of `kind` (fewer if `budget` seconds run out: the result says how many ran)."""
    if kind == "timers":  # the worker, killed while it catches up due timers (bench/kill_timers.py)
        from bench import kill_timers

        return kill_timers.run(rt, runtime_factory, trials, seed, window=window, budget=budget, progress=progress)
    rnd = random.Random(f"{seed}/{kind}")
    result = KindResult(kind)
    start = time.monotonic()
    for n in range(trials):
        if budget is not None and time.monotonic() - start > budget:
            break
        trial(rt, runtime_factory, kind, rnd, result, window=window)
        if progress and (n + 1) % 10 == 0:
            print(f"{kind}: {n + 1} trials, {time.monotonic() - start:.0f} s, failures {len(result.failures)}",
                  file=sys.stderr, flush=True)
    result.seconds = time.monotonic() - start
    return result


# ---------------------------------------------------------------- the long run


def _instance(work: Path, pg: bool) -> tuple[str, Callable[[], None]]:
    from workflow.db import migrate

    if not pg:
        url = f"sqlite:///{work / 'kill.sqlite3'}"
        migrate(url)
        return url, lambda: None
    from urllib.parse import parse_qs, urlsplit

    import psycopg

    owner = os.environ["LAWFLOW_TEST_PG_OWNER_URL"]
    app = os.environ["LAWFLOW_TEST_PG_URL"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(owner).query).items()}
    admin = {"host": query.get("host", ""), "port": query.get("port", "5432"), "user": "postgres",
             "dbname": "postgres"}
    name = f"lawflow_kill_{os.getpid()}"
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} OWNER lawflow_owner")
    os.environ["LAWFLOW_DB_APP_ROLE"] = "lawflow_app"
    migrate(urlsplit(owner)._replace(path=f"/{name}").geturl())

    def drop() -> None:
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return urlsplit(app)._replace(path=f"/{name}").geturl(), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200, help="kills per kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--window", type=float, default=0.6, help="seconds: the kill comes uniformly within it")
    parser.add_argument("--pg", action="store_true", help="PostgreSQL (URLs from LAWFLOW_TEST_PG_*_URL)")
    parser.add_argument("--kinds", default=",".join((*KINDS, TIMERS)))
    parser.add_argument("--max-record-kb", type=int, default=1024, help="largest evidence file uploaded")
    args = parser.parse_args()
    global MAX_RECORD
    MAX_RECORD = args.max_record_kb * 1024
    from workflow.audit import signing
    from workflow.clock import FixedClock
    from workflow.demo import seed_town
    from workflow.runtime import Runtime

    with tempfile.TemporaryDirectory(prefix="lawflow-kill-") as tmp:
        work = Path(tmp)
        url, drop = _instance(work, args.pg)
        try:
            def factory() -> Runtime:
                return Runtime(instance=work / "instance", database_url=url, key_path=work / "sign.key",
                               clock=FixedClock())

            rt = factory()
            rt.instance.mkdir(exist_ok=True)
            signing.generate_key_file(rt.key_path)
            seed_town(rt)
            load = os.getloadavg()
            results = [run_kind(rt, factory, kind, args.trials, args.seed, window=args.window, progress=True)
                       for kind in args.kinds.split(",")]
            summary = {"database": "postgresql" if args.pg else "sqlite", "seed": args.seed,
                       "trials_per_kind": args.trials, "window_s": args.window,
                       "max_record_kb": args.max_record_kb,
                       "load_before": [round(x, 2) for x in load],
                       "load_after": [round(x, 2) for x in os.getloadavg()],
                       "results": [r.as_dict() for r in results]}
            rt.db.dispose()
        finally:
            drop()
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    sys.exit(1 if any(r.failures for r in results) else 0)


if __name__ == "__main__":
    main()
