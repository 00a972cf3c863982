"""`audit verify` over a large trail: 100,000 events on ~2,000 cases, checkpointed, verified twice.

The events are written with the engine's own `chain_event` (the same chaining and canonical JSON as
fire()), but in large transactions instead of one commit per event, so that generating them takes seconds.
Then `make_checkpoint` anchors them in the Merkle log and signs, `verify_database` (what `lawflow audit
verify` runs) is timed end to end, and the export of the same trail is timed through the offline auditor's
script `python3 -I -S verify.py` (standard library only; written by `lawflow audit verifier`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.databases import relax_durability_for_seeding, runtime

KINDS_EVERY = 10  # every 10th event of a case is a refusal with its reasons, as real trails have


class _Head:
    """A chain head (the ChainHead protocol of workflow.audit.trail): the case row's (audit_seq, audit_head)."""

    def __init__(self, case_id: str) -> None:
        self.id, self.audit_seq, self.audit_head = case_id, 0, "0" * 64


class _Rows:
    """Collects the rows that chain_event builds, which are then inserted in bulk."""

    def __init__(self) -> None:
        self.rows: list[Any] = []

    def add(self, row: Any) -> None:
        self.rows.append(row)


def generate(rt: Any, events: int, cases: int, per_txn: int = 20_000) -> dict[str, float]:
    """`events` chained events on `cases` cases, hashed by the engine's own chain_event, written with one
    executemany per `per_txn` events (the per-row ORM flush would take longer than everything measured)."""
    import json

    from sqlalchemy import bindparam, insert, update

    from workflow import accounts
    from workflow.audit.row_replay import replay_event
    from workflow.clock import utc_stamp
    from workflow.db import writing
    from workflow.demo import ORG
    from workflow.models import AuditEvent, Case

    started = time.perf_counter()
    base = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    heads = [_Head(f"MD-2026-{i + 1:05d}") for i in range(cases)]
    with writing(rt.sessions) as session:
        accounts.ensure_org(session, ORG, "泉州市泉港区后龙镇人民政府", "Houlong Town People's Government")
        session.flush()
        session.add_all(Case(
            id=h.id, org_id=ORG, procedure="major_decision", procedure_version=1,
            title=f"后龙镇决策事项{h.id}", state="public_participation", version=1, data={},
            created_by="zhangwei", created_at=base, updated_at=base, audit_seq=0, audit_head="0" * 64,
        ) for h in heads)
    per_case, extra = divmod(events, cases)
    # round-robin over the cases, as a busy office interleaves them
    order = [i for r in range(per_case + 1) for i in range(cases) if r < per_case + (1 if i < extra else 0)]
    columns = [c.name for c in AuditEvent.__table__.columns if c.name != "id"]
    steps = replay_steps(rt, "major_decision", 1)
    replayed: dict[str, Any] = {}  # case id -> its row as replay gives it (what fire() would have written)
    for start in range(0, len(order), per_txn):
        rows = _Rows()
        for i in order[start:start + per_txn]:
            head = heads[i]
            _append(rows, head, utc_stamp(base + timedelta(minutes=head.audit_seq)))
        for row in rows.rows:
            event = {"kind": row["kind"], "procedure": row["procedure"], "to": row["to_state"],
                     "trigger": row["trigger"], "payload": json.loads(row["payload"]), "actor": row["actor"],
                     "at": row["at"], "seq": row["seq"], "hash": row["hash"]}
            replayed[row["case_id"]] = replay_event(replayed.get(row["case_id"]), event, steps.get(row["trigger"]))
        with writing(rt.sessions) as session:
            session.execute(insert(AuditEvent.__table__),
                            [{c: row[c] for c in columns} for row in rows.rows])
    with writing(rt.sessions) as session:  # the case rows are the replay of their events, as fire() leaves them
        table = Case.__table__
        session.execute(
            update(table).where(table.c.id == bindparam("cid")).values(
                audit_seq=bindparam("seq"), audit_head=bindparam("head"), state=bindparam("st"),
                version=bindparam("v"), data=bindparam("d"), title=bindparam("t")),
            [{"cid": h.id, "seq": h.audit_seq, "head": h.audit_head, "st": replayed[h.id]["state"],
              "v": replayed[h.id]["version"], "d": replayed[h.id]["data"], "t": replayed[h.id]["title"]}
             for h in heads])
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "events_per_s": events / elapsed}


