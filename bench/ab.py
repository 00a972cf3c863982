#!/usr/bin/env python3
"""A/B of the working tree against an earlier engine.py / export.py, in one process, on the same database.

    git show REV:workflow/engine.py > /tmp/engine_before.py
    git show REV:workflow/audit/export.py > /tmp/export_before.py
    .venv/bin/python bench/ab.py --engine /tmp/engine_before.py --export /tmp/export_before.py
    .venv/bin/python bench/ab.py --engine /tmp/engine_before.py --pg     # fire() only, on PostgreSQL

(Since workflow/engine/ is a package, a baseline of it is its __init__.py only when the baseline is the one-file
engine.py; to compare two package versions, check the old one out into a folder and put that first on sys.path.)

Fires `record_comment` with both engines in alternating rounds on the same SQLite file (WAL + FULL) and
reports CPU ms per fire (process time: what the code costs, whatever the disk and the other load do) and
wall fires/s, on small cases and on cases with 50+ comments (the old deep copy grew with the case data). Then times both verify_database versions over the same 100,000-event trail.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import audit_verify  # noqa: E402
from bench.databases import (  # noqa: E402
    COMMENT,
    PgServer,
    find_pg_server,
    relax_durability_for_seeding,
    runtime,
    seed_cases,
    seed_town,
)


def load(path: str, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def fire_rounds(engines: dict[str, Any], cases: list[str], fires: int, rounds: int) -> dict[str, dict[str, float]]:
    cpu: dict[str, list[float]] = {k: [] for k in engines}
    wall: dict[str, list[float]] = {k: [] for k in engines}
    for number in range(rounds):
        # Both engines fire on the same cases, whose data grows with every fire: alternate which goes first,
        # so that neither always fires on the larger cases.
        order = list(engines.items()) if number % 2 == 0 else list(reversed(engines.items()))
        for name, engine in order:
            c0, w0 = time.process_time(), time.perf_counter()
            for i in range(fires):
                if not engine.fire(cases[i % len(cases)], "record_comment", "zhangwei", COMMENT).ok:
                    raise RuntimeError("refused")
            cpu[name].append((time.process_time() - c0) / fires * 1e3)
            wall[name].append(fires / (time.perf_counter() - w0))
    return {k: {"cpu_ms_per_fire": statistics.median(cpu[k]), "fires_per_s": statistics.median(wall[k])}
            for k in engines}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", required=True, help="baseline workflow/engine.py")
    parser.add_argument("--export", help="baseline workflow/audit/export.py")
    parser.add_argument("--fires", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg", action="store_true",
                        help="fire on a fresh database of the PostgreSQL test server (as lawflow_app), not SQLite")
    args = parser.parse_args()

    from workflow.engine import Engine

    before = load(args.engine, "bench_engine_before")
    workdir = Path(tempfile.mkdtemp(prefix="lawflow-ab-"))
    server: PgServer | None = None
    pg_database = ""
    try:
        if args.pg:
            server, note = find_pg_server()
            if server is None:
                raise SystemExit(note)
            pg_database = f"lawflow_ab_{os.getpid()}"
            rt = runtime(server.create_database(pg_database)[1], workdir)
        else:
            rt = runtime(f"sqlite:///{workdir / 'ab.sqlite3'}", workdir)
            rt.migrate()
        seed_town(rt)
        small = seed_cases(rt, 200, "small")
        large = seed_cases(rt, 40, "large")
        engines = {"before": before.Engine(rt.sessions, rt.registry, rt.clock),
                   "after": Engine(rt.sessions, rt.registry, rt.clock)}
        for i in range(50 * len(large)):  # the large cases start with 50 comments each
            engines["after"].fire(large[i % len(large)], "record_comment", "zhangwei", COMMENT)
        grow = 2 * args.fires * args.rounds
        print("| comments already on the case | engine | CPU ms/fire | fires/s (wall) |\n|---|---|---:|---:|")
        for label, pool, first in (("small", small, 0), ("large", large, 50)):
            span = f"{first}–{first + grow // len(pool)}"
            for name, r in fire_rounds(engines, pool, args.fires, args.rounds).items():
                print(f"| {span} ({label}) | {name} | {r['cpu_ms_per_fire']:.2f} | {r['fires_per_s']:,.0f} |")
        rt.db.dispose()

        if args.export:
            from workflow.audit import signing
            from workflow.audit.checkpoint import make_checkpoint
            from workflow.audit.export import verify_database

            old_export = load(args.export, "bench_export_before")
            vt = runtime(f"sqlite:///{workdir / 'verify.sqlite3'}", workdir / "v")
            vt.migrate()
            relax_durability_for_seeding(vt)
            audit_verify.generate(vt, 100_000, 2_000)
            signing.generate_key_file(vt.key_path)
            make_checkpoint(vt.sessions, vt.key_path, vt.origin, vt.clock)
            times: dict[str, list[float]] = {"before": [], "after": []}
            for _ in range(2):
                for name, fn in (("before", old_export.verify_database), ("after", verify_database)):
                    t = time.perf_counter()
                    report = fn(vt.sessions, vt.origin, "2026-01-01T00:00:00Z")
                    times[name].append(time.perf_counter() - t)
                    assert report.ok and report.events == 100_000, report.message
            print("\n| verify_database, 100,000 events | best seconds | events/s |\n|---|---:|---:|")
            for name, ts in times.items():
                print(f"| {name} | {min(ts):.2f} | {100_000 / min(ts):,.0f} |")
            vt.db.dispose()
    finally:
        if server is not None:
            server.drop_database(pg_database)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
