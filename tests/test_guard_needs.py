"""A guard says what of the definition it reads (`needs=` on `GuardTable.guard`, workflow/guards.py) and the loader
refuses a step naming it without that, naming file and path: the quorum guards of 条例第三十条 read the step's
`roll_call` (who the decision body is), so a meeting step without one fails to load rather than refusing every
meeting at run time. A family's own block can be needed the same way (tests/test_adding_a_procedure.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from workflow.definitions import DEFINITIONS_DIR, DefinitionError, parse
from workflow.procedures import GUARDS

FILE = DEFINITIONS_DIR / "major_decision.v2.yaml"


def _definition() -> dict:
    return yaml.safe_load(FILE.read_text(encoding="utf-8"))


def _step(data: dict, trigger: str) -> tuple[int, dict]:
    return next((i, t) for i, t in enumerate(data["transitions"]) if t["trigger"] == trigger)


def test_the_quorum_guards_declare_the_roll_call_they_read() -> None:
    assert GUARDS["quorum_present"].needs == ("roll_call",)
    assert GUARDS["attendees_are_decision_members"].needs == ("roll_call",)


def test_the_deployed_meeting_step_gives_its_roll_call() -> None:
    procedure = parse(_definition(), str(FILE))
    assert procedure.transition("convene_meeting", "collective_discussion").roll_call is not None


def test_a_meeting_step_without_roll_call_is_refused_naming_file_path_and_guards() -> None:
    data = _definition()
    i, step = _step(data, "convene_meeting")
    del step["roll_call"]
    with pytest.raises(DefinitionError) as raised:
        parse(data, str(FILE))
    needing = {f"transitions.{i}.guards.{step['guards'].index(g)}": g
               for g in ("attendees_are_decision_members", "quorum_present")}
    found = {(path, reason) for path, reason in raised.value.problems if "reads the step's" in reason}
    assert found == {(path, f"the guard {g!r} reads the step's 'roll_call', which this step does not give")
                     for path, g in needing.items()}
    assert str(raised.value).startswith(f"{FILE}: ")


def test_a_step_giving_what_its_guards_need_is_not_refused_for_it(tmp_path: Path) -> None:
    data = _definition()
    _, step = _step(data, "convene_meeting")
    step["guards"] = ["quorum_present"]  # only the guard that needs it: the roll call is there
    parse(data, str(tmp_path / "major_decision.v2.yaml"))


def test_an_enforcement_definition_without_its_order_of_kinds_is_refused_where_kinds_are_compared() -> None:
    """处罚法第四十四条、第四十五条、第六十二条: whether a decision goes beyond a notice depends on which penalty
    kinds are heavier; without the `severity:` block the loader refuses every step whose guard compares kinds."""
    enforcement = DEFINITIONS_DIR / "enforcement_case.v1.yaml"
    data = yaml.safe_load(enforcement.read_text(encoding="utf-8"))
    del data["severity"]
    with pytest.raises(DefinitionError) as raised:
        parse(data, str(enforcement))
    comparing = {g for g in ("no_heavier_penalty_after_defence", "decision_within_last_notice")
                 if GUARDS[g].needs == ("severity",)}
    assert comparing == {"no_heavier_penalty_after_defence", "decision_within_last_notice"}
    named = {reason.split("'")[1] for path, reason in raised.value.problems
             if path.startswith("transitions.") and "'severity' block" in reason}
    assert named == comparing
