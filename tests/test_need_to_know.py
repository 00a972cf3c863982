"""The definitions' `visibility:` block (workflow/need_to_know.py) is checked on load, naming file, path and reason,
and masks what it declares; workflow/case_reading.py reads it the same way for every page and the API."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from workflow import accounts
from workflow.case_reading import Reader
from workflow.definitions import DEFINITIONS_DIR, DefinitionError, load_file, load_registry
from workflow.need_to_know import ACCOUNT_ROLES, HIDDEN, mask

PENALTY = DEFINITIONS_DIR / "enforcement_case.v1.yaml"


def _problems(tmp_path: Path, change) -> list[tuple[str, str]]:
    raw = yaml.safe_load(PENALTY.read_text(encoding="utf-8"))
    change(raw["visibility"])
    path = tmp_path / PENALTY.name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_file(path)
    assert str(path) in str(info.value)
    return info.value.problems


def test_every_shipped_procedure_declares_who_sees_its_cases_and_cites_the_law() -> None:
    for procedure in load_registry().all():
        v = procedure.visibility
        assert v is not None, procedure.ref
        assert "个人信息保护法第六条" in v.basis and "第三十四条" in v.basis, procedure.ref
        acting = {r for t in (procedure.create, *procedure.transitions) for r in t.roles} - ACCOUNT_ROLES
        assert acting <= v.cases, procedure.ref
        if v.personal:
            assert v.personal_basis and "auditor" in v.cases and "auditor" not in v.personal_roles, procedure.ref


def test_the_account_roles_are_the_accounts_own() -> None:
    assert {accounts.SYSTEM_ROLE, accounts.PORTAL_ROLE} == ACCOUNT_ROLES


def test_an_unknown_role_is_named(tmp_path: Path) -> None:
    problems = _problems(tmp_path, lambda v: v["cases"].append("clerk"))
    assert ("visibility.cases.4", "unknown role 'clerk' (not in roles:)") in problems


def test_a_role_that_takes_steps_must_see_the_cases(tmp_path: Path) -> None:
    problems = _problems(tmp_path, lambda v: v["cases"].remove("agency_head"))
    assert any(path == "visibility.cases" and "'agency_head' takes steps" in reason for path, reason in problems)


def test_personal_data_go_only_to_roles_that_see_the_case(tmp_path: Path) -> None:
    def change(v: dict) -> None:
        v["cases"].remove("legal_reviewer")
        v["personal_data"]["roles"].append("nobody")

    problems = dict(_problems(tmp_path, change))
    assert "may not see the cases" in problems["visibility.personal_data.roles.2"]
    # after the definition's four (the officer, the head, the legal reviewer and the supervisor, issue 14)
    assert problems["visibility.personal_data.roles.4"] == "unknown role 'nobody' (not in roles:)"


def test_a_personal_field_is_one_a_step_records(tmp_path: Path) -> None:
    def change(v: dict) -> None:
        v["personal_data"]["fields"].update({"filing.phone": "hidden", "nowhere.party": "name"})

    problems = dict(_problems(tmp_path, change))
    assert problems["visibility.personal_data.fields.filing.phone"] == "'phone' is not a field any step records " \
                                                                       "under 'filing'"
    assert "'nowhere' is not where any step records" in problems["visibility.personal_data.fields.nowhere.party"]


def test_a_mask_is_one_of_the_known_ones(tmp_path: Path) -> None:
    problems = _problems(tmp_path, lambda v: v["personal_data"]["fields"].update({"filing.party": "blur"}))
    assert problems == [("visibility.personal_data.fields.filing.party", "must be one of: name, hidden")]


def test_masks() -> None:
    assert mask("陈某某（后龙镇后龙村）", "name") == "陈**"
    assert mask(["林先生", ""], "name") == ["林**", ""]
    assert mask("13900000000", "hidden") == HIDDEN


def test_a_reader_masks_data_titles_and_payloads_as_the_definition_says() -> None:
    registry = load_registry()
    penalty = registry.get("enforcement_case")
    data = {"filing": {"party": "陈某某", "title": "陈某某堆放建材案", "field": "市容"},
            "decision": {"party": "陈某某，住后龙村", "amount": "2000"},
            "previous_rounds": [{"decision": {"party": "陈某某"}}], "superseded": {"decision": [{"party": "陈某某"}]}}
    auditor, officer = Reader.of(registry, ["auditor"]), Reader.of(registry, ["enforcement_officer"])
    assert auditor.sees(penalty) and not auditor.sees_personal(penalty)
    shown = auditor.data(penalty, data)
    assert "陈某某" not in repr(shown) and shown["filing"]["field"] == "市容" and shown["decision"]["amount"] == "2000"
    assert shown["filing"]["party"] == "陈**" and shown["filing"]["title"] == HIDDEN
    assert data["filing"]["party"] == "陈某某"  # a copy: the stored data are never touched
    assert auditor.title(penalty, "陈某某堆放建材案") == HIDDEN
    assert auditor.payload(penalty, "create", {"party": "陈某某", "facts": "堆放"}) == {"party": "陈**", "facts": "堆放"}
    assert auditor.payload(penalty, "decide_penalty", {"party": "陈某某"}) == {"party": "陈**"}
    assert officer.data(penalty, data) == data and officer.title(penalty, "陈某某堆放建材案") == "陈某某堆放建材案"
    drafter = Reader.of(registry, ["drafter"])
    assert not drafter.sees(penalty) and drafter.sees(registry.get("major_decision"))


def test_a_reader_who_sees_every_procedure_adds_nothing_to_the_lists_sql() -> None:
    """The auditors see every procedure's cases: their list keeps reading its indexes alone (workflow/worklist.py);
    a drafter's list is narrowed to the procedures they may see."""
    registry = load_registry()
    assert Reader.of(registry, ["auditor"]).seen_clause() is None
    clause = Reader.of(registry, ["drafter"]).seen_clause()
    assert clause is not None and "enforcement_case" not in str(clause.compile(compile_kwargs={"literal_binds": True}))
