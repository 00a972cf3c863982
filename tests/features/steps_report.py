"""Step definitions for features/rule_of_law_report (法治政府建设年度报告, definitions/rule_of_law_report.v1.yaml).

They build on tests/features/steps.py (the Scene, its refusal invariant, dates, people and the generic refusal
steps) and speak the labels of the definition: a step by its label (办理报告步骤"提请法制审核"), a field by its
label in a table. 张伟 of the general office drafts and reports, 陈静 of the legal office reviews, 黄振华 (the
head) signs off (workflow/demo.py).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest
from pytest_bdd import given, parsers, then

from tests.features.steps import DATE, REGISTRY, WHO, Scene, StepsByLabel, action, cn_date, running, succeeded
from tests.features.steps_enforcement import step_table
from workflow import accounts
from workflow.db import writing
from workflow.demo import ORG
from workflow.procedures.rule_of_law_report.law import REPORT_BY

RR = REGISTRY.get("rule_of_law_report")
RR_STEPS = StepsByLabel(RR)
RR_STATES = {s.label.zh: s.name for s in RR.states.values()}
RR_DEADLINES = {d.label.zh: d.name for d in RR.deadlines.values()}
PARTS = {"主要举措和成效": "measures", "存在的不足": "shortcomings", "不足的原因": "causes",
         "党政主要负责人履行第一责任人职责情况": "leaders_duties", "下一年度主要安排": "plans"}
DRAFT = {
    "intro": "今年以来，在区委、区政府的正确领导下，后龙镇扎实推进法治政府建设。",
    "measures": "严格执行行政执法三项制度，全年作出行政处罚决定{{enforcement_case.penalty_decisions}}件。",
    "shortcomings": "部分干部依法行政意识有待提高，仍有凭经验、凭习惯办事的现象。",
    "causes": "学法培训针对性不强，执法人员对新修订法律的掌握不够。",
    "leaders_duties": "镇党委书记、镇长认真履行推进法治建设第一责任人职责，主持专题研究法治建设工作。",
    "plans": "加强执法人员培训，推行说理式执法。",
}


@dataclass
class Report:
    """The report of a scenario, brought to its stage through the engine."""

    scene: Scene
    year: int = 0

    def payload(self, trigger: str, **changes: Any) -> dict[str, Any]:
        iso = self.scene.today().isoformat()
        defaults: dict[str, dict[str, Any]] = {
            "create": {"year": self.year or self.scene.today().year,
                       "title": f"后龙镇人民政府关于{self.year or self.scene.today().year}年法治政府建设情况的报告"},
            "save_draft": dict(DRAFT),
            "enter_figure": {"figure_id": "设置意见箱的村居数", "label": "设置意见箱的村居", "value": "19", "unit": "个",
                             "source": "各村（居）上报的意见箱设置情况表", "reason": "村居意见箱尚未在系统中登记"},
            "submit_for_review": {"note": "请审核"},
            "return_for_revision": {"comments": "第二部分的原因分析请结合执法案卷评查情况"},
            "pass_legal_review": {"opinion": "内容齐全，所引数据与记录一致，同意报签。"},
            "sign_off": {"signed_on": iso, "signatory": "黄振华"},
            "report_to_superior": {"reported_on": iso, "recipients": ["中共泉港区委", "泉港区人民政府"],
                                   "copied_to": ["中共泉港区委全面依法治区委员会办公室"]},
            "publish": {"published_on": iso, "channel": "website",
                        "location": "http://www.qg.gov.cn/houlong/fzzfjs/2026ndbg.htm"},
            "withhold_publication": {"ground": "报告第四部分涉及尚未公开的重点项目安排，属于工作秘密（示意）"},
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
            self.scene.create(who, payload, strict=strict, procedure=RR.id)
        else:
            self.scene.fire(trigger, who, payload, strict=strict)

    def bring_to(self, state: str) -> None:
        path = [("create", "张伟"), ("save_draft", "张伟"), ("submit_for_review", "张伟"),
                ("pass_legal_review", "陈静"), ("sign_off", "黄振华"), ("report_to_superior", "张伟")]
        stops = {"drafting": 2, "legal_review": 3, "reviewed": 4, "signed": 5, "reported": 6}
        for trigger, who in path[:stops[state]]:
            self.act(trigger, who, strict=True)
        assert self.scene.case().state == state


@pytest.fixture
def report(scene: Scene) -> Report:
    return Report(scene)


rr_step = RR_STEPS.named


# ================================================================ Given


@given(parsers.re(r"后龙镇规定于次年(?P<month>\d{1,2})月(?P<day>\d{1,2})日前向上一级报告"))
def report_by(scene: Scene, month: str, day: str) -> None:
    with writing(scene.town.sessions) as session:
        accounts.set_setting(session, org_id=ORG, key=REPORT_BY, value=f"{int(month):02d}-{int(day):02d}",
                             source="泉港区关于报送法治政府建设年度报告的通知（示意）", by="admin", now=scene.clock.now())


@given(parsers.re(r'有一份(?P<year>\d{4})年度的年度报告处于"(?P<stage>[^"]+)"阶段'))
def report_at(report: Report, year: str, stage: str) -> None:
    assert stage in RR_STATES, f"「{stage}」 is not a stage of {RR.ref}: {sorted(RR_STATES)}"
    report.year = int(year)
    report.bring_to(RR_STATES[stage])


@given(parsers.re(r"报告草稿未写(?P<part>主要举措和成效|存在的不足|不足的原因|党政主要负责人履行第一责任人职责情况|下一年度主要安排)"))
def draft_without(report: Report, part: str) -> None:
    report.act("save_draft", "张伟", strict=True, **{PARTS[part]: ""})


@given(parsers.re(r'报告草稿引用了数据"(?P<name>[^"]+)"'))
def draft_citing(report: Report, name: str) -> None:
    report.act("save_draft", "张伟", strict=True, measures=DRAFT["measures"] + "{{" + name + "}}")


@given(parsers.re(r"今天是" + DATE("day") + "（时间推移）"))
def later_day(scene: Scene, day: str) -> None:
    scene.go_to(cn_date(day))


# ================================================================ actions


@action(WHO + r"起草(?P<year>\d{4})年度的年度报告")
def draft_report(report: Report, who: str, year: str, strict: bool) -> None:
    report.year = int(year)
    report.act("create", who, strict=strict)


@action(WHO + r'办理报告步骤"(?P<step>[^"]+)"')
def report_step(report: Report, who: str, step: str, strict: bool) -> None:
    report.act(rr_step(step).trigger, who, strict=strict)


@action(WHO + r'办理报告步骤"(?P<step>[^"]+)"，其中：')
def report_step_with(report: Report, who: str, step: str, datatable: list[list[str]], strict: bool) -> None:
    spec = rr_step(step)
    report.act(spec.trigger, who, strict=strict, **step_table(report.scene, spec, datatable))


# ================================================================ Then


@then(parsers.re(r'办理成功，报告处于"(?P<stage>[^"]+)"阶段'))
def succeeded_in(report: Report, stage: str) -> None:
    succeeded(report.scene, RR_STATES[stage])


@then(parsers.re(r'报告期限"(?P<label>[^"]+)"至' + DATE("due") + "届满"))
def report_deadline(report: Report, label: str, due: str) -> None:
    row = running(report.scene, RR_DEADLINES[label], label)
    assert row.due == cn_date(due), f"「{label}」 is due {row.due}"


@then(parsers.re(r'手工录入的数据"(?P<name>[^"]+)"载明录入人' + WHO + "及其理由"))
def manual_entry(report: Report, name: str, who: str) -> None:
    entries = [e for e in report.scene.data().get("manual_figures", []) if e.get("figure_id") == name]
    assert entries, f"no hand-entered figure {name}"
    assert entries[-1].get("recorded_by") == report.scene.user(who) and entries[-1].get("reason")
