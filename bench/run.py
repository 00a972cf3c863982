#!/usr/bin/env python3
"""lawflow benchmark: engine.fire() against the durable floor, and `audit verify` over 100,000 events.

    .venv/bin/python bench/run.py [--quick] [--no-pg]        (make bench runs it with the PG test server)

In one run it measures, each on a fresh database:
  1. engine.fire() per second with 1 and with 8 worker processes (each its own Runtime/Engine, each firing
     `record_comment` round-robin on its own cases in public_participation), on SQLite (file in a temp dir
     on the real disk; WAL + synchronous=FULL, BEGIN IMMEDIATE, as the app runs) and on PostgreSQL (fresh
     database on scripts/pg-test-server, as lawflow_app; synchronous_commit=on); and right next to each,
     the FLOOR of issue 2: the raw driver (sqlite3 / psycopg) doing the same UPDATE + chained INSERT + COMMIT
     at the same durability (lock/read the case row, chained event with SHA-256 over canonical JSON into a
     table with UNIQUE(case_id, seq), UPDATE state, version, data, updated_at and the chain head of a row
     with case_file's columns, where data is the case's JSON, grown by the same comment item fire() appends
     and serialized as SQLAlchemy's JSON type does). The floor runs right after fire() on copies of the same
     case rows and does exactly as many changes per worker, so every case goes through the same data sizes
     (checked afterwards: the floor's stored data must equal fire()'s, text for text). Also, as before: the
     minimal floor (no case data: its UPDATE writes only version and the chain head of a tiny row) and the
     ORM floor (the app's session doing only row lock, append_event, version+1, COMMIT). Reports ops/s,
     fire/floor, p50/p95 latency and CPU per operation.
  2. `audit verify` (verify_database) over 100,000 events on 2,000 cases after make_checkpoint, and the
     offline script `python3 -I -S verify.py` (`lawflow audit verifier`) over an export of the same trail.
  3. A cProfile of fire() (bench/out/profile-fire[-quick].txt), with its self time by part of the stack.
Prints a Markdown table and writes JSON to bench/out/ (latest.json or latest-quick.json, plus a dated copy).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import audit_verify  # noqa: E402
from bench.databases import (  # noqa: E402
    COMMENT,
    PgServer,
    compare_case_data_pg,
    compare_case_data_sqlite,
    copy_cases_pg,
    copy_cases_sqlite,
    copy_sqlite,
    find_pg_server,
    floor_pg,
    floor_sqlite,
    relax_durability_for_seeding,
    runtime,
    seed_cases,
    seed_town,
)
from bench.workers import Job, WorkerResult, run_workers  # noqa: E402

OUT = REPO / "bench" / "out"
MODES: dict[str, dict[str, Any]] = {
    # seconds per measurement, cases per (backend, worker count), trail size for verify, fires profiled
    "full": {"seconds": 10.0, "cases": 240, "events": 100_000, "event_cases": 2_000, "profile": 1_000},
    "quick": {"seconds": 1.5, "cases": 40, "events": 100_000, "event_cases": 2_000, "profile": 300},
}
WORKER_COUNTS = (1, 8)
TARGET_RATIO, TARGET_RATE, TARGET_VERIFY = 0.5, 1_000, 50_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs (under a minute) for a smoke check")
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--keep", action="store_true", help="keep the temporary databases (path is printed)")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    cfg = MODES[mode]

    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="lawflow-bench-"))
    result: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python bench/run.py", *(argv if argv is not None else sys.argv[1:])]),
        "mode": mode, "config": cfg, "workdir": str(workdir),
    }
    server, pg_note = (None, "skipped (--no-pg)") if args.no_pg else find_pg_server()
    result["machine"] = machine_info(workdir, server)
    result["machine"]["loadavg_start"] = os.getloadavg()
    result["pg_note"] = pg_note
    say(f"lawflow bench ({mode}) in {workdir}; {result['machine']['cpu']}, load {os.getloadavg()[0]:.2f}")
    try:
        result["fsync"] = fsync_probe(workdir)
        say(f"fdatasync of a 4 KiB append on this disk: p50 {result['fsync']['p50_ms']:.2f} ms")
        rows: list[dict[str, Any]] = []
        sqlite_url, sqlite_pools = bench_sqlite(workdir, cfg, rows)
        if server is not None:
            bench_pg(workdir, cfg, server, rows, result)
        result["fire"] = rows
        result["profile"] = profile_fire(workdir, sqlite_url, sqlite_pools[1], cfg["profile"],
                                         OUT / f"profile-fire{'-quick' if args.quick else ''}.txt")
        say(f"audit verify: generating {cfg['events']:,} events on {cfg['event_cases']:,} cases…")
        result["verify"] = audit_verify.measure(workdir, cfg["events"], cfg["event_cases"])
        result["chains_after_fire"] = {"sqlite": verify_ok(sqlite_url, workdir / "sqlite")}
        result["fsync_end"] = fsync_probe(workdir)  # the disk's latency drifts on this VM: measure twice
        if "pg_app_url" in result:
            result["chains_after_fire"]["postgresql"] = verify_ok(result.pop("pg_app_url"), workdir / "pgcheck")
    finally:
        if server is not None:
            for name in result.get("pg_databases", []):
                server.drop_database(name)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    result["machine"]["loadavg_end"] = os.getloadavg()
    result["seconds"] = time.perf_counter() - started
    result["targets"] = targets(result)
    write(result, mode)
    print(markdown(result))
    return 0


def say(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the machine


def machine_info(workdir: Path, server: PgServer | None) -> dict[str, Any]:
    import psycopg
    import sqlalchemy

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": f"{os.cpu_count()} × {cpu}", "cores": os.cpu_count(), "memory": mem,
        "kernel": platform.release(), "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version, "sqlalchemy": sqlalchemy.__version__, "psycopg": psycopg.__version__,
        "postgresql": server.version() if server else None, "tempdir_filesystem": filesystem_of(workdir),
    }


def filesystem_of(path: Path) -> str:
    best, kind = "", "?"
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            device, mount, fstype, *_ = line.split()
            if str(path).startswith(mount) and len(mount) > len(best):
                best, kind = mount, f"{fstype} on {device} (mounted at {mount})"
    except OSError:
        pass
    return kind


def fsync_probe(workdir: Path, n: int = 100) -> dict[str, float]:
    """What one durable commit costs at least on this disk: append 4 KiB, fdatasync."""
    path = workdir / "fsync-probe"
    times = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        block = b"\0" * 4096
        for _ in range(n):
            t = time.perf_counter()
            os.write(fd, block)
            os.fdatasync(fd)
            times.append(time.perf_counter() - t)
    finally:
        os.close(fd)
        path.unlink()
    times.sort()
    return {"p50_ms": times[n // 2] * 1e3, "p95_ms": times[int(n * 0.95)] * 1e3, "n": n}


# ---------------------------------------------------------------- fire vs floor


def seed(rt: Any, cfg: dict[str, Any]) -> dict[int, list[str]]:
    relax_durability_for_seeding(rt)
    seed_town(rt)
    pools = {w: seed_cases(rt, cfg["cases"], f"w{w}") for w in WORKER_COUNTS}
    rt.db.dispose()  # no connection may cross the fork into the workers
    return pools


def bench_sqlite(workdir: Path, cfg: dict[str, Any], rows: list[dict[str, Any]]) -> tuple[str, dict[int, list[str]]]:
    instance = workdir / "sqlite"
    app_path = instance / "lawflow.sqlite3"
    url = f"sqlite:///{app_path}"
    rt = runtime(url, instance)
    rt.migrate()
    say(f"SQLite: seeding {len(WORKER_COUNTS) * cfg['cases']} cases to public_participation through engine.fire…")
    pools = seed(rt, cfg)
    floor_path = instance / "floor.sqlite3"
    floor_sqlite(floor_path, [c for pool in pools.values() for c in pool])
    # The ORM floor appends events without recording case data, so its chains cannot replay into its case
    # rows: it runs on its own copy of the seed, and the chain check after the runs covers fire()'s database.
    orm_path = instance / "orm.sqlite3"
    copy_sqlite(app_path, orm_path)
    orm_url = f"sqlite:///{orm_path}"
    for workers in WORKER_COUNTS:
        pool = pools[workers]
        minimal = measure("floor", "sqlite", str(floor_path), pool, workers, cfg["seconds"], instance)
        orm = measure("orm", "sqlite", orm_url, pool, workers, cfg["seconds"], instance)
        copy_cases_sqlite(app_path, floor_path, pool)  # the floor starts from the rows fire() starts from
        fire = measure("fire", "sqlite", url, pool, workers, cfg["seconds"], instance)
        floor = measure("floor_data", "sqlite", str(floor_path), pool, workers, cfg["seconds"], instance,
                        ops=fire["per_worker_ops"])
        same = compare_case_data_sqlite(app_path, floor_path, pool)
        rows.append(row("sqlite", workers, fire, orm, floor, minimal, same, cfg))
    return url, pools


def bench_pg(workdir: Path, cfg: dict[str, Any], server: PgServer, rows: list[dict[str, Any]],
             result: dict[str, Any]) -> None:
    name = f"lawflow_bench_{os.getpid()}"
    result["pg_databases"] = [name]
    owner_url, app_url = server.create_database(name)
    result["pg_app_url"] = app_url
    instance = workdir / "pg"
    rt = runtime(app_url, instance)
    say(f"PostgreSQL: fresh database {name}; seeding {len(WORKER_COUNTS) * cfg['cases']} cases…")
    pools = seed(rt, cfg)
    floor_pg(server, owner_url, [c for pool in pools.values() for c in pool])
    orm_url = server.copy_database(name, f"{name}_orm")  # the ORM floor's own copy, as on SQLite
    result["pg_databases"].append(f"{name}_orm")
    floor_target = json.dumps(server.params(owner_url))
    for workers in WORKER_COUNTS:
        pool = pools[workers]
        minimal = measure("floor", "postgresql", floor_target, pool, workers, cfg["seconds"], instance)
        orm = measure("orm", "postgresql", orm_url, pool, workers, cfg["seconds"], instance)
        copy_cases_pg(server, owner_url, pool)
        fire = measure("fire", "postgresql", app_url, pool, workers, cfg["seconds"], instance)
        floor = measure("floor_data", "postgresql", floor_target, pool, workers, cfg["seconds"], instance,
                        ops=fire["per_worker_ops"])
        same = compare_case_data_pg(server, owner_url, pool)
        rows.append(row("postgresql", workers, fire, orm, floor, minimal, same, cfg))


def measure(kind: str, backend: str, target: str, pool: list[str], workers: int, seconds: float,
            instance: Path, ops: list[int] | None = None) -> dict[str, Any]:
    """Run `workers` processes on their shares of `pool` for `seconds`, or for exactly ops[w] operations each."""
    jobs = [Job(kind, backend, target, pool[w::workers], seconds, str(instance / f"worker{w}"),
                ops[w] if ops is not None else None) for w in range(workers)]
    results = run_workers(jobs)
    summary = summarize(results)
    say(f"{backend:<10} {kind:<10} × {workers}: {summary['ops_per_s']:>8,.0f}/s  p50 {summary['p50_ms']:.2f} ms"
        f"  p95 {summary['p95_ms']:.2f} ms  CPU {summary['cpu_ms_per_op']:.3f} ms/op  load {os.getloadavg()[0]:.2f}")
    return summary


def summarize(results: list[WorkerResult]) -> dict[str, Any]:
    errors = [r.error for r in results if r.error]
    if errors:
        raise RuntimeError("a worker failed:\n" + errors[0])
    ops = sum(r.ops for r in results)
    elapsed = max(r.elapsed for r in results)
    latencies = sorted(x for r in results for x in r.latencies)
    n = len(latencies)
    return {"ops": ops, "seconds": elapsed, "ops_per_s": ops / elapsed if elapsed else 0.0,
            "refused": sum(r.refused for r in results),
            "p50_ms": latencies[n // 2] * 1e3 if n else 0.0,
            "p95_ms": latencies[min(n - 1, int(n * 0.95))] * 1e3 if n else 0.0,
            "p99_ms": latencies[min(n - 1, int(n * 0.99))] * 1e3 if n else 0.0,
            "cpu_ms_per_op": sum(r.cpu for r in results) / ops * 1e3 if ops else 0.0,
            "per_worker_ops": [r.ops for r in results],
            "per_worker_seconds": [round(r.elapsed, 3) for r in results]}


def row(backend: str, workers: int, fire: dict[str, Any], orm: dict[str, Any], floor: dict[str, Any],
        minimal: dict[str, Any], same: dict[str, int], cfg: dict[str, Any]) -> dict[str, Any]:
    """One configuration. `floor` is issue 2's floor (same UPDATE incl. case data); `floor_minimal` the old one."""
    if fire["refused"]:
        raise RuntimeError(f"{fire['refused']} fire() calls were refused on {backend}: the benchmark is broken")
    if floor["ops"] != fire["ops"]:
        raise RuntimeError(f"the floor did {floor['ops']} changes, fire() {fire['ops']}: the benchmark is broken")

    def ratio(other: dict[str, Any]) -> float:
        return fire["ops_per_s"] / other["ops_per_s"] if other["ops_per_s"] else 0.0

    return {"backend": backend, "workers": workers, "fire": fire, "orm": orm, "floor": floor,
            "floor_minimal": minimal, "ratio": ratio(floor), "ratio_minimal": ratio(minimal), "ratio_orm": ratio(orm),
            "floor_data_same_as_fire": same, "comments_per_case_after": fire["ops"] / cfg["cases"]}


