"""`options_from: {cases_of: <guard>, drawn: ...}` (workflow/options_from.py): a field offering the cases a guard of
its step accepts, and a list the page draws; validated on load with file, path and reason."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from workflow.definitions import DEFINITIONS_DIR, DefinitionError, parse
from workflow.options_from import Drawn
from workflow.required_when import RequiredWhen

pytestmark = pytest.mark.one_database

SUP = yaml.safe_load((DEFINITIONS_DIR / "enforcement_supervision.v1.yaml").read_text(encoding="utf-8"))


def _draw(raw: dict[str, Any]) -> dict[str, Any]:
    return next(t for t in raw["transitions"] if t["trigger"] == "draw_sample")["payload"]


def _score(raw: dict[str, Any]) -> dict[str, Any]:
    return next(t for t in raw["transitions"] if t["trigger"] == "score_case")["payload"]


def test_the_draw_and_the_scored_file_offer_what_their_guards_accept() -> None:
    procedure = parse(copy.deepcopy(SUP), "s.yaml")
    draw_step = next(t for t in procedure.transitions if t.trigger == "draw_sample")
    cases = next(f for f in draw_step.payload if f.name == "cases")
    assert cases.options_from is not None and cases.options_from.key == "cases_of:sample_closed_cases_of_town"
    assert cases.options_from.drawn == Drawn(RequiredWhen("method", ("random",)), "seed", "candidates")
    score = next(t for t in procedure.transitions if t.trigger == "score_case")
    assert next(f for f in score.payload if f.name == "case_id").options_from.cases_of == "scored_case_in_sample"  # type: ignore[union-attr]


P = "transitions.0.payload"
S = "transitions.1.payload"


def test_lines_of_names_a_block_the_file_gives_on_a_list() -> None:
    raw = copy.deepcopy(SUP)
    _score(raw)["scores"]["options_from"] = {"lines_of": "severity"}
    _score(raw)["remarks"]["options_from"] = {"lines_of": "scoring"}
    with pytest.raises(DefinitionError) as exc:
        parse(raw, "x.yaml")
    problems = exc.value.problems
    assert (f"{S}.scores.options_from.lines_of", "the file gives no family block 'severity' to take the lines of") \
        in problems
    assert any(p == f"{S}.remarks.options_from" and "must be a string_list, not text" in r for p, r in problems)


@pytest.mark.parametrize("change, path, reason", [
    (lambda r: _score(r)["case_id"]["options_from"].update(cases_of="sample_closed_cases_of_town"),
     f"{S}.case_id.options_from.cases_of", "is not a guard of this step"),
    (lambda r: _draw(r)["cases"]["options_from"].update(cases_of="random_draw_reproducible"),
     f"{P}.cases.options_from.cases_of", "no family offers the cases"),
    (lambda r: _draw(r)["cases"]["options_from"]["drawn"]["when"].update(field="seed"),
     f"{P}.cases.options_from.drawn.when.field", "is not a choice field"),
    (lambda r: _draw(r)["cases"]["options_from"]["drawn"]["when"].update({"in": ["lottery"]}),
     f"{P}.cases.options_from.drawn.when.in.0", "'lottery' is not a choice of 'method'"),
    (lambda r: _draw(r)["cases"]["options_from"]["drawn"].update(seed="candidates"),
     f"{P}.cases.options_from.drawn.seed", "must be another string field"),
    (lambda r: _draw(r)["cases"]["options_from"]["drawn"].update(candidates="cases"),
     f"{P}.cases.options_from.drawn.candidates", "must be another string_list field"),
    (lambda r: _draw(r)["seed"].update(options_from={
        "cases_of": "sample_closed_cases_of_town",
        "drawn": {"when": {"field": "method", "in": ["random"]}, "seed": "seed", "candidates": "candidates"}}),
     f"{P}.seed.options_from.drawn", "only a list of cases is drawn"),
])
def test_a_wrong_offer_is_named_on_load(change: Callable[[dict[str, Any]], Any], path: str, reason: str) -> None:
    raw = copy.deepcopy(SUP)
    assert raw["transitions"][0]["trigger"] == "draw_sample" and raw["transitions"][1]["trigger"] == "score_case"
    change(raw)
    with pytest.raises(DefinitionError) as exc:
        parse(raw, "x.yaml")
    assert exc.value.file == "x.yaml"
    assert any(p == path and reason in r for p, r in exc.value.problems), exc.value.problems


@pytest.mark.parametrize("rule, reason", [
    ({"cases_of": "x", "people_with_role": "supervisor"}, "give one of"),
    ({"people_with_role": "supervisor", "drawn": {"when": {"field": "method", "in": ["random"]}, "seed": "seed",
                                                  "candidates": "candidates"}}, "drawn goes with cases_of"),
])
def test_an_offer_names_one_source(rule: dict[str, Any], reason: str) -> None:
    raw = copy.deepcopy(SUP)
    _draw(raw)["cases"]["options_from"] = rule
    with pytest.raises(DefinitionError) as exc:
        parse(raw, "x.yaml")
    assert any(p.startswith(f"{P}.cases.options_from") and reason in r for p, r in exc.value.problems), \
        exc.value.problems
