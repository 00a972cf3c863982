"""A unit that may be outside the town (issue 16 item 3): a petition's handling unit is typed, with the town's own
units (the setting organisation.units) offered as suggestions, an HTML datalist: a county bureau not on the list is
still accepted (`options_from: {setting: organisation.units, open: true}`, display only)."""

from __future__ import annotations

import pytest

from tests.web.helpers import parse, submit_step
from workflow import accounts
from workflow.clock import local_date
from workflow.db import writing
from workflow.demo import UNITS
from workflow.models import Case
from workflow.procedures.petitions.law import DAY_UNIT

# The page, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

COUNTY_BUREAU = "泉港区人力资源和社会保障局"  # not one of the town's units


def test_the_handling_unit_is_typed_with_the_towns_units_as_suggestions(town, clock, client_for):
    with writing(town.sessions) as session:
        accounts.set_setting(session, org_id="houlong", key=DAY_UNIT, value="calendar_days", source="测试",
                             by="admin", now=clock.now())
    today = local_date(clock.now()).isoformat()
    outcome = town.engine.create_case("petition", "guomin", {
        "received_on": today, "title": "企业欠薪", "petitioners": ["黄某"], "channel": "letter",
        "petition_class": "claim", "transferred_from": "direct"})
    assert outcome.ok and outcome.case_id, outcome.reasons
    case_id = outcome.case_id
    keeper = client_for("guomin")
    field = parse(keeper.get(f"/cases/{case_id}")).one("details#step-accept_claim").one('input[name="handled_by"]')
    assert field.get("list") is None  # the town has not listed its units: typed, as before
    with writing(town.sessions) as session:
        accounts.set_setting(session, org_id="houlong", key="organisation.units", value=list(UNITS),
                             source="后龙镇机构设置方案", by="admin", now=clock.now())
    form = parse(keeper.get(f"/cases/{case_id}")).one("details#step-accept_claim")
    field = form.one('input[name="handled_by"]')
    assert field.get("type") == "text" and field.get("list") == "step-accept_claim-handled_by-list"
    assert [o.get("value") for o in form.all("datalist#step-accept_claim-handled_by-list option")] == list(UNITS)
    done = submit_step(keeper, case_id, "accept_claim",
                       {"accepted_on": today, "notified_on": today, "handled_by": COUNTY_BUREAU})
    assert done.status_code == 302
    with town.sessions() as s:
        assert s.get(Case, case_id).data["acceptance"]["handled_by"] == COUNTY_BUREAU
