#!/usr/bin/env python3
"""The timer worker's throughput and a due timer's wait, with 100,000 pending timers (issue 11 'Done when').

    .venv/bin/python bench/timers.py [--pg] [--pending 100000] [--due 300] [--runs 3] [--index]

One fresh database per backend (a SQLite file on the real disk with the app's durability; PostgreSQL on the test
server as lawflow_app). It holds the demo town and:

  - `--due` enforcement cases and `--due` major decisions opened through the engine on 2026-03-02: the
    decisions' 30-day comment periods end by themselves on 2026-04-02 (a system step fired through fire()); the
    enforcement cases' 90-day decision limits bring two reminders and an overdue notice with its escalation
    (a `timer` event, notices, a timer_act row each);
  - `--pending` timers not yet due: copies of an enforcement case's row and of its decision-limit period
    (case_file, case_deadline) written directly, their last days spread evenly over the next two years from
    the measured day + 10 (so no reminder of theirs falls due while measuring). They are what every run of the
    worker has to look through.

Measured, each `--runs` times where it repeats without side effects:
  idle   a run with nothing due: what every run costs at this many pending timers (the floor of a due timer's
         wait beyond the worker's poll interval, `lawflow worker --interval`, 60 s by default);
  fire   the run on the day the comment periods end: system steps per second;
  notify the run on the first reminder's day: reminders per second (one transaction each: the case's event,
         the notices, the timer_act row);
  wait   in those runs, each act's wait from the run's start to its commit: p50 and max (a due timer waits
         for the next poll, then this).
With `--index`, the idle run is measured again after adding an index on case_deadline(due) alone (the query
filters on due without the kind that leads ix_case_deadline_due), with each backend's plan of the query.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.databases import find_pg_server, seed_cases, seed_town  # noqa: E402

OPENED = date(2026, 3, 2)
PENDING_FROM = date(2026, 7, 1)  # the pending periods' first last day: after every measured day + 10
INDEX_DAY = date(2026, 6, 10)  # the idle runs around the index: after the due cases' acts, before any pending one
CHUNK = 5000


def _runtime(url: str, instance: Path) -> Any:
    from workflow.clock import FixedClock
    from workflow.runtime import Runtime

    instance.mkdir(parents=True, exist_ok=True)
    return Runtime(instance=instance, database_url=url, key_path=instance / "k.key", clock=FixedClock())


def _enforcement_cases(rt: Any, n: int) -> list[str]:
    from bench.kill import _investigating

    return [_investigating(rt.engine) for _ in range(n)]


def _pending(rt: Any, template: str, n: int, first: date) -> None:
    """`n` copies of the template case with its decision-limit period, their last days spread over two years."""
    from sqlalchemy import insert, select

    from workflow.models import Case, CaseDeadline

    with rt.sessions() as s:
        case = {c.name: getattr(s.get(Case, template), c.key) for c in Case.__table__.columns}
        period = {c.name: v for c, v in zip(CaseDeadline.__table__.columns, s.execute(
            select(*CaseDeadline.__table__.columns).where(CaseDeadline.case_id == template,
                                                          CaseDeadline.name == "decision_period")).one(),
                                            strict=True)}
    for start in range(0, n, CHUNK):
        ids = [f"PENDING-{i:06d}" for i in range(start, min(n, start + CHUNK))]
        with rt.sessions.begin() as s:
            s.execute(insert(Case), [case | {"id": i} for i in ids])
            s.execute(insert(CaseDeadline), [period | {"case_id": i, "due": first + timedelta(days=(k * 730) // n)}
                                             for k, i in enumerate(ids, start)])


def _timed_run(rt: Any) -> tuple[float, int, list[float]]:
    """(seconds, acts done, each act's wait from the run's start to its commit)."""
    from workflow.timers.worker import Worker

    worker = Worker(rt.engine, name="bench")
    waits: list[float] = []
    do = worker._do
    began = time.perf_counter()

    def timed(act: Any, report: Any) -> None:
        do(act, report)
        waits.append(time.perf_counter() - began)

    worker._do = timed  # type: ignore[method-assign]
    report = worker.run_once()
    seconds = time.perf_counter() - began
    if report.failed or report.refused:
        raise RuntimeError(f"failed {report.failed[:3]} refused {report.refused[:3]}")
    return seconds, len(report.done), waits


def _plan(rt: Any, today: date) -> str:
    from sqlalchemy import text

    from workflow.timers.horizon import lookahead

    sql = ("SELECT * FROM case_deadline JOIN case_file ON case_file.id = case_deadline.case_id "
           "WHERE case_deadline.due <= :d")
    with rt.sessions() as s:
        bound = today + lookahead(s, rt.registry)
        if rt.database_url.startswith("sqlite"):
            rows = s.execute(text("EXPLAIN QUERY PLAN " + sql), {"d": bound.isoformat()}).all()
            return "; ".join(str(r[-1]) for r in rows)
        rows = s.execute(text("EXPLAIN " + sql), {"d": bound}).all()
        return "; ".join(str(r[0]).strip() for r in rows)


def _idle(rt: Any, day: date, runs: int) -> list[float]:
    rt.clock.set_local_date(day)
    _timed_run(rt)  # what fell due since the last run (not measured), and the statements warmed
    return [_timed_run(rt)[0] for _ in range(runs)]


def measure(name: str, url: str, owner_url: str, instance: Path, pending: int, due: int, runs: int,
            index: bool) -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    rt = _runtime(url, instance)
    seed_town(rt)
    t = time.perf_counter()
    seed_cases(rt, due, "期限")  # decisions in public comment: the system steps
    enforcement = _enforcement_cases(rt, due)
    seeded = time.perf_counter() - t
    t = time.perf_counter()
    _pending(rt, enforcement[0], pending, PENDING_FROM)
    with create_engine(owner_url).begin() as conn:
        conn.execute(text("ANALYZE"))
    written = time.perf_counter() - t
    print(f"  {name}: {2 * due} due cases through the engine in {seeded:.0f} s, {pending} pending in "
          f"{written:.0f} s", file=sys.stderr, flush=True)
    out: dict[str, Any] = {"backend": name, "pending": pending, "due_cases": 2 * due}
    out["plan"] = _plan(rt, date(2026, 3, 20))
    out["idle_s"] = _idle(rt, date(2026, 3, 20), runs)
    # the comment periods end by themselves: the day after their last day
    rt.clock.set_local_date(date(2026, 4, 2))
    seconds, acts, waits = _timed_run(rt)
    out["fire"] = {"acts": acts, "seconds": seconds, "acts_per_s": acts / seconds,
                   "wait_p50_s": statistics.median(waits), "wait_max_s": max(waits)}
    # the first reminder of the 90-day limits (3 working days before 2026-05-31)
    from workflow.timers.schedule import days_before

    rt.clock.set_local_date(days_before(rt.engine.calendar, OPENED + timedelta(days=90), 3, "working_days"))
    seconds, acts, waits = _timed_run(rt)
    out["notify"] = {"acts": acts, "seconds": seconds, "acts_per_s": acts / seconds,
                     "wait_p50_s": statistics.median(waits), "wait_max_s": max(waits)}
    print(f"  {name}: idle {statistics.median(out['idle_s']):.2f} s, fire {out['fire']['acts_per_s']:.0f}/s, "
          f"notify {out['notify']['acts_per_s']:.0f}/s", file=sys.stderr, flush=True)
    if index:
        with create_engine(owner_url).begin() as conn:
            conn.execute(text("CREATE INDEX ix_bench_case_deadline_due ON case_deadline (due)"))
            conn.execute(text("ANALYZE"))
        rt.db.dispose()
        out["plan_with_index"] = _plan(rt, INDEX_DAY)
        out["idle_with_index_s"] = _idle(rt, INDEX_DAY, runs)
        out["idle_without_index_same_day_s"] = None  # filled below, the index dropped again
        with create_engine(owner_url).begin() as conn:
            conn.execute(text("DROP INDEX ix_bench_case_deadline_due"))
            conn.execute(text("ANALYZE"))
        rt.db.dispose()
        out["idle_without_index_same_day_s"] = _idle(rt, INDEX_DAY, runs)
    rt.db.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=300, help="due cases of each kind (enforcement, decision)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL too")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--index", action="store_true", help="the idle run again with an index on due alone")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="lawflow-bench-timers-", dir="/var/tmp"))
    load = os.getloadavg()
    rows = []
    try:
        if not args.no_sqlite:
            url = f"sqlite:///{work / 'timers.sqlite3'}"
            from workflow.db import migrate

            migrate(url)
            rows.append(measure("SQLite", url, url, work / "sqlite", args.pending, args.due, args.runs, args.index))
        if args.pg:
            server, note = find_pg_server()
            if server is None:
                raise SystemExit(note)
            owner, app = server.create_database("lawflow_bench_timers")
            try:
                rows.append(measure("PostgreSQL", app, owner, work / "pg", args.pending, args.due, args.runs,
                                    args.index))
            finally:
                server.drop_database("lawflow_bench_timers")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = {"command": " ".join(["bench/timers.py", *(argv if argv is not None else sys.argv[1:])]),
               "load_before": [round(x, 2) for x in load], "load_after": [round(x, 2) for x in os.getloadavg()],
               "cpus": os.cpu_count(), "results": rows}
    print(json.dumps(summary, ensure_ascii=False, indent=1, default=str))
    out = REPO / "bench" / "out" / f"timers-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    print(f"written bench/out/{out.name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
