"""The checkpoint integrator: folds new events into the append-only Merkle log and signs a checkpoint.

One integrator at a time (a transaction-scoped advisory lock on PostgreSQL; SQLite has one writer). It
takes every event that has no leaf yet in (case, seq) order — never "id > watermark", because ids become
visible in commit order, not in id order (audit-design §2.3) — appends leaves, extends the compact range
kept with the previous checkpoint, and signs the new tree head with the Ed25519 key held in a file outside
the database. It refuses to sign when the stored log does not extend the previous checkpoint.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from workflow.audit import signing
from workflow.audit.canonical import CHECKPOINT_FORMAT, checkpoint_body, checkpoint_hash
from workflow.audit.merkle import CompactRange, leaf_hash
from workflow.audit.rotation import key_in_force
from workflow.clock import Clock, utc_stamp
from workflow.db import writing
from workflow.models import AuditCheckpoint, AuditEvent, AuditKey, AuditLeaf

ADVISORY_LOCK = 0x1AF10C  # any constant shared by all integrators of one database


class CheckpointError(RuntimeError):
    """The log cannot be extended safely, or the key is unusable; nothing was written."""


@dataclass(frozen=True)
class CheckpointResult:
    tree_size: int
    root: str
    added: int
    key_id: str
    issued_at: str
    created: bool  # False when there was nothing new to checkpoint


def checkpoint_record(row: AuditCheckpoint) -> dict[str, object]:
    return {"format": row.format, "origin": row.origin, "tree_size": row.tree_size, "root": row.root,
            "issued_at": row.issued_at, "prev_checkpoint": row.prev_checkpoint, "key_id": row.key_id}


def latest_checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size.desc()).limit(1)).first()


def make_checkpoint(sessions: sessionmaker[Session], key_path: Path, origin: str, clock: Clock,
                    *, batch: int = 50_000, witness: Path | None = None) -> CheckpointResult:
    """Anchor every not-yet-anchored event (in batches of `batch` leaves per checkpoint round). With
    `witness` (a directory outside the database, workflow/audit/witness.py): refuse a log that does not
    extend the checkpoint witnessed there, and witness the new one."""
    key = _load_key(key_path)
    key_id = signing.key_id_for(origin, key)
    if witness is not None:
        _check_witness(sessions, witness)
    result: CheckpointResult | None = None
    while True:
        step = _one_round(sessions, key, key_id, origin, clock, batch)
        if not step.created:
            result = result or step
            break
        result = CheckpointResult(step.tree_size, step.root, (result.added if result else 0) + step.added,
                                  step.key_id, step.issued_at, True)
        if step.added < batch:
            break
    if witness is not None:
        _witness(sessions, witness, clock)
    return result


def _check_witness(sessions: sessionmaker[Session], directory: Path) -> None:
    from workflow.audit import witness

    try:
        seen = witness.last(directory)
    except witness.WitnessError as exc:
        raise CheckpointError(f"{exc}: refusing to sign") from None
    if seen is None:
        return
    with sessions() as session:
        findings = [f for f in witness.compare(session, [seen]) if f.kind in ("rollback", "fork")]
    if findings:
        raise CheckpointError(f"拒绝签署：日志与最后见证的检查点不一致 / refusing to sign a log inconsistent with the last "
                              f"checkpoint witnessed in {directory}: {findings[0].text()}")


def _witness(sessions: sessionmaker[Session], directory: Path, clock: Clock) -> None:
    """Write the newest checkpoint to the witness directory, unless it is already the one witnessed there."""
    from workflow.audit import witness

    with sessions() as session:
        row = latest_checkpoint(session)
        if row is None:
            return
        seen = witness.last(directory)
        if seen is not None and seen.tree_size == row.tree_size and seen.record["root"] == row.root:
            return
        item = witness.entry(checkpoint_record(row), row.signature, utc_stamp(clock.now()), witness.counters(session))
    try:
        witness.write(directory, item)
    except OSError as exc:
        raise CheckpointError(f"检查点已签署，但无法写入见证目录 / the checkpoint (tree_size {row.tree_size}) is signed but "
                              f"could not be witnessed in {directory}: {exc.strerror}; run lawflow audit checkpoint "
                              f"again once the folder is writable") from None


def _load_key(key_path: Path) -> Ed25519PrivateKey:
    if not Path(key_path).exists():
        raise CheckpointError(f"签名密钥不存在 / no signing key at {key_path} (create it: lawflow audit keygen)")
    try:
        return signing.load_private_key(key_path)
    except signing.SigningKeyError as exc:
        raise CheckpointError(str(exc)) from None


def _one_round(sessions: sessionmaker[Session], key: Ed25519PrivateKey, key_id: str, origin: str,
               clock: Clock, batch: int) -> CheckpointResult:
    with writing(sessions) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK})
        previous = latest_checkpoint(session)
        size = previous.tree_size if previous else 0
        try:
            compact = CompactRange.from_json(json.loads(previous.compact_range), size) if previous else CompactRange()
        except (ValueError, TypeError) as exc:  # malformed JSON or hashes, wrong count: the stored state is damaged
            raise CheckpointError(f"the stored compact range of checkpoint {size} is unreadable ({exc}): "
                                  f"refusing to sign") from None
        if previous and compact.root().hex() != previous.root:
            raise CheckpointError(f"stored compact range does not match checkpoint {size}: refusing to sign")
        leaves = session.scalar(select(func.count()).select_from(AuditLeaf)) or 0
        if leaves != size:
            raise CheckpointError(f"the log holds {leaves} leaves but the last checkpoint covers {size}: "
                                  f"refusing to sign an inconsistent log (run lawflow audit verify)")
        anchored = select(AuditLeaf.event_id)
        pending = session.execute(
            select(AuditEvent.id, AuditEvent.case_id, AuditEvent.seq, AuditEvent.hash)
            .where(AuditEvent.id.not_in(anchored)).order_by(AuditEvent.case_id, AuditEvent.seq).limit(batch)
        ).all()
        if not pending:
            return CheckpointResult(size, previous.root if previous else compact.root().hex(), 0, key_id,
                                    previous.issued_at if previous else "", False)
        session.add_all(
            AuditLeaf(log_index=size + i, event_id=row.id, case_id=row.case_id, seq=row.seq, event_hash=row.hash)
            for i, row in enumerate(pending)
        )
        compact.extend(leaf_hash(row.hash) for row in pending)
        session.flush()  # the new leaves: which key rotations this checkpoint anchors decides its key
        in_force = key_in_force(session, anchored_only=True)
        if in_force is not None and in_force != key_id:
            raise CheckpointError(f"签名密钥 {key_id} 不是当前有效的密钥 {in_force}（密钥已轮换）/ the key {key_id} is not "
                                  f"the key in force, {in_force} (the key was rotated): set LAWFLOW_SIGNING_KEY_FILE to its file")
        if session.get(AuditKey, key_id) is None:
            session.add(AuditKey(key_id=key_id, algorithm="ed25519", origin=origin,
                                 public_key=base64.b64encode(signing.public_raw(key)).decode(), added_at=utc_stamp(clock.now())))
        body = checkpoint_body({
            "format": CHECKPOINT_FORMAT, "origin": origin, "tree_size": compact.size, "root": compact.root().hex(),
            "issued_at": utc_stamp(clock.now()),
            "prev_checkpoint": checkpoint_hash(checkpoint_record(previous)) if previous else None,
            "key_id": key_id,
        })
        session.add(AuditCheckpoint(
            tree_size=body["tree_size"], format=body["format"], origin=origin, root=body["root"],
            issued_at=body["issued_at"], prev_checkpoint=body["prev_checkpoint"], key_id=key_id,
            signature=signing.sign(key, body), compact_range=json.dumps(compact.to_json()),
        ))
        return CheckpointResult(compact.size, body["root"], len(pending), key_id, body["issued_at"], True)
