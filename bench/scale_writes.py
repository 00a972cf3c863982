#!/usr/bin/env python3
"""What the list's indexes cost a change: engine.fire() per second with the schema before and after 0006.

    .venv/bin/python bench/scale_writes.py [--pg] [--fires 1500] [--rounds 3]

One fresh database per backend (SQLite file on the real disk with the app's durability; PostgreSQL on the
test server as lawflow_app). 2 x rounds blocks, each on its own 20 fresh decisions in public participation,
fire `record_comment` `--fires` times round-robin, the schema at 0006 or downgraded to 0005 (0006's indexes
dropped) in the order A B B A A B ..., so that the cases' growing data and the machine's drift fall on both
alike. Prints fires per second and CPU ms per fire for each block.
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
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.databases import COMMENT, find_pg_server, runtime, seed_cases, seed_town  # noqa: E402

CASES = 20


def _fire(rt: Any, case_ids: list[str], n: int) -> tuple[float, float]:
    engine = rt.engine
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(n):
        outcome = engine.fire(case_ids[i % len(case_ids)], "record_comment", "zhangwei", COMMENT)
        assert outcome.ok, outcome.reasons
    return n / (time.perf_counter() - wall), (time.process_time() - cpu) * 1000 / n


def _schema(owner_url: str, revision: str) -> None:
    from alembic import command

    from workflow.db import alembic_config, migrate

    if revision == "0005":
        command.downgrade(alembic_config(owner_url), "0005")
    else:
        migrate(owner_url)


def measure(name: str, app_url: str, owner_url: str, instance: Path, fires: int, rounds: int) -> list[dict[str, Any]]:
    rt = runtime(app_url, instance)
    seed_town(rt)
    blocks = rounds * 2
    pools = [seed_cases(rt, CASES, f"写入成本{b}") for b in range(blocks)]  # each block its own fresh cases
    rows = []
    for b in range(blocks):
        revision = ("0006", "0005")[(b + b // 2) % 2]  # A B B A A B ...: drift cancels out
        rt.db.dispose()
        _schema(owner_url, revision)
        _fire(rt, pools[(b + 1) % blocks], 50)  # warm the new schema's statements (on another pool)
        rate, cpu = _fire(rt, pools[b], fires)
        rows.append({"backend": name, "block": b + 1, "schema": revision, "fires_per_s": rate, "cpu_ms": cpu})
        print(f"  {name} block {b + 1} {revision:>18}: {rate:7.0f} fires/s, {cpu:.2f} CPU ms/fire",
              file=sys.stderr, flush=True)
    rt.db.dispose()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fires", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL too")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="lawflow-scale-writes-", dir="/var/tmp"))
    print(f"load {os.getloadavg()[0]:.2f}", file=sys.stderr)
    rows = []
    try:
        path = work / "writes.sqlite3"
        url = f"sqlite:///{path}"
        runtime(url, work / "sqlite").migrate()
        rows += measure("SQLite", url, url, work / "sqlite", args.fires, args.rounds)
        if args.pg:
            server, note = find_pg_server()
            if server is None:
                raise SystemExit(note)
            owner, app = server.create_database("lawflow_scale_writes")
            try:
                rows += measure("PostgreSQL", app, owner, work / "pg", args.fires, args.rounds)
            finally:
                server.drop_database("lawflow_scale_writes")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("| backend | schema | blocks | fires/s (median) | CPU ms/fire (median) |\n|---|---|---:|---:|---:|")
    for backend in dict.fromkeys(r["backend"] for r in rows):
        for schema in ("0005", "0006"):
            mine = [r for r in rows if r["backend"] == backend and r["schema"] == schema]
            print(f"| {backend} | {schema} | {len(mine)} | {statistics.median(r['fires_per_s'] for r in mine):.0f} | "
                  f"{statistics.median(r['cpu_ms'] for r in mine):.2f} |")
    print(f"load {os.getloadavg()[0]:.2f}", file=sys.stderr)
    out = REPO / "bench" / "out" / f"scale-writes-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"command": " ".join(["bench/scale_writes.py", *(argv or sys.argv[1:])]),
                               "blocks": rows}, indent=1), encoding="utf-8")
    print(f"written bench/out/{out.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
