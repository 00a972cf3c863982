"""Step definitions for the registers (台账): features/legal_education, features/mediation, features/village_channels
(definitions/legal_activity, legal_roster, study_session, mediation_committee, mediator, mediation_case,
village_channel.v1.yaml).

One vocabulary for all of them, in the definitions' own labels: a register by its label ("普法活动台账"), a step by
its label ("更正登记"), a field by its label in a table (| 栏目 | 内容 |). What a scenario does not fill in is what a
careful clerk of the 司法所 would (the defaults below); 郭敏 keeps the registers (workflow/demo.py). Every call goes
through the Scene (tests/features/steps.py), so a refusal is checked to have left no trace but its audit event.
"""

from __future__ import annotations

import copy
from typing import Any

from pytest_bdd import given, parsers, then

from tests.features.steps import REGISTRY, WHO, Scene, StepsByLabel, action, outcome_of, typed_value
from workflow import accounts
from workflow.db import writing
from workflow.definitions import Procedure
from workflow.demo import ORG

REGISTERS: dict[str, Procedure] = {p.label.zh: p for p in REGISTRY.latest() if p.register is not None}

# What a clerk fills in, per procedure and step (dates before the scenarios' 2026-03-02).
DEFAULTS: dict[str, dict[str, dict[str, Any]]] = {
    "legal_activity": {
        "create": {"held_on": "2025-12-04", "title": "宪法宣传进村居", "occasion": "constitution_day", "venue_type": "village",
                   "village": "后龙村", "format": "street_stall", "audience": 120, "materials": 300, "consultations": 15},
    },
    "legal_roster": {
        "create": {"title": "陈建华", "village": "后龙村", "legal_understanding": True, "rule_of_law_leader": True,
                   "selection_route": "recommended", "assessed_on": "2025-06-01"},
        "leave": {"left_on": "2026-01-15", "reason": "外出务工"},
    },
    "study_session": {
        "create": {"held_on": "2025-11-18", "body": "central_group", "title": "学习习近平法治思想", "law_related": True,
                   "hours": "2", "trainer": "黄振华", "attendees": ["黄振华", "吴建国"], "hours_per_person": "2"},
    },
    "mediation_committee": {
        "create": {"title": "后龙村人民调解委员会", "parent_type": "village", "parent_name": "后龙村民委员会",
                   "established_on": "2011-06-01", "members": 5, "women_members": 1, "term_started_on": "2023-05-01"},
        "record_election": {"term_started_on": "2026-02-20", "members": 5, "women_members": 2},
        "dissolve": {"dissolved_on": "2026-02-01", "reason": "村（居）合并，调解委员会并入新设立的委员会"},
    },
    "mediator": {
        "create": {"title": "庄志明", "committee": "后龙镇人民调解委员会", "full_time": True, "since": "2019-03-01"},
        "leave": {"left_on": "2026-02-01", "reason": "退休"},
    },
    "mediation_case": {
        "create": {"registered_on": "2026-01-05", "title": "后龙村相邻通行纠纷", "committee": "后龙村人民调解委员会",
                   "category": "neighbour", "parties": ["陈某", "林某某"], "mediators": ["庄志明"]},
        "record_agreement": {"form": "written", "agreed_on": "2026-01-20", "effective_on": "2026-01-21",
                             "terms": "林某某拆除挡路围墙，让出宽1.5米通道"},
        "terminate": {"terminated_on": "2026-02-10", "reason": "一方当事人明确拒绝继续调解", "routes_explained": True},
        "apply_judicial_confirmation": {"applied_on": "2026-02-10", "joint_application": True,
                                        "venue": "mediator_location", "court": "泉州市泉港区人民法院"},
        "record_court_result": {"result": "confirmed", "court_filed_on": "2026-02-12", "decided_on": "2026-02-26"},
    },
    "village_channel": {
        "create": {"title": "后龙村", "village_type": "village", "box_status": "active", "box_installed_on": "2022-03-15",
                   "box_location": "村务公开栏旁", "notice_board": True},
        "record_box_check": {"checked_on": "2026-02-27", "received": 3, "answered": 3},
    },
}
CORRECTION = {"correction_reason": "原登记有误，按活动签到表更正"}
WITHDRAWAL = {"reason": "重复登记，予以撤销"}


