"""`required_when:` on a payload field (workflow/required_when.py): checked on load with file, path and reason;
enforced by the payload validation, naming both fields, Chinese first. No database here: the engine's audited
refusal on both databases is the feature scenario (features/enforcement/行政处罚决定金额.feature)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from workflow.definitions import DEFINITIONS_DIR, DefinitionError, load_file, load_registry
from workflow.payloads import load_payload

pytestmark = pytest.mark.one_database

ENFORCEMENT = DEFINITIONS_DIR / "enforcement_case.v1.yaml"


def _raw() -> dict[str, Any]:
    return yaml.safe_load(ENFORCEMENT.read_text(encoding="utf-8"))


def _decide(raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return next((i, t) for i, t in enumerate(raw["transitions"]) if t["trigger"] == "decide_penalty")


def test_a_rule_that_cannot_mean_what_it_says_is_named_with_file_and_path(tmp_path: Path) -> None:
    raw = _raw()
    i, step = _decide(raw)
    fields = step["payload"]
    rules = {  # one broken rule per field, one load of the file for all of them
        "amount": {"field": "penalty_kind", "in": ["fine"]},
        "additional_amount": {"field": "penalty_type", "in": ["fine", "fines"]},
        "performance": {"field": "performance", "in": ["x"]},
        "party": {"field": "legal_basis", "in": ["x"]},
    }
    for name, rule in rules.items():
        fields[name] = {**fields[name], "required_when": rule}
    fields["performance"].pop("required")
    fields["party"].pop("required")
    path = tmp_path / "enforcement_case.v1.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_file(path)
    assert str(path) in str(info.value)
    problems = dict(info.value.problems)
    at = f"transitions.{i}.payload.{{}}.required_when".format
    assert "'penalty_kind' is not a payload field of this step" in problems[at("amount") + ".field"]
    assert f"{at('additional_amount')}.in.0" not in problems
    assert "'fines' is not among the choices of 'penalty_type'" in problems[at("additional_amount") + ".in.1"]
    assert "its own value" in problems[at("performance") + ".field"]
    assert "needs a choice field" in problems[at("party") + ".field"]


@pytest.mark.parametrize(("rule", "required", "path", "reason"), [
    ({"field": "penalty_type", "in": ["fine"]}, True, "", "drop one of"),
    ({"field": "penalty_type", "values": ["fine"]}, False, ".values", "Unknown field"),  # the documents' `when:` shape
])
def test_required_with_required_when_and_a_misshapen_rule_are_refused(tmp_path: Path, rule: dict[str, Any],
                                                                      required: bool, path: str, reason: str) -> None:
    raw = _raw()
    i, step = _decide(raw)
    step["payload"]["party"].update(required_when=rule, required=required)
    file = tmp_path / "enforcement_case.v1.yaml"
    file.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_file(file)
    problems = dict(info.value.problems)
    assert reason in problems[f"transitions.{i}.payload.party.required_when{path}"], problems


DECIDED = {
    "party": "某某", "facts_and_evidence": "事实", "penalty_type": "fine", "legal_basis": "依据", "performance": "十五日内",
    "reconsideration_body": "区政府", "reconsideration_days": 60, "litigation_months": 6, "decided_on": "2026-12-01",
    "sealed": True,
}


def _decide_penalty_load(**payload: Any) -> tuple[dict[str, Any], list[dict[str, str]]]:
    step = next(t for t in load_registry().get("enforcement_case", 1).transitions if t.trigger == "decide_penalty")
    return load_payload(step.schema, step.payload, {**DECIDED, **payload})


def test_a_fine_decided_without_its_amount_names_both_fields() -> None:
    clean, problems = _decide_penalty_load()
    assert clean == {}
    assert problems == [{
        "field": "amount",
        "zh": "「罚款或没收金额（元）」：「处罚种类」为「罚款」、「没收违法所得、没收非法财物」时必填（本次选择「罚款」）",
        "en": "Amount (yuan): required when Penalty type is 'Fine' or 'Confiscation' (Fine was chosen)",
    }]


def test_the_amount_is_optional_for_other_kinds_and_given_for_a_fine() -> None:
    assert _decide_penalty_load(penalty_type="warning")[1] == []
    assert _decide_penalty_load(amount="500")[0]["amount"] == "500"


def test_an_additional_fine_needs_its_own_amount_and_other_problems_are_listed_with_it() -> None:
    _, problems = _decide_penalty_load(amount="500", additional_penalty_type="confiscation", party="")
    assert [p["field"] for p in problems] == ["party", "additional_amount"]
    assert "「并处的处罚种类」为" in problems[1]["zh"]
