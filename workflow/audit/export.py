"""Export the audit trail as JSON Lines, and verify the database through the very same records.

`lawflow audit verify` feeds the records this module produces to the offline verifier's `Verifier`, so the
database check and an outside auditor's check of an export are one implementation (docs/audit-format.md).
Records stream in (case, seq) order with O(cases) memory on the case heads. Each case record carries the
case row (procedure, title, state, version, data) and the export lists, per procedure version, the record
specs of its steps, so that the verifier replays every case and compares it with its row (workflow/replay.py).

A scoped export (`orgs`: an auditor's organisation, the CLI's --org) holds those organisations' cases and
administration journals, whole chains that verify as such, and every leaf and checkpoint so that the signed
roots still verify; the leaves of other chains carry only their place and event hash, never a case id. The
SYS journal is left out: it is one chain shared by every organisation, and a part of it cannot verify as a
chain (its refusals by an organisation's own users are in the audit explorer's selection export).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import IO, Any

import orjson
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from workflow.audit.canonical import EXPORT_FORMAT, export_line
from workflow.audit.checkpoint import checkpoint_record
from workflow.audit.verifier import (  # verify_database: the auditor's own check, on the database
    PROGRESS_EVERY,
    Report,
    Verifier,
)
from workflow.db import load_json
from workflow.definitions import Registry, load_registry
from workflow.models import (
    AuditCheckpoint,
    AuditEvent,
    AuditJournal,
    AuditKey,
    AuditLeaf,
    Case,
    admin_journal_id,
)
from workflow.replay import procedure_record

GENERATOR = "lawflow"
STREAM = 5_000  # rows fetched per round trip
_EVENT_COLUMNS = (
    AuditEvent.format, AuditEvent.case_id, AuditEvent.seq, AuditEvent.kind, AuditEvent.trigger,
    AuditEvent.from_state, AuditEvent.to_state, AuditEvent.actor, AuditEvent.role, AuditEvent.at,
    AuditEvent.procedure, AuditEvent.payload, AuditEvent.reasons, AuditEvent.prev, AuditEvent.hash, AuditEvent.facts,
)


_ROW_COLUMNS = (Case.id, Case.procedure, Case.procedure_version, Case.title, Case.state, Case.version, Case.data)


def iter_records(session: Session, origin: str, exported_at: str, registry: Registry | None = None,
                 orgs: Collection[str] | None = None) -> Iterator[dict[str, Any]]:
    """The export's records; with `orgs`, only those organisations' chains (a scoped export, see above)."""
    header = {"type": "header", "format": EXPORT_FORMAT, "origin": origin, "generator": GENERATOR,
              "exported_at": exported_at}
    if orgs is not None:
        header["scope"] = {"orgs": sorted(orgs)}
    yield header
    for key in session.scalars(select(AuditKey).order_by(AuditKey.key_id)):
        yield {"type": "key", "key_id": key.key_id, "algorithm": key.algorithm, "public_key": key.public_key}
    registry = registry or _shipped_registry()
    used = select(Case.procedure, Case.procedure_version).distinct()
    cases, journals = select(Case.id, Case.audit_seq, Case.audit_head), select(
        AuditJournal.id, AuditJournal.audit_seq, AuditJournal.audit_head)
    in_scope = None
    if orgs is not None:
        used = used.where(Case.org_id.in_(list(orgs)))
        cases = cases.where(Case.org_id.in_(list(orgs)))
        journals = journals.where(AuditJournal.id.in_([admin_journal_id(o) for o in orgs]))
    for pid, version in sorted(session.execute(used).all()):  # a version no longer loaded has no record:
        if (pid, version) in registry.procedures:              # its cases are reported
            yield procedure_record(registry.procedures[(pid, version)])
    heads = {c.id: (c.audit_seq, c.audit_head) for c in session.execute(cases)}
    case_ids = set(heads)
    heads.update({j.id: (j.audit_seq, j.audit_head) for j in session.execute(journals)})
    if orgs is not None:
        in_scope = set(heads)
    current: str | None = None
    # Plain Core rows, streamed, not ORM objects: building 100,000s of entities cost more than verifying them.
    execute = session.connection().execute
    rows = _CaseRows(execute, case_ids, orgs)
    selected = select(*_EVENT_COLUMNS)
    if orgs is not None:
        selected = selected.where(or_(
            AuditEvent.case_id.in_(select(Case.id).where(Case.org_id.in_(list(orgs)))),
            AuditEvent.case_id.in_([admin_journal_id(o) for o in orgs])))
    events = execute(selected.order_by(AuditEvent.case_id, AuditEvent.seq).execution_options(yield_per=STREAM))
    for row in events:
        case_id = row[1]
        if case_id != current:
            if current is not None:
                yield _case_record(current, heads, rows)
            current = case_id
        yield event_record(row)
    if current is not None:
        yield _case_record(current, heads, rows)
    for case_id in sorted(heads):  # a chain head whose events are all gone (the verifier names it)
        if heads[case_id][0] > 0 or case_id in case_ids:  # every case row has events: its opening at least
            yield _case_record(case_id, heads, rows)
    leaves = execute(select(AuditLeaf.log_index, AuditLeaf.case_id, AuditLeaf.seq, AuditLeaf.event_hash)
                     .order_by(AuditLeaf.log_index).execution_options(yield_per=STREAM))
    for log_index, case_id, seq, event_hash in leaves:
        if in_scope is not None and case_id not in in_scope:  # another organisation's: its hash, for the roots
            yield {"type": "leaf", "log_index": log_index, "event_hash": event_hash}
        else:
            yield {"type": "leaf", "log_index": log_index, "case": case_id, "seq": seq, "event_hash": event_hash}
    for cp in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size)):
        yield {"type": "checkpoint", **checkpoint_record(cp), "signature": cp.signature}


def _case_record(case_id: str, heads: dict[str, tuple[int, str]], rows: _CaseRows) -> dict[str, Any]:
    """The stored head of a chain (popped, so a head left over at the end has no events), and for a case its
    row as stored, which the verifier compares with the replay of the case's events."""
    seq, head = heads.pop(case_id, (None, None))
    if seq is None:  # events survive but their case row is gone: the verifier reports the missing head
        return {"type": "case", "case": case_id, "head_seq": 0, "head_hash": "0" * 64}
    record = {"type": "case", "case": case_id, "head_seq": seq, "head_hash": head}
    row = rows.get(case_id)
    if row is not None:
        record["row"] = row
    return record