def register_named(label: str) -> Procedure:
    assert label in REGISTERS, f"no register 「{label}」: {sorted(REGISTERS)}"
    return REGISTERS[label]


def payload(scene: Scene, procedure: Procedure, trigger: str, table: list[list[str]] | None) -> dict[str, Any]:
    """The step's default payload (a correction: the entry as it stands, with a reason), then the table's cells."""
    if trigger == "correct":
        current = scene.data().get("entry") or {}
        names = {f.name for f in procedure.create.payload}
        base = {k: v for k, v in current.items() if k in names} | CORRECTION
    elif trigger == "withdraw":
        base = dict(WITHDRAWAL)
    else:
        base = copy.deepcopy(DEFAULTS[procedure.id].get(trigger, {}))
    step = StepsByLabel(procedure)
    spec_of = next(t for t in step.values() if t.trigger == trigger)
    for label, text in (table or [])[1:] if table else []:
        spec = next((f for f in spec_of.payload if f.label.zh == label), None)
        assert spec is not None, f"「{label}」 is not a field of {procedure.id}.{trigger}"
        if text == "（空）":
            base.pop(spec.name, None)
        else:
            base[spec.name] = typed_value(spec, text)
    return base


def act(scene: Scene, who: str, register: str, step_label: str, table: list[list[str]] | None, strict: bool) -> None:
    procedure = register_named(register)
    step = StepsByLabel(procedure).named(step_label)
    body = payload(scene, procedure, step.trigger, table)
    if step.trigger == "create":
        scene.create(who, body, strict=strict, procedure=procedure.id)
    else:
        scene.fire(step.trigger, who, body, strict=strict)


@action(WHO + r'在"(?P<register>[^"]+)"办理"(?P<step>[^"]+)"')
def register_step(scene: Scene, who: str, register: str, step: str, strict: bool) -> None:
    act(scene, who, register, step, None, strict)


@action(WHO + r'在"(?P<register>[^"]+)"办理"(?P<step>[^"]+)"，填写：')
def register_step_with(scene: Scene, who: str, register: str, step: str, datatable: list[list[str]],
                       strict: bool) -> None:
    act(scene, who, register, step, datatable, strict)


def _procedure_of_case(scene: Scene) -> Procedure:
    case = scene.case()
    return REGISTRY.get(case.procedure, case.procedure_version)


@then(parsers.re(r'办理成功，记录处于"(?P<stage>[^"]+)"阶段'))
def register_succeeded(scene: Scene, stage: str) -> None:
    outcome = outcome_of(scene)
    assert outcome.ok, "refused: " + "；".join(r.text() for r in outcome.reasons)
    states = {s.label.zh: s.name for s in _procedure_of_case(scene).states.values()}
    assert stage in states, f"no stage 「{stage}」: {sorted(states)}"
    assert scene.case().state == states[stage]


@then(parsers.re(r'记录的"(?P<label>[^"]+)"为"(?P<now>[^"]+)"，原登记的"(?P=label)"为"(?P<before>[^"]+)"并予保留'))
def correction_kept(scene: Scene, label: str, now: str, before: str) -> None:
    procedure = _procedure_of_case(scene)
    spec = next(f for f in procedure.create.payload if f.label.zh == label)
    data = scene.data()
    assert data["entry"][spec.name] == typed_value(spec, now)
    earlier = data["superseded"]["entry"]
    assert earlier[-1][spec.name] == typed_value(spec, before), earlier
    assert data["entry"]["correction_reason"]


@then(parsers.re(r'不予办理，理由指明栏目"(?P<label>[^"]+)"'))
def refused_naming_field(scene: Scene, label: str) -> None:
    outcome = outcome_of(scene)
    assert not outcome.ok, "the step was allowed"
    assert any(r.field and label in r.zh for r in outcome.reasons), [(r.field, r.zh) for r in outcome.reasons]


@given(parsers.re(r'后龙镇已设置所辖村居名单为"(?P<names>[^"]+)"'))
def villages_listed(scene: Scene, names: str) -> None:
    with writing(scene.town.sessions) as session:
        accounts.set_setting(session, org_id=ORG, key="organisation.villages", value=names.split("、"),
                             source="后龙镇所辖村（居）民委员会名单（示意）", by="admin", now=scene.clock.now())
