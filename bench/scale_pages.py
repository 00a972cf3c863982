#!/usr/bin/env python3
"""Server time of the pages that grow with the data, on a database that bench/scale.py filled.

    .venv/bin/python bench/scale_pages.py --sqlite /tmp/scale.sqlite3 [--pg lawflow_scale] [-n 60]
    options: --code DIR   import `web` and `workflow` from DIR (to measure another version of the code
                          on the same database); --only NAME[,NAME]  run only these scenarios

Each page is requested through the Flask test client in this process (the whole WSGI app: login check,
the user's roles, the queries, the template; no network), first `--warm` times untimed, then `-n` times
timed one after another. Printed: p50, p95 and max in milliseconds per page; written: JSON to bench/out/.
The drafter is zhangwei (houlong), the enforcement officer wanghai, the auditor liushen; the case page is the
case with 200 events.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TARGET_MS = 150.0


def _setup_path(code: str | None) -> None:
    """This repository on the path (for bench/), and `--code` before it (for web/ and workflow/)."""
    for path in (REPO, *([Path(code).resolve()] if code else [])):
        if str(path) in sys.path:
            sys.path.remove(str(path))
        sys.path.insert(0, str(path))


def scenarios(big_case: str, today: str, month_ago: str) -> list[tuple[str, str, str]]:
    """(name, who, path): who is "drafter", "officer" or "auditor"."""
    return [
        ("list: drafter's landing (my cases + all, by update)", "drafter", "/cases/"),
        ("list: page 200 of all cases", "drafter", "/cases/?page=200"),
        ("list: my cases (created by me, by next deadline)", "drafter", "/cases/?mine=created"),
        ("list: my roles' next step", "drafter", "/cases/?mine=todo"),
        ("list: an officer's landing (21,000 own cases)", "officer", "/cases/"),
        ("list: an officer's roles' next step", "officer", "/cases/?mine=todo"),
        ("list: procedure + stage", "drafter", "/cases/?procedure=enforcement_case&state=investigating"),
        ("list: overdue, by next deadline", "drafter", "/cases/?deadline=overdue&order=deadline"),
        ("list: due within 3 working days", "drafter", "/cases/?deadline=soon"),
        ("list: text search in title/id", "drafter", "/cases/?q=%E6%B1%A1%E6%B0%B4"),  # 污水
        ("case page, 200 events", "drafter", f"/cases/{big_case}"),
        ("audit explorer: no filter", "auditor", "/audit/events"),
        ("audit explorer: case", "auditor", f"/audit/events?case={big_case}"),
        ("audit explorer: actor", "auditor", "/audit/events?actor=lina"),
        ("audit explorer: kind=refused", "auditor", "/audit/events?kind=refused"),
        ("audit explorer: date range (30 days)", "auditor", f"/audit/events?from={month_ago}&to={today}"),
        ("audit explorer: refused in 30 days", "auditor", f"/audit/events?kind=refused&from={month_ago}&to={today}"),
    ]


def _login(app: Any, username: str) -> Any:
    import re

    from workflow.demo import DEMO_PASSWORD

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no login form"
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                           "csrf_token": token.group(1)})
    assert response.status_code == 302, f"login as {username} failed"
    return client


def measure(url: str, n: int, warm: int, only: set[str] | None) -> dict[str, Any]:
    from sqlalchemy import func, select

    from web import create_app
    from workflow.models import AuditEvent, Case
    from workflow.runtime import Runtime

    instance = Path(tempfile.mkdtemp(prefix="lawflow-scale-pages-"))
    rt = Runtime(instance=instance, database_url=url, key_path=instance / "audit-signing.key")
    app = create_app(rt, {"SECRET_KEY": "bench-scale-pages"})
    with rt.sessions() as s:
        big_case = s.scalar(select(Case.id).where(Case.audit_seq == 200).order_by(Case.id).limit(1))
        cases = s.scalar(select(func.count()).select_from(Case))
        events = s.scalar(select(func.count()).select_from(AuditEvent))
    today = datetime.now(UTC) + timedelta(hours=8)  # Beijing date
    clients = {"drafter": _login(app, "zhangwei"), "officer": _login(app, "wanghai"), "auditor": _login(app, "liushen")}
    out: dict[str, Any] = {"cases": cases, "events": events, "big_case": big_case, "pages": []}
    for name, who, path in scenarios(big_case or "none", today.date().isoformat(),
                                     (today.date() - timedelta(days=30)).isoformat()):
        if only and not any(o in name for o in only):
            continue
        client = clients[who]
        first = client.get(path)
        status, size = first.status_code, len(first.get_data())
        for _ in range(warm - 1):
            client.get(path)
        times = []
        for _ in range(n):
            t = time.perf_counter()
            response = client.get(path)
            response.get_data()
            times.append((time.perf_counter() - t) * 1000)
            status = max(status, response.status_code)
        times.sort()
        row = {"name": name, "path": path, "status": status, "bytes": size, "n": n,
               "p50_ms": statistics.median(times), "p95_ms": times[max(0, int(round(0.95 * n)) - 1)],
               "max_ms": times[-1]}
        out["pages"].append(row)
        print(f"  {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} {row['max_ms']:8.1f}  {status}  {name}",
              file=sys.stderr, flush=True)
    rt.db.dispose()
    return out


def table(results: dict[str, Any]) -> str:
    names = [p["name"] for b in results.values() for p in b["pages"]]
    names = list(dict.fromkeys(names))
    backends = list(results)
    head = "| page | " + " | ".join(f"{b} p50 | {b} p95" for b in backends) + " |"
    lines = [head, "|---|" + "---:|---:|" * len(backends)]
    for name in names:
        cells = []
        for b in backends:
            row = next((p for p in results[b]["pages"] if p["name"] == name), None)
            if row is None:
                cells += ["", ""]
                continue
            over = " ⚠" if row["p95_ms"] > TARGET_MS else ""
            cells += [f"{row['p50_ms']:.0f}", f"{row['p95_ms']:.0f}{over}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite", type=Path)
    parser.add_argument("--pg", help="database name on the PostgreSQL test server (measured as lawflow_app)")
    parser.add_argument("-n", type=int, default=60)
    parser.add_argument("--warm", type=int, default=5)
    parser.add_argument("--code", help="import web/ and workflow/ from this directory")
    parser.add_argument("--only", help="comma-separated parts of scenario names")
    parser.add_argument("--label", default="", help="added to the output file name")
    args = parser.parse_args(argv)
    _setup_path(args.code)
    only = set(args.only.split(",")) if args.only else None
    started = datetime.now(UTC)
    results: dict[str, Any] = {}
    load_start = os.getloadavg()
    if args.sqlite:
        print(f"SQLite {args.sqlite}", file=sys.stderr)
        results["SQLite"] = measure(f"sqlite:///{args.sqlite.resolve()}", args.n, args.warm, only)
    if args.pg:
        from bench.databases import find_pg_server

        server, note = find_pg_server()
        if server is None:
            raise SystemExit(note)
        print(f"PostgreSQL {args.pg}", file=sys.stderr)
        results["PostgreSQL"] = measure(server.url(server.app_url, args.pg), args.n, args.warm, only)
    import web

    record = {"date": started.isoformat(timespec="seconds"), "command": " ".join(["bench/scale_pages.py", *(
        argv if argv is not None else sys.argv[1:])]), "code": str(Path(web.__file__).resolve().parent.parent),
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
                    "cores": os.cpu_count(), "loadavg_start": load_start, "loadavg_end": os.getloadavg()},
        "results": results}
    out_dir = REPO / "bench" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"scale-pages-{started:%Y%m%dT%H%M%SZ}{'-' + args.label if args.label else ''}.json"
    (out_dir / name).write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    print(table(results))
    print(f"\nwritten bench/out/{name}; load {load_start[0]:.2f} -> {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
