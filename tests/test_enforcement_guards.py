"""The enforcement guards' own tables agree with the definitions they serve."""

from __future__ import annotations

from workflow.definitions import load_registry
from workflow.procedures.enforcement.law import CHECKLIST, PENALTY_ZH

REGISTRY = load_registry()


def _choices(procedure: str, trigger: str, field: str) -> set[str]:
    proc = REGISTRY.get(procedure)
    step = next(t for t in proc.transitions if t.trigger == trigger)
    return {value for value, _ in next(f for f in step.payload if f.name == field).choices}


def test_the_checklist_is_the_review_definitions_checklist() -> None:
    assert set(CHECKLIST) == _choices("enforcement_review", "record_checklist_finding", "item")


def test_every_penalty_type_is_ordered_and_named() -> None:
    order = REGISTRY.get("enforcement_case").block("severity")
    assert order is not None
    for trigger in ("notify_intended_penalty", "notify_with_hearing_rights", "renotify_intended_penalty",
                    "renotify_with_hearing_rights", "decide_penalty"):
        for field in ("penalty_type", "additional_penalty_type"):
            assert _choices("enforcement_case", trigger, field) == order.kinds() == set(PENALTY_ZH)
