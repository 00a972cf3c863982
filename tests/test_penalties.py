"""The comparisons behind 处罚法第四十四条、第四十五条、第六十二条 (a decision within its notice) and 第五十八条 (major
as the organisation's catalogue makes it), on the definition's own data (definitions/enforcement_case.v1.yaml)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from workflow.definitions import DefinitionError, load_registry, parse
from workflow.procedures.enforcement.penalties import KindOrder, Penalty, computed_major, excess, penalties_of

PROCEDURE = load_registry().get("enforcement_case")
ORDER = PROCEDURE.block("severity")
MAJOR = PROCEDURE.block("major_case")
assert ORDER is not None and MAJOR is not None
SETTINGS = {
    "enforcement.large_fine_threshold": {"individual": "10000", "organisation": "100000"},
    "enforcement.review_catalogue": ["拟作出较大数额罚款的", "拟吊销许可证件的", "经过听证程序的"],
}


def fine(amount: str) -> Penalty:
    return Penalty("fine", Decimal(amount))


def kinds(found: list[Any]) -> list[tuple[str, bool]]:
    return [(e.decided.kind, e.notified is not None) for e in found]


# ---------------------------------------------------------------- amounts


@pytest.mark.parametrize(("decided", "beyond"), [
    ("2000", False),  # equal: what was notified
    ("1999.99", False),
    ("2000.00", False),
    ("2000.01", True),  # a cent more
    ("20000", True),
])
def test_an_amount_is_within_the_notice_up_to_the_notified_amount(decided: str, beyond: bool) -> None:
    assert bool(excess([fine(decided)], [fine("2000")], ORDER)) is beyond


def test_the_excess_names_both_amounts() -> None:
    (e,) = excess([fine("2000.01")], [fine("2000")], ORDER)
    assert (e.decided.amount, e.notified and e.notified.amount) == (Decimal("2000.01"), Decimal("2000"))


# ---------------------------------------------------------------- kinds


def test_the_order_of_kinds_is_partial() -> None:
    assert ORDER.lighter("warning", "fine") and ORDER.lighter("warning", "permit_revocation")
    assert ORDER.lighter("permit_suspension", "permit_revocation")
    assert not ORDER.lighter("fine", "warning")
    for a, b in [("fine", "confiscation"), ("fine", "permit_suspension"), ("business_restriction", "permit_revocation"),
                 ("confiscation", "business_restriction")]:
        assert not ORDER.lighter(a, b) and not ORDER.lighter(b, a), (a, b)


@pytest.mark.parametrize(("decided", "notified", "expected"), [
    ([Penalty("warning")], [fine("2000")], []),  # a lighter kind instead of the notified one
    ([Penalty("permit_suspension")], [Penalty("permit_revocation")], []),
    ([Penalty("permit_revocation")], [Penalty("permit_suspension")], [("permit_revocation", False)]),  # heavier
    ([fine("2000")], [Penalty("warning")], [("fine", False)]),
    ([Penalty("confiscation", Decimal(1))], [fine("2000")], [("confiscation", False)]),  # not comparable
    ([Penalty("permit_suspension")], [fine("50000")], [("permit_suspension", False)]),
    ([fine("2000"), Penalty("warning")], [fine("2000")], [("warning", False)]),  # a kind added
    ([fine("2000"), Penalty("confiscation", Decimal(500))], [fine("2000")], [("confiscation", False)]),
    ([fine("1000")], [fine("2000"), Penalty("confiscation", Decimal(500))], []),  # one dropped
    ([Penalty("warning"), Penalty("permit_suspension")], [fine("2000"), Penalty("permit_revocation")], []),
    ([Penalty("warning"), Penalty("warning")], [fine("2000")], []),  # one kind named twice is one penalty
    ([fine("2500")], [fine("2000"), Penalty("permit_revocation")], [("fine", True)]),
])
def test_a_kind_not_notified_is_covered_only_by_a_distinct_heavier_notified_kind(
        decided: list[Penalty], notified: list[Penalty], expected: list[tuple[str, bool]]) -> None:
    merged = penalties_of({"penalty_type": decided[0].kind, "amount": decided[0].amount,
                           **({"additional_penalty_type": decided[1].kind, "additional_amount": decided[1].amount}
                              if len(decided) > 1 else {})})
    assert kinds(excess(merged, notified, ORDER)) == expected


def test_without_an_order_no_kind_stands_in_for_another() -> None:
    assert kinds(excess([Penalty("warning")], [fine("2000")], KindOrder("penalty_type", "", ()))) == [
        ("warning", False)]


def test_penalties_of_a_record_sum_a_kind_named_twice() -> None:
    record = {"penalty_type": "fine", "amount": "100", "additional_penalty_type": "fine", "additional_amount": "50"}
    assert penalties_of(record) == [fine("150")]
    assert penalties_of({"penalty_type": "warning"}) == [Penalty("warning")]


def test_an_order_with_a_cycle_is_refused_with_its_path() -> None:
    raw = yaml.safe_load(Path(PROCEDURE.source_file).read_text(encoding="utf-8"))
    raw["severity"]["chains"].append(["permit_revocation", "warning"])
    with pytest.raises(DefinitionError) as err:
        parse(raw, "enforcement_case.v1.yaml")
    assert any(path == "severity.chains" and "cycle" in reason for path, reason in err.value.problems)
    raw["severity"]["chains"][-1] = ["warning", "detention"]
    with pytest.raises(DefinitionError) as err:
        parse(raw, "enforcement_case.v1.yaml")
    assert ("severity.chains.4.1", "'detention' is not a choice of 'penalty_type'") in err.value.problems


# ---------------------------------------------------------------- major, by the catalogue


@pytest.mark.parametrize(("party_type", "amount", "major"), [
    ("individual", "9999.99", False),
    ("individual", "10000", True),  # at the threshold: large
    ("individual", "10000.01", True),
    ("organisation", "99999.99", False),
    ("organisation", "100000", True),
    ("organisation", "20000", False),  # large for a person, not for an organisation
])
def test_a_fine_is_large_at_or_above_the_threshold_for_the_party_type(party_type: str, amount: str,
                                                                      major: bool) -> None:
    finding = computed_major(MAJOR, SETTINGS, party_type, [fine(amount)], hearing_held=False)
    assert finding.major is major
    if major:
        assert [g.entry for g in finding.grounds] == ["拟作出较大数额罚款的"]


def test_only_entries_the_catalogue_lists_are_computed() -> None:
    listed_elsewhere = {**SETTINGS, "enforcement.review_catalogue": ["经过听证程序的"]}
    assert not computed_major(MAJOR, listed_elsewhere, "individual", [fine("50000")], hearing_held=False).major
    assert not computed_major(MAJOR, {}, "individual", [fine("50000")], hearing_held=True).major


def test_a_hearing_held_is_major_only_where_the_catalogue_says_so() -> None:
    no_hearing_entry = {**SETTINGS, "enforcement.review_catalogue": ["拟作出较大数额罚款的"]}
    suspension = [Penalty("permit_suspension")]
    assert computed_major(MAJOR, SETTINGS, "individual", suspension, hearing_held=True).major
    assert not computed_major(MAJOR, SETTINGS, "individual", suspension, hearing_held=False).major
    assert not computed_major(MAJOR, no_hearing_entry, "individual", suspension, hearing_held=True).major


def test_a_kind_in_the_catalogue_is_major_whatever_its_amount() -> None:
    finding = computed_major(MAJOR, SETTINGS, "individual", [Penalty("permit_revocation")], hearing_held=False)
    assert [g.entry for g in finding.grounds] == ["拟吊销许可证件的"]


def test_a_listed_large_fine_without_a_threshold_names_the_setting() -> None:
    finding = computed_major(MAJOR, {"enforcement.review_catalogue": ["拟作出较大数额罚款的"]}, "individual",
                             [fine("50000")], hearing_held=False)
    assert not finding.major and finding.unset == ("enforcement.large_fine_threshold",)
