"""A case row is a verified projection of its history: state, version, data, title, procedure and the chain
head are a pure function of the case's events and its definition's record specs.

The function itself is `replay_event` in workflow/audit/verifier.py: the offline auditor's script must run
the very same code without lawflow installed, so it lives in that standard-library file (as the canonical
JSON and the event hash do), and this module adapts it to the engine's objects:

- fire() and create_case compute the new row with `advance` (the old row + the event just appended);
- verification recomputes every case from scratch with the same function, fed by the export records
  (workflow/audit/export.py writes the case rows and, per procedure version, the record specs of
  `procedure_record`).

What replay needs and the events alone do not hold comes from the definition (the record spec of each
trigger: key, mode, match, new_round) or is carried in the event's `facts` (the timeliness verdicts the
engine computed from the case's deadline rows).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from workflow.audit.row_replay import ROW_FIELDS, replay_event
from workflow.definitions import Procedure, Registry, Transition

__all__ = ["ROW_FIELDS", "Row", "advance", "procedure_record", "replay_case", "step_spec", "step_specs"]


class Row(Protocol):
    """The replayed fields of a case row (the engine's CaseRow and the ORM Case both have them)."""

    procedure: str
    procedure_version: int
    state: str
    version: int
    data: dict[str, Any]
    audit_seq: int
    audit_head: str


def step_spec(transition: Transition) -> dict[str, Any] | None:
    """A step's record spec as replay and the export take it; None when the step records nothing."""
    record = transition.record
    if record is None and not transition.new_round:
        return None
    return {"mode": record.mode if record else None, "key": record.key if record else None,
            "match": record.match if record else None, "new_round": transition.new_round}


def step_specs(procedure: Procedure) -> dict[str, dict[str, Any] | None]:
    """trigger -> record spec for every step of the procedure version, opening the case included. A trigger's
    transitions share one spec (definitions.py refuses a definition where they do not)."""
    return {t.trigger: step_spec(t) for t in (procedure.create, *procedure.transitions)}


def procedure_record(procedure: Procedure) -> dict[str, Any]:
    """The export's `procedure` record (docs/audit-format.md §4)."""
    return {"type": "procedure", "procedure": procedure.ref, "steps": step_specs(procedure)}


def advance(row: Row | None, event: Mapping[str, Any], transition: Transition) -> dict[str, Any]:
    """The case row after `event` (the body of the event just appended, with its hash), from `row` before it
    (None when the event opens the case). Returns the replayed fields; the caller writes them to the row
    (a step never changes the title, so a row without one, like the engine's CaseRow, is fine)."""
    before = None if row is None else {
        "procedure": f"{row.procedure}@{row.procedure_version}", "title": getattr(row, "title", ""), "state": row.state,
        "version": row.version, "data": row.data, "head_seq": row.audit_seq, "head_hash": row.audit_head}
    after = replay_event(before, event, step_spec(transition))
    assert after is not None, "a created or transition event always yields a row"
    return after


def replay_case(events: list[Mapping[str, Any]], registry: Registry) -> dict[str, Any] | None:
    """A case row recomputed from scratch from its events (with their hashes), for checks and tools."""
    row: dict[str, Any] | None = None
    specs: dict[str, dict[str, dict[str, Any] | None]] = {}
    for event in events:
        ref = event["procedure"]
        if ref not in specs:
            pid, _, version = ref.partition("@")
            try:
                specs[ref] = step_specs(registry.get(pid, int(version)))
            except (KeyError, ValueError):
                specs[ref] = {}
        row = replay_event(row, event, specs[ref].get(event["trigger"]))
    return row