# ---------------------------------------------------------------- profile and checks


def profile_fire(workdir: Path, url: str, pool: list[str], n: int, out: Path) -> dict[str, Any]:
    rt = runtime(url, workdir / "profile")
    engine = rt.engine
    engine.fire(pool[0], "record_comment", "zhangwei", COMMENT)  # warm-up
    profiler = cProfile.Profile()
    wall, cpu = time.perf_counter(), time.process_time()
    profiler.enable()
    for i in range(n):
        engine.fire(pool[i % len(pool)], "record_comment", "zhangwei", COMMENT)
    profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rt.db.dispose()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    shares: dict[str, float] = {}
    for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        shares[_where(filename, name)] = shares.get(_where(filename, name), 0.0) + tottime / total
    commit = shares.get("sqlite3 COMMIT (fsync)", 0.0)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(40)
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        f"cProfile of {n} engine.fire(record_comment) on SQLite (WAL, synchronous=FULL), one process\n"
        f"wall {wall:.3f} s, CPU {cpu:.3f} s (profiler overhead included)\n\n" + text.getvalue())
    top = dict(sorted(shares.items(), key=lambda kv: -kv[1])[:8])
    return {"fires": n, "wall_s": wall, "cpu_s": cpu, "commit_share": commit, "self_time_by_part": top,
            "file": str(out.relative_to(REPO))}