class _CaseRows:
    """The case rows, streamed in id order beside the events (which come in case_id order, the same order
    of the same database), so that memory stays O(cases) for the heads and never holds every case's data.
    A row the stream has passed (a case with no events) is kept aside; should the two orders ever disagree,
    a point query finds the row."""

    def __init__(self, execute: Callable[..., Any], case_ids: set[str], orgs: Collection[str] | None = None):
        self._execute = execute
        self._ids = case_ids
        rows = select(*_ROW_COLUMNS)
        if orgs is not None:  # a scoped export: other organisations' rows are not even read
            rows = rows.where(Case.org_id.in_(list(orgs)))
        self._stream = iter(execute(rows.order_by(Case.id).execution_options(yield_per=STREAM)))
        self._aside: dict[str, dict[str, Any]] = {}

    def get(self, case_id: str) -> dict[str, Any] | None:
        if case_id not in self._ids:  # a journal (SYS, ADM-…), or events whose case row is gone
            return None
        if case_id in self._aside:
            return self._aside.pop(case_id)
        for r in self._stream:
            row = _row(r)
            if r[0] == case_id:
                return row
            self._aside[r[0]] = row
        found = self._execute(select(*_ROW_COLUMNS).where(Case.id == case_id)).first()
        return None if found is None else _row(found)


