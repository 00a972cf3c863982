"""SQLite under many writers (issue 15 item 2): P processes, each its own Runtime, fire() steps on their own
cases as fast as they can, on one SQLite file (WAL, synchronous=FULL, BEGIN IMMEDIATE, as the app runs).
Counts what reached the callers (errors: "database is locked" or anything else), how often the engine ran a
unit of work again after SQLITE_BUSY (workflow/engine/busy.py), the fires per second and the slowest fire.

    PYTHONPATH=. .venv/bin/python bench/sqlite_busy.py [--processes 8] [--fires 100] [--busy-ms 30000 5 ...]

Each --busy-ms value is SQLite's own busy timeout for that run (the app's is 30,000 ms; a short one makes the
busy handler give up under contention, so that the engine's retry is what carries the fires through).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

COMMENT = {"commenter": "后龙村村民", "received_on": "2026-03-02", "content": "建议先改造靠近溪流的自然村。"}
PROPOSAL = {"title": "农村生活污水治理方案", "category": "public_policy", "proposer": "leader",
            "summary": "部分村庄生活污水直排，拟建设收集管网"}


def _worker(url: str, instance: str, case_id: str, fires: int, busy_ms: int, barrier: Any, out: Any) -> None:
    from workflow import db
    from workflow.clock import FixedClock
    from workflow.runtime import Runtime

    db.BUSY_TIMEOUT_MS = busy_ms
    rt = Runtime(instance=Path(instance), database_url=url, key_path=Path(instance) / "k", clock=FixedClock())
    engine = rt.engine
    errors: list[str] = []
    ok, slowest = 0, 0.0
    barrier.wait(timeout=300)
    started = time.perf_counter()
    for _ in range(fires):
        t = time.perf_counter()
        try:
            ok += engine.fire(case_id, "record_comment", "zhangwei", COMMENT).ok
        except Exception as error:  # noqa: BLE001 - what would reach a caller
            errors.append(f"{type(error).__name__}: {str(error).splitlines()[0][:120]}")
        slowest = max(slowest, time.perf_counter() - t)
    out.put({"ok": ok, "errors": errors, "retries": engine.busy_retries, "seconds": time.perf_counter() - started,
             "slowest_s": slowest})
    rt.db.dispose()


def run(processes: int, fires: int, busy_ms: int) -> dict[str, Any]:
    from workflow.clock import FixedClock
    from workflow.demo import seed_town
    from workflow.runtime import Runtime

    with tempfile.TemporaryDirectory(prefix="lawflow-busy-", dir=os.environ.get("BENCH_TMP")) as tmp:
        instance = Path(tmp) / "instance"
        rt = Runtime(instance=instance, database_url=f"sqlite:///{instance / 'lawflow.sqlite3'}",
                     key_path=instance / "k", clock=FixedClock())
        rt.migrate()
        seed_town(rt)
        cases = []
        for _ in range(processes):
            case_id = rt.engine.create_case("major_decision", "zhangwei", PROPOSAL).case_id
            assert rt.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}).ok
            assert rt.engine.fire(case_id, "open_public_comment", "zhangwei", {
                "draft_ref": "草案", "explanation": "说明", "channels": ["镇政府网站"], "period_days": 30}).ok
            cases.append(case_id)
        rt.db.dispose()
        ctx = multiprocessing.get_context("spawn")
        barrier, out = ctx.Barrier(processes), ctx.Queue()
        workers = [ctx.Process(target=_worker, args=(rt.database_url, str(instance), c, fires, busy_ms, barrier, out))
                   for c in cases]
        load = os.getloadavg()
        for w in workers:
            w.start()
        results = [out.get(timeout=600) for _ in workers]
        for w in workers:
            w.join()
        from workflow.audit.export import verify_database
        from workflow.clock import utc_stamp

        report = verify_database(rt.sessions, rt.origin, utc_stamp(rt.clock.now()), registry=rt.registry)
        rt.db.dispose()
    errors = [e for r in results for e in r["errors"]]
    seconds = max(r["seconds"] for r in results)
    return {"processes": processes, "fires_each": fires, "busy_timeout_ms": busy_ms,
            "ok": sum(r["ok"] for r in results), "errors": len(errors), "first_errors": errors[:3],
            "retries": sum(r["retries"] for r in results), "fires_per_s": round(sum(r["ok"] for r in results) / seconds),
            "slowest_fire_ms": round(1000 * max(r["slowest_s"] for r in results), 1),
            "verify": "INTACT" if report.ok else report.message,
            "load_before": [round(x, 2) for x in load], "load_after": [round(x, 2) for x in os.getloadavg()]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--fires", type=int, default=100, help="fires per process")
    parser.add_argument("--busy-ms", type=int, nargs="+", default=[30_000, 5])
    args = parser.parse_args()
    results = [run(args.processes, args.fires, ms) for ms in args.busy_ms]
    print(json.dumps(results, ensure_ascii=False, indent=1))
    sys.exit(1 if any(r["errors"] for r in results) else 0)


if __name__ == "__main__":
    main()
