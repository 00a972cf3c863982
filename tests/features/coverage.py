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
from pathlib import Path
from typing import Any

from pytest_bdd.feature import get_features
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

    # With pytest-xdist each worker fills its own Recorder; they are written to a run folder as JSON and the
    # controller checks their union (tests/features/distributed.py).

    def dump(self) -> dict[str, Any]:
        return {
            "transitions": sorted(self.transitions), "refusals": sorted(self.refusals),
            "deadlines": sorted(self.deadlines),
            "collected": {nodeid: [f, name, [list(pair) for pair in row]]
                          for nodeid, (f, name, row) in self.collected.items()},
            "deselected": sorted(self.deselected), "modules": sorted(self.modules), "failed": sorted(self.failed),
            "backends": self.backends, "results": self.results,
            "exercised": {nodeid: sorted(refs) for nodeid, refs in self.exercised.items()},
        }

    def merge(self, data: dict[str, Any]) -> None:
        """Add one worker's dump() to this recorder (a union: each worker ran its share of the scenarios)."""
        self.transitions.update(tuple(t) for t in data["transitions"])
        self.refusals.update(tuple(r) for r in data["refusals"])
        self.deadlines.update(tuple(d) for d in data["deadlines"])
        for nodeid, (f, name, row) in data["collected"].items():
            self.collected[nodeid] = (f, name, tuple((k, v) for k, v in row))
        self.deselected.update(data["deselected"])
        self.modules.update(data["modules"])
        self.failed.update(data["failed"])
        self.backends.update(data["backends"])
        for nodeid, result in data["results"].items():
            if result["outcome"] or nodeid not in self.results:
                self.results[nodeid] = result
        for nodeid, refs in data["exercised"].items():
            self.exercised.setdefault(nodeid, set()).update(refs)


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


# ---------------------------------------------------------------- the gate's verdict on a run


ScenarioKey = tuple[str, str, tuple[tuple[str, str], ...]]
GATE_MODULE = "test_zz_spec_coverage.py"


def scenario_modules() -> set[str]:
    """The test modules that bind feature files: every test_*.py of tests/features but the gate."""
    here = Path(__file__).resolve().parent
    return {str(p) for p in here.glob("test_*.py") if p.name != GATE_MODULE}


def expected_scenarios(features_dir: Path) -> set[ScenarioKey]:
    """(feature file, scenario title, example row) of every scenario (and outline row) under features_dir."""
    keys: set[ScenarioKey] = set()
    for feature in get_features([str(features_dir)]):
        for name, template in feature.scenarios.items():
            rows = [tuple(sorted(ctx.items())) for ex in template.examples for ctx in ex.as_contexts()] or [()]
            keys.update((feature.filename, name, row) for row in rows)
    return keys


@dataclass(frozen=True)
class Verdict:
    outcome: str  # "pass", "skip" (this run did not select the whole spec) or "fail"
    message: str = ""


def verdict(recorder: Recorder, features_dir: Path, scenario_modules: set[str], registry: Registry) -> Verdict:
    """Whether the scenarios this run recorded exercised every rule of every definition.

    One function for both ways of running: the gate test reads its own process's RECORDER; a distributed run
    (pytest-xdist) hands in the union of the workers' recorders (tests/features/distributed.py).
    """
    uncollected_modules = scenario_modules - recorder.modules
    if uncollected_modules:
        return Verdict("skip", "spec coverage needs the whole features run; not collected: "
                       + ", ".join(sorted(Path(m).name for m in uncollected_modules)))
    expected = expected_scenarios(features_dir)
    collected = set(recorder.collected.values())
    selected = {key for nodeid, key in recorder.collected.items() if nodeid not in recorder.deselected}
    unbound = expected - collected
    if unbound:
        return Verdict("fail", "feature scenarios that no test module binds (add a scenarios() call):\n" + describe(
            sorted(f"{Path(f).name}: {name} {dict(row) if row else ''}" for f, name, row in unbound)))
    if expected - selected:
        return Verdict("skip", f"spec coverage needs every scenario; {len(expected - selected)} of {len(expected)} "
                       "were not selected in this run (-k/-m/--deselect/--lf)")
    gaps = missing(registry, recorder)
    if not gaps:
        return Verdict("pass")
    note = ""
    if recorder.failed:
        note = f"\n({len(recorder.failed)} scenario tests failed in this run; some gaps may follow from them)"
    return Verdict("fail", "the feature scenarios never exercised:\n" + describe(gaps) + note)
