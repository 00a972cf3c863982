"""Export the audit trail as JSON Lines, and verify the database through the very same records.

`lawflow audit verify` feeds the records this module produces to the offline verifier's `Verifier`, so the
database check and an outside auditor's check of an export are one implementation (docs/audit-format.md).
Records stream in (case, seq) order with O(cases) memory on the case heads.

A scoped export (`orgs`: an auditor's organisation, the CLI's --org) holds those organisations' cases and
administration journals, whole chains that verify as such, and every leaf and checkpoint so that the signed
roots still verify; the leaves of other chains carry only their place and event hash, never a case id. The
SYS journal is left out: it is one chain shared by every organisation, and a part of it cannot verify as a
chain (its refusals by an organisation's own users are in the audit explorer's selection export).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import IO, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from workflow.audit.checkpoint import checkpoint_record
from workflow.audit.verifier import EXPORT_FORMAT, Report, Verifier, export_line
from workflow.models import (
    AuditCheckpoint,
    AuditEvent,
    AuditJournal,
    AuditKey,
    AuditLeaf,
    Case,
    admin_journal_id,
)

GENERATOR = "lawflow"
STREAM = 5_000  # rows fetched per round trip
_EVENT_COLUMNS = (
    AuditEvent.format, AuditEvent.case_id, AuditEvent.seq, AuditEvent.kind, AuditEvent.trigger,
    AuditEvent.from_state, AuditEvent.to_state, AuditEvent.actor, AuditEvent.role, AuditEvent.at,
    AuditEvent.procedure, AuditEvent.payload, AuditEvent.reasons, AuditEvent.prev, AuditEvent.hash,
)


def iter_records(session: Session, origin: str, exported_at: str,
                 orgs: Collection[str] | None = None) -> Iterator[dict[str, Any]]:
    """The export's records; with `orgs`, only those organisations' chains (a scoped export, see _scope)."""
    header = {"type": "header", "format": EXPORT_FORMAT, "origin": origin, "generator": GENERATOR,
              "exported_at": exported_at}
    if orgs is not None:
        header["scope"] = {"orgs": sorted(orgs)}
    yield header
    for key in session.scalars(select(AuditKey).order_by(AuditKey.key_id)):
        yield {"type": "key", "key_id": key.key_id, "algorithm": key.algorithm, "public_key": key.public_key}
    cases, journals = select(Case.id, Case.audit_seq, Case.audit_head), select(
        AuditJournal.id, AuditJournal.audit_seq, AuditJournal.audit_head)
    in_scope = None
    if orgs is not None:
        cases = cases.where(Case.org_id.in_(list(orgs)))
        journals = journals.where(AuditJournal.id.in_([admin_journal_id(o) for o in orgs]))
    heads = {c.id: (c.audit_seq, c.audit_head) for c in session.execute(cases)}
    heads.update({j.id: (j.audit_seq, j.audit_head) for j in session.execute(journals)})
    if orgs is not None:
        in_scope = set(heads)
    current: str | None = None
    # Plain Core rows, streamed, not ORM objects: building 100,000s of entities cost more than verifying them.
    execute = session.connection().execute
    selected = select(*_EVENT_COLUMNS)
    if orgs is not None:
        selected = selected.where(or_(
            AuditEvent.case_id.in_(select(Case.id).where(Case.org_id.in_(list(orgs)))),
            AuditEvent.case_id.in_([admin_journal_id(o) for o in orgs])))
    events = execute(selected.order_by(AuditEvent.case_id, AuditEvent.seq).execution_options(yield_per=STREAM))
    loads = json.loads
    for fmt, case_id, seq, kind, trigger, from_state, to_state, actor, role, at, procedure, payload, reasons, \
            prev, digest in events:
        if case_id != current:
            if current is not None:
                yield _case_record(current, heads)
            current = case_id
        yield {"type": "event", "format": fmt, "case": case_id, "seq": seq, "kind": kind,
               "trigger": trigger, "from": from_state, "to": to_state, "actor": actor,
               "role": role, "at": at, "procedure": procedure, "payload": loads(payload),
               "reasons": [] if reasons == "[]" else loads(reasons), "prev": prev, "hash": digest}
    if current is not None:
        yield _case_record(current, heads)
    for case_id in sorted(heads):  # a chain head whose events are all gone (the verifier names it)
        if heads[case_id][0] > 0:
            yield {"type": "case", "case": case_id, "head_seq": heads[case_id][0], "head_hash": heads[case_id][1]}
    leaves = execute(select(AuditLeaf.log_index, AuditLeaf.case_id, AuditLeaf.seq, AuditLeaf.event_hash)
                     .order_by(AuditLeaf.log_index).execution_options(yield_per=STREAM))
    for log_index, case_id, seq, event_hash in leaves:
        if in_scope is not None and case_id not in in_scope:  # another organisation's: its hash, for the roots
            yield {"type": "leaf", "log_index": log_index, "event_hash": event_hash}
        else:
            yield {"type": "leaf", "log_index": log_index, "case": case_id, "seq": seq, "event_hash": event_hash}
    for cp in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size)):
        yield {"type": "checkpoint", **checkpoint_record(cp), "signature": cp.signature}


def _case_record(case_id: str, heads: dict[str, tuple[int, str]]) -> dict[str, Any]:
    """The stored head of a chain (popped, so a head left over at the end has no events)."""
    seq, head = heads.pop(case_id, (None, None))
    if seq is None:  # events survive but their case row is gone: the verifier reports the missing head
        return {"type": "case", "case": case_id, "head_seq": 0, "head_hash": "0" * 64}
    return {"type": "case", "case": case_id, "head_seq": seq, "head_hash": head}


def export(sessions: sessionmaker[Session], out: IO[bytes], origin: str, exported_at: str,
           progress: Callable[[int], None] | None = None, orgs: Collection[str] | None = None) -> int:
    """Write the whole trail (with `orgs`: those organisations' part) to `out` as JSON Lines; returns the
    number of events written."""
    count = 0
    with sessions() as session:
        for record in iter_records(session, origin, exported_at, orgs):
            out.write(export_line(record))
            if record["type"] == "event":
                count += 1
                if progress and count % 10_000 == 0:
                    progress(count)
    return count


def verify_database(sessions: sessionmaker[Session], origin: str, exported_at: str,
                    trusted_checkpoints: Iterable[dict[str, Any]] = (),
                    progress: Callable[[int], None] | None = None, records_dir: str | None = None) -> Report:
    """Verify the trail in the database; with `records_dir`, also re-hash every evidence file it names."""
    verifier = Verifier(trusted_checkpoints, progress=progress, records_dir=records_dir)
    with sessions() as session:
        for record in iter_records(session, origin, exported_at):
            if not verifier.feed(record):
                break
    return verifier.finish()
