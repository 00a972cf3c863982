#!/usr/bin/env python3
"""lawflow benchmark: attaching 10 MB evidence files, and verifying a case's files.

    PYTHONPATH=. .venv/bin/python bench/records.py [--n 20] [--mb 10] [--pg]

On a fresh SQLite database in a temporary folder on the real disk (WAL + synchronous=FULL, as the app runs),
or with --pg on a fresh PostgreSQL database of scripts/pg-test-server, an enforcement case in investigation
gets N audio-video records of MB MiB each (random content, so every file is new), each one the way the web
and the CLI attach it: `RecordStore.stage` from a stream (SHA-256 while copying, fsync) and then
`engine.fire(..., "attach_record", attachment=...)` (checks, rename into objects/, fsync of the folder,
the record_attached event and the case data in one transaction). Then `lawflow audit verify`'s
`verify_database(records_dir=...)` re-hashes every file.

For comparison, in the same run: hashlib SHA-256 over the same bytes in memory, and a plain write + fsync of
the same size (the floors the attachment cannot beat). Writes JSON to bench/out/records-<backend>-<stamp>.json
and bench/out/records-<backend>-latest.json.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.databases import find_pg_server, runtime, seed_town  # noqa: E402
from workflow.audit.export import verify_database  # noqa: E402
from workflow.clock import utc_stamp  # noqa: E402
from workflow.demo import FIELD_STREETS, POWER_STREETS  # noqa: E402

MIB = 1024 * 1024
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20, help="records to attach (default 20)")
    parser.add_argument("--mb", type=int, default=10, help="size of each record in MiB (default 10)")
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="lawflow-bench-records-", dir=REPO / "bench" / "out"))
    try:
        result = run(workdir, args.n, args.mb, args.pg)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = REPO / "bench" / "out"
    text = json.dumps(result, ensure_ascii=False, indent=2)
    (out / f"records-{result['backend']}-{stamp}.json").write_text(text + "\n", encoding="utf-8")
    (out / f"records-{result['backend']}-latest.json").write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


def run(workdir: Path, n: int, mb: int, pg: bool) -> dict[str, Any]:
    size = mb * MIB
    url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    server = None
    if pg:
        server, why = find_pg_server()
        if server is None:
            raise SystemExit(f"PostgreSQL unavailable: {why}")
        _owner, url = server.create_database(f"lawflow_bench_records_{os.getpid()}")
    rt = runtime(url, workdir / "instance")
    rt.max_record_bytes = size + MIB
    if not pg:
        rt.migrate()
    seed_town(rt)
    engine = rt.engine
    case_id = engine.create_case("enforcement_case", "wanghai", {
        "title": "基准测试案件", "party": "某某", "party_type": "individual", "facts": "基准测试用的违法事实摘要。",
        "field": FIELD_STREETS, "power": POWER_STREETS, "legal_basis": "基准测试"}).case_id
    assert case_id and engine.fire(case_id, "start_investigation", "wanghai",
                                   {"officers": ["wanghai", "caiming"]}).ok
    payload = {"kind": "av", "title": "执法记录仪录像", "format": "mp4", "made_on": "2026-11-30",
               "duration_seconds": 600, "device": "执法记录仪", "recorder": "caiming"}

    stage_s, fire_s, total_s = [], [], []
    contents = [MP4_HEAD + os.urandom(size - len(MP4_HEAD)) for _ in range(n)]
    for content in contents:
        t0 = time.perf_counter()
        staged = rt.records.stage(io.BytesIO(content), filename="record.mp4")
        t1 = time.perf_counter()
        outcome = engine.fire(case_id, "attach_record", "wanghai", payload, attachment=staged)
        t2 = time.perf_counter()
        assert outcome.ok, [r.zh for r in outcome.reasons]
        stage_s.append(t1 - t0)
        fire_s.append(t2 - t1)
        total_s.append(t2 - t0)

    t0 = time.perf_counter()
    report = verify_database(rt.sessions, rt.origin, utc_stamp(rt.clock.now()), records_dir=str(rt.records.root))
    verify_s = time.perf_counter() - t0
    assert report.ok and report.records_checked == n, report.message

    # Floors, on the same bytes and the same disk.
    t0 = time.perf_counter()
    for content in contents:
        hashlib.sha256(content).digest()
    sha_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i, content in enumerate(contents):
        path = workdir / f"floor-{i}"
        with open(path, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
    write_s = time.perf_counter() - t0
    if server is not None:
        rt.db.dispose()
        server.drop_database(f"lawflow_bench_records_{os.getpid()}")

    total_mb = n * size / MIB
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": f"PYTHONPATH=. .venv/bin/python bench/records.py --n {n} --mb {mb}" + (" --pg" if pg else ""),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_after": os.getloadavg()},
        "backend": "postgresql" if pg else "sqlite",
        "records": n, "mib_each": mb,
        "attach_mib_per_s": round(total_mb / sum(total_s), 1),
        "attach_ms_p50": round(statistics.median(total_s) * 1000, 1),
        "attach_ms_max": round(max(total_s) * 1000, 1),
        "stage_ms_p50": round(statistics.median(stage_s) * 1000, 1),
        "fire_ms_p50": round(statistics.median(fire_s) * 1000, 1),
        "verify_case_s": round(verify_s, 3),
        "verify_mib_per_s": round(total_mb / verify_s, 1),
        "floor_sha256_mib_per_s": round(total_mb / sha_s, 1),
        "floor_write_fsync_mib_per_s": round(total_mb / write_s, 1),
    }


if __name__ == "__main__":
    sys.exit(main())
