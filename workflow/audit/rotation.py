"""Rotating the checkpoint signing key, and which key is in force (docs/operations.md, "Key custody").

A rotation is an event of the system journal SYS (kind `key_rotated`), appended with the one journal function
(workflow.audit.journal.record_journal_event) under the journal's row lock. Its payload is the
rotation statement (verifier.rotation_statement: old and new key ids, the new public key) signed by the old
key and by the new one, so a verifier can follow the chain of keys from the first checkpoint on, and
refuses a rotation the previous key did not sign. The checkpoint that first anchors the rotation, and every
later one, must be signed by the new key (verifier.Verifier._check_key_period; the integrator asks
key_in_force before it signs).

When the old key is lost it cannot sign: `old_key_lost` is then recorded with the reason, signed by the new
key alone, and verifiers accept the rotation only with the new public key handed to them outside the system
(`--trusted-key`), e.g. in a letter to the supervising office.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflow.audit import signing
from workflow.audit.canonical import KEY_ROTATION_KIND, canonical_bytes, rotation_statement
from workflow.audit.journal import lock_journal, record_journal_event
from workflow.clock import Clock, utc_stamp
from workflow.db import writing
from workflow.models import SYSTEM_JOURNAL_ID, AuditCheckpoint, AuditEvent, AuditKey, AuditLeaf

PROCEDURE = "audit@1"  # the `procedure` of the trail's own events: no definition file, a fixed id@version
TRIGGER = "rotate_key"
REASON_MAX = 2000


class RotationError(RuntimeError):
    """The rotation cannot be made; nothing was written. The message is Chinese first, then English."""


@dataclass(frozen=True)
class RotationResult:
    old_key_id: str
    new_key_id: str
    seq: int  # the rotation's event in the system journal
    created_key: bool  # the new key file was created by this rotation


def _rotations(session: Session) -> list[tuple[int, dict[str, object], bool]]:
    """The system journal's key rotations in seq order: (seq, statement, anchored)."""
    rows = session.execute(
        select(AuditEvent.seq, AuditEvent.payload, AuditLeaf.log_index)
        .outerjoin(AuditLeaf, AuditLeaf.event_id == AuditEvent.id)
        .where(AuditEvent.case_id == SYSTEM_JOURNAL_ID, AuditEvent.kind == KEY_ROTATION_KIND)
        .order_by(AuditEvent.seq)).all()
    return [(seq, json.loads(payload)["rotation"], leaf is not None) for seq, payload, leaf in rows]


def key_in_force(session: Session, *, anchored_only: bool = False) -> str | None:
    """The key_id that must sign the next checkpoint: the new key of the last rotation (with `anchored_only`,
    of the last one already in the Merkle log), else the key of the checkpoints so far; None before any."""
    rotations = _rotations(session)
    for _seq, statement, anchored in reversed(rotations):
        if anchored or not anchored_only:
            return str(statement["new_key_id"])
    if rotations:  # none anchored yet: the first key is the one the first rotation rotates from
        return str(rotations[0][1]["old_key_id"])
    first = session.scalars(select(AuditCheckpoint.key_id).order_by(AuditCheckpoint.tree_size).limit(1)).first()
    return first


def _sign(key: Ed25519PrivateKey, statement: dict[str, object]) -> str:
    return base64.b64encode(key.sign(canonical_bytes(statement))).decode("ascii")


def rotate_key(sessions: sessionmaker[Session], *, old_key: Ed25519PrivateKey | None, new_key_path: Path,
               origin: str, clock: Clock, reason: str = "") -> RotationResult:
    """Record the rotation to the key in `new_key_path` (created when absent). `old_key` None: it was lost."""
    reason = reason.strip()
    if old_key is None and not reason:
        raise RotationError("旧密钥丢失时须说明理由 / a rotation without the old key needs the reason (--reason)")
    if len(reason) > REASON_MAX:
        raise RotationError(f"理由不能超过{REASON_MAX}个字符 / the reason is longer than {REASON_MAX} characters")
    created = not new_key_path.exists()
    try:
        new_key = signing.generate_key_file(new_key_path) if created else signing.load_private_key(new_key_path)
    except signing.SigningKeyError as exc:
        raise RotationError(str(exc)) from None
    new_id = signing.key_id_for(origin, new_key)
    try:
        with writing(sessions) as session:
            lock_journal(session, SYSTEM_JOURNAL_ID)  # first: the key in force is read under the lock
            in_force = key_in_force(session)
            if in_force is None:
                raise RotationError("尚无签名检查点，无需轮换：请直接签署检查点 / no checkpoint has been signed yet: "
                                    "nothing to rotate (sign a checkpoint with the key you want)")
            old_id = signing.key_id_for(origin, old_key) if old_key is not None else in_force
            if old_id != in_force:
                raise RotationError(f"当前签名密钥为 {in_force}，而提供的旧密钥为 {old_id} / the key in force is "
                                    f"{in_force}, not the old key given ({old_id})")
            if session.get(AuditKey, new_id) is not None:
                raise RotationError(f"新密钥 {new_id} 已经使用过 / the new key {new_id} has been used before: "
                                    "make a new one")
            moment = clock.now()  # under the journal's lock; the statement and the event carry it
            now = utc_stamp(moment)
            statement = rotation_statement(origin, old_id, signing.public_raw(new_key), now,
                                           old_key_lost=old_key is None)
            payload: dict[str, object] = {"rotation": statement, "new_key_signature": _sign(new_key, statement)}
            if old_key is not None:
                payload["old_key_signature"] = _sign(old_key, statement)
            if reason:
                payload["reason"] = reason
            event = record_journal_event(session, SYSTEM_JOURNAL_ID, when=moment, kind=KEY_ROTATION_KIND,
                                         procedure=PROCEDURE, trigger=TRIGGER, payload=payload)
            session.add(AuditKey(key_id=new_id, algorithm="ed25519", origin=origin,
                                 public_key=str(statement["new_public_key"]), added_at=now))
    except BaseException:
        if created:
            new_key_path.unlink(missing_ok=True)  # a refused rotation leaves no key file behind
        raise
    return RotationResult(old_id, new_id, event.seq, created)
