"""The checkpoint integrator against the real databases (audit-design §2.4, §2.9 items 6 and 7).

Batches, idempotence, the link and RFC 6962 consistency between checkpoints, inclusion proofs, integrators
running concurrently with writers, refusal to sign over an inconsistent log, a missing key, and a crash in
the middle of a checkpoint. Every test runs on SQLite and on PostgreSQL (as the runtime role lawflow_app).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, func, select, text
from sqlalchemy.pool import NullPool

from workflow.audit import signing
from workflow.audit.checkpoint import CheckpointError, checkpoint_record, make_checkpoint
from workflow.audit.export import verify_database
from workflow.audit.verifier import (
    EMPTY_ROOT,
    CompactRange,
    checkpoint_hash,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    verify_consistency,
    verify_inclusion,
)
from workflow.models import AuditCheckpoint, AuditEvent, AuditKey, AuditLeaf
from workflow.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
STAMP = "2026-03-09T00:00:00.000000Z"
PROPOSAL = {"title": "后龙镇农村生活污水治理方案", "category": "public_policy", "proposer": "leader",
            "summary": "部分村庄生活污水直排，拟建设收集管网"}
COMMENT_PERIOD = {"draft_ref": "草案", "explanation": "说明", "channels": ["镇政府网站"], "period_days": 30}


# ----------------------------------------------------------------------------------------------- helpers


@pytest.fixture
def key(town: Runtime) -> Path:
    signing.generate_key_file(town.key_path)
    return town.key_path


def new_case(rt: Runtime, *, comments: bool = False) -> str:
    outcome = rt.engine.create_case("major_decision", "zhangwei", PROPOSAL)
    assert outcome.ok and outcome.case_id, outcome.reasons
    if comments:  # into public participation, where record_comment can be repeated
        assert rt.engine.fire(outcome.case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}).ok
        assert rt.engine.fire(outcome.case_id, "open_public_comment", "zhangwei", COMMENT_PERIOD).ok
    return outcome.case_id


def comment(rt: Runtime, case_id: str, n: int) -> None:
    outcome = rt.engine.fire(case_id, "record_comment", "zhangwei", {
        "commenter": f"村民{n}", "received_on": "2026-03-02", "content": f"意见{n}"})
    assert outcome.ok, outcome.reasons


def events(rt: Runtime) -> list[AuditEvent]:
    with rt.sessions() as s:
        return list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def leaves(rt: Runtime) -> list[AuditLeaf]:
    with rt.sessions() as s:
        return list(s.scalars(select(AuditLeaf).order_by(AuditLeaf.log_index)))


def checkpoints(rt: Runtime) -> list[AuditCheckpoint]:
    with rt.sessions() as s:
        return list(s.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size)))


def leaf_hashes(rt: Runtime) -> list[bytes]:
    return [leaf_hash(leaf.event_hash) for leaf in leaves(rt)]


def checkpoint(rt: Runtime, key: Path, **kw: Any) -> Any:
    return make_checkpoint(rt.sessions, key, rt.origin, rt.clock, **kw)


def verified(rt: Runtime) -> Any:
    report = verify_database(rt.sessions, rt.origin, STAMP)
    assert report.ok, report.message
    return report


def assert_well_formed_log(rt: Runtime, key: Path) -> None:
    """Every event anchored exactly once at 0..n-1, every checkpoint's root right, signed, linked and
    consistent with the one before."""
    evs, lvs, cps = events(rt), leaves(rt), checkpoints(rt)
    by_id = {e.id: e for e in evs}
    assert [leaf.log_index for leaf in lvs] == list(range(len(evs)))
    assert sorted(leaf.event_id for leaf in lvs) == sorted(by_id)
    for leaf in lvs:
        e = by_id[leaf.event_id]
        assert (leaf.case_id, leaf.seq, leaf.event_hash) == (e.case_id, e.seq, e.hash)
    hashes = [leaf_hash(leaf.event_hash) for leaf in lvs]
    public = signing.public_raw(signing.load_private_key(key))
    previous: AuditCheckpoint | None = None
    for cp in cps:
        record = checkpoint_record(cp)
        assert cp.root == merkle_root(hashes[: cp.tree_size]).hex()
        assert signing.verify(public, record, cp.signature)
        assert cp.key_id == signing.key_id_for(rt.origin, signing.load_private_key(key))
        if previous is None:
            assert cp.prev_checkpoint is None
        else:
            assert cp.prev_checkpoint == checkpoint_hash(checkpoint_record(previous))
            assert cp.tree_size > previous.tree_size
            proof = consistency_proof(hashes, previous.tree_size, cp.tree_size)
            assert verify_consistency(previous.tree_size, cp.tree_size, bytes.fromhex(previous.root),
                                      bytes.fromhex(cp.root), proof)
        stored = CompactRange.from_json(json.loads(cp.compact_range), cp.tree_size)
        assert stored.root().hex() == cp.root
        previous = cp


# ----------------------------------------------------------------------------------------------- batches


def test_first_checkpoint_anchors_every_event_in_case_seq_order(town: Runtime, key: Path) -> None:
    first, second = new_case(town), new_case(town, comments=True)
    assert not town.engine.fire(first, "start", "zhangwei", {"lead_unit": "x"}).ok  # a refusal is anchored too
    result = checkpoint(town, key)
    assert (result.created, result.added, result.tree_size) == (True, 5, 5)
    assert [(leaf.case_id, leaf.seq) for leaf in leaves(town)] == [(first, 1), (first, 2), (second, 1),
                                                                   (second, 2), (second, 3)]
    assert result.root == merkle_root(leaf_hashes(town)).hex() == checkpoints(town)[0].root
    with town.sessions() as s:
        stored_key = s.get(AuditKey, result.key_id)
        assert stored_key is not None and stored_key.algorithm == "ed25519"
        assert base64.b64decode(stored_key.public_key) == signing.public_raw(signing.load_private_key(key))
    assert_well_formed_log(town, key)
    report = verified(town)
    assert (report.checkpoints, report.unanchored_events, report.signatures) == (1, 0, "verified")


@pytest.mark.parametrize("comments, batch, sizes", [(5, 3, [3, 6, 8]), (3, 2, [2, 4, 6])])
def test_many_events_are_anchored_in_several_rounds(town: Runtime, key: Path, comments: int, batch: int,
                                                    sizes: list[int]) -> None:
    case_id = new_case(town, comments=True)
    for n in range(comments):
        comment(town, case_id, n)
    result = checkpoint(town, key, batch=batch)
    assert (result.created, result.added, result.tree_size) == (True, sizes[-1], sizes[-1])
    assert [cp.tree_size for cp in checkpoints(town)] == sizes
    assert result.root == checkpoints(town)[-1].root
    assert_well_formed_log(town, key)
    assert verified(town).checkpoints == len(sizes)


def test_nothing_new_makes_no_checkpoint(town: Runtime, key: Path) -> None:
    empty = checkpoint(town, key)
    assert (empty.created, empty.added, empty.tree_size, empty.root) == (False, 0, 0, EMPTY_ROOT.hex())
    assert checkpoints(town) == []
    new_case(town)
    first = checkpoint(town, key)
    assert first.created and first.tree_size == 1
    again = checkpoint(town, key)
    assert (again.created, again.added, again.tree_size, again.root) == (False, 0, 1, first.root)
    assert [cp.tree_size for cp in checkpoints(town)] == [1]
    assert len(leaves(town)) == 1


def test_second_checkpoint_links_to_and_extends_the_first(town: Runtime, key: Path) -> None:
    case_id = new_case(town, comments=True)
    first = checkpoint(town, key)
    old_leaves = [(leaf.log_index, leaf.event_id, leaf.event_hash) for leaf in leaves(town)]
    for n in range(4):
        comment(town, case_id, n)
    new_case(town)
    second = checkpoint(town, key)
    assert (first.tree_size, second.tree_size, second.added) == (3, 8, 5)
    one, two = checkpoints(town)
    assert two.prev_checkpoint == checkpoint_hash(checkpoint_record(one))
    hashes = leaf_hashes(town)
    assert [(leaf.log_index, leaf.event_id, leaf.event_hash) for leaf in leaves(town)][:3] == old_leaves
    proof = consistency_proof(hashes, 3, 8)
    assert verify_consistency(3, 8, bytes.fromhex(one.root), bytes.fromhex(two.root), proof)
    # the same proof does not vouch for another old root, another size, or a corrupted node
    assert not verify_consistency(3, 8, bytes.fromhex(two.root), bytes.fromhex(two.root), proof)
    assert not verify_consistency(2, 8, bytes.fromhex(one.root), bytes.fromhex(two.root), proof)
    assert not verify_consistency(3, 8, bytes.fromhex(one.root), bytes.fromhex(two.root),
                                  [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]])
    assert_well_formed_log(town, key)


def test_inclusion_proof_of_every_event_against_the_latest_root(town: Runtime, key: Path) -> None:
    case_id = new_case(town, comments=True)
    checkpoint(town, key)
    for n in range(3):
        comment(town, case_id, n)
    latest = checkpoint(town, key)
    root = bytes.fromhex(latest.root)
    hashes = leaf_hashes(town)
    index_of = {leaf.event_id: leaf.log_index for leaf in leaves(town)}
    for event in events(town):
        i = index_of[event.id]
        proof = inclusion_proof(hashes, i, latest.tree_size)
        assert verify_inclusion(leaf_hash(event.hash), i, latest.tree_size, proof, root), (event.case_id, event.seq)
        assert not verify_inclusion(leaf_hash(event.hash), i ^ 1, latest.tree_size, proof, root)
        assert not verify_inclusion(leaf_hash(event.prev), i, latest.tree_size, proof, root)


# ----------------------------------------------------------------------------------------------- concurrency


def test_checkpointers_running_with_writers_skip_no_event_and_anchor_none_twice(town: Runtime, key: Path) -> None:
    cases = [new_case(town, comments=True) for _ in range(3)]
    done = threading.Event()
    errors: list[BaseException] = []
    rounds: list[int] = []

    def writer(case_id: str) -> None:
        try:
            for n in range(6):
                comment(town, case_id, n)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)

    def integrator() -> None:
        try:
            while not done.is_set():
                result = checkpoint(town, key, batch=4)
                if result.created:
                    rounds.append(result.tree_size)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    integrators = [threading.Thread(target=integrator) for _ in range(2)]
    writers = [threading.Thread(target=writer, args=(c,)) for c in cases]
    for t in integrators + writers:
        t.start()
    for t in writers:
        t.join(60)
    done.set()
    for t in integrators:
        t.join(60)
    assert not errors, errors
    assert not any(t.is_alive() for t in integrators + writers)
    final = checkpoint(town, key)  # whatever the last rounds missed
    assert len(events(town)) == 3 * 3 + 3 * 6
    assert_well_formed_log(town, key)
    report = verified(town)
    assert report.unanchored_events == 0 and report.leaves == 27
    # every call's checkpoint is in the one linked sequence (assert_well_formed_log: strictly growing sizes,
    # each linked to and consistent with the one before): no integrator signed a fork of its own
    sizes = [cp.tree_size for cp in checkpoints(town)]
    assert rounds and set(rounds) | {final.tree_size} <= set(sizes) and sizes[-1] == 27


def test_event_committed_after_a_later_id_is_not_skipped(town: Runtime, key: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """ids become visible in commit order, not id order (audit-design §2.3): an integrator that resumed from
    'id > last anchored id' would skip the slow writer's event for ever."""
    if town.database_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time: a later id cannot commit before an earlier one")
    from workflow import engine as eng

    slow, fast = new_case(town, comments=True), new_case(town, comments=True)
    flushed, release = threading.Event(), threading.Event()
    original = eng.append_event

    def append_then_wait(session: Any, head: Any, **kw: Any) -> Any:
        row = original(session, head, **kw)
        if head.id == slow:  # the event is INSERTed, so its id is taken; the commit waits
            flushed.set()
            release.wait(30)
        return row

    monkeypatch.setattr(eng, "append_event", append_then_wait)
    thread = threading.Thread(target=comment, args=(town, slow, 1))
    thread.start()
    try:
        assert flushed.wait(30)
        comment(town, fast, 2)
        first = checkpoint(town, key)
    finally:
        release.set()
        thread.join(30)
    late = next(e for e in events(town) if e.case_id == slow and e.seq == 4)
    early = next(e for e in events(town) if e.case_id == fast and e.seq == 4)
    assert late.id < early.id  # the slow writer took the smaller id and committed last
    assert first.tree_size == 7 and late.id not in {leaf.event_id for leaf in leaves(town)}
    assert checkpoint(town, key).tree_size == 8
    assert_well_formed_log(town, key)
    verified(town)


