"""One `transitions` state machine per procedure version, built once and shared by every case.

The machine decides which triggers exist from a state and performs the state change; the legal guards run
before it in engine.fire (so that every failure can be reported, not just the first). Cases are never
added to the machine: `events[trigger].trigger(token)` works on any object with a `state` attribute,
which is the cheapest and thread-safe pattern (library-notes §1.2, §1.6).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

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


# machine -> {(state, trigger): state after}: what the machine computed, for steps whose outcome depends on
# nothing but the state and the trigger (no conditions and no callbacks anywhere on the way).
_OUTCOMES: WeakKeyDictionary[Machine, dict[tuple[str, str], str]] = WeakKeyDictionary()


def run(procedure: Procedure, state: str, trigger: str) -> str:
    """Return the state after `trigger` fires from `state` (the same state for a recording step).

    The machine runs the first time a (state, trigger) pair comes up; when that step has no condition and
    no callback, its result is remembered and returned from then on (the machine would compute the same)."""
    machine = procedure.machine
    outcomes = _OUTCOMES.get(machine)
    if outcomes is None:
        outcomes = _OUTCOMES[machine] = {}
    known = outcomes.get((state, trigger))
    if known is not None:
        return known
    token = StateToken(state)
    if not machine.events[trigger].trigger(token):  # pragma: no cover - conditions live in guards
        raise RuntimeError(f"transition {trigger} from {state} did not run")
    if _plain(machine, state, trigger, token.state):
        outcomes[(state, trigger)] = token.state
    return token.state


def _plain(machine: Machine, state: str, trigger: str, after: str) -> bool:
    """Whether firing `trigger` from `state` depends on nothing else and does nothing but change the state."""
    if any((machine.prepare_event, machine.before_state_change, machine.after_state_change,
            machine.finalize_event, machine.on_exception, machine.on_final)):
        return False
    transitions = machine.events[trigger].transitions.get(state, [])
    if any(t.prepare or t.conditions or t.before or t.after for t in transitions):
        return False
    states = (machine.get_state(state), machine.get_state(after))
    return not any(s.on_enter or s.on_exit or getattr(s, "on_final", None) for s in states)
