"""At the town: what it sends its district to witness, and the co-signatures it gets back (docs/witnessing.md).

The bundle (docs/audit-format.md §8) holds the town's checkpoints signed since the last one the district
acknowledged, each with the RFC 9162 consistency proof from the one before it (the first from the
acknowledged size), the town's public keys and its key rotation records. It goes to the district through
the REST API (`lawflow witness send`, POST /api/v1/witness/checkpoints with the token the district issued
to the town) or, for an offline town, as a file (`lawflow witness export-bundle`).

What comes back — the district's co-signed copies — is kept in the witness folder, `cosignatures.jsonl`,
one copy per line (the format `lawflow witness export` writes at the district), after checking that each
one co-signs a checkpoint this town signed. `lawflow audit verify` reads the last co-signed size from it;
being in the witness folder, the copies are also compared with the database by `lawflow audit verify
--witness` and by `lawflow restore`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.audit.canonical import KEY_ROTATION_KIND, checkpoint_hash
from workflow.audit.checkpoint import checkpoint_record
from workflow.audit.cosigning import BUNDLE_FORMAT, MAX_CHECKPOINTS
from workflow.audit.merkle import consistency_proof, leaf_hash
from workflow.models import SYSTEM_JOURNAL_ID, AuditCheckpoint, AuditEvent, AuditKey, AuditLeaf

COSIGNED = "cosignatures.jsonl"

# (method, path under /api/v1, JSON body or None) -> (HTTP status, JSON answer): urllib at the command line,
# a test client in the tests
Transport = Callable[[str, str, Mapping[str, Any] | None], tuple[int, Any]]


class SendError(RuntimeError):
    """Sending did not complete; the message says why (Chinese first, then English)."""


def build_bundle(session: Session, origin: str, since: int = 0) -> dict[str, Any] | None:
    """The checkpoints larger than `since` (the size the district acknowledged; 0: every one), each with its
    consistency proof from the previous one; None when there is nothing new to send."""
    rows = list(session.scalars(select(AuditCheckpoint).where(AuditCheckpoint.tree_size > since)
                                .order_by(AuditCheckpoint.tree_size).limit(MAX_CHECKPOINTS)))
    if not rows:
        return None
    leaves = [leaf_hash(h) for h in session.scalars(
        select(AuditLeaf.event_hash).order_by(AuditLeaf.log_index).limit(rows[-1].tree_size))]
    checkpoints = []
    previous = since
    for row in rows:
        item: dict[str, Any] = {**checkpoint_record(row), "signature": row.signature}
        if previous:
            item["consistency"] = {"from_size": previous,
                                   "proof": [h.hex() for h in consistency_proof(leaves, previous, row.tree_size)]}
        checkpoints.append(item)
        previous = row.tree_size
    keys = [{"key_id": k.key_id, "public_key": k.public_key, "origin": k.origin, "added_at": k.added_at}
            for k in session.scalars(select(AuditKey).order_by(AuditKey.added_at, AuditKey.key_id))]
    rotations = [json.loads(p) for p in session.scalars(
        select(AuditEvent.payload).where(AuditEvent.case_id == SYSTEM_JOURNAL_ID, AuditEvent.kind == KEY_ROTATION_KIND)
        .order_by(AuditEvent.seq))]
    return {"format": BUNDLE_FORMAT, "origin": origin, "checkpoints": checkpoints, "keys": keys,
            "rotations": rotations}


# ---------------------------------------------------------------- the co-signatures kept at the town


def cosigned(directory: Path) -> list[dict[str, Any]]:
    """The district's copies kept here, oldest first (empty when none yet)."""
    path = directory / COSIGNED
    if not path.exists():
        return []
    out = []
    try:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line))
        return sorted(out, key=lambda c: int(c["tree_size"]))
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError) as exc:
        raise SendError(f"无法读取区里的副署 {path} / cannot read the district's co-signatures: {exc}") from None


def last_cosigned(directory: Path) -> dict[str, Any] | None:
    kept = cosigned(directory)
    return kept[-1] if kept else None


def keep_cosigned(directory: Path, session: Session, copies: list[Mapping[str, Any]]) -> int:
    """Append the copies that co-sign one of this town's own checkpoints and are not kept yet; refuse one that
    co-signs a checkpoint this database does not hold (the district answered for something else)."""
    own = {checkpoint_hash(checkpoint_record(r)) for r in session.scalars(select(AuditCheckpoint))}
    kept = {c["cosignature"]["checkpoint"] for c in cosigned(directory)}
    new = []
    for copy in copies:
        mark = copy.get("cosignature", {}).get("checkpoint")
        if mark not in own:
            raise SendError(f"区里返回的副署不对应本镇的检查点（tree_size {copy.get('tree_size')}） / the district's "
                            f"co-signature for tree_size {copy.get('tree_size')} is not for a checkpoint of this log")
        if mark not in kept:
            new.append(copy)
            kept.add(mark)
    if new:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(directory / COSIGNED, "a", encoding="utf-8") as f:
            for copy in new:
                f.write(json.dumps(copy, ensure_ascii=False, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())
    return len(new)


# ---------------------------------------------------------------- sending through the district's API


def send(session: Session, origin: str, directory: Path, transport: Transport) -> tuple[int, int]:
    """Ask the district for the size it holds, send what is newer, keep its co-signatures.
    Returns (checkpoints sent, co-signatures newly kept)."""
    status, answer = transport("GET", "/witness/checkpoints/latest", None)
    if status != 200:
        raise SendError(_refusal(status, answer))
    since = int(answer["tree_size"]) if answer and answer.get("tree_size") else 0
    bundle = build_bundle(session, origin, since)
    if bundle is None:
        return 0, 0
    status, answer = transport("POST", "/witness/checkpoints", bundle)
    if status != 200:
        if isinstance(answer, dict) and answer.get("details", {}).get("cosigned"):
            keep_cosigned(directory, session, answer["details"]["cosigned"])  # those accepted before the refusal
        raise SendError(_refusal(status, answer))
    return len(bundle["checkpoints"]), keep_cosigned(directory, session, answer["cosigned"])


def _refusal(status: int, answer: Any) -> str:
    if isinstance(answer, dict) and "message" in answer:
        return f"区里拒绝（HTTP {status}）：{answer['message']} / the district refused: {answer.get('message_en', '')}"
    return f"区里拒绝（HTTP {status}） / the district refused (HTTP {status}): {str(answer)[:300]}"


def describe_cosigned(directory: Path) -> str:
    """The line `lawflow audit verify` prints about the district's co-signatures kept here."""
    try:
        last = last_cosigned(directory)
    except SendError as exc:
        return str(exc)
    if last is None:
        return "区里副署：尚无 / co-signed by the district: none yet (lawflow witness send)"
    cos = last.get("cosignature") or {}
    return (f"区里副署的最新检查点 last co-signed by the district: tree_size {last['tree_size']} "
            f"(root {str(last.get('root'))[:16]}…, {cos.get('witness')}, {cos.get('cosigned_at')})")
