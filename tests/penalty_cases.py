"""A penalty case of the Houlong demo town brought to 已告知待决定 through the real engine, for the tests that
look at the decision's form (tests/web/test_required_when.py, tests/browser/test_required_when_journey.py)."""

from __future__ import annotations

from workflow.demo import FIELD_STREETS, POWER_STREETS
from workflow.engine import Engine

DAY = "2026-03-02"  # the town's fixed clock (tests/conftest.py, FixedClock)
FILING = {"title": "林某某在后龙街占道经营案", "party": "林某某（后龙镇后龙村）", "party_type": "individual",
          "facts": "当事人在后龙街人行道摆摊经营。", "field": FIELD_STREETS, "power": POWER_STREETS,
          "legal_basis": "《城市市容和环境卫生管理条例》第三十六条"}
STEPS = (
    ("wanghai", "start_investigation", {"officers": ["wanghai", "caiming"], "plan": "现场勘验、询问当事人"}),
    ("wanghai", "record_investigation_conduct", {"occasion": "现场勘验", "conducted_on": DAY,
                                                 "certificates_shown": True, "duties_told": True}),
    ("wanghai", "notify_intended_penalty", {
        "penalty_type": "fine", "amount": "500", "facts": "占道摆摊经营", "reasons": "违反第十四条",
        "legal_basis": "《城市市容和环境卫生管理条例》第三十六条", "rights_told": "告知陈述、申辩权利", "notified_on": DAY}),
    ("wanghai", "assess_major_case", {"major_public_interest": False, "major_rights_after_hearing": False,
                                      "complex": False}),
)


def notified_case(engine: Engine) -> str:
    """A new case awaiting the head's decision (作出行政处罚决定); its id."""
    opened = engine.create_case("enforcement_case", "wanghai", FILING)
    assert opened.ok and opened.case_id, opened.reasons
    for user, trigger, payload in STEPS:
        outcome = engine.fire(opened.case_id, trigger, user, payload)
        assert outcome.ok, (trigger, outcome.reasons)
    return opened.case_id
