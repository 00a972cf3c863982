"""Step definitions for features/enforcement/07_告知约束决定与重大认定.feature: what stays on record when the
intended penalty is notified again (处罚法第四十四条). The rest of that file speaks the enforcement steps of
tests/features/steps_enforcement.py."""

from __future__ import annotations

from pytest_bdd import parsers, then

from tests.features.steps_enforcement import Enforcement
from workflow.procedures.enforcement.law import PENALTY_ZH
from workflow.procedures.enforcement.penalties import describe, penalties_of


@then(parsers.re(r'此前告知的处罚"(?P<said>[^"]+)"保留在案'))
def earlier_notice_kept(enf: Enforcement, said: str) -> None:
    data = enf.data()
    earlier = [describe(penalties_of(n), PENALTY_ZH) for n in (data.get("superseded") or {}).get("notice", [])]
    assert said in earlier, f"earlier notices on record: {earlier}"
    assert describe(penalties_of(data["notice"]), PENALTY_ZH) != said, "the earlier notice is still the last one"
