"""The typed-date block of a definition (workflow/typed_dates.py) is validated on load like the rest of it:
every error names the file, the path inside it and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from workflow.definitions import DEFINITIONS_DIR, DefinitionError, load_file, load_registry
from workflow.typed_dates import ENTRY_DATE, Side

ENFORCEMENT = DEFINITIONS_DIR / "enforcement_case.v1.yaml"


def _raw() -> dict:
    return yaml.safe_load(ENFORCEMENT.read_text(encoding="utf-8"))


def _problems(tmp_path: Path, raw: dict) -> dict[str, str]:
    path = tmp_path / ENFORCEMENT.name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_file(path)
    assert str(path) in str(info.value)
    return dict(info.value.problems)


def _step(raw: dict, trigger: str) -> dict:
    return next(t for t in raw["transitions"] if t["trigger"] == trigger)


def test_the_shipped_definitions_declare_their_pairs_and_planned_dates() -> None:
    registry = load_registry()
    enforcement = registry.get("enforcement_case").dates
    pairs = {p.name: p for p in enforcement.pairs}
    assert pairs["decision_before_service"].earlier == Side("decision", "decided_on")
    assert pairs["decision_before_service"].later == Side("service", "served_on")
    assert pairs["decision_before_service"].basis == "处罚法第六十一条"
    assert ("schedule_hearing", "hearing_date") in enforcement.future_allowed
    assert ("serve_decision", "served_on") not in enforcement.future_allowed
    for version in (1, 2):
        decision = registry.get("major_decision", version).dates
        assert {p.name for p in decision.pairs} >= {"comment_after_opening", "decision_before_publication"}
        assert ("convene_meeting", "meeting_date") not in decision.future_allowed
    assert registry.get("enforcement_review").dates.pairs == ()


def test_a_pair_naming_an_unknown_record_key_is_refused(tmp_path: Path) -> None:
    raw = _raw()
    raw["typed_dates"]["order"]["decision_before_service"]["earlier"] = "verdict.decided_on"
    problems = _problems(tmp_path, raw)
    assert problems["typed_dates.order.decision_before_service.earlier"] == \
        "no step records under 'verdict' (set or append)"


def test_a_pair_naming_a_field_that_is_no_date_of_that_record_is_refused(tmp_path: Path) -> None:
    raw = _raw()
    raw["typed_dates"]["order"]["decision_before_service"]["later"] = "service.proof_ref"
    reason = _problems(tmp_path, raw)["typed_dates.order.decision_before_service.later"]
    assert reason.startswith("'proof_ref' is not a date field of a step recording under 'service'")
    assert "served_on" in reason and ENTRY_DATE in reason  # what may be named instead


def test_a_pair_of_two_entry_dates_is_refused_as_holding_by_itself(tmp_path: Path) -> None:
    raw = _raw()
    raw["typed_dates"]["order"]["filing_before_closing"] = {
        "earlier": "filing.recorded_on", "later": "closing.recorded_on", "basis": "处罚法第五十七条",
        "label": {"zh": "结案在立案之后", "en": "The case closes after it opened"}}
    assert "engine's clock" in _problems(tmp_path, raw)["typed_dates.order.filing_before_closing"]


def test_a_pair_is_malformed_without_its_article_or_a_dotted_side(tmp_path: Path) -> None:
    raw = _raw()
    pair = raw["typed_dates"]["order"]["decision_before_service"]
    del pair["basis"]
    pair["earlier"] = "decided_on"
    problems = _problems(tmp_path, raw)
    assert problems["typed_dates.order.decision_before_service.basis"] == "Missing data for required field."
    assert problems["typed_dates.order.decision_before_service.earlier"] == "must be <record key>.<field>"


def test_future_is_allowed_only_on_a_date_field(tmp_path: Path) -> None:
    raw = _raw()
    _step(raw, "schedule_hearing")["payload"]["place"]["future"] = "allowed"
    index = raw["transitions"].index(_step(raw, "schedule_hearing"))
    assert _problems(tmp_path, raw)[f"transitions.{index}.payload.place.future"] == \
        "only a date field may allow a future date"


def test_future_takes_only_the_value_allowed(tmp_path: Path) -> None:
    raw = _raw()
    _step(raw, "serve_decision")["payload"]["served_on"]["future"] = "yes"
    index = raw["transitions"].index(_step(raw, "serve_decision"))
    assert _problems(tmp_path, raw)[f"transitions.{index}.payload.served_on.future"].startswith("Must be one of")


def test_the_generic_late_entry_field_may_not_be_declared_by_a_step(tmp_path: Path) -> None:
    raw = _raw()
    _step(raw, "serve_decision")["payload"]["late_entry_reason"] = {
        "type": "text", "label": {"zh": "补录理由", "en": "Reason"}}
    index = raw["transitions"].index(_step(raw, "serve_decision"))
    assert "generic late-entry field" in _problems(tmp_path, raw)[f"transitions.{index}.payload.late_entry_reason"]
