"""The live case row is a verified projection of its history, and a gap in the Merkle log blames the right case.

On the tamper story of test_database_tamper.py (SQLite and PostgreSQL; the insider with the triggers out of the
way): a case row's state, a data field, its version or its title edited directly in the database is named by
`verify` with the case and the field, as "案件记录与其历史不符 the case row differs from its history"; the same
on an edited export through the stdlib-only verifier. A case whose events lose their leaves (with or without the
events) is named, not the neighbour whose leaf index follows the gap. The demo's histories replay to their rows.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select, text

from tests.audit import test_database_tamper as tamper
from tests.audit.test_database_tamper import (
    Story,
    _offline,
    broken_at,
    dump,
    lawflow,
    tampering,
    verify,
)
from tests.cli import Lawflow
from workflow.audit.trail import event_body
from workflow.audit.verifier import GENESIS, ROW_FIELDS
from workflow.models import AuditEvent, Case
from workflow.replay import replay_case
from workflow.runtime import Runtime

ROW_DIFFERS = "案件记录与其历史不符 the case row differs from its history"
# The tamper story's fixtures (built once per backend for this module too)
template, story, committed = tamper.template, tamper.story, tamper.committed


def _set_data(conn: Connection, case: str, change: Callable[[dict[str, Any]], None]) -> None:
    raw = conn.execute(text("SELECT data FROM case_file WHERE id = :c"), {"c": case}).scalar_one()
    data = json.loads(raw) if isinstance(raw, str) else raw
    change(data)
    value = "CAST(:d AS JSON)" if conn.dialect.name == "postgresql" else ":d"
    conn.execute(text(f"UPDATE case_file SET data = {value} WHERE id = :c"), {"d": dump(data), "c": case})


def _lead_unit(data: dict[str, Any]) -> None:
    data["initiation"]["lead_unit"] = "伪造的承办单位"


EDITS: dict[str, tuple[str, Callable[[Connection, str], None]]] = {
    "state": ("state", lambda conn, c: conn.execute(
        text("UPDATE case_file SET state = 'decided' WHERE id = :c"), {"c": c})),
    "version": ("version", lambda conn, c: conn.execute(
        text("UPDATE case_file SET version = version + 1 WHERE id = :c"), {"c": c})),
    "title": ("title", lambda conn, c: conn.execute(
        text("UPDATE case_file SET title = '另一个事项' WHERE id = :c"), {"c": c})),
    "data": ("data.initiation.lead_unit", lambda conn, c: _set_data(conn, c, _lead_unit)),
    "data_added": ("data.approval", lambda conn, c: _set_data(conn, c, lambda d: d.update(approval={"ok": True}))),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edited_case_row_is_named_with_its_field(story: Story, edit: str) -> None:
    field, change = EDITS[edit]
    a = story.case("A")
    with tampering(story) as conn:
        change(conn, a)
    report = verify(story)
    broken_at(report, a, None, field)
    assert ROW_DIFFERS in report.message


def test_the_rows_replay_from_scratch(story: Story) -> None:
    """Every case row equals the replay of its events from scratch (workflow.replay.replay_case)."""
    rt = story.runtime()
    try:
        with rt.sessions() as session:
            for case in session.scalars(select(Case)):
                events = [{**event_body(e), "hash": e.hash} for e in session.scalars(
                    select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq))]
                row = replay_case(events, rt.registry)
                assert row is not None
                stored = {"procedure": f"{case.procedure}@{case.procedure_version}", "title": case.title,
                          "state": case.state, "version": case.version, "data": case.data}
                assert {k: row[k] for k in ROW_FIELDS} == stored, case.id
                assert (row["head_seq"], row["head_hash"]) == (case.audit_seq, case.audit_head)
    finally:
        rt.db.dispose()


# ----------------------------------------------------------------------------------------------- item 7: blame


@pytest.mark.parametrize("head", ["kept", "reset"])
def test_events_deleted_with_their_leaves_name_the_case(story: Story, head: str) -> None:
    c = story.case("C")
    with tampering(story) as conn:
        conn.execute(text("DELETE FROM audit_leaf WHERE case_id = :c"), {"c": c})
        conn.execute(text("DELETE FROM audit_event WHERE case_id = :c"), {"c": c})
        if head == "reset":  # the row says it has no events either
            conn.execute(text("UPDATE case_file SET audit_seq = 0, audit_head = :g WHERE id = :c"),
                         {"g": GENESIS, "c": c})
    report = verify(story)
    broken_at(report, c, 1, "head_seq")
    assert "the export has no events for this case" in report.message


def test_leaves_deleted_from_the_log_name_the_case_not_the_neighbour(story: Story) -> None:
    """SYS sorts before the cases (houlong-…), so C's leaves were 8 and 9; the next case's leaf now follows the
    gap. C's events are there, older than the checkpoint that covered 8–9, and have no leaf: C is named."""
    c = story.case("C")
    with tampering(story) as conn:
        conn.execute(text("DELETE FROM audit_leaf WHERE case_id = :c"), {"c": c})
    report = verify(story)
    broken_at(report, c, 1, "leaf")
    assert "log indexes 8–9 are missing" in report.message


