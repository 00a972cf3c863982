"""The records store against the audit trail after a crash (`lawflow records check [--sweep]`), and the
order of fire()'s steps that keeps a crash from leaving a stored file no event names.

A process is really killed (os._exit, which runs no cleanup, like SIGKILL) right after the file was moved
into the store and before the commit, and while a file was half received: the check lists what is left, the
sweep deletes it, and nothing recorded is ever touched. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.test_records import PDF, TEXT, _investigating
from workflow import records_check, store
from workflow.models import Case
from workflow.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent




def _events(town: Runtime, case_id: str) -> int:
    with town.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case.audit_seq


def test_the_file_moves_into_the_store_last_so_a_failure_before_the_commit_leaves_nothing(
        town: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every row is written before the file moves: a failure while writing them leaves no stored file."""
    case_id = _investigating(town)
    moved_after: list[bool] = []
    original = town.records.commit
    written = {"case": False}
    save_case = store.save_case

    def save(*args: object, **kwargs: object) -> None:
        save_case(*args, **kwargs)  # type: ignore[arg-type]
        written["case"] = True

    def commit(staged):  # type: ignore[no-untyped-def]
        moved_after.append(written["case"])
        return original(staged)

    monkeypatch.setattr(store, "save_case", save)
    monkeypatch.setattr(town.records, "commit", commit)
    assert town.engine.fire(case_id, "attach_record", "wanghai", TEXT, attachment=town.records.stage_bytes(PDF)).ok
    assert moved_after == [True]


KILL_AFTER_MOVE = textwrap.dedent("""
    import os, sys
    from workflow.records import RecordStore
    from workflow.runtime import Runtime
    original = RecordStore.commit
    def commit(self, staged):
        stored = original(self, staged)
        os._exit(9)  # killed: the file is in the store, the transaction never commits
    RecordStore.commit = commit
    rt = Runtime.from_env()
    rt.engine.fire(sys.argv[1], "attach_record", "wanghai", {KIND}, attachment=rt.records.stage_bytes({DATA}))
""")

KILL_WHILE_RECEIVING = textwrap.dedent("""
    import os
    from workflow.runtime import Runtime
    def chunks():
        yield b"%PDF-1.7 half of a file"
        os._exit(9)  # killed while the upload streams in
    Runtime.from_env().records.stage(chunks(), "询问笔录.pdf")
""")


def test_a_kill_leaves_an_orphan_and_a_partial_upload_that_the_check_lists_and_the_sweep_removes(
        town: Runtime, lawflow) -> None:
    case_id = _investigating(town)
    assert town.engine.fire(case_id, "attach_record", "wanghai", TEXT, attachment=town.records.stage_bytes(PDF)).ok
    recorded = town.records.path_of(hashlib.sha256(PDF).hexdigest())
    before = _events(town, case_id)
    orphan_data = PDF + b"% never recorded: personal data\n"
    script = KILL_AFTER_MOVE.replace("{KIND}", repr(TEXT)).replace("{DATA}", repr(orphan_data))
    killed = subprocess.run([sys.executable, "-c", script, case_id], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "LAWFLOW_DATABASE_URL": town.database_url,
                                 "LAWFLOW_INSTANCE": str(town.instance)})
    assert killed.returncode == 9, killed.stderr
    assert lawflow.python("-c", KILL_WHILE_RECEIVING).returncode == 9
    orphan = town.records.path_of(hashlib.sha256(orphan_data).hexdigest())
    assert orphan.is_file() and _events(town, case_id) == before  # nothing of the attempt was committed
    partial = list((town.records.root / "tmp").iterdir())
    assert len(partial) == 1

    # Young files may belong to steps in flight: listed, never deleted.
    young = lawflow("records", "check", "--sweep")
    assert young.returncode == 0, young.stdout + young.stderr
    assert orphan.is_file() and partial[0].is_file()
    assert "recent" in young.stdout and orphan.name in young.stdout

    report = records_check.check(town.sessions, town.records, now=time.time() + 2 * 3600)
    assert [o.path for o in report.orphans] == [orphan]
    assert [t.path for t in report.temporary] == partial
    assert report.broken == [] and report.named == 1 and not report.clean

    listed = lawflow("records", "check", "--older-than", "0")
    assert listed.returncode == 1 and orphan.name in listed.stdout and partial[0].name in listed.stdout
    assert orphan.is_file()  # without --sweep nothing is deleted
    swept = lawflow("records", "check", "--sweep", "--older-than", "0")
    assert swept.returncode == 0, swept.stdout + swept.stderr
    assert not orphan.exists() and not partial[0].exists()
    assert recorded.read_bytes() == PDF  # the recorded file is untouched
    assert lawflow("audit", "verify").returncode == 0


def test_a_missing_or_altered_file_is_reported_and_never_swept(town: Runtime, lawflow) -> None:
    case_id = _investigating(town)
    other = PDF + b"% the second record\n"
    for data in (PDF, other):
        assert town.engine.fire(case_id, "attach_record", "wanghai", TEXT,
                                attachment=town.records.stage_bytes(data)).ok
    missing = town.records.path_of(hashlib.sha256(PDF).hexdigest())
    missing.unlink()
    altered = town.records.path_of(hashlib.sha256(other).hexdigest())
    altered.chmod(0o644)
    altered.write_bytes(other.replace(b"second", b"SECOND"))

    report = records_check.check(town.sessions, town.records)
    assert {(b.case_id, b.sha256) for b in report.broken} == {
        (case_id, hashlib.sha256(PDF).hexdigest()), (case_id, hashlib.sha256(other).hexdigest())}
    assert report.orphans == [] and not report.clean
    swept = lawflow("records", "check", "--sweep", "--older-than", "0")
    assert swept.returncode == 1
    assert "is missing" in swept.stderr and "was altered" in swept.stderr and case_id in swept.stderr
    assert altered.is_file()  # evidence gone wrong is reported, not deleted


def test_an_empty_store_is_consistent(town: Runtime, lawflow) -> None:
    result = lawflow("records", "check")
    assert result.returncode == 0 and "记录存储完好" in result.stdout