def _where(filename: str, name: str) -> str:
    """Which part of the stack a profiled function belongs to (for the self-time breakdown)."""
    if name == "<method 'commit' of 'sqlite3.Connection' objects>":
        return "sqlite3 COMMIT (fsync)"
    if filename == "~":
        return "sqlite3 execute/fetch" if "sqlite3" in name else "builtins (json, hashlib, …)"
    if "site-packages/" in filename:
        package = filename.split("site-packages/")[1].split("/")[0]
        return "SQLAlchemy" if package == "sqlalchemy" else package
    if "/workflow/" in filename:
        return "lawflow (workflow/)"
    return "stdlib (json, copy, contextlib, …)"


def verify_ok(url: str, instance: Path) -> dict[str, Any]:
    """After the concurrent runs every chain must still verify (the benchmark must not hide a fork)."""
    from workflow.audit.export import verify_database
    from workflow.clock import utc_stamp

    rt = runtime(url, instance)
    report = verify_database(rt.sessions, rt.origin, utc_stamp(rt.clock.now()), registry=rt.registry)
    rt.db.dispose()
    return {"ok": report.ok, "events": report.events, "cases": report.cases, "message": report.message}


# ---------------------------------------------------------------- output


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for r in result.get("fire", []):
        where = f"{r['backend']} × {r['workers']}"
        out.append({"target": f"fire/floor ≥ {TARGET_RATIO:.0%} ({where})", "value": r["ratio"],
                    "met": r["ratio"] >= TARGET_RATIO, "binding": r["backend"] == "sqlite"})
        out.append({"target": f"fire/minimal floor (no case data) ≥ {TARGET_RATIO:.0%} ({where})",
                    "value": r["ratio_minimal"], "met": r["ratio_minimal"] >= TARGET_RATIO, "binding": False})
        out.append({"target": f"fire ≥ {TARGET_RATE:,}/s ({where})", "value": r["fire"]["ops_per_s"],
                    "met": r["fire"]["ops_per_s"] >= TARGET_RATE, "binding": r["backend"] == "sqlite"})
    v = result.get("verify", {})
    if v:
        out.append({"target": f"audit verify ≥ {TARGET_VERIFY:,} events/s", "value": v["verify_database"]["events_per_s"],
                    "met": v["verify_database"]["events_per_s"] >= TARGET_VERIFY, "binding": True})
        out.append({"target": f"offline verifier ≥ {TARGET_VERIFY:,} events/s", "value": v["offline"]["events_per_s"],
                    "met": v["offline"]["events_per_s"] >= TARGET_VERIFY, "binding": False})
    return out


