"""The records store against the audit trail after a crash (`lawflow records check [--sweep]`), and the
order of fire()'s steps that keeps a crash from leaving a stored file no event names, or an event without its
file (workflow/records.py: stage, commit the event, then move the file; roll forward what a dead process left).

A process is really killed (os._exit, which runs no cleanup, like SIGKILL) while a file is received, after it
was staged but before the commit, and after the commit but before the move: the next check rolls forward —
the recorded file is moved into place, the rest deleted — and nothing of a live process is ever touched. On
SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.test_records import PDF, TEXT, _investigating
from workflow import records_check
from workflow.models import AuditEvent, Case
from workflow.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent


def _events(town: Runtime, case_id: str) -> int:
    with town.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case.audit_seq


def _staged_files(town: Runtime) -> list[Path]:
    staging = town.records.staging
    return sorted(p for p in staging.rglob("*") if p.is_file()) if staging.exists() else []


def _env(town: Runtime) -> dict[str, str]:
    return {**os.environ, "LAWFLOW_DATABASE_URL": town.database_url, "LAWFLOW_INSTANCE": str(town.instance)}


def _killed(town: Runtime, script: str, *args: str) -> None:
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=ROOT,
                          env=_env(town), timeout=120)
    assert done.returncode == 9, done.stderr


def test_the_file_moves_into_the_store_only_after_its_event_has_committed(
        town: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Until the commit the file waits in the process's staging folder; it is moved once the event is there."""
    case_id = _investigating(town)
    sha = hashlib.sha256(PDF).hexdigest()
    seen: list[tuple[bool, bool]] = []
    original = town.records.publish

    def publish(staged):  # type: ignore[no-untyped-def]
        with town.sessions() as s:  # another connection: sees only what has committed
            committed = s.query(AuditEvent).filter_by(case_id=case_id, kind="record_attached").count() == 1
        seen.append((committed, town.records.path_of(sha).exists()))
        return original(staged)

    monkeypatch.setattr(town.records, "publish", publish)
    assert town.engine.fire(case_id, "attach_record", "wanghai", TEXT, attachment=town.records.stage_bytes(PDF)).ok
    assert seen == [(True, False)]
    assert town.records.path_of(sha).read_bytes() == PDF and _staged_files(town) == []


KILL_BEFORE_COMMIT = textwrap.dedent("""
    import os, sys
    from workflow import store
    from workflow.runtime import Runtime
    save_case = store.save_case
    def save(*args, **kwargs):
        save_case(*args, **kwargs)
        os._exit(9)  # killed inside the transaction: the file is staged, the event never commits
    store.save_case = save
    rt = Runtime.from_env()
    rt.engine.fire(sys.argv[1], "attach_record", "wanghai", {KIND}, attachment=rt.records.stage_bytes({DATA}))
""")

