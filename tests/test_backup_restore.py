"""The restore drill, on SQLite and PostgreSQL: an instance serving (the web app answering, cases opened and
evidence attached from another thread) is backed up, keeps working, is destroyed, and is restored into an empty
target that verifies. A tampered backup, a non-empty target and a backup that does not verify are refused
and leave the target empty; an older backup is detected against the checkpoints witnessed outside the
database, and case numbers are never issued twice after it is accepted (docs/operations.md)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from tests.conftest import PG_OWNER_URL, _pg_admin, _pg_url
from tests.test_case_numbers import PROPOSAL
from tests.test_records import PDF, TEXT, _investigating
from workflow.audit.checkpoint import make_checkpoint
from workflow.backup import MANIFEST, make_backup
from workflow.case_number_hold import ADVANCED_KIND, HELD_KIND
from workflow.models import SYSTEM_JOURNAL_ID, AuditEvent, Case
from workflow.restore import EXIT_MANIFEST, EXIT_ROLLBACK, EXIT_TARGET, EXIT_VERIFY, RestoreError, restore
from workflow.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def town(town: Runtime, tmp_path: Path) -> Runtime:
    """Houlong town, its signing key (and so its witness folder) kept outside the instance, as an operator would."""
    from workflow.audit import signing

    town.key_path = tmp_path / "custody" / "audit-signing.key"
    town.key_path.parent.mkdir(mode=0o700)
    signing.generate_key_file(town.key_path)
    return town


@pytest.fixture
def owner(database_url: str) -> str | None:
    """The table owner's URL of the instance's database (pg_dump), None on SQLite."""
    if not database_url.startswith("postgresql"):
        return None
    return _pg_url(PG_OWNER_URL or "", urlsplit(database_url).path.lstrip("/"))


class Empty:
    """An empty target instance (a new folder; on PostgreSQL a new database nobody migrated)."""

    def __init__(self, town: Runtime, tmp_path: Path, name: str):
        self.instance = tmp_path / name
        self.pg_name: str | None = None
        if town.database_url.startswith("postgresql"):
            self.pg_name = f"{urlsplit(town.database_url).path.lstrip('/')}_{name}"
            _pg_admin(f"CREATE DATABASE {self.pg_name} OWNER lawflow_owner")
            url = _pg_url(town.database_url, self.pg_name)
            self.owner_url: str | None = _pg_url(PG_OWNER_URL or "", self.pg_name)
        else:
            url = f"sqlite:///{self.instance / 'lawflow.sqlite3'}"
            self.owner_url = None
        # The signing key and its witness stay where they were: they live outside the instance's data.
        self.rt = replace(town, instance=self.instance, database_url=url)
        for cached in ("db", "sessions", "records", "engine"):
            self.rt.__dict__.pop(cached, None)

    def is_empty(self) -> bool:
        records = self.rt.records.root
        if records.exists() and any(p.is_file() for p in records.rglob("*")):
            return False
        if self.pg_name is None:
            db = self.instance / "lawflow.sqlite3"
            return not db.exists() and not any(self.instance.glob(".lawflow.sqlite3.restoring*"))
        import psycopg

        from workflow.backup import libpq_uri

        with psycopg.connect(libpq_uri(self.owner_url or "")) as conn:
            return conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0] == 0

    def close(self) -> None:
        self.rt.db.dispose()
        if self.pg_name is not None:
            _pg_admin(f"DROP DATABASE IF EXISTS {self.pg_name} WITH (FORCE)")


@pytest.fixture
def empty(town: Runtime, tmp_path: Path) -> Iterator[Empty]:
    target = Empty(town, tmp_path, "restored")
    yield target
    target.close()


def cli(rt: Runtime, *args: str, owner_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LAWFLOW_DATABASE_URL": rt.database_url, "LAWFLOW_INSTANCE": str(rt.instance),
           "LAWFLOW_SIGNING_KEY_FILE": str(rt.key_path)}
    env.pop("LAWFLOW_AUDIT_KEY", None)
    if owner_url:
        env["LAWFLOW_DATABASE_OWNER_URL"] = owner_url
    result = subprocess.run([sys.executable, "-m", "workflow", *args], capture_output=True, text=True, env=env,
                            cwd=ROOT, timeout=300)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def _open(rt: Runtime) -> str:
    outcome = rt.engine.create_case("major_decision", "zhangwei", PROPOSAL)
    assert outcome.ok, outcome.reasons
    return outcome.case_id


def _with_evidence(town: Runtime) -> str:
    case_id = _investigating(town)
    assert town.engine.fire(case_id, "attach_record", "wanghai", TEXT, attachment=town.records.stage_bytes(PDF)).ok
    return case_id


def _checkpoint(rt: Runtime) -> None:
    make_checkpoint(rt.sessions, rt.key_path, rt.origin, rt.clock, witness=rt.witness_path)


def _count(rt: Runtime, model: type) -> int:
    with rt.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_restore_drill_backup_while_serving_destroy_restore_verify(town: Runtime, owner: str | None,
                                                                    tmp_path: Path) -> None:
    from web import create_app

    _with_evidence(town)
    _open(town)
    _checkpoint(town)
    app = create_app(town, {"TESTING": True, "SECRET_KEY": "drill-secret"})
    client = app.test_client()
    stop = threading.Event()
    served: list[int] = []
    opened: list[str] = []

    def serve() -> None:  # the instance keeps working while it is backed up
        while not stop.is_set():
            served.append(client.get("/healthz").status_code)
            opened.append(_open(town))
            _with_evidence(town)

    worker = threading.Thread(target=serve)
    worker.start()
    try:
        while len(opened) < 2:
            stop.wait(0.05)
        manifest = make_backup(town, tmp_path / "backup", owner_url=owner).data
    finally:
        stop.set()
        worker.join()
    assert served and set(served) == {200}
    _open(town)  # work after the backup: lost with the instance, as the drill expects
    assert manifest["events"] < _count(town, AuditEvent)
    assert manifest["private_key_included"] is False and not list((tmp_path / "backup" / "keys").glob("PRIVATE*"))

    # destroy: the database and the records store are gone
    town.db.dispose()
    if owner is None:
        db = Path(town.database_url.removeprefix("sqlite:///"))
        for path in db.parent.glob(f"{db.name}*"):
            path.unlink()
    else:
        pg_name = urlsplit(town.database_url).path.lstrip("/")  # the fixture drops it at the end
        _pg_admin(f"DROP DATABASE {pg_name} WITH (FORCE)")
        _pg_admin(f"CREATE DATABASE {pg_name} OWNER lawflow_owner")
    for path in sorted(town.records.root.rglob("*"), reverse=True):
        path.chmod(0o700)
        path.unlink() if path.is_file() else path.rmdir()

    result = cli(town, "restore", str(tmp_path / "backup"), owner_url=owner)
    assert result.returncode == 0, result.stderr
    assert "restored and verified" in result.stdout
    assert _count(town, AuditEvent) == manifest["events"] and _count(town, Case) == manifest["cases"]
    verified = cli(town, "audit", "verify", "--quiet", "--witness", str(town.witness_path))
    assert verified.returncode == 0, verified.stderr
    assert cli(town, "records", "check").returncode == 0
    _open(town)  # the restored instance works: numbering continues after the backup's counters


def test_a_tampered_backup_is_refused_and_nothing_is_written(town: Runtime, owner: str | None, empty: Empty,
                                                             tmp_path: Path) -> None:
    _with_evidence(town)
    _checkpoint(town)
    backup = tmp_path / "backup"
    make_backup(town, backup, owner_url=owner)
    evidence = next(p for p in (backup / "records").rglob("*") if p.is_file())
    evidence.write_bytes(evidence.read_bytes() + b"% appended\n")
    result = cli(empty.rt, "restore", str(backup), owner_url=empty.owner_url)
    assert result.returncode == EXIT_MANIFEST, result.stderr
    assert "does not match its SHA-256" in result.stderr and evidence.name in result.stderr
    assert empty.is_empty()


def test_a_backup_that_does_not_verify_is_undone_and_the_target_left_empty(town: Runtime, owner: str | None,
                                                                           empty: Empty, tmp_path: Path) -> None:
    """An insider alters an evidence file and recomputes its line in the manifest: the manifest checks out, the
    audit trail does not (the event names the file's hash), and everything written is taken back."""
    _with_evidence(town)
    _checkpoint(town)
    backup = tmp_path / "backup"
    make_backup(town, backup, owner_url=owner)
    evidence = next(p for p in (backup / "records").rglob("*") if p.is_file())
    evidence.write_bytes(b"%PDF-1.7 forged\n")
    data = json.loads((backup / MANIFEST).read_text())
    rel = str(evidence.relative_to(backup))
    import hashlib

    data["files"][rel] = {"sha256": hashlib.sha256(evidence.read_bytes()).hexdigest(), "size": evidence.stat().st_size}
    (backup / MANIFEST).write_text(json.dumps(data))
    with pytest.raises(RestoreError) as refused:
        restore(empty.rt, backup, owner_url=empty.owner_url)
    assert refused.value.exit_code == EXIT_VERIFY and "does not verify" in str(refused.value)
    assert empty.is_empty()


def test_a_non_empty_target_is_refused_by_name(town: Runtime, owner: str | None, tmp_path: Path) -> None:
    _open(town)
    make_backup(town, tmp_path / "backup", owner_url=owner)
    before = _count(town, AuditEvent)
    result = cli(town, "restore", str(tmp_path / "backup"), owner_url=owner)
    assert result.returncode == EXIT_TARGET
    name = urlsplit(town.database_url).path.lstrip("/") if owner else town.database_url.removeprefix("sqlite:///")
    assert "is not empty" in result.stderr and name in result.stderr
    assert _count(town, AuditEvent) == before


def test_an_older_backup_is_detected_against_the_witness_and_numbers_are_never_reissued(
        town: Runtime, owner: str | None, empty: Empty, tmp_path: Path) -> None:
    first = _open(town)
    _checkpoint(town)
    old = tmp_path / "old"
    make_backup(town, old, owner_url=owner)
    issued = [_open(town), _open(town)]  # numbers on paper after the backup
    _checkpoint(town)  # ... and witnessed outside the database

    refused = cli(empty.rt, "restore", str(old), owner_url=empty.owner_url)
    assert refused.returncode == EXIT_ROLLBACK, refused.stderr
    leaves = json.loads((old / MANIFEST).read_text())["leaves"]
    assert f"ROLLBACK: the database ends at seq {leaves}, but checkpoint tree_size" in refused.stderr
    assert "--accept-rollback" in refused.stderr
    assert empty.is_empty()

    accepted = cli(empty.rt, "restore", str(old), "--accept-rollback", owner_url=empty.owner_url)
    assert accepted.returncode == 0, accepted.stderr
    assert "OLDER backup was restored" in accepted.stderr and "houlong" in accepted.stderr
    held = empty.rt.engine.create_case("major_decision", "zhangwei", PROPOSAL)  # refused, audited, no number
    assert not held.ok and held.codes == ["case_numbering_held"] and held.case_id is None
    # The retired witness still says what happened, loudly, to anyone who asks.
    retired = next((town.witness_path / "superseded").iterdir())
    loud = cli(empty.rt, "audit", "verify", "--quiet", "--witness", str(retired))
    assert loud.returncode == 4 and "ROLLBACK" in loud.stderr and "houlong/MD/" in loud.stderr

    advanced = cli(empty.rt, "case-numbers", "advance")
    assert advanced.returncode == 0, advanced.stderr
    new = _open(empty.rt)
    assert new not in [first, *issued] and int(new.rsplit("-", 1)[1]) == int(issued[-1].rsplit("-", 1)[1]) + 1
    with empty.rt.sessions() as s:
        kinds = list(s.scalars(select(AuditEvent.kind).where(AuditEvent.case_id == SYSTEM_JOURNAL_ID)
                               .order_by(AuditEvent.seq)))
    assert kinds[-3:] == [HELD_KIND, "refused", ADVANCED_KIND]
    assert cli(empty.rt, "audit", "verify", "--quiet").returncode == 0


def test_checkpoint_refuses_to_sign_a_log_inconsistent_with_its_witness(town: Runtime) -> None:
    from workflow.audit import witness
    from workflow.audit.checkpoint import CheckpointError

    _open(town)
    _checkpoint(town)
    last = town.witness_path / witness.LAST
    signed = json.loads(last.read_text())
    assert signed["tree_size"] == _count(town, AuditEvent) and signed["case_numbers"]
    _open(town)
    for change, words in (({"tree_size": signed["tree_size"] + 50}, "ROLLBACK"), ({"root": "0" * 64}, "FORK")):
        last.write_text(json.dumps({**signed, **change}))
        with pytest.raises(CheckpointError) as refused:
            _checkpoint(town)
        assert "refusing to sign" in str(refused.value) and words in str(refused.value)
    last.write_text(json.dumps(signed))
    _checkpoint(town)  # consistent again: signed and witnessed
    assert json.loads(last.read_text())["tree_size"] == _count(town, AuditEvent)


def test_the_private_key_is_copied_only_when_asked_and_then_loudly(town: Runtime, owner: str | None,
                                                                  tmp_path: Path) -> None:
    _open(town)
    _checkpoint(town)
    result = cli(town, "backup", str(tmp_path / "with-key"), "--include-private-key", owner_url=owner)
    assert result.returncode == 0, result.stderr
    assert "PRIVATE CHECKPOINT SIGNING KEY" in result.stderr
    manifest = json.loads((tmp_path / "with-key" / MANIFEST).read_text())
    assert manifest["private_key_included"] is True and "PRIVATE" in manifest["warning"]
    assert (tmp_path / "with-key" / "keys" / "PRIVATE-audit-signing.key").read_bytes() == town.key_path.read_bytes()
    plain = tmp_path / "plain"
    make_backup(town, plain, owner_url=owner)
    assert not list(plain.rglob("*PRIVATE*"))
    assert list((plain / "keys").glob("*.pub.pem"))
    if owner is None:  # the copy is one self-contained SQLite file
        with sqlite3.connect(plain / "database" / "lawflow.sqlite3") as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
