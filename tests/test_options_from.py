"""`options_from: {people_with_role: <role>}` on a payload field (workflow/options_from.py): checked on load with
file, path and reason. The engine's refusal of a person without the role is the feature scenario
features/enforcement/12_人员选项须具有相应角色.feature (both databases); the form's select is
tests/web/test_required_when.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from workflow.definitions import DEFINITIONS_DIR, DefinitionError, load_file, load_registry

pytestmark = pytest.mark.one_database


def test_an_undefined_role_and_a_field_that_is_no_single_name_are_named(tmp_path: Path) -> None:
    raw = yaml.safe_load((DEFINITIONS_DIR / "enforcement_case.v1.yaml").read_text(encoding="utf-8"))
    i, step = next((i, t) for i, t in enumerate(raw["transitions"]) if t["trigger"] == "attach_record")
    step["payload"]["recorder"]["options_from"] = {"people_with_role": "recorder"}
    step["payload"]["title"]["type"] = "text"
    step["payload"]["title"]["options_from"] = {"people_with_role": "enforcement_officer"}
    path = tmp_path / "enforcement_case.v1.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_file(path)
    assert str(path) in str(info.value)
    problems = dict(info.value.problems)
    at = f"transitions.{i}.payload"
    assert problems[f"{at}.recorder.options_from.people_with_role"] == "undefined role 'recorder'"
    assert "must be a string or a string_list, not text" in problems[f"{at}.title.options_from"]


def test_the_recorder_is_offered_from_the_enforcement_officers() -> None:
    step = next(t for t in load_registry().get("enforcement_case", 1).transitions if t.trigger == "attach_record")
    recorder = next(f for f in step.payload if f.name == "recorder")
    assert recorder.options_from is not None and recorder.options_from.role == "enforcement_officer"
