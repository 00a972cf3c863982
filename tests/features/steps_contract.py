"""Step definitions for features/contract_review (合同合法性审查, definitions/contract_review.v1.yaml).

They build on tests/features/steps.py (the Scene, its refusal invariant, dates, people and the generic refusal
steps) and speak the labels of the definition: a step by its label (办理合同步骤"出具合法性审查意见"), a field by
its label in a table. 李娜 of the economic office submits, 林志远 is the town's legal adviser, 陈静 of the legal
office reviews too, 黄振华 (the head) decides to sign (workflow/demo.py); the background sets the town's rules.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from pytest_bdd import given, parsers, then

from tests.features.steps import DATE, REGISTRY, WHO, Scene, StepsByLabel, action, cn_date, running, succeeded
from tests.features.steps_enforcement import step_table
from workflow import accounts
from workflow.db import writing
from workflow.demo import ORG
from workflow.procedures.contract_review.law import (
    EXCLUDED_KINDS,
    FILING_WORKING_DAYS,
    MAJOR_AMOUNT,
    REVIEW_WORKING_DAYS,
)

CR = REGISTRY.get("contract_review")
CR_STEPS = StepsByLabel(CR)
CR_STATES = {s.label.zh: s.name for s in CR.states.values()}
CR_DEADLINES = {d.label.zh: d.name for d in CR.deadlines.values()}
POINTS = [value for value, _ in next(f for f in CR_STEPS["登记审查要点意见"].payload if f.name == "item").choices]
SOURCE = "后龙镇人民政府合同合法性审查办法（示意）"
# The town's rules in the background: the values of the local models legal-facts-2 §2 item 38 reports.
# The major-contract amount has no national or Fujian figure ([U], §2 item 36): 300,000 yuan, illustrative.
RULES = {EXCLUDED_KINDS: ["procurement", "employment", "emergency"], REVIEW_WORKING_DAYS: 5, FILING_WORKING_DAYS: 5,
         MAJOR_AMOUNT: 300000}


@dataclass
class Contract:
    """The contract of a scenario, brought to its stage through the engine."""

    scene: Scene

    def payload(self, trigger: str, **changes: Any) -> dict[str, Any]:
        iso = self.scene.today().isoformat()
        defaults: dict[str, dict[str, Any]] = {
            "create": {"title": "后龙镇农贸市场摊位租赁合同", "contracting_unit": "经济发展办公室",
                       "counterparty": "泉州市某商贸有限公司", "amount": "360000", "term": "2026年4月1日至2029年3月31日",
                       "kind": "state_assets", "administrative_agreement": False,
                       "text": "甲方将农贸市场一层摊位出租给乙方……争议由泉州仲裁委员会仲裁。"},
            "record_review_point": {"item": "capacity", "finding": "乙方营业执照有效，签约代表持有授权委托书"},
            "issue_opinion": {"outcome": "approve", "opinion": "合同主体适格，条款不违反法律法规，同意签订。"},
            "resubmit_contract": {"changes": "按审查意见修改第八条违约责任", "text": "甲方将农贸市场一层摊位出租给乙方……（修改稿）"},
            "sign_contract": {"signed_on": iso, "signatory": "黄振华"},
            "decline_to_sign": {"reason": "审查认为合同条款违反公平竞争要求，不再签订"},
            "file_contract": {"filed_on": iso, "filed_with": "后龙镇司法所、镇档案室", "archive_ref": "龙档〔2026〕合同-01"},
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
            self.scene.create(who, payload, strict=strict, procedure=CR.id)
        else:
            self.scene.fire(trigger, who, payload, strict=strict)

    def review_all_points(self, who: str = "林志远") -> None:
        for point in POINTS:
            self.act("record_review_point", who, strict=True, item=point)

    def bring_to(self, state: str, **contract: Any) -> None:
        self.act("create", "李娜", strict=True, **contract)
        if state in ("reviewed", "signed"):
            self.review_all_points()
            self.act("issue_opinion", "林志远", strict=True)
        if state == "signed":
            self.act("sign_contract", "黄振华", strict=True)
        assert self.scene.case().state == state


@pytest.fixture
def contract(scene: Scene) -> Contract:
    return Contract(scene)


cr_step = CR_STEPS.named


# ================================================================ Given


@given("后龙镇已确定合同合法性审查的规则")
def contract_rules(scene: Scene) -> None:
    with writing(scene.town.sessions) as session:
        for key, value in RULES.items():
            accounts.set_setting(session, org_id=ORG, key=key, value=value, source=SOURCE, by="admin",
                                 now=scene.clock.now())


@given(parsers.re(r'有一份(?P<agreement>属于行政协议的)?合同处于"(?P<stage>[^"]+)"阶段'))
def contract_at(contract: Contract, agreement: str | None, stage: str) -> None:
    assert stage in CR_STATES, f"「{stage}」 is not a stage of {CR.ref}: {sorted(CR_STATES)}"
    changes = {"administrative_agreement": True, "kind": "expropriation_compensation"} if agreement else {}
    contract.bring_to(CR_STATES[stage], **changes)


@given(parsers.re(r'有一份金额为(?P<yuan>[\d,]+)元的合同经' + WHO + '逐项审查并出具同意意见'))
def contract_approved_by(contract: Contract, yuan: str, who: str) -> None:
    contract.act("create", "李娜", strict=True, amount=yuan.replace(",", ""))
    contract.review_all_points(who)
    contract.act("issue_opinion", who, strict=True)
    assert contract.scene.case().state == "reviewed"


@given("各审查要点均已登记意见")
def all_points(contract: Contract) -> None:
    contract.review_all_points()


@given(parsers.re(r'合同期限"(?P<label>[^"]+)"已经届满'))
def contract_deadline_over(contract: Contract, label: str) -> None:
    row = running(contract.scene, CR_DEADLINES[label], label)
    contract.scene.go_to(row.due + timedelta(days=1))


# ================================================================ actions


@action(WHO + r'提交"(?P<kind>[^"]+)"类合同送审')
def submit_kind(contract: Contract, who: str, kind: str, strict: bool) -> None:
    spec = next(f for f in CR.create.payload if f.name == "kind")
    value = next((v for v, label in spec.choices if label.zh == kind), None)
    assert value, f"「{kind}」 is not a kind of contract: {[label.zh for _, label in spec.choices]}"
    contract.act("create", who, strict=strict, kind=value)


@action(WHO + r'办理合同步骤"(?P<step>[^"]+)"')
def contract_step(contract: Contract, who: str, step: str, strict: bool) -> None:
    contract.act(cr_step(step).trigger, who, strict=strict)


@action(WHO + r'办理合同步骤"(?P<step>[^"]+)"，其中：')
def contract_step_with(contract: Contract, who: str, step: str, datatable: list[list[str]], strict: bool) -> None:
    spec = cr_step(step)
    contract.act(spec.trigger, who, strict=strict, **step_table(contract.scene, spec, datatable))


# ================================================================ Then


@then(parsers.re(r'办理成功，合同处于"(?P<stage>[^"]+)"阶段'))
def succeeded_in(contract: Contract, stage: str) -> None:
    succeeded(contract.scene, CR_STATES[stage])


@then(parsers.re(r'合同期限"(?P<label>[^"]+)"至' + DATE("due") + "届满"))
def contract_deadline(contract: Contract, label: str, due: str) -> None:
    row = running(contract.scene, CR_DEADLINES[label], label)
    assert row.due == cn_date(due), f"「{label}」 is due {row.due}"
