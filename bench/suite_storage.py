"""What the test suite's storage costs: the same operations with files on disk and on tmpfs (`make test`).

The suite makes a fresh database for nearly every test: on PostgreSQL a CREATE DATABASE from a template and,
when the test ends, a DROP DATABASE; on SQLite a file copy, then a few dozen commits. With fsync on, as in
production, every DROP DATABASE waits for a checkpoint and every SQLite commit for a sync. This measures each
on the two places `make test` may keep them (TEST_TMP in the Makefile), and a Python process's import of
lawflow with and without its bytecode cache (the environment here sets PYTHONDONTWRITEBYTECODE).

    PYTHONPATH=. .venv/bin/python bench/suite_storage.py [--rounds 5]

It starts (or reuses) a test PostgreSQL server in each place through scripts/pg-test-server (LAWFLOW_PG_DIR),
with the same settings, and prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PLACES = {"disk": "/tmp", "tmpfs": "/dev/shm"}


def pg_server(place: str) -> dict[str, str]:
    env = {**os.environ, "LAWFLOW_PG_DIR": f"{place}/lawflow-pg"}
    out = subprocess.run([str(ROOT / "scripts/pg-test-server"), "start"], env=env, check=True,
                         capture_output=True, text=True).stdout
    urls = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    query = parse_qs(urlsplit(urls["LAWFLOW_TEST_PG_OWNER_URL"].strip("'")).query)
    return {"host": query["host"][0], "port": query["port"][0]}


def pg_create_drop(params: dict[str, str], rounds: int) -> dict[str, float]:
    import psycopg

    with psycopg.connect(**params, user="postgres", dbname="postgres", autocommit=True) as conn:
        names = [f"bench_suite_{os.getpid()}_{i}" for i in range(rounds)]
        start = time.perf_counter()
        for name in names:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE lawflow_test")
        created = time.perf_counter()
        for name in names:
            conn.execute(f"DROP DATABASE {name}")
        dropped = time.perf_counter()
    return {"create_s": round((created - start) / rounds, 4), "drop_s": round((dropped - created) / rounds, 4)}


def sqlite_commits(place: str, commits: int) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(dir=place))
    try:
        conn = sqlite3.connect(folder / "bench.sqlite3", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")  # as lawflow's own connections (workflow/db.py)
        conn.execute("CREATE TABLE t (n INTEGER)")
        start = time.perf_counter()
        for n in range(commits):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t VALUES (?)", (n,))
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
        conn.close()
    finally:
        shutil.rmtree(folder)
    return {"commit_ms": round(elapsed / commits * 1000, 3)}


def import_time(rounds: int) -> dict[str, float]:
    code = "import web, workflow.cli, workflow.demo"
    result = {}
    for label, env in (("without_bytecode", {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}),
                       ("with_bytecode", {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})):
        subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True)  # writes the cache if allowed
        spent = []
        for _ in range(rounds):
            if label == "without_bytecode":  # Python still reads a cache it may not write: a fresh clone has none
                for cache in [*ROOT.glob("workflow/**/__pycache__"), *ROOT.glob("web/**/__pycache__")]:
                    shutil.rmtree(cache, ignore_errors=True)
            before = os.times()
            subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True)
            after = os.times()
            spent.append(after.children_user - before.children_user + after.children_system - before.children_system)
        result[f"{label}_cpu_s"] = round(min(spent), 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--commits", type=int, default=200)
    args = parser.parse_args()
    out: dict[str, object] = {"load_before": os.getloadavg()[0]}
    for label, place in PLACES.items():
        if not os.access(place, os.W_OK):
            continue
        out[label] = {"postgresql": pg_create_drop(pg_server(place), args.rounds),
                      "sqlite": sqlite_commits(place, args.commits)}
    out["python_import"] = import_time(args.rounds)
    out["load_after"] = os.getloadavg()[0]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
