"""Timers that tell the organisation a case is addressed to (`{addressee: <role>}` recipients,
workflow/timers/spec.py): validated on load with file, path and reason. That the notices land in the town's
inboxes is the supervision feature's scenario (features/enforcement_supervision/, both databases)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from workflow.definitions import DEFINITIONS_DIR, DefinitionError, parse

pytestmark = pytest.mark.one_database

SUP = yaml.safe_load((DEFINITIONS_DIR / "enforcement_supervision.v1.yaml").read_text(encoding="utf-8"))
MD = yaml.safe_load((DEFINITIONS_DIR / "major_decision.v2.yaml").read_text(encoding="utf-8"))


def _problems(raw: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as exc:
        parse(raw, "x.yaml")
    assert exc.value.file == "x.yaml"
    return exc.value.problems


def test_the_answer_period_tells_the_town_and_the_district() -> None:
    timers = parse(copy.deepcopy(SUP), "s.yaml").deadlines["answer_period"].timers
    assert [(t.kind, t.to, t.to_addressee) for t in timers] == [
        ("remind", ("supervisor",), ("agency_head", "legal_counsel")),
        ("overdue", ("supervisor",), ("agency_head", "legal_counsel"))]


def test_an_addressed_role_must_be_a_role_of_the_procedure() -> None:
    raw = copy.deepcopy(SUP)
    raw["deadlines"]["answer_period"]["timers"][0]["to"] = ["supervisor", {"addressee": "mayor"}]
    problems = _problems(raw)
    assert ("deadlines.answer_period.timers.0.to.1.addressee", "undefined role 'mayor'") in problems


def test_a_file_that_addresses_no_organisation_cannot_tell_one() -> None:
    raw = copy.deepcopy(MD)
    raw["deadlines"]["publication"]["timers"][1]["notify"] = [{"addressee": "drafter"}]
    problems = _problems(raw)
    assert [p for p, reason in problems if "no 'addressee:' block" in reason] == \
        ["deadlines.publication.timers.1.notify.0.addressee"]


@pytest.mark.parametrize("recipient", [{"town": "agency_head"}, {"addressee": ""}, {"addressee": ["agency_head"]}, 3])
def test_a_recipient_is_a_role_or_an_addressed_role(recipient: Any) -> None:
    raw = copy.deepcopy(SUP)
    raw["deadlines"]["answer_period"]["timers"][1]["notify"] = [recipient]
    problems = _problems(raw)
    assert any(p.startswith("deadlines.answer_period.timers.1.notify") and "{addressee: <role>}" in reason
               for p, reason in problems), problems
