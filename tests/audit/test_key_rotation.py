"""Rotating the checkpoint signing key (docs/operations.md, "Key custody"): the key chain in the system journal.

A rotation is recorded in SYS signed by the old key and the new one; every checkpoint must be signed by the
key in force for the leaves it covers; a rotation the previous key did not sign is refused by `audit verify`
and the offline verifier, unless the old key was lost and the auditor holds the new public key from outside.
Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from tests.auditor_script import auditor_script
from tests.cli import Lawflow
from workflow.audit import signing
from workflow.audit.checkpoint import CheckpointError, make_checkpoint
from workflow.audit.export import export, verify_database
from workflow.audit.rotation import PROCEDURE, RotationError, key_in_force, rotate_key
from workflow.audit.trail import append_event
from workflow.audit.verifier import KEY_ROTATION_KIND, canonical_bytes, rotation_statement
from workflow.clock import utc_stamp
from workflow.db import writing
from workflow.models import SYSTEM_JOURNAL_ID, AuditCheckpoint, AuditEvent, AuditJournal
from workflow.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
STAMP = "2026-03-09T00:00:00.000000Z"
PROPOSAL = {"title": "后龙镇农村生活污水治理方案", "category": "public_policy", "proposer": "leader",
            "summary": "部分村庄生活污水直排，拟建设收集管网"}


def a_case(rt: Runtime) -> str:
    outcome = rt.engine.create_case("major_decision", "zhangwei", PROPOSAL)
    assert outcome.ok and outcome.case_id, outcome.reasons
    return outcome.case_id


@pytest.fixture
def signed(town: Runtime) -> Runtime:
    """The town with a case whose events are anchored by a checkpoint under the first key."""
    signing.generate_key_file(town.key_path)
    a_case(town)
    assert make_checkpoint(town.sessions, town.key_path, town.origin, town.clock).created
    return town


def verify(rt: Runtime, **kwargs) -> object:
    return verify_database(rt.sessions, rt.origin, STAMP, **kwargs)


def checkpoint_keys(rt: Runtime) -> list[str]:
    with rt.sessions() as s:
        return list(s.scalars(select(AuditCheckpoint.key_id).order_by(AuditCheckpoint.tree_size)))


def test_a_rotation_is_recorded_signed_and_the_chain_verifies(signed: Runtime, tmp_path: Path) -> None:
    old = signing.load_private_key(signed.key_path)
    new_path = tmp_path / "new.key"
    done = rotate_key(signed.sessions, old_key=old, new_key_path=new_path, origin=signed.origin, clock=signed.clock)
    assert done.created_key and new_path.stat().st_mode & 0o777 == 0o600
    new = signing.load_private_key(new_path)
    assert (done.old_key_id, done.new_key_id) == (signing.key_id_for(signed.origin, old),
                                                  signing.key_id_for(signed.origin, new))
    with signed.sessions() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.case_id == SYSTEM_JOURNAL_ID,
                                                   AuditEvent.seq == done.seq)).one()
        assert key_in_force(s) == done.new_key_id and key_in_force(s, anchored_only=True) == done.old_key_id
    assert (event.kind, event.trigger, event.procedure) == (KEY_ROTATION_KIND, "rotate_key", PROCEDURE)
    payload = json.loads(event.payload)
    message = canonical_bytes(payload["rotation"])
    old.public_key().verify(base64.b64decode(payload["old_key_signature"]), message)
    new.public_key().verify(base64.b64decode(payload["new_key_signature"]), message)

    a_case(signed)
    with pytest.raises(CheckpointError, match="not the key in force"):  # the retired key signs nothing more
        make_checkpoint(signed.sessions, signed.key_path, signed.origin, signed.clock)
    assert make_checkpoint(signed.sessions, new_path, signed.origin, signed.clock).created
    assert checkpoint_keys(signed) == [done.old_key_id, done.new_key_id]
    report = verify(signed)
    assert report.ok, report.message
    assert report.key_rotations == 1 and "key chain unbroken" in report.message


def test_a_rotation_from_a_key_not_in_force_is_refused(signed: Runtime, tmp_path: Path) -> None:
    stranger = Ed25519PrivateKey.generate()
    with pytest.raises(RotationError, match="the key in force is"):
        rotate_key(signed.sessions, old_key=stranger, new_key_path=tmp_path / "new.key", origin=signed.origin,
                   clock=signed.clock)
    assert not (tmp_path / "new.key").exists()  # a refused rotation leaves no key file


def test_a_checkpoint_signed_by_a_key_outside_the_chain_is_refused(signed: Runtime, tmp_path: Path) -> None:
    # an insider with their own key file: the integrator would record its public key like any other
    signing.generate_key_file(tmp_path / "insider.key")
    a_case(signed)
    with pytest.raises(CheckpointError, match="not the key in force"):
        make_checkpoint(signed.sessions, tmp_path / "insider.key", signed.origin, signed.clock)


def _forged_rotation(rt: Runtime, signer: Ed25519PrivateKey, new: Ed25519PrivateKey, *, lost: bool = False) -> int:
    """What an insider with write access to the database could append: a rotation signed by `signer`."""
    old_id = checkpoint_keys(rt)[-1]
    statement = rotation_statement(rt.origin, old_id, signing.public_raw(new), utc_stamp(rt.clock.now()), lost)
    sign = lambda k: base64.b64encode(k.sign(canonical_bytes(statement))).decode()  # noqa: E731
    payload = {"rotation": statement, "new_key_signature": sign(new)}
    if not lost:
        payload["old_key_signature"] = sign(signer)
    with writing(rt.sessions) as s:
        journal = s.get(AuditJournal, SYSTEM_JOURNAL_ID, with_for_update=True)
        event = append_event(s, journal, kind=KEY_ROTATION_KIND, at=utc_stamp(rt.clock.now()), procedure=PROCEDURE,
                             trigger="rotate_key", payload=payload)
    return event.seq


def test_a_rotation_not_signed_by_the_previous_key_is_refused(signed: Runtime, tmp_path: Path) -> None:
    insider = signing.generate_key_file(tmp_path / "insider.key")
    seq = _forged_rotation(signed, insider, insider)
    make_checkpoint(signed.sessions, tmp_path / "insider.key", signed.origin, signed.clock)  # signs "in force"
    report = verify(signed)
    assert not report.ok and report.first_error is not None
    assert (report.first_error.case, report.first_error.seq) == (SYSTEM_JOURNAL_ID, seq)
    assert report.first_error.field == "payload.old_key_signature"
    assert "not signed by the previous key" in report.message


def test_a_lost_key_rotation_needs_the_new_public_key_from_outside(signed: Runtime, tmp_path: Path) -> None:
    new_path = tmp_path / "new.key"
    with pytest.raises(RotationError, match="reason"):
        rotate_key(signed.sessions, old_key=None, new_key_path=new_path, origin=signed.origin, clock=signed.clock)
    done = rotate_key(signed.sessions, old_key=None, new_key_path=new_path, origin=signed.origin, clock=signed.clock,
                      reason="密钥所在服务器硬盘损坏，无备份")
    assert make_checkpoint(signed.sessions, new_path, signed.origin, signed.clock).created
    report = verify(signed)
    assert not report.ok and report.first_error.field == "payload.old_key_signature"
    assert "--trusted-key" in report.message
    new_raw = signing.public_raw(signing.load_private_key(new_path))
    assert verify(signed, trusted_keys=[new_raw]).ok
    assert checkpoint_keys(signed)[-1] == done.new_key_id


def _env(rt: Runtime, key: Path) -> dict[str, str]:
    return {**os.environ, "LAWFLOW_DATABASE_URL": rt.database_url, "LAWFLOW_INSTANCE": str(rt.instance),
            "LAWFLOW_AUDIT_KEY": str(key)}


def lawflow(rt: Runtime, key: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return Lawflow(rt, key=key)(*args, timeout=120)


def test_the_rotate_key_command_and_the_offline_verifier(signed: Runtime, tmp_path: Path) -> None:
    a_case(signed)  # not yet anchored: the old key's last checkpoint covers it
    new_path = tmp_path / "new.key"
    rotated = lawflow(signed, signed.key_path, "audit", "rotate-key", "--new-key-file", str(new_path))
    assert rotated.returncode == 0, rotated.stderr
    assert "已轮换签名密钥 key rotated" in rotated.stderr and "LAWFLOW_SIGNING_KEY_FILE" in rotated.stderr
    assert json.loads(rotated.stdout)["key_id"] == signing.key_id_for(signed.origin, signing.load_private_key(new_path))
    old_id, *_rest, new_id = checkpoint_keys(signed)
    assert len(checkpoint_keys(signed)) == 3 and old_id != new_id  # old key's last checkpoint, then the new key's
    a_case(signed)
    refused = lawflow(signed, signed.key_path, "audit", "checkpoint")
    assert refused.returncode == 1 and "not the key in force" in refused.stderr
    assert lawflow(signed, new_path, "audit", "checkpoint").returncode == 0
    assert lawflow(signed, new_path, "audit", "verify", "--quiet").returncode == 0

    path = tmp_path / "trail.jsonl"
    with path.open("wb") as fh:
        export(signed.sessions, fh, signed.origin, STAMP)
    offline = subprocess.run([sys.executable, "-I", "-S", str(auditor_script()), str(path), "--write-signature-files",
                              str(tmp_path / "sigs")], capture_output=True, text=True, timeout=120)
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert "key chain unbroken" in offline.stdout
    rotation_dirs = list((tmp_path / "sigs").glob("key-rotation-SYS-seq-*"))
    assert len(rotation_dirs) == 1
    assert {p.name for p in rotation_dirs[0].iterdir()} == {"rotation.bin", "old.sig", "old.pem", "new.sig", "new.pem"}



def test_the_signing_key_file_is_named_by_its_own_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """LAWFLOW_SIGNING_KEY_FILE names the key (kept off the database host); the earlier LAWFLOW_AUDIT_KEY is read
    only when it is unset, and without either the key sits in the instance folder (the demo's place)."""
    from workflow.runtime import Runtime

    monkeypatch.setenv("LAWFLOW_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.delenv("LAWFLOW_DATABASE_URL", raising=False)
    monkeypatch.delenv("LAWFLOW_SIGNING_KEY_FILE", raising=False)
    monkeypatch.delenv("LAWFLOW_AUDIT_KEY", raising=False)
    assert Runtime.from_env().key_path == (tmp_path / "instance" / "audit-signing.key").resolve()
    monkeypatch.setenv("LAWFLOW_AUDIT_KEY", str(tmp_path / "old-name.pem"))
    assert Runtime.from_env().key_path == tmp_path / "old-name.pem"
    monkeypatch.setenv("LAWFLOW_SIGNING_KEY_FILE", str(tmp_path / "custodian" / "key.pem"))
    assert Runtime.from_env().key_path == tmp_path / "custodian" / "key.pem"
