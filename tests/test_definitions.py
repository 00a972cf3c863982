"""Definition files are validated whole: every error names file, path and reason; nothing half-loads."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from tests.cli import Lawflow
from workflow.definitions import DEFINITIONS_DIR, DefinitionError, DefinitionErrors, load_file, load_registry

MAJOR = DEFINITIONS_DIR / "major_decision.v1.yaml"


def _raw() -> dict:
    return yaml.safe_load(MAJOR.read_text(encoding="utf-8"))


def _write(tmp_path: Path, raw: dict, name: str = "major_decision.v1.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def _problems(tmp_path: Path, raw: dict) -> list[tuple[str, str]]:
    path = _write(tmp_path, raw)
    with pytest.raises(DefinitionError) as info:
        load_file(path)
    assert str(path) in str(info.value)
    return info.value.problems


def test_shipped_definitions_load() -> None:
    registry = load_registry()
    proc = registry.get("major_decision")
    versions = sorted(p.version for p in registry.all() if p.id == "major_decision")
    assert versions[0] == 1 and proc.version == versions[-1]  # new cases start under the newest
    assert registry.get("major_decision", 1).ref == "major_decision@1"  # the older stays, for its cases
    assert proc.states[proc.initial].label.zh == "决策建议"
    assert all(t.basis for t in proc.transitions)


def test_major_decision_v2_is_v1_plus_the_step_that_uploads_materials() -> None:
    registry = load_registry()
    v1, v2 = registry.get("major_decision", 1), registry.get("major_decision", 2)
    assert (v2.states, v2.roles, v2.deadlines, v2.create, v2.initial) == (v1.states, v1.roles, v1.deadlines,
                                                                           v1.create, v1.initial)
    # display only: v2 offers its uploaded files as the materials sent to the meeting (options_from: {record: records})
    offered = [dataclasses.replace(t, payload=tuple(dataclasses.replace(f, options_from=None) if f.options_from
                                                    and f.options_from.record == "records" else f for f in t.payload))
               for t in v2.transitions if t.trigger != "attach_material"]
    assert offered == list(v1.transitions)
    assert not any(t.attachment for t in v1.transitions) and v1.attachments is None
    [attach] = [t for t in v2.transitions if t.trigger == "attach_material"]
    assert attach.attachment and attach.dest is None and attach.roles == ("drafter",)
    assert set(attach.sources) == {s for s, state in v2.states.items() if not state.terminal}
    assert attach.record is not None and (attach.record.mode, attach.record.key) == ("append", "records")
    assert v2.attachments is not None and not v2.attachments.every_stage and "第三十三条" in v2.attachments.basis


def test_unknown_key_is_named(tmp_path: Path) -> None:
    raw = _raw()
    raw["transitions"][0]["condition"] = "x"
    assert ("transitions.0.condition", "Unknown field.") in _problems(tmp_path, raw)


def test_unknown_guard_is_named(tmp_path: Path) -> None:
    raw = _raw()
    raw["transitions"][2]["guards"] = ["no_such_rule"]
    problems = _problems(tmp_path, raw)
    assert any(p == "transitions.2.guards.0" and "unknown guard 'no_such_rule'" in r for p, r in problems)


def test_undefined_and_unreachable_states(tmp_path: Path) -> None:
    raw = _raw()
    raw["transitions"][0]["dest"] = "nowhere"
    raw["states"]["limbo"] = {"label": {"zh": "悬置", "en": "Limbo"}, "terminal": True}
    problems = dict(_problems(tmp_path, raw))
    assert problems["transitions.0.dest"] == "undefined state 'nowhere'"
    assert problems["states.limbo"] == "unreachable from the initial state"


def test_duplicate_trigger_from_one_state(tmp_path: Path) -> None:
    raw = _raw()
    duplicate = dict(raw["transitions"][0], dest="not_started")
    raw["transitions"].append(duplicate)
    problems = _problems(tmp_path, raw)
    assert any("duplicate trigger 'start' from state 'proposed'" in r for _, r in problems)


def test_missing_label_and_basis(tmp_path: Path) -> None:
    raw = _raw()
    del raw["transitions"][1]["basis"]
    del raw["states"]["drafting"]["label"]["en"]
    problems = dict(_problems(tmp_path, raw))
    assert problems["transitions.1.basis"] == "Missing data for required field."
    assert problems["states.drafting.label.en"] == "Missing data for required field."


def test_missing_legal_basis(tmp_path: Path) -> None:
    raw = _raw()
    raw["legal_basis"] = []
    assert dict(_problems(tmp_path, raw))["legal_basis"].startswith("Shorter than minimum length")


def test_dead_end_state(tmp_path: Path) -> None:
    raw = _raw()
    raw["transitions"] = [t for t in raw["transitions"] if t["trigger"] != "resume_execution"]
    for t in raw["transitions"]:
        if t["trigger"] == "start_major_adjustment":
            t["source"] = "executing"
    assert _problems(tmp_path, raw) == [("states.suspended", "not terminal but no transition leaves it")]


def test_version_must_match_file_name(tmp_path: Path) -> None:
    raw = _raw()
    raw["version"] = 2
    assert any(p == "version" for p, _ in _problems(tmp_path, raw))


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "major_decision.v1.yaml"
    path.write_text("procedure: major_decision\nstates: [unclosed\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_file(path)
    assert "line" in info.value.problems[0][0] and "not valid YAML" in info.value.problems[0][1]


def test_one_bad_file_fails_the_whole_registry(tmp_path: Path) -> None:
    _write(tmp_path, _raw())
    bad = _raw()
    bad["procedure"], bad["initial"] = "other", "nowhere"
    _write(tmp_path, bad, "other.v1.yaml")
    with pytest.raises(DefinitionErrors) as info:
        load_registry(tmp_path)
    assert "other.v1.yaml: initial: undefined state 'nowhere'" in str(info.value)


def test_cli_check_exits_non_zero_naming_the_problem(tmp_path: Path) -> None:
    raw = _raw()
    raw["transitions"][0]["roles"] = ["janitor"]
    path = _write(tmp_path, raw)
    run = Lawflow()("definitions", "check", str(path))
    assert run.returncode == 1
    assert f"{path}: transitions.0.roles.0: undefined role 'janitor'" in run.stderr
    assert "Traceback" not in run.stderr
    good = Lawflow()("definitions", "check", str(MAJOR))
    assert good.returncode == 0 and "major_decision@1" in good.stdout


def test_end_from_must_be_a_required_date_of_each_ending_step(tmp_path: Path) -> None:
    raw = yaml.safe_load((DEFINITIONS_DIR / "enforcement_case.v1.yaml").read_text(encoding="utf-8"))
    raw["deadlines"]["publication_period"]["end_from"] = "location"  # a string field, not a date
    path = _write(tmp_path, raw, "enforcement_case.v1.yaml")
    with pytest.raises(DefinitionError) as info:
        load_file(path)
    assert ("deadlines.publication_period.end_from",
            "'location' must be a required date payload field of 'publish_decision'") in info.value.problems


def _enforcement_problems(tmp_path: Path, change) -> list[tuple[str, str]]:
    raw = yaml.safe_load((DEFINITIONS_DIR / "enforcement_case.v1.yaml").read_text(encoding="utf-8"))
    change(raw)
    path = _write(tmp_path, raw, "enforcement_case.v1.yaml")
    with pytest.raises(DefinitionError) as info:
        load_file(path)
    return info.value.problems


def _step(raw: dict, trigger: str) -> tuple[int, dict]:
    return next((i, t) for i, t in enumerate(raw["transitions"]) if t["trigger"] == trigger)


def test_a_payload_field_may_not_take_a_name_the_engine_writes(tmp_path: Path) -> None:
    def change(raw: dict) -> None:
        _, step = _step(raw, "record_recusal")
        step["payload"]["recorded_by"] = {"type": "string", "label": {"zh": "记录人", "en": "By"}}
        _, attach = _step(raw, "attach_record")
        attach["payload"]["sha256"] = {"type": "string", "label": {"zh": "哈希", "en": "Hash"}}

    problems = dict(_enforcement_problems(tmp_path, change))
    shipped = yaml.safe_load((DEFINITIONS_DIR / "enforcement_case.v1.yaml").read_text(encoding="utf-8"))
    recusal, attach = _step(shipped, "record_recusal")[0], _step(shipped, "attach_record")[0]
    assert "written by the engine" in problems[f"transitions.{recusal}.payload.recorded_by"]
    assert "written by the engine" in problems[f"transitions.{attach}.payload.sha256"]


def test_an_attachment_step_needs_a_format_known_kinds_and_acts_and_the_procedure_names_its_files(
        tmp_path: Path) -> None:
    def change(raw: dict) -> None:
        _, attach = _step(raw, "attach_record")
        attach["payload"]["format"]["choices"].append({"value": "exe", "label": {"zh": "程序", "en": "Program"}})
        attach["payload"]["act"]["choices"].append({"value": "no_such_step", "label": {"zh": "无", "en": "None"}})
        attach["payload"]["kind"]["choices"].append({"value": "draft", "label": {"zh": "草案", "en": "Draft"}})
        raw["audio_video"]["acts"].append("fly_away")
        del raw["attachments"]

    problems = _enforcement_problems(tmp_path, change)
    reasons = [r for _, r in problems]
    assert any("'exe' is not one of" in r for r in reasons)
    assert any("unknown trigger 'no_such_step'" in r for r in reasons)
    assert any("'draft' is not one of av, text" in r for r in reasons)  # kind: the record's form, text or av
    assert ("audio_video.acts.1", "unknown trigger 'fly_away'") in problems
    assert any(p == "attachments" for p, _ in problems)

    def no_format(raw: dict) -> None:
        _, attach = _step(raw, "attach_record")
        del attach["payload"]["format"]
        attach["payload"]["kind"]["required"] = False

    reasons = [r for _, r in _enforcement_problems(tmp_path, no_format)]
    assert any("needs a required choice field 'format'" in r for r in reasons)
    assert any("needs a required choice field 'kind'" in r for r in reasons)  # if asked, then required


def test_an_attachment_step_without_kind_is_valid() -> None:
    """A decision's material is text or audio-video by its format: the step need not ask (the engine records
    the format's kind)."""
    raw = yaml.safe_load((DEFINITIONS_DIR / "major_decision.v2.yaml").read_text(encoding="utf-8"))
    _, attach = _step(raw, "attach_material")
    assert attach["attachment"] and "kind" not in attach["payload"]
    assert load_file(DEFINITIONS_DIR / "major_decision.v2.yaml").ref == "major_decision@2"