def _row(r: Any) -> dict[str, Any]:
    return {"procedure": f"{r[1]}@{r[2]}", "title": r[3], "state": r[4], "version": r[5], "data": r[6]}


_REGISTRY: list[Registry] = []


def _shipped_registry() -> Registry:
    """The definitions shipped with lawflow (read once), when the caller has no registry of its own."""
    if not _REGISTRY:
        _REGISTRY.append(load_registry())
    return _REGISTRY[0]


def one_snapshot(session: Session) -> None:
    """Read the whole trail as of one moment. PostgreSQL's default (READ COMMITTED) gives each statement its
    own snapshot, so a step committed between reading the chain heads and reading the events would look like
    a head rolled back; REPEATABLE READ holds one snapshot for the transaction. SQLite's read transaction
    (BEGIN, workflow/db.py) already sees one snapshot from its first read on."""
    bind = session.get_bind()
    # A session bound to a connection (a caller's own transaction) reads in that transaction's snapshot.
    if isinstance(bind, SqlEngine) and bind.dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def export(sessions: sessionmaker[Session], out: IO[bytes], origin: str, exported_at: str,
           progress: Callable[[int], None] | None = None, registry: Registry | None = None,
           orgs: Collection[str] | None = None) -> int:
    """Write the whole trail (with `orgs`: those organisations' part) to `out` as JSON Lines; returns the
    number of events written."""
    count = 0
    with sessions() as session:
        one_snapshot(session)
        for record in iter_records(session, origin, exported_at, registry, orgs):
            out.write(export_line(record))
            if record["type"] == "event":
                count += 1
                if progress and count % 10_000 == 0:
                    progress(count)
    return count


def _sorted_orjson(value: Any) -> bytes:
    """A type-exact text with sorted keys (1, true and 1.0 differ), for comparing a case row with its replay:
    one C call several times faster than the canonical encoder; anything it cannot encode (a lone surrogate,
    an integer beyond 64 bits) is compared item by item instead (row_replay.row_difference)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def verify_database(sessions: sessionmaker[Session], origin: str, exported_at: str,
                    trusted_checkpoints: Iterable[dict[str, Any]] = (),
                    progress: Callable[[int], None] | None = None, records_dir: str | None = None,
                    trusted_keys: Iterable[bytes] = (), registry: Registry | None = None,
                    progress_every: int = PROGRESS_EVERY) -> Report:
    """Verify the trail in the database, every case row against the replay of its events included; with
    `records_dir`, also re-hash every evidence file it names. `progress(n)` is called every `progress_every`
    events."""
    verifier = Verifier(trusted_checkpoints, progress=progress, progress_every=progress_every,
                        records_dir=records_dir, trusted_keys=trusted_keys, row_encode=_sorted_orjson)
    with sessions() as session:
        one_snapshot(session)
        for record in iter_records(session, origin, exported_at, registry):
            if not verifier.feed(record):
                break
    return verifier.finish()


EVENT_COLUMNS = _EVENT_COLUMNS  # the columns event_record reads, in its order


def event_record(row: Sequence[Any], loads: Callable[[str], Any] = load_json) -> dict[str, Any]:
    """One event as the export writes it (docs/audit-format.md §1), from a row of EVENT_COLUMNS (JSON read with
    orjson, falling back to json for what it refuses: the same values, workflow/db.py)."""
    fmt, case_id, seq, kind, trigger, from_state, to_state, actor, role, at, procedure, payload, reasons, \
        prev, digest, facts = row
    record = {"type": "event", "format": fmt, "case": case_id, "seq": seq, "kind": kind, "trigger": trigger,
              "from": from_state, "to": to_state, "actor": actor, "role": role, "at": at, "procedure": procedure,
              "payload": loads(payload), "reasons": [] if reasons == "[]" else loads(reasons), "prev": prev,
              "hash": digest}
    if facts is not None:  # hashed only when present (docs/audit-format.md §1)
        record["facts"] = loads(facts)
    return record