# ----------------------------------------------------------------------------------------------- refusals


@contextmanager
def owner_sql(owner_url: str, table: str) -> Iterator[Connection]:
    """The table owner (a DBA) with the append-only trigger of `table` out of the way."""
    engine = create_engine(owner_url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                for name in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                              "AND tbl_name = :t"), {"t": table}).scalars().all():
                    conn.exec_driver_sql(f"DROP TRIGGER {name}")
            else:
                conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
            yield conn
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_append_only")
    finally:
        engine.dispose()


def _leaf_deleted(conn: Connection) -> None:
    conn.execute(text("DELETE FROM audit_leaf WHERE log_index = 1"))


def _leaf_added(conn: Connection) -> None:
    event_id = conn.execute(text("SELECT max(id) FROM audit_event")).scalar_one()
    row = conn.execute(text("SELECT case_id, seq, hash FROM audit_event WHERE id = :i"), {"i": event_id}).one()
    conn.execute(text("INSERT INTO audit_leaf (log_index, event_id, case_id, seq, event_hash) "
                      "VALUES (3, :i, :c, :s, :h)"), {"i": event_id, "c": row.case_id, "s": row.seq, "h": row.hash})


def _root_changed(conn: Connection) -> None:
    conn.execute(text("UPDATE audit_checkpoint SET root = :r"), {"r": "ab" * 32})


