"""Step definitions for features/information_request (政府信息公开申请, definitions/information_request.v1.yaml).

They build on tests/features/steps.py (the Scene, its refusal invariant, dates, people and the generic refusal
steps) and speak the labels of the definition: a step by its label (办理申请步骤"一次性告知补正"), a field by its
label in a table. 周敏 is the town's disclosure officer, 林海燕 the head of the disclosure office
(workflow/demo.py); 陈建华 is the applicant of the default request.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from pytest_bdd import given, parsers, then
from sqlalchemy import select

from tests.features.steps import DATE, REGISTRY, WHO, Scene, StepsByLabel, action, cn_date, running, succeeded
from tests.features.steps_enforcement import step_table
from workflow import accounts
from workflow.accounts import portal_username
from workflow.db import writing
from workflow.demo import ORG
from workflow.models import AuditEvent, Notification, OrgSetting
from workflow.procedures.information_request.clock import answer_clock
from workflow.procedures.information_request.law import FEE_TIME_PAUSES_CLOCK

IR = REGISTRY.get("information_request")
IR_STEPS = StepsByLabel(IR)
IR_STATES = {s.label.zh: s.name for s in IR.states.values()}
IR_DEADLINES = {d.label.zh: d.name for d in IR.deadlines.values()}
CHANNELS = {label.zh: value for value, label in next(f for f in IR.create.payload if f.name == "channel").choices}


@dataclass
class Request:
    """The request of a scenario, brought to its stage through the engine."""

    scene: Scene

    def payload(self, trigger: str, **changes: Any) -> dict[str, Any]:
        scene = self.scene
        today = scene.today()
        iso = today.isoformat()
        data = scene.data() if scene.case_id else {}
        clock = answer_clock(data, scene.engine.calendar, today) if data else None
        defaults: dict[str, dict[str, Any]] = {
            "create": {"title": "后龙镇2025年农村危房改造补助资金发放情况", "applicant": "陈建华",
                       "applicant_type": "natural_person", "contact": "13900000000",
                       "description": "2025年度后龙镇农村危房改造补助对象名单及补助金额", "access_form": "electronic",
                       "channel": "in_person"},
            "confirm_receipt": {"received_on": iso, "submitted_on": iso},
            "request_correction": {"items": ["请写明所需信息的年度和村别"], "notified_on": iso,
                                   "correction_due": (today + timedelta(days=14)).isoformat()},
            "receive_correction": {"received_on": iso, "corrected": "所需信息为2025年度峰前村的补助名单"},
            "consult_third_party": {"third_party": "泉州市某建材有限公司", "concern": "申请公开的中标合同含该公司报价",
                                    "letter_received_on": iso},
            "record_third_party_view": {"view": "agree", "replied_on": iso},
            "consult_agency": {"agency": "泉州市泉港区住房和城乡建设局", "letter_received_on": iso},
            "record_agency_view": {"view": "agree", "replied_on": iso},
            "extend_answer_period": {"days": 10, "reason": "所需信息分散在各村，需汇总核对", "applicant_notified_on": iso},
            "set_later_deadline": {"applicant_reasons": "申请人说明系课题研究需要",
                                   "later_due": ((clock.due if clock else today) + timedelta(days=30)).isoformat(),
                                   "applicant_notified_on": iso},
            "notify_fee": {"method": "per_volume", "pages": 100, "amount": 700, "notified_on": iso,
                           "pay_by": (today + timedelta(days=21)).isoformat()},
            "record_payment": {"paid_on": iso},
            "answer": {"answer_type": "disclosed", "where_to_obtain": "以电子邮件发送至申请人邮箱",
                       "reply_text": "经审查，您申请的信息属于公开范围，现予以提供。", "answered_on": iso},
            "treat_as_petition": {"kind": "complaint", "channel": "泉港区12345政务服务便民热线",
                                  "reply_text": "您反映的问题属于投诉，不作为政府信息公开申请处理，可通过12345热线提出。",
                                  "answered_on": iso},
            "archive": {"archive_ref": "龙档〔2026〕公开-01"},
            "record_remedy": {"kind": "reconsideration", "filed_on": iso, "body": "泉州市泉港区人民政府",
                              "outcome": "pending"},
            "record_remedy_outcome": {"remedy_no": 1, "outcome": "maintained", "decided_on": iso},
        }
        payload = copy.deepcopy(defaults[trigger])
        for key, value in changes.items():
            if value is None:
                payload.pop(key, None)
            else:
                payload[key] = value
        return payload

    def act(self, trigger: str, who: str, *, strict: bool, **changes: Any) -> None:
        payload = self.payload(trigger, **changes)
        if trigger == "create":
            self.scene.create(who, payload, strict=strict, procedure=IR.id)
        else:
            self.scene.fire(trigger, who, payload, strict=strict)

    LINE = {
        "submitted": (),
        "processing": ("confirm_receipt",),
        "correction_requested": ("confirm_receipt", "request_correction"),
        "third_party_consultation": ("confirm_receipt", "consult_third_party"),
        "agency_consultation": ("confirm_receipt", "consult_agency"),
        "fee_pending": ("confirm_receipt", "notify_fee"),
        "answered": ("confirm_receipt", "answer"),
    }

    def bring_to(self, state: str) -> None:
        self.act("create", "周敏", strict=True)
        for trigger in self.LINE[state]:
            who = "林海燕" if trigger == "extend_answer_period" else "周敏"
            self.act(trigger, who, strict=True)
        assert self.scene.case().state == state


@pytest.fixture
def req(scene: Scene) -> Request:
    return Request(scene)


ir_step = IR_STEPS.named


# ================================================================ Given


@given(parsers.re(r'有一件政府信息公开申请处于"(?P<stage>[^"]+)"阶段'))
def request_at(req: Request, stage: str) -> None:
    assert stage in IR_STATES, f"「{stage}」 is not a stage of {IR.ref}: {sorted(IR_STATES)}"
    req.bring_to(IR_STATES[stage])


@given(parsers.re(r'申请期限"(?P<label>[^"]+)"已经届满'))
def request_deadline_over(req: Request, label: str) -> None:
    row = running(req.scene, IR_DEADLINES[label], label)
    req.scene.go_to(row.due + timedelta(days=1))


# ================================================================ actions


@action(WHO + r'登记以"(?P<channel>[^"]+)"方式提交的政府信息公开申请')
def submit_by_channel(req: Request, who: str, channel: str, strict: bool) -> None:
    assert channel in CHANNELS, f"「{channel}」 is not a channel: {sorted(CHANNELS)}"
    req.act("create", who, strict=strict, channel=CHANNELS[channel])


@action(r'申请人通过网上申请平台提交政府信息公开申请')
def submit_online(req: Request, strict: bool) -> None:
    req.scene.people["网上申请平台"] = portal_username(ORG)  # the portal's account (role public)
    req.act("create", "网上申请平台", strict=strict, channel="online")


@action(WHO + r'办理申请步骤"(?P<step>[^"]+)"')
def request_step(req: Request, who: str, step: str, strict: bool) -> None:
    req.act(ir_step(step).trigger, who, strict=strict)


@action(WHO + r'办理申请步骤"(?P<step>[^"]+)"，其中：')
def request_step_with(req: Request, who: str, step: str, datatable: list[list[str]], strict: bool) -> None:
    spec = ir_step(step)
    req.act(spec.trigger, who, strict=strict, **step_table(req.scene, spec, datatable))


# ================================================================ Then


@then(parsers.re(r'办理成功，申请处于"(?P<stage>[^"]+)"阶段'))
def succeeded_in(req: Request, stage: str) -> None:
    succeeded(req.scene, IR_STATES[stage])


@then(parsers.re(r'申请期限"(?P<label>[^"]+)"至' + DATE("due") + "届满"))
def request_deadline(req: Request, label: str, due: str) -> None:
    row = running(req.scene, IR_DEADLINES[label], label)
    assert row.due == cn_date(due), f"「{label}」 is due {row.due}"


@then(parsers.re(r'申请期限"(?P<label>[^"]+)"不再计算'))
def request_deadline_gone(req: Request, label: str) -> None:
    assert req.scene.deadline(IR_DEADLINES[label]) is None, f"「{label}」 is still running"


@then(parsers.re(r"答复期限(?P<paused>暂停，)?届满之日为" + DATE("due")))
def answer_due(req: Request, paused: str | None, due: str) -> None:
    scene = req.scene
    clock = answer_clock(scene.data(), scene.engine.calendar, scene.today())
    assert clock is not None, "the answer period has not started"
    assert clock.due == cn_date(due), f"the answer is due {clock.due}"
    assert clock.running == (paused is None), f"running is {clock.running}"


@then(parsers.re(r'系统以系统账号办理了"(?P<step>[^"]+)"，申请处于"(?P<stage>[^"]+)"阶段'))
def system_closed(req: Request, step: str, stage: str) -> None:
    scene = req.scene
    with scene.town.sessions() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.case_id == scene.case_id,
                                                        AuditEvent.trigger == ir_step(step).trigger))
        assert event is not None, f"「{step}」 was not taken"
        assert (event.kind, event.actor, event.role) == ("transition", f"system.{ORG}", "system")
        assert event.to_state == IR_STATES[stage] == scene.case().state


@given(parsers.re(r'申请期限"(?P<label>[^"]+)"暂停计算，载明"(?P<reason>[^"]+)"'))
@then(parsers.re(r'申请期限"(?P<label>[^"]+)"暂停计算，载明"(?P<reason>[^"]+)"'))
def request_deadline_paused(req: Request, label: str, reason: str) -> None:
    """The period stays open without a last day (no reminder, never overdue), saying why it stands still."""
    row = running(req.scene, IR_DEADLINES[label], label)
    assert row.due is None, f"「{label}」 is due {row.due}, not paused"
    assert reason in (row.paused_zh or ""), f"「{label}」 paused for {row.paused_zh!r}"
    assert row.paused_en, "the reason has no English"


@given("后龙镇设置缴纳信息处理费的时间不计入答复期限")
def fee_time_pauses(req: Request) -> None:
    with writing(req.scene.town.sessions) as session:
        accounts.set_setting(session, org_id=ORG, key=FEE_TIME_PAUSES_CLOCK, value=1, by="admin",
                             source="测试：假定经核实的文件规定缴费时间不计入答复期限", now=req.scene.engine.clock.now())


@given("后龙镇尚未设置缴纳信息处理费的时间是否计入答复期限")
def fee_time_unset(req: Request) -> None:
    with writing(req.scene.town.sessions) as session:
        row = session.get(OrgSetting, (ORG, FEE_TIME_PAUSES_CLOCK))
        if row is not None:
            session.delete(row)


@then(parsers.re(WHO + r"收到届满之日为" + DATE("due") + r'的"(?P<label>[^"]+)"届满提醒'))
def reminded_of_day(req: Request, who: str, due: str, label: str) -> None:
    """Exactly one reminder of the period for that last day: a moved day brings its own, the old one is not sent
    again."""
    scene = req.scene
    with scene.town.sessions() as session:
        notices = session.scalars(select(Notification).where(
            Notification.recipient == scene.user(who), Notification.case_id == scene.case_id,
            Notification.deadline == IR_DEADLINES[label], Notification.kind == "remind",
            Notification.due == cn_date(due))).all()
    assert len(notices) == 1, f"{who} has {len(notices)} reminders of 「{label}」 due {due}"