KILL_AFTER_COMMIT = textwrap.dedent("""
    import os, sys
    from workflow.records import RecordStore
    from workflow.runtime import Runtime
    def publish(self, staged):
        os._exit(9)  # killed after the commit, before the file was moved into place
    RecordStore.publish = publish
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


def _script(template: str, data: bytes) -> str:
    return template.replace("{KIND}", repr(TEXT)).replace("{DATA}", repr(data))


def test_a_kill_at_any_moment_is_rolled_forward_to_exactly_the_recorded_files(town: Runtime, lawflow) -> None:
    """Each process's first upload rolls forward what dead processes left, and so does `records check`."""
    case_id = _investigating(town)
    never = PDF + b"% never recorded: personal data\n"
    recorded = PDF + b"% recorded, then the process died\n"
    never_at = town.records.path_of(hashlib.sha256(never).hexdigest())
    recorded_at = town.records.path_of(hashlib.sha256(recorded).hexdigest())

    _killed(town, _script(KILL_BEFORE_COMMIT, never), case_id)
    assert _events(town, case_id) == 2  # nothing of the attempt was committed
    assert [p.name[:64] for p in _staged_files(town)] == [never_at.name]
    assert not town.records.objects.exists()  # nothing enters the store before its event

    _killed(town, _script(KILL_AFTER_COMMIT, recorded), case_id)  # its first upload settled the first kill
    assert _events(town, case_id) == 3  # the step was committed: its event names the staged file
    assert [p.name[:64] for p in _staged_files(town)] == [recorded_at.name] and not never_at.exists()

    _killed(town, KILL_WHILE_RECEIVING)  # its first upload moved the recorded file into place
    assert recorded_at.read_bytes() == recorded and recorded_at.stat().st_mode & 0o777 == 0o400
    assert [p.name[:7] for p in _staged_files(town)] == ["upload-"]

    result = lawflow("records", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "移入 moved 0, 删除 deleted 1" in result.stdout, result.stdout
    assert list(town.records.staging.iterdir()) == []  # every dead process's folder is gone
    assert [p for p in town.records.objects.rglob("*") if p.is_file()] == [recorded_at]  # no orphan, none missing
    assert lawflow("audit", "verify").returncode == 0


def test_a_reader_serves_a_recorded_file_still_staged(town: Runtime) -> None:
    """An event whose file its (dead, or not yet quick enough) writer did not move: the reader moves it."""
    case_id = _investigating(town)
    _killed(town, _script(KILL_AFTER_COMMIT, PDF), case_id)
    sha = hashlib.sha256(PDF).hexdigest()
    assert not town.records.path_of(sha).exists()
    assert town.records.find(sha).read_bytes() == PDF
    assert town.records.check(sha, len(PDF)) is None
    unrecorded = hashlib.sha256(b"no event names this").hexdigest()
    assert not town.records.find(unrecorded).exists()


HOLD_STAGED = textwrap.dedent("""
    import sys
    from workflow.runtime import Runtime
    staged = Runtime.from_env().records.stage_bytes({DATA})
    print(staged.path, flush=True)
    sys.stdin.read()  # a live writer: its step is still in flight
""")


def test_a_live_writers_staged_file_is_left_alone_and_deleted_once_the_writer_is_gone(town: Runtime) -> None:
    data = PDF + b"% in flight\n"
    writer = subprocess.Popen([sys.executable, "-c", HOLD_STAGED.replace("{DATA}", repr(data))], cwd=ROOT,
                              env=_env(town), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        staged = Path(writer.stdout.readline().strip())  # type: ignore[union-attr]
        assert staged.read_bytes() == data
        mine = town.records.stage_bytes(PDF)  # this process is a live writer too
        report = records_check.check(town.sessions, town.records, min_age=0)
        assert staged.is_file() and mine.path.is_file()  # however old: a live process may still commit them
        assert report.recovery.live == 2 and report.recovery.discarded == 0 and report.clean
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    report = records_check.check(town.sessions, town.records, min_age=0)
    assert not staged.exists() and not staged.parent.exists() and mine.path.is_file()
    assert (report.recovery.discarded, report.recovery.folders, report.recovery.live) == (1, 1, 1)
    mine.discard()


def test_orphans_and_uploads_left_by_earlier_versions_are_listed_and_swept_once_old(town: Runtime, lawflow) -> None:
    """Before the roll-forward, a file was moved into the store before the commit, and uploads were received
    in records/tmp: such files are listed; the sweep deletes them once older than its bound."""
    case_id = _investigating(town)
    assert town.engine.fire(case_id, "attach_record", "wanghai", TEXT, attachment=town.records.stage_bytes(PDF)).ok
    recorded = town.records.path_of(hashlib.sha256(PDF).hexdigest())
    orphan_data = PDF + b"% never recorded: personal data\n"
    orphan = town.records.path_of(hashlib.sha256(orphan_data).hexdigest())
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(orphan_data)
    (town.records.root / "tmp").mkdir()
    partial = town.records.root / "tmp" / "upload-0123456789abcdef"
    partial.write_bytes(b"%PDF-1.7 half of a file")

    # Young files may belong to steps in flight: listed, never deleted.
    young = lawflow("records", "check", "--sweep")
    assert young.returncode == 0, young.stdout + young.stderr
    assert orphan.is_file() and partial.is_file()
    assert "recent" in young.stdout and orphan.name in young.stdout

    report = records_check.check(town.sessions, town.records, now=time.time() + 2 * 3600)
    assert [o.path for o in report.orphans] == [orphan]
    assert [t.path for t in report.temporary] == [partial]
    assert report.broken == [] and report.named == 1 and not report.clean

    listed = lawflow("records", "check", "--older-than", "0")
    assert listed.returncode == 1 and orphan.name in listed.stdout and partial.name in listed.stdout
    assert orphan.is_file()  # without --sweep nothing is deleted
    swept = lawflow("records", "check", "--sweep", "--older-than", "0")
    assert swept.returncode == 0, swept.stdout + swept.stderr
    assert not orphan.exists() and not partial.exists()
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


def test_a_dead_processs_folder_waits_while_the_database_may_still_commit_for_it(town: Runtime) -> None:
    """PostgreSQL carries out a killed client's last COMMIT on its own: until no server session of that
    process remains, its staged files are not judged (a file deleted then might be named a moment later)."""
    _killed(town, KILL_WHILE_RECEIVING)
    [left] = _staged_files(town)
    pid = int(left.parent.name.partition("-")[0])
    waiting = town.records.roll_forward(records_check.recorded_in(town.sessions), lambda p: p == pid)
    assert left.is_file() and (waiting.live, waiting.partial) == (1, 0)
    done = town.records.roll_forward(records_check.recorded_in(town.sessions), lambda p: False)
    assert not left.exists() and (done.partial, done.folders) == (1, 1)


def test_the_server_sessions_of_a_process_are_found_by_its_pid(town: Runtime) -> None:
    remaining = records_check.server_sessions(town.sessions)
    with town.sessions() as s:
        s.execute(select(Case.id)).all()  # a connection of this process is open
        assert remaining(os.getpid()) is town.database_url.startswith("postgresql")
    assert remaining(2**22 + 1) is False  # beyond Linux's pid_max: no process has it
