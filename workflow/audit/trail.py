"""Appending events to a case's hash chain, inside the caller's transaction and under the case lock.

The chain head lives on the case row (audit_seq, audit_head), so a truncated tail is visible even without
a checkpoint; UNIQUE(case_id, seq) turns a missed lock into an error instead of a forked chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from workflow import store
from workflow.audit.canonical import (
    EVENT_FORMAT,
    canonical_bytes,
    check_profile,
    encode_checked,
    encode_checked_text,
)
from workflow.models import AuditEvent


class ChainHead(Protocol):
    id: str
    audit_seq: int
    audit_head: str


@dataclass(frozen=True)
class AppendedEvent:
    """What the caller learns of the event it appended: its place in the chain and its hash."""

    case_id: str
    seq: int
    hash: str
    body: Mapping[str, Any] = field(default_factory=dict, compare=False)  # the hashed fields (for replay)


def chain_event(
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
    facts: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The next event of `head`'s chain, as the column values of its audit_event row; advances the head.

    `facts` (optional, hashed only when given and not empty): what the engine found outside the event that
    replay needs, e.g. the timeliness verdicts of the deadlines a step ends (docs/audit-format.md §1)."""
    return _chain(head, kind=kind, at=at, procedure=procedure, trigger=trigger, from_state=from_state,
                  to_state=to_state, actor=actor, role=role, payload=payload, reasons=reasons, facts=facts)[1]


def _chain(head: ChainHead, *, kind: str, at: str, procedure: str, trigger: str | None = None,
           from_state: str | None = None, to_state: str | None = None, actor: str | None = None,
           role: str | None = None, payload: dict[str, Any] | None = None,
           reasons: list[dict[str, Any]] | None = None,
           facts: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the hashed body, the audit_event row) of the next event of `head`'s chain; advances the head."""
    body: dict[str, Any] = {
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
    if facts:
        body["facts"] = facts
    # What verifier.event_hash(body) computes, with the profile checked once for the whole body (refusing
    # data outside it, naming the field) and the payload and reasons then encoded without a second walk.
    check_profile(body)
    digest = hashlib.sha256(encode_checked(body)).hexdigest()
    row = {
        "case_id": head.id, "seq": body["seq"], "format": EVENT_FORMAT, "kind": kind, "trigger": trigger,
        "from_state": from_state, "to_state": to_state, "actor": actor, "role": role, "at": at,
        "procedure": procedure,
        "payload": encode_checked_text(body["payload"]),  # valid UTF-8: encode_checked(body) above would have refused it
        "reasons": encode_checked_text(body["reasons"]) if body["reasons"] else "[]",
        "prev": body["prev"], "hash": digest,
        "facts": encode_checked_text(facts) if facts else None,
    }
    head.audit_seq = body["seq"]
    head.audit_head = digest
    return body, row


def append_event(db: store.Transactional, head: ChainHead, **fields: Any) -> AppendedEvent:
    """Chain the event (see chain_event) and INSERT it now, in the transaction of `db` (a Session or a Work).

    The caller writes the head (audit_seq, audit_head) back to its row in the same transaction: an ORM
    head is flushed with the session, the engine's CaseRow is saved by workflow.store.
    """
    body, row = _chain(head, **fields)  # the event's fields, as chain_event names them
    store.insert_event(db, row)
    return AppendedEvent(row["case_id"], row["seq"], row["hash"], body)


def event_body(row: AuditEvent) -> dict[str, Any]:
    """The hashed fields of a stored event, as the verifier and the export see them."""
    return {
        "format": row.format, "case": row.case_id, "seq": row.seq, "kind": row.kind, "trigger": row.trigger,
        "from": row.from_state, "to": row.to_state, "actor": row.actor, "role": row.role, "at": row.at,
        "procedure": row.procedure, "payload": json.loads(row.payload), "reasons": json.loads(row.reasons),
        "prev": row.prev,
    } | ({"facts": json.loads(row.facts)} if row.facts else {})


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
    try:
        text = repr(raw)  # escapes NUL, controls and lone surrogates: the description itself is canonical
    except (ValueError, RecursionError):  # an integer past Python's digit limit, a structure nested too deep
        text = f"<{type(raw).__name__} that cannot be shown>"
    return {"unrecordable_payload": text[:2000]}