def test_the_tail_of_a_case_deleted_with_its_leaf_and_row_rewritten_names_no_neighbour(story: Story) -> None:
    """C's last event (seq 2, leaf 9: SYS sorts before houlong-…) deleted and the row made what seq 1 alone
    gives: the chain and the row agree again; the gap at 9 blames no one rather than the chain whose leaf
    follows it."""
    from tests.audit.test_database_tamper import event, replay_row

    c = story.case("C")
    with tampering(story) as conn:
        last = event(conn, c, 2)
        conn.execute(text("DELETE FROM audit_leaf WHERE event_id = :id"), {"id": last["id"]})
        conn.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": last["id"]})
        replay_row(conn, c)
    report = verify(story)
    broken_at(report, None, None, "log_index")
    assert "log indexes 9 are missing" in report.message
    assert f"the log jumps from case '{c}' seq 1 to case " in report.message


# ----------------------------------------------------------------------------------------------- offline


def _export(story: Story, path: Path) -> list[dict[str, Any]]:
    [proc] = lawflow(story, ["audit", "export", "-o", str(path)])
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _case_row(records: list[dict[str, Any]], case: str) -> dict[str, Any]:
    return next(r for r in records if r["type"] == "case" and r["case"] == case)["row"]


def _last_line(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout.strip().splitlines()[-1]


def test_offline_verifier_replays_the_exported_rows(committed: Story, tmp_path: Path) -> None:
    story = committed
    a, c = story.case("A"), story.case("C")
    records = _export(story, tmp_path / "intact.jsonl")
    assert [r["procedure"] for r in records if r["type"] == "procedure"] == ["major_decision@2"]
    assert _case_row(records, a)["state"] == "public_participation"
    intact = _offline(tmp_path / "intact.jsonl")
    assert intact.returncode == 0, intact.stdout + intact.stderr

    def edited(name: str, change: Callable[[dict[str, Any]], None]) -> str:
        copy = json.loads(json.dumps(records))
        change(_case_row(copy, a))
        proc = _offline(_write(tmp_path / f"{name}.jsonl", copy))
        assert proc.returncode == 1, proc.stdout + proc.stderr
        return _last_line(proc)

    assert edited("state", lambda row: row.update(state="decided")).startswith(
        f"BROKEN: case '{a}' field 'state': {ROW_DIFFERS}")
    assert edited("version", lambda row: row.update(version=row["version"] + 1)).startswith(
        f"BROKEN: case '{a}' field 'version'")
    assert edited("data", lambda row: _lead_unit(row["data"])).startswith(
        f"BROKEN: case '{a}' field 'data.initiation.lead_unit'")
    # item 7 offline: C's events and leaves gone, its row kept; then only its leaves gone
    gone = [r for r in records if not (r["type"] in ("event", "leaf") and r["case"] == c)]
    last = _last_line(_offline(_write(tmp_path / "gone.jsonl", gone)))
    assert last.startswith(f"BROKEN: case '{c}' seq 1 field 'head_seq'"), last
    unleafed = [r for r in records if not (r["type"] == "leaf" and r["case"] == c)]
    last = _last_line(_offline(_write(tmp_path / "unleafed.jsonl", unleafed)))
    assert last.startswith(f"BROKEN: case '{c}' seq 1 field 'leaf'"), last


def test_an_old_export_without_rows_still_verifies(committed: Story, tmp_path: Path) -> None:
    """Exports written before rows and record specs were exported (no `row`, no `procedure` records) verify
    as they always did: nothing is replayed."""
    records = _export(committed, tmp_path / "new.jsonl")
    old = [{k: v for k, v in r.items() if k != "row"} for r in records if r["type"] != "procedure"]
    proc = _offline(_write(tmp_path / "old.jsonl", old))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # A row without the record specs to replay it is not taken on trust.
    rows_only = [r for r in records if r["type"] != "procedure"]
    last = _last_line(_offline(_write(tmp_path / "rows-only.jsonl", rows_only)))
    assert "it cannot be replayed" in last and "field 'procedure'" in last


# ----------------------------------------------------------------------------------------------- the demo


def test_the_demo_histories_replay_to_their_rows(runtime: Runtime, tmp_path: Path) -> None:
    """`python -m workflow demo` on a fresh instance, then `audit verify` (which replays every case) and the
    offline verifier on its export: intact. The demo's enforcement steps end limits, so their events carry
    the timeliness verdicts that replay puts back into the case data.

    The demo is loaded as the application's database role (on PostgreSQL lawflow_app: SELECT and INSERT only on
    the audit tables and no right to change the schema, which the owner's `lawflow init` made), as `make run`
    loads it; and loading it again with --if-missing does nothing. (One load of the full demo serves both
    checks: it is the suite's slowest command.)"""
    lawflow = Lawflow(runtime, unset=("LAWFLOW_*",))

    def run(*args: str, url: str = runtime.database_url) -> subprocess.CompletedProcess[str]:
        proc = lawflow(*args, env={"LAWFLOW_DATABASE_URL": url})
        assert "Traceback" not in proc.stdout, proc.stdout
        return proc

    loaded = run("demo")
    assert loaded.returncode == 0, loaded.stderr
    assert "已载入演示数据" in loaded.stdout and "已签署检查点" in loaded.stdout
    again = run("demo", "--if-missing")
    assert again.returncode == 0, again.stderr
    verified = run("audit", "verify", "--quiet")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    export = tmp_path / "demo.jsonl"
    assert run("audit", "export", "-o", str(export)).returncode == 0
    offline = _offline(export)
    assert offline.returncode == 0, offline.stdout + offline.stderr
    records = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    with_facts = [r for r in records if r["type"] == "event" and "facts" in r]
    # facts: the timeliness verdicts, and the documents the demo's steps issued (issue 12)
    assert with_facts and all(set(r["facts"]) <= {"timeliness", "documents"} for r in with_facts)
    assert {key for r in with_facts for key in r["facts"]} == {"timeliness", "documents"}
