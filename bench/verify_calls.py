"""Python calls and time of `verify_database` over a generated trail: a deterministic before/after measure.

    .venv/bin/python bench/verify_calls.py [REPO]      (REPO: the checkout to measure, default this one)

Generates 20,000 events on 400 cases (bench/audit_verify.py's generator), anchors them, times verify_database
twice, then counts its Python function calls under cProfile. Run it on two checkouts one after the other:
the call counts compare exactly, the timings only on a quiet machine (bench/RESULTS.md, issue 10's before/after).
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).resolve().parent.parent))

from bench.audit_verify import generate  # noqa: E402
from bench.databases import relax_durability_for_seeding, runtime  # noqa: E402
from workflow.audit import signing  # noqa: E402
from workflow.audit.checkpoint import make_checkpoint  # noqa: E402
from workflow.audit.export import verify_database  # noqa: E402
from workflow.clock import utc_stamp  # noqa: E402


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    rt = runtime(f"sqlite:///{folder / 'lawflow.sqlite3'}", folder)
    rt.migrate()
    relax_durability_for_seeding(rt)
    generate(rt, 20_000, 400)
    signing.generate_key_file(rt.key_path)
    make_checkpoint(rt.sessions, rt.key_path, rt.origin, rt.clock)
    for _ in range(2):
        started = time.perf_counter()
        report = verify_database(rt.sessions, rt.origin, utc_stamp(rt.clock.now()))
        print(f"verify_database: {time.perf_counter() - started:.2f} s, ok={report.ok}, events={report.events}")
    profile = cProfile.Profile()
    profile.enable()
    verify_database(rt.sessions, rt.origin, utc_stamp(rt.clock.now()))
    profile.disable()
    print(f"Python calls: {pstats.Stats(profile).total_calls:,}")


if __name__ == "__main__":
    main()
