"""`options_from: {record: ...}` (the case's own recorded list) and `options_from: {setting: ..., open: true}` (a
setting's list as suggestions) are checked on load, naming file, path and reason; the choices are the list's items
still open for the step (workflow/options_from.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from workflow.definitions import DEFINITIONS_DIR, DefinitionError, load_file, load_registry
from workflow.options_from import record_choices

pytestmark = pytest.mark.one_database

DECISION = DEFINITIONS_DIR / "major_decision.v2.yaml"


def _problems(tmp_path: Path, change) -> dict[str, str]:
    raw = yaml.safe_load(DECISION.read_text(encoding="utf-8"))
    steps = {t["trigger"]: (i, t) for i, t in enumerate(raw["transitions"])}
    change(steps)
    path = tmp_path / DECISION.name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_file(path)
    assert str(path) in str(info.value)
    return dict(info.value.problems)


def test_a_list_no_step_appends_to_a_field_not_recorded_in_it_and_a_mismatched_type_are_named(tmp_path: Path):
    def change(steps) -> None:
        steps["decide_comment_adoption"][1]["payload"]["comment_no"]["options_from"] = {"record": "remarks"}
        payload = steps["submit_for_collective_discussion"][1]["payload"]
        payload["materials"]["options_from"] = {"record": "records", "value": "heading"}
        payload["fair_competition_review"]["options_from"] = {"record": "records", "value": "title"}
        steps["archive"][1]["payload"]["archive_ref"]["options_from"] = {"record": "comments"}
    problems = _problems(tmp_path, change)
    decide, submit, archive = (f"transitions.{steps_i}.payload" for steps_i in _indexes())
    assert problems[f"{decide}.comment_no.options_from.record"] == "no step appends to 'remarks' (record: append)"
    assert problems[f"{submit}.materials.options_from"] == "'heading' is not a field recorded in 'records'"
    assert "must be string or string_list, not text" in problems[f"{submit}.fair_competition_review.options_from"]
    assert "must be integer, not string" in problems[f"{archive}.archive_ref.options_from"]


def _indexes() -> list[int]:
    raw = yaml.safe_load(DECISION.read_text(encoding="utf-8"))
    triggers = [t["trigger"] for t in raw["transitions"]]
    return [triggers.index(t) for t in ("decide_comment_adoption", "submit_for_collective_discussion", "archive")]


def test_suggestions_are_for_a_text_field_and_go_with_a_setting(tmp_path: Path):
    def change(steps) -> None:
        steps["archive"][1]["payload"]["materials"]["options_from"] = {"setting": "organisation.units", "open": True}
    at = f"transitions.{_indexes()[2]}.payload.materials.options_from.open"
    assert "suggestions are offered for a text field" in _problems(tmp_path, change)[at]

    def schema(steps) -> None:
        steps["start"][1]["payload"]["lead_unit"]["options_from"] = {"record": "comments", "open": True}
    assert any("open and strict go with setting" in why for why in _problems(tmp_path, schema).values())


def test_the_choices_are_the_items_the_step_has_not_decided():
    decision = load_registry().get("major_decision", 2)
    decide = next(t for t in decision.transitions if t.trigger == "decide_comment_adoption")
    rule = next(f for f in decide.payload if f.name == "comment_no").options_from
    data = {"comments": [{"no": 1, "content": "加装电梯", "adoption": "adopted"}, {"no": 2, "content": "分期实施"}]}
    assert record_choices(data, rule, decide) == (("2", "2. 分期实施"),)
    assert record_choices(data, rule) == (("1", "1. 加装电梯"), ("2", "2. 分期实施"))
    assert record_choices({}, rule, decide) == ()
