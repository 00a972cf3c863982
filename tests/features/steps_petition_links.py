"""Step definitions for the petitions that name other cases (features/petitions/04_经复核后不再受理.feature,
features/information_request/…转为信访事项…): an earlier petition taken through the town's steps and the later
stages, a repeat registered with the link to it, and both case pages' links (workflow/links.py).

The register's vocabulary and the clerk's defaults are steps_registers.py's and steps_petitions.py's."""

from __future__ import annotations

import copy

import pytest
from pytest_bdd import given, parsers, then

from tests.features.steps import Scene
from tests.features.steps_petitions import DEFAULTS  # the petitions' defaults first: they are added to here
from workflow.links import linked
from workflow.models import Case

PETITION = "petition"
THROUGH_SERVICE = ("accept_claim", "issue_opinion", "serve_opinion")
REVIEWED = {"opinion_on": "2026-03-02", "opinion": "维持复查意见"}
DEFAULTS[PETITION]["decline_repeat"] = {"notified_on": "2026-03-02",
                                        "same_facts": "再次请求补发2019年征收补偿款，事实和理由与原信访事项相同"}


@pytest.fixture
def earlier() -> dict[str, str]:
    """The earlier petition of the scenario (its number), once one is registered."""
    return {}


def _earlier_petition(scene: Scene, earlier: dict[str, str], stages: tuple[str, ...]) -> None:
    clerk = DEFAULTS[PETITION]
    scene.create("郭敏", copy.deepcopy(clerk["create"]), strict=True, procedure=PETITION)
    for trigger in stages:
        extra = REVIEWED if trigger in ("record_reexamination", "record_review") else {}
        scene.fire(trigger, "郭敏", {**clerk[trigger], **extra}, strict=True)
    assert scene.case_id
    earlier["id"] = scene.case_id


@given("陈某某的申诉求决事项已经复查、复核")
def reviewed_petition(scene: Scene, earlier: dict[str, str]) -> None:
    _earlier_petition(scene, earlier, (*THROUGH_SERVICE, "record_reexamination", "record_review"))


@given("陈某某的申诉求决事项已送达处理意见")
def served_petition(scene: Scene, earlier: dict[str, str]) -> None:
    _earlier_petition(scene, earlier, THROUGH_SERVICE)


@given(parsers.re(r"郭敏登记陈某某以同一事实和理由再次提出的信访事项，关联原信访事项"))
def repeat_registered(scene: Scene, earlier: dict[str, str]) -> None:
    assert earlier, "register the earlier petition first"
    entry = {**copy.deepcopy(DEFAULTS[PETITION]["create"]), "received_on": "2026-03-02", "repeats": earlier["id"]}
    scene.create("郭敏", entry, strict=True, procedure=PETITION)


@then("该信访事项与原信访事项互相关联")
def linked_both_ways(scene: Scene, earlier: dict[str, str]) -> None:
    rt = scene.town
    with rt.sessions() as session:
        later, first = session.get(Case, scene.case_id), session.get(Case, earlier["id"])
        assert later is not None and first is not None
        assert [(link.case_id, link.refers) for link in linked(session, rt.registry, later)] == [(first.id, True)]
        assert [(link.case_id, link.refers) for link in linked(session, rt.registry, first)] == [(later.id, False)]


@then("信访事项台账登记了由该申请转来的信访事项，收到日期、信访事项和信访人取自申请，二者互相关联")
def petition_opened_from_request(scene: Scene) -> None:
    rt = scene.town
    with rt.sessions() as session:
        request = session.get(Case, scene.case_id)
        assert request is not None
        links = linked(session, rt.registry, request)
        assert [(link.procedure.id if link.procedure else None, link.refers) for link in links] == [(PETITION, False)]
        petition = session.get(Case, links[0].case_id)
        assert petition is not None and petition.state == "registered"
        entry, asked = petition.data["entry"], request.data["request"]
        assert (entry["origin_request"], entry["received_on"], entry["title"], entry["petitioners"]) \
            == (request.id, request.data["receipt"]["received_on"], asked["title"], [asked["applicant"]])
        assert (entry["transferred_from"], entry["petition_class"]) == ("direct", "claim")
        assert [(link.case_id, link.refers) for link in linked(session, rt.registry, petition)] == [(request.id, True)]
        assert petition.created_by == scene.user("周敏")
        assert {d.name for d in petition.deadlines} >= {"notice_period"}  # its first period runs from receipt