def write(result: dict[str, Any], mode: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = result["date"].replace(":", "").replace("-", "").replace("+0000", "Z")
    suffix = "-quick" if mode == "quick" else ""
    text = json.dumps(result, indent=2, ensure_ascii=False, default=str)
    (OUT / f"bench-{stamp}{suffix}.json").write_text(text + "\n")
    (OUT / f"latest{suffix}.json").write_text(text + "\n")


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"## lawflow bench — {result['date']} ({result['mode']}, {result['seconds']:.0f} s)",
        "",
        f"`{result['command']}` · {m['cpu']}, {m['memory']} · Python {m['python']} · SQLite {m['sqlite']} · "
        f"PostgreSQL {m['postgresql'] or 'not run: ' + result['pg_note']} · SQLAlchemy {m['sqlalchemy']} · "
        f"temp dir on {m['tempdir_filesystem']} · fdatasync of 4 KiB p50 {result['fsync']['p50_ms']:.2f} ms at the "
        f"start, {result['fsync_end']['p50_ms']:.2f} ms at the end · "
        f"load average {m['loadavg_start'][0]:.2f} → {m['loadavg_end'][0]:.2f}",
        "",
        f"engine.fire(record_comment) vs the floor (raw driver, same UPDATE incl. case data + chained INSERT + "
        f"COMMIT, as many changes as fire() made), the minimal floor (no case data) and the ORM-only floor; "
        f"fire, minimal and ORM floor {result['config']['seconds']:g} s each:",
        "",
        "| backend | workers | fire()/s | floor/s | **fire/floor** | minimal floor (no case data)/s | fire/minimal "
        "| fire p50 ms | fire p95 ms | floor p50 ms | floor p95 ms | CPU ms/fire | CPU ms/floor op "
        "| CPU ms/minimal op | ORM floor/s | fire/ORM |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result.get("fire", []):
        f, fl, mi, o = r["fire"], r["floor"], r["floor_minimal"], r["orm"]
        lines.append(
            f"| {r['backend']} | {r['workers']} | {f['ops_per_s']:,.0f} | {fl['ops_per_s']:,.0f} | **{r['ratio']:.0%}** "
            f"| {mi['ops_per_s']:,.0f} | {r['ratio_minimal']:.0%} "
            f"| {f['p50_ms']:.2f} | {f['p95_ms']:.2f} | {fl['p50_ms']:.2f} | {fl['p95_ms']:.2f} "
            f"| {f['cpu_ms_per_op']:.2f} | {fl['cpu_ms_per_op']:.2f} | {mi['cpu_ms_per_op']:.2f} "
            f"| {o['ops_per_s']:,.0f} | {r['ratio_orm']:.0%} |")
    if result.get("fire"):
        grown = ", ".join(f"{r['backend']} × {r['workers']} {r['comments_per_case_after']:.0f}" for r in result["fire"])
        same = ", ".join(f"{r['backend']} × {r['workers']} {r['floor_data_same_as_fire']['identical']}/"
                         f"{r['floor_data_same_as_fire']['cases']}" for r in result["fire"])
        lines += ["", f"{result['config']['cases']} cases per row, each worker firing on its own share; record_comment "
                      f"appends to the case data, so each case ends with about this many comments: {grown}. "
                      f"Refused fires: {sum(r['fire']['refused'] for r in result['fire'])}. Cases whose data the "
                      f"floor left byte-identical to fire()'s: {same}."]
    v = result.get("verify")
    if v:
        lines += [
            "",
            f"audit verify over {v['events']:,} events on {v['cases']:,} cases "
            f"(generated in {v['generate']['seconds']:.1f} s, checkpoint {v['checkpoint']['seconds']:.1f} s):",
            "",
            "| check | seconds | events/s | result |",
            "|---|---:|---:|---|",
            f"| verify_database (`lawflow audit verify`) | {v['verify_database']['seconds']:.2f} "
            f"| {v['verify_database']['events_per_s']:,.0f} | {'ok' if v['verify_database']['ok'] else 'FAILED'} |",
            f"| export to JSON Lines ({v['export']['bytes'] / 2**20:.0f} MiB) | {v['export']['seconds']:.2f} "
            f"| {v['export']['events'] / v['export']['seconds']:,.0f} | |",
            f"| offline `python3 -I -S verify.py` | {v['offline']['seconds']:.2f} "
            f"| {v['offline']['events_per_s']:,.0f} | {'ok' if v['offline']['ok'] else 'FAILED: ' + v['offline']['output']} |",
        ]
    p = result.get("profile")
    if p:
        parts = ", ".join(f"{k} {v:.0%}" for k, v in p["self_time_by_part"].items())
        lines += ["", f"Profile of fire() ({p['fires']} fires on SQLite, {p['file']}), self time by part: {parts}."]
    checks = result.get("chains_after_fire", {})
    if checks:
        lines += ["", "Chains after the concurrent runs: " + ", ".join(
            f"{k} {'intact' if c['ok'] else 'BROKEN'} ({c['events']:,} events)" for k, c in checks.items())]
    lines += ["", "Targets:"]
    for t in result["targets"]:
        value = f"{t['value']:.0%}" if t["target"].startswith("fire/") else f"{t['value']:,.0f}"
        lines.append(f"- {'met' if t['met'] else 'MISSED'}: {t['target']} — {value}"
                     + ("" if t["binding"] else " (noted, not binding)"))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
