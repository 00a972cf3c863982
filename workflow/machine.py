"""One `transitions` state machine per procedure version, built once and shared by every case.

The machine decides which triggers exist from a state and performs the state change; the legal guards run
before it in engine.fire (so that every failure can be reported, not just the first). Cases are never
added to the machine: `events[trigger].trigger(token)` works on any object with a `state` attribute,
which is the cheapest and thread-safe pattern (library-notes §1.2, §1.6).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from transitions import Machine

if TYPE_CHECKING:
    from workflow.definitions import Procedure


@dataclass
class StateToken:
    """Stands in for a case while the machine runs; the engine copies the result back to the row."""

    state: str


def build_machine(procedure: Procedure) -> Machine:
    return Machine(
        model=None,
        states=[{"name": s.name, "final": s.terminal} for s in procedure.states.values()],
        transitions=[
            {"trigger": t.trigger, "source": list(t.sources), "dest": t.dest} for t in procedure.transitions
        ],
        initial=procedure.initial,
        auto_transitions=False,
        model_attribute="state",
    )


def allowed_triggers(procedure: Procedure, state: str) -> list[str]:
    return procedure.machine.get_triggers(state)


def run(procedure: Procedure, state: str, trigger: str) -> str:
    """Return the state after `trigger` fires from `state` (the same state for a recording step)."""
    token = StateToken(state)
    if not procedure.machine.events[trigger].trigger(token):  # pragma: no cover - conditions live in guards
        raise RuntimeError(f"transition {trigger} from {state} did not run")
    return token.state