def replay_steps(rt: Any, procedure: str, version: int) -> dict[str, Any]:
    from workflow.replay import step_specs

    return step_specs(rt.registry.get(procedure, version))


def _append(session: _Rows, case: Any, at: str) -> None:
    from workflow.audit.trail import chain_event

    def append_event(session: _Rows, head: Any, **event: Any) -> None:
        session.add(chain_event(head, **event))

    seq = case.audit_seq + 1
    common = {"at": at, "procedure": "major_decision@1", "actor": "zhangwei", "role": "drafter"}
    if seq == 1:
        append_event(session, case, kind="created", trigger="create", to_state="proposed", payload={
            "title": "后龙镇老旧小区改造实施方案", "category": "public_policy", "proposer": "leader",
            "summary": "镇区6个老旧小区设施老化，拟分批改造。"}, **common)
    elif seq % KINDS_EVERY == 0:
        append_event(session, case, kind="refused", trigger="close_public_comment",
                     from_state="public_participation", to_state="public_participation",
                     payload={"summary": "意见已研究处理"}, reasons=[{
                         "code": "minimum_period:comment_period", "article": "条例第十五条",
                         "zh": "「公开征求意见期限」至2026-03-02届满，届满后方可办理",
                         "en": "the Public comment period runs until 2026-03-02; this step is possible after it"}],
                     **common)
    else:
        append_event(session, case, kind="transition", trigger="record_comment", from_state="public_participation",
                     to_state="public_participation", payload={
                         "commenter": f"后龙村村民{seq}号", "received_on": "2026-03-02",
                         "content": "建议优先改造靠近溪流的自然村，并在施工前公告交通组织方案。"}, **common)


def measure(workdir: Path, events: int, cases: int) -> dict[str, Any]:
    from workflow.audit import signing
    from workflow.audit.checkpoint import make_checkpoint
    from workflow.audit.export import export, verify_database
    from workflow.audit.handout import script as handout_script
    from workflow.clock import utc_stamp

    instance = workdir / "verify"
    rt = runtime(f"sqlite:///{instance / 'lawflow.sqlite3'}", instance)
    rt.migrate()
    relax_durability_for_seeding(rt)  # generating the trail is not what is measured here
    out: dict[str, Any] = {"events": events, "cases": cases, "generate": generate(rt, events, cases)}

    signing.generate_key_file(rt.key_path)
    t = time.perf_counter()
    cp = make_checkpoint(rt.sessions, rt.key_path, rt.origin, rt.clock)
    out["checkpoint"] = {"seconds": time.perf_counter() - t, "tree_size": cp.tree_size}

    t = time.perf_counter()
    report = verify_database(rt.sessions, rt.origin, utc_stamp(rt.clock.now()))
    seconds = time.perf_counter() - t
    out["verify_database"] = {"seconds": seconds, "events_per_s": report.events / seconds, "ok": report.ok,
                              "events": report.events, "leaves": report.leaves, "message": report.message}

    export_path = workdir / "export.jsonl"
    t = time.perf_counter()
    with export_path.open("wb") as f:
        exported = export(rt.sessions, f, rt.origin, utc_stamp(rt.clock.now()))
    out["export"] = {"seconds": time.perf_counter() - t, "events": exported,
                     "bytes": export_path.stat().st_size}
    rt.db.dispose()

    python3 = shutil.which("python3") or sys.executable
    script = workdir / "verify.py"  # the auditor's one file, as `lawflow audit verifier` hands it out
    script.write_text(handout_script(), encoding="utf-8")
    command = [python3, "-I", "-S", str(script), str(export_path), "--quiet"]
    t = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t
    version = subprocess.run([python3, "-I", "-S", "-c", "import sys; print(sys.version.split()[0])"],
                             capture_output=True, text=True, check=False).stdout.strip()
    out["offline"] = {"seconds": seconds, "events_per_s": exported / seconds, "ok": done.returncode == 0,
                      "exit": done.returncode, "output": (done.stdout + done.stderr).strip()[-300:],
                      "command": "python3 -I -S verify.py EXPORT --quiet",
                      "python": f"{python3} ({version})"}
    return out
