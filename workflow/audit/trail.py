"""Appending events to a case's hash chain, inside the caller's transaction and under the case lock.

The chain head lives on the case row (audit_seq, audit_head), so a truncated tail is visible even without
a checkpoint; UNIQUE(case_id, seq) turns a missed lock into an error instead of a forked chain.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from sqlalchemy.orm import Session

from workflow.audit.verifier import canonical_bytes, event_hash
from workflow.models import AuditEvent

EVENT_FORMAT = "lawflow.audit.v1"


class ChainHead(Protocol):
    id: str
    audit_seq: int
    audit_head: str


def append_event(
    session: Session,
    head: ChainHead,
    *,
    kind: str,
    at: str,
    procedure: str,
    trigger: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    actor: str | None = None,
    role: str | None = None,
    payload: dict[str, Any] | None = None,
    reasons: list[dict[str, Any]] | None = None,
) -> AuditEvent:
    body = {
        "format": EVENT_FORMAT,
        "case": head.id,
        "seq": head.audit_seq + 1,
        "kind": kind,
        "trigger": trigger,
        "from": from_state,
        "to": to_state,
        "actor": actor,
        "role": role,
        "at": at,
        "procedure": procedure,
        "payload": payload or {},
        "reasons": reasons or [],
        "prev": head.audit_head,
    }
    digest = event_hash(body)  # refuses data outside the canonical profile, naming the field
    row = AuditEvent(
        case_id=head.id, seq=body["seq"], format=EVENT_FORMAT, kind=kind, trigger=trigger,
        from_state=from_state, to_state=to_state, actor=actor, role=role, at=at, procedure=procedure,
        payload=canonical_bytes(body["payload"]).decode("utf-8"),
        reasons=canonical_bytes(body["reasons"]).decode("utf-8"),
        prev=body["prev"], hash=digest,
    )
    session.add(row)
    head.audit_seq = body["seq"]
    head.audit_head = digest
    return row


def event_body(row: AuditEvent) -> dict[str, Any]:
    """The hashed fields of a stored event, as the verifier and the export see them."""
    return {
        "format": row.format, "case": row.case_id, "seq": row.seq, "kind": row.kind, "trigger": row.trigger,
        "from": row.from_state, "to": row.to_state, "actor": row.actor, "role": row.role, "at": row.at,
        "procedure": row.procedure, "payload": json.loads(row.payload), "reasons": json.loads(row.reasons),
        "prev": row.prev,
    }


def safe_payload(raw: Any) -> dict[str, Any]:
    """What a refusal records of the attempted payload: the data itself when it fits the canonical profile,
    otherwise a bounded description (a refused attempt must still be auditable, whatever was sent)."""
    if isinstance(raw, dict):
        try:
            canonical_bytes(raw)
            if len(json.dumps(raw, ensure_ascii=False)) <= 20000:
                return raw
        except ValueError:
            pass
    text = repr(raw)
    return {"unrecordable_payload": text[:2000]}