def test_a_stages_expected_materials_are_its_states_and_the_attaching_steps_kinds(tmp_path: Path) -> None:
    raw = yaml.safe_load((DEFINITIONS_DIR / "major_decision.v2.yaml").read_text(encoding="utf-8"))
    raw["attachments"]["expects"]["nowhere"] = {"materials": ["draft"], "basis": "条例"}
    raw["attachments"]["expects"]["legality_review"]["materials"].append("napkin")
    with pytest.raises(DefinitionError) as info:
        load_file(_write(tmp_path, raw, "major_decision.v2.yaml"))
    assert ("attachments.expects.nowhere", "unknown state 'nowhere'") in info.value.problems
    assert any(path == "attachments.expects.legality_review.materials.2" and "'napkin'" in reason
               for path, reason in info.value.problems)


def test_a_load_is_kept_until_a_file_or_the_registered_families_change(tmp_path: Path) -> None:
    import shutil

    from workflow.definitions import DEFINITIONS_DIR, load_registry
    from workflow.procedures import GUARDS

    folder = tmp_path / "defs"
    shutil.copytree(DEFINITIONS_DIR, folder, ignore=shutil.ignore_patterns("calendar"))
    first = load_registry(folder)
    assert load_registry(folder) is first  # nothing changed: the same load
    target = folder / "enforcement_review.v1.yaml"
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace("en: Legal review of", "en: Legal check of ", 1),
                      encoding="utf-8")  # same size, likely the same timestamp: the content decides
    changed = load_registry(folder)
    assert changed is not first
    assert changed.get("enforcement_review", 1).label.en == "Legal check of  a major enforcement decision"
    generation = GUARDS.generation
    GUARDS.generation += 1  # as register/unregister of a family do
    try:
        assert load_registry(folder) is not changed
    finally:
        GUARDS.generation = generation
