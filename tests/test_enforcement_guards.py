"""The enforcement guards' own tables agree with the definitions they serve."""

from __future__ import annotations

from workflow.definitions import load_registry
from workflow.guards_enforcement import CHECKLIST, PENALTY_ZH, SEVERITY

REGISTRY = load_registry()


def _choices(procedure: str, trigger: str, field: str) -> set[str]:
    proc = REGISTRY.get(procedure)
    step = next(t for t in proc.transitions if t.trigger == trigger)
    return {value for value, _ in next(f for f in step.payload if f.name == field).choices}


def test_the_checklist_is_the_review_definitions_checklist() -> None:
    assert set(CHECKLIST) == _choices("enforcement_review", "record_checklist_finding", "item")


def test_every_penalty_type_has_a_weight_and_a_name() -> None:
    for trigger in ("notify_intended_penalty", "notify_with_hearing_rights", "decide_penalty"):
        assert _choices("enforcement_case", trigger, "penalty_type") == set(SEVERITY) == set(PENALTY_ZH)
