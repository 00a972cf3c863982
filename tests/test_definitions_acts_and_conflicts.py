"""The in_person and conflicts blocks of a definition are validated on load: file, path and reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from workflow.definitions import DEFINITIONS_DIR, DefinitionError, DefinitionErrors, load_file, load_registry

CASE = DEFINITIONS_DIR / "enforcement_case.v1.yaml"
REVIEW = DEFINITIONS_DIR / "enforcement_review.v1.yaml"
MAJOR = DEFINITIONS_DIR / "major_decision.v2.yaml"


def _raw(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _problems(tmp_path: Path, raw: dict, name: str) -> list[tuple[str, str]]:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_file(path)
    assert str(path) in str(info.value)
    return info.value.problems


def test_the_shipped_blocks_load_as_declared() -> None:
    registry = load_registry()
    case = registry.get("enforcement_case")
    assert case.in_person is not None and case.in_person.rule == "acting_officers_certified"
    assert case.in_person.acts["record_hearing"].date == "held_on"
    assert case.in_person.acts["register_evidence_preservation"].date is None
    assert case.in_person.acts["seal_or_seize_property"].officers == "officers_present"
    [chair] = case.conflicts_of("schedule_hearing")
    assert (chair.person, chair.acted_as, chair.basis) == ("chair", ("enforcement_officer",), "处罚法第六十四条第四项")
    [review] = registry.get("enforcement_review").conflicts_of("accept_for_review")
    assert review.linked is not None and review.linked.path == "submission.enforcement_case"
    major = registry.get("major_decision")
    assert [t.trigger for t in major.transitions if t.separation_from == ("drafter",)] == [
        "record_adviser_opinion", "return_for_supplement", "issue_legality_opinion"]


def test_an_unknown_in_person_act_is_named(tmp_path: Path) -> None:
    raw = _raw(CASE)
    raw["in_person"]["acts"]["inspect_premises"] = {}
    assert ("in_person.acts.inspect_premises", "unknown trigger 'inspect_premises'") in _problems(
        tmp_path, raw, CASE.name)


def test_an_in_person_act_date_must_be_a_required_date_of_the_step(tmp_path: Path) -> None:
    raw = _raw(CASE)
    raw["in_person"]["acts"]["serve_decision"] = {"date": "proof_ref"}
    raw["in_person"]["acts"]["record_statement"] = {"officers": "statement"}
    problems = dict(_problems(tmp_path, raw, CASE.name))
    assert "required date payload field of 'serve_decision'" in problems["in_person.acts.serve_decision.date"]
    assert "account-list payload field" in problems["in_person.acts.record_statement.officers"]


def test_the_in_person_rule_must_be_a_known_guard(tmp_path: Path) -> None:
    raw = _raw(CASE)
    raw["in_person"]["rule"] = "officers_are_nice"
    assert ("in_person.rule", "unknown guard 'officers_are_nice' (known: the guards of workflow/procedures/<family>/)") in _problems(
        tmp_path, raw, CASE.name)


def test_a_conflict_names_known_steps_roles_person_and_data_paths(tmp_path: Path) -> None:
    raw = _raw(CASE)
    raw["conflicts"][0]["steps"].append("chair_the_hearing")
    raw["conflicts"][0]["acted_as"].append("investigator")
    raw["conflicts"][0]["named_in"].append("investigation.plan_text")
    raw["conflicts"][0]["named_in"].append("inquiry.officers")
    problems = dict(_problems(tmp_path, raw, CASE.name))
    assert problems["conflicts.0.steps.1"] == "unknown trigger 'chair_the_hearing'"
    assert problems["conflicts.0.acted_as.1"] == "undefined role 'investigator'"
    assert "'plan_text' is not a payload field" in problems["conflicts.0.named_in.3"]
    assert "'inquiry' is not where any step records" in problems["conflicts.0.named_in.4"]


def test_a_conflict_person_is_the_actor_or_an_account_field_of_each_step(tmp_path: Path) -> None:
    raw = _raw(CASE)
    raw["conflicts"][0]["person"] = "hearing_date"
    problems = dict(_problems(tmp_path, raw, CASE.name))
    assert "must be 'actor' or a required account (string) payload field of 'schedule_hearing'" in \
        problems["conflicts.0.person"]


def test_a_linked_path_must_name_a_recorded_field(tmp_path: Path) -> None:
    raw = _raw(REVIEW)
    raw["conflicts"][0]["linked"]["path"] = "submission.case_number"
    problems = dict(_problems(tmp_path, raw, REVIEW.name))
    assert "'case_number' is not a payload field" in problems["conflicts.0.linked.path"]


def test_the_old_per_step_separation_key_is_refused(tmp_path: Path) -> None:
    raw = _raw(MAJOR)
    raw["transitions"][0]["separation_from"] = ["drafter"]
    assert any(path == "transitions.0.separation_from" for path, _ in _problems(tmp_path, raw, MAJOR.name))


def test_the_data_paths_of_a_linked_case_are_checked_against_that_procedure(tmp_path: Path) -> None:
    for path in DEFINITIONS_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    raw = _raw(REVIEW)
    raw["conflicts"][0]["named_in"] = ["investigation.officers", "hearing.chairperson"]
    (tmp_path / REVIEW.name).write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DefinitionErrors) as info:
        load_registry(tmp_path)
    [error] = info.value.errors
    assert error.file == str(tmp_path / REVIEW.name)
    [(where, reason)] = error.problems
    assert where == "conflicts.0.named_in.1" and "in enforcement_case@1" in reason and "'chairperson'" in reason
    raw["conflicts"][0]["linked"]["procedure"] = "penalty_case"
    (tmp_path / REVIEW.name).write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DefinitionErrors) as info:
        load_registry(tmp_path)
    assert info.value.errors[0].problems == [("conflicts.0.linked.procedure", "no procedure 'penalty_case' is loaded")]