def _compact_range_changed(conn: Connection) -> None:
    conn.execute(text("UPDATE audit_checkpoint SET compact_range = :c"), {"c": json.dumps(["cd" * 32] * 2)})


def _compact_range_unreadable(conn: Connection) -> None:
    conn.execute(text("UPDATE audit_checkpoint SET compact_range = '[]'"))


# damage -> (table, change, the integrator's refusal, whether `verify` sees it too). The compact range is the
# integrator's working state, not evidence: verify does not read it, the integrator must.
INCONSISTENT = {
    "leaf_deleted": ("audit_leaf", _leaf_deleted, "the log holds 2 leaves but the last checkpoint covers 3", True),
    "leaf_added": ("audit_leaf", _leaf_added, "the log holds 4 leaves but the last checkpoint covers 3", False),
    "root_changed": ("audit_checkpoint", _root_changed, "stored compact range does not match checkpoint 3", True),
    "compact_range_changed": ("audit_checkpoint", _compact_range_changed,
                              "stored compact range does not match checkpoint 3", False),
    "compact_range_unreadable": ("audit_checkpoint", _compact_range_unreadable,
                                 "compact range of checkpoint 3 is unreadable", False),
}


def test_integrator_refuses_to_sign_over_an_inconsistent_log(town: Runtime, key: Path, owner_url: str) -> None:
    """Each damage in turn (one database, repaired after each): the integrator refuses and writes nothing;
    once repaired it signs again, so each refusal is owed to its damage."""
    case_id = new_case(town, comments=True)
    checkpoint(town, key)
    comment(town, case_id, 1)  # something new that it would otherwise anchor

    def state() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        return ([(x.log_index, x.event_id, x.event_hash) for x in leaves(town)],
                [(c.tree_size, c.root, c.compact_range, c.signature) for c in checkpoints(town)])

    for damage, (table, change, message, verify_sees_it) in INCONSISTENT.items():
        with owner_sql(owner_url, table) as conn:
            saved = [dict(r) for r in conn.execute(text(f"SELECT * FROM {table}")).mappings()]
            change(conn)
        before = state()
        with pytest.raises(CheckpointError, match=f"{message}.*refusing to sign"):
            checkpoint(town, key)
        assert state() == before, damage  # nothing written
        assert verify_database(town.sessions, town.origin, STAMP).ok is not verify_sees_it, damage
        with owner_sql(owner_url, table) as conn:  # the DBA puts the rows back
            conn.execute(text(f"DELETE FROM {table}"))
            for row in saved:
                conn.execute(text(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"),
                             row)
    assert checkpoint(town, key).tree_size == 4
    assert_well_formed_log(town, key)
    verified(town)


def test_missing_or_unreadable_key_file_is_named(town: Runtime, tmp_path: Path) -> None:
    new_case(town)
    missing = tmp_path / "no-such-dir" / "audit-signing.key"
    with pytest.raises(CheckpointError, match=f"no signing key at {missing}"):
        checkpoint(town, missing)
    garbage = tmp_path / "garbage.key"
    garbage.write_text("not a key\n")
    with pytest.raises(CheckpointError, match=f"{garbage}: not a readable private key"):
        checkpoint(town, garbage)
    assert leaves(town) == [] and checkpoints(town) == []


def test_cli_checkpoint_without_a_key_is_one_clear_line(town: Runtime, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from workflow.cli import main

    new_case(town)
    missing = tmp_path / "keys" / "audit-signing.key"
    monkeypatch.setenv("LAWFLOW_DATABASE_URL", town.database_url)
    monkeypatch.setenv("LAWFLOW_INSTANCE", str(town.instance))
    monkeypatch.setenv("LAWFLOW_AUDIT_KEY", str(missing))
    monkeypatch.setattr(sys, "argv", ["lawflow", "audit", "checkpoint"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    out, err = capsys.readouterr()
    assert exit_info.value.code == 1
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("错误 error: 签名密钥不存在 / no signing key at") and str(missing) in err
    assert checkpoints(town) == []


# ----------------------------------------------------------------------------------------------- crashes

CRASH = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from sqlalchemy import event, func, select
    from sqlalchemy.orm import Session
    from workflow.audit.checkpoint import make_checkpoint
    from workflow.clock import FixedClock
    from workflow.models import AuditCheckpoint, AuditLeaf
    from workflow.runtime import Runtime

    url, key, crash_at = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    commits = 0

    @event.listens_for(Session, "before_commit")
    def crash(session):
        global commits
        commits += 1
        if commits == crash_at:
            session.flush()  # the round's leaves, key and checkpoint rows are in the database, uncommitted
            leaves = session.scalar(select(func.count()).select_from(AuditLeaf))
            signed = session.scalar(select(func.count()).select_from(AuditCheckpoint))
            print(leaves, signed, flush=True)
            os._exit(9)

    rt = Runtime(instance=key.parent, database_url=url, key_path=key, clock=FixedClock())
    make_checkpoint(rt.sessions, key, rt.origin, rt.clock, batch=2)
""")


@pytest.mark.parametrize("crash_at", [1, 2])
def test_crash_in_the_middle_of_a_checkpoint_leaves_the_log_consistent(town: Runtime, key: Path,
                                                                       crash_at: int) -> None:
    case_id = new_case(town, comments=True)
    assert checkpoint(town, key).tree_size == 3
    for n in range(4):
        comment(town, case_id, n)
    run = subprocess.run([sys.executable, "-c", CRASH, town.database_url, str(key), str(crash_at)],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 9, run.stdout + run.stderr
    # rounds of 2 leaves: the crashing round had inserted its 2 leaves and its checkpoint row
    anchored_before_crash = 3 + 2 * (crash_at - 1)
    assert run.stdout.split() == [str(anchored_before_crash + 2), str(crash_at + 1)]
    assert len(leaves(town)) == anchored_before_crash  # the crashed round left nothing behind
    assert [cp.tree_size for cp in checkpoints(town)] == [3, 5][:crash_at]
    report = verified(town)
    assert report.unanchored_events == 7 - anchored_before_crash
    result = checkpoint(town, key)
    assert result.created and result.tree_size == 7
    assert_well_formed_log(town, key)
    assert verified(town).unanchored_events == 0
    with town.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AuditKey)) == 1
