"""Spec coverage: which parts of the procedure definitions the feature scenarios exercised.

Every engine call the step definitions make goes through `create_case` / `fire` below. They record, for the
whole pytest session:

* each transition that succeeded, as (procedure ref, source state, trigger); a case's creation counts as the
  transition ("-", "create");
* each refusal reason, as (procedure ref, trigger, reason code): guard names, `separation_of_duties`,
  `minimum_period:<deadline>`, `role_not_allowed`, ...;
* each deadline that was started, as (procedure ref, deadline name), observed in the case's deadline rows.

`expected(registry)` derives what a complete spec must have exercised from the definitions themselves, so a
procedure added later (an enforcement procedure, a v2 of this one) is covered without touching this file
(for each procedure its latest version, the one new cases are opened on):
every transition from every source state, every guard of every transition refusing at least once, every
separation-of-duties rule (a `conflicts:` entry) refusing at one of its steps, the in-person rule refusing at
each act of `in_person:`, every minimum period refusing an early step, and every deadline started.

The selection bookkeeping (which scenarios this run collected and deselected) is filled in by the hooks in
tests/features/conftest.py; test_zz_spec_coverage.py reads it to decide whether the run was complete.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from workflow.definitions import Registry
from workflow.engine import Engine, Outcome
from workflow.models import Case, CaseDeadline

NO_PROCEDURE = "-"
NO_STATE = "-"  # the "source" of a case's creation


@dataclass
class Recorder:
    transitions: set[tuple[str, str, str]] = field(default_factory=set)
    refusals: set[tuple[str, str, str]] = field(default_factory=set)
    deadlines: set[tuple[str, str]] = field(default_factory=set)
    # selection bookkeeping (conftest hooks): scenario key per collected nodeid, deselected nodeids, ...
    collected: dict[str, tuple[str, str, tuple[tuple[str, str], ...]]] = field(default_factory=dict)
    deselected: set[str] = field(default_factory=set)
    modules: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    # for the feature report (web/specs.py): per scenario nodeid its database, outcome, and the procedures
    # its engine calls named; `current` is the nodeid of the test running now
    backends: dict[str, str] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    exercised: dict[str, set[str]] = field(default_factory=dict)
    current: str | None = None

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


RECORDER = Recorder()


# ---------------------------------------------------------------- the only way the steps reach the engine


def create_case(engine: Engine, procedure_id: str, actor: str, payload: Any) -> Outcome:
    outcome = engine.create_case(procedure_id, actor, payload)
    try:
        ref = engine.registry.get(procedure_id).ref
    except KeyError:
        ref = NO_PROCEDURE
    _record(engine, ref, NO_STATE, outcome)
    return outcome


def fire(engine: Engine, case_id: str, trigger: str, actor: str, payload: Any,
         expected_version: int | None = None, attachment: Any = None) -> Outcome:
    outcome = engine.fire(case_id, trigger, actor, payload, expected_version=expected_version,
                          attachment=attachment)
    with engine.sessions() as session:
        case = session.get(Case, case_id)
        ref = f"{case.procedure}@{case.procedure_version}" if case is not None else NO_PROCEDURE
    _record(engine, ref, outcome.from_state or NO_STATE, outcome)
    return outcome


def _record(engine: Engine, ref: str, source: str, outcome: Outcome) -> None:
    if RECORDER.current is not None and ref != NO_PROCEDURE:
        RECORDER.exercised.setdefault(RECORDER.current, set()).add(ref.partition("@")[0])
    if not outcome.ok:
        RECORDER.refusals.update((ref, outcome.trigger, code) for code in outcome.codes)
        return
    RECORDER.transitions.add((ref, source, outcome.trigger))
    procedure_id, _, version = ref.partition("@")
    procedure = engine.registry.get(procedure_id, int(version))
    starting = [d.name for d in procedure.deadlines.values() if outcome.trigger in d.starts_on]
    if not starting:
        return
    with engine.sessions() as session:
        present = set(session.scalars(select(CaseDeadline.name).where(
            CaseDeadline.case_id == outcome.case_id, CaseDeadline.name.in_(starting))).all())
    RECORDER.deadlines.update((ref, name) for name in present)


# ---------------------------------------------------------------- what a complete spec exercises


@dataclass(frozen=True)
class Expected:
    transitions: frozenset[tuple[str, str, str]]
    refusals: frozenset[tuple[str, str, str]]
    deadlines: frozenset[tuple[str, str]]


def expected(registry: Registry) -> Expected:
    """Everything the latest version of each procedure asks a complete spec to exercise.

    Only the latest version: the engine opens new cases on it (`create_case` takes no version), so an older
    version, which still governs its running cases, can no longer be driven from a fresh scenario.
    """
    transitions: set[tuple[str, str, str]] = set()
    refusals: set[tuple[str, str, str]] = set()
    deadlines: set[tuple[str, str]] = set()
    latest = {p.id: p for p in registry.all()}  # all() is sorted by (id, version)
    for procedure in latest.values():
        ref = procedure.ref
        transitions.add((ref, NO_STATE, "create"))
        refusals.update((ref, "create", g) for g in procedure.create.guards)
        for t in procedure.transitions:
            transitions.update((ref, source, t.trigger) for source in t.sources)
            refusals.update((ref, t.trigger, g) for g in t.guards)
        for c in procedure.conflicts:  # each separation-of-duties rule refusing at one of its steps at least
            refusals.add((ref, "|".join(c.steps), "separation_of_duties"))
        if procedure.in_person:  # the in-person rule refusing at each act it governs
            refusals.update((ref, act, procedure.in_person.rule) for act in procedure.in_person.acts)
        for d in procedure.deadlines.values():
            deadlines.add((ref, d.name))
            if d.kind == "minimum":
                refusals.update((ref, trigger, f"minimum_period:{d.name}") for trigger in d.ends_on)
    return Expected(frozenset(transitions), frozenset(refusals), frozenset(deadlines))


def missing(registry: Registry, recorder: Recorder = RECORDER) -> list[str]:
    """One line per rule of the definitions that no scenario exercised (empty: complete)."""
    want = expected(registry)
    lines = [f"transition never fired successfully: {ref} {trigger} from {source}"
             for ref, source, trigger in sorted(want.transitions - recorder.transitions)]
    lines += [f"rule never refused: {ref} {trigger} -> {code}"
              for ref, trigger, code in sorted(want.refusals - recorder.refusals)
              if not any((ref, step, code) in recorder.refusals for step in trigger.split("|"))]
    lines += [f"deadline never started: {ref} {name}" for ref, name in sorted(want.deadlines - recorder.deadlines)]
    return lines


def describe(lines: Iterable[str]) -> str:
    return "\n".join(f"  - {line}" for line in lines)
