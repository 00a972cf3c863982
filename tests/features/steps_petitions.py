"""Step definitions for features/petitions (definitions/petition, complaint, respondent_case.v1.yaml).

The registers' vocabulary (tests/features/steps_registers.py) with the clerk's defaults for these three registers,
the town's settings for the periods the law leaves to it (信访期限的计算单位, 投诉举报答复期限, 行政诉讼答辩期限:
workflow/settings.py, each with its source), and the last day of a period as the case's deadline row holds it.
"""

from __future__ import annotations

from pytest_bdd import given, parsers, then
from sqlalchemy import delete

from tests.features.steps import DATE, Scene, cn_date
from tests.features.steps_registers import DEFAULTS, REGISTERS
from workflow import accounts
from workflow.db import writing
from workflow.demo import ORG
from workflow.models import OrgSetting
from workflow.procedures.petitions.law import LITIGATION_ANSWER_DAYS

SOURCE = "后龙镇信访和投诉举报工作制度（示意）"
RULES = {"petitions.day_unit": "calendar_days", "petitions.complaint_answer_days": 15,
         "petitions.complaint_day_unit": "calendar_days", LITIGATION_ANSWER_DAYS: 15}
CLAIM = "后龙村土地征收补偿款发放问题"

DEFAULTS.update({
    "petition": {
        "create": {"received_on": "2026-01-05", "title": CLAIM, "petitioners": ["陈某某"], "channel": "visit",
                   "petition_class": "claim", "transferred_from": "direct"},
        "accept_claim": {"accepted_on": "2026-01-08", "notified_on": "2026-01-08", "handled_by": "后龙镇农业农村办"},
        "route_elsewhere": {"notified_on": "2026-01-09", "route": "litigation_arbitration", "routed_to": "泉州仲裁委员会"},
        "object_transfer": {"objected_on": "2026-01-09", "reasons": "该事项属于区自然资源局的职责，不属于本镇职责范围"},
        "extend": {"extended_until": "2026-04-07", "approved_by": "黄振华", "approved_on": "2026-03-02",
                   "reasons": "涉及多户，需核对历年补偿发放台账", "notified_on": "2026-03-02"},
        "issue_opinion": {"opinion_on": "2026-02-27", "outcome": "explain", "claims": "请求补发2019年征收补偿款",
                          "facts": "补偿款已于2019年按协议足额发放至村集体账户，由村集体按分配方案发放",
                          "legal_basis": "依据征收补偿协议及村集体分配方案作出解释说明"},
        "serve_opinion": {"served_on": "2026-03-02"},
        "record_reexamination": {"requested_on": "2026-03-02", "organ": "泉州市泉港区人民政府"},
        "record_review": {"requested_on": "2026-03-02", "organ": "泉州市人民政府"},
        "archive": {"archived_on": "2026-03-02"},
    },
    "complaint": {
        "create": {"received_on": "2026-02-24", "title": "夜间施工噪声扰民", "complainants": ["王某"], "kind": "complaint",
                   "channel": "hotline"},
        "accept": {"accepted_on": "2026-02-25", "routed_to": "后龙镇综合执法队"},
        "answer": {"answered_on": "2026-03-02", "result": "substantiated", "answer": "已责令施工单位夜间停止施工"},
    },
    "respondent_case": {
        "create": {"received_on": "2026-01-12", "title": "林某不服罚款决定申请行政复议", "kind": "reconsideration",
                   "applicants": ["林某"], "body": "泉州市泉港区人民政府", "contested_act": "龙综执罚决〔2025〕12号行政处罚决定",
                   "simple_procedure": False},
        "submit_answer": {"answered_on": "2026-01-20", "evidence": ["现场检查笔录", "询问笔录", "行政处罚决定书"]},
        "record_hearing": {"heard_on": "2026-02-10", "head_appeared": True, "appeared": ["黄振华"]},
        "record_outcome": {"decided_on": "2026-02-26", "result": "maintained"},
        "receive_opinion_letter": {"received_on": "2026-02-27", "points": "规范现场检查笔录的制作"},
        "report_corrections": {"reported_on": "2026-03-02", "corrections": "已组织执法人员培训笔录制作规范"},
        "archive": {"archived_on": "2026-03-02"},
    },
})


@given("后龙镇已按本镇制度设置信访、投诉举报和应诉的期限")
def town_periods(scene: Scene) -> None:
    with writing(scene.town.sessions) as session:
        for key, value in RULES.items():
            accounts.set_setting(session, org_id=ORG, key=key, value=value, source=SOURCE, by="admin",
                                 now=scene.clock.now())


@given("后龙镇尚未设置行政诉讼答辩期限")
def no_litigation_period(scene: Scene) -> None:
    with writing(scene.town.sessions) as session:
        session.execute(delete(OrgSetting).where(OrgSetting.org_id == ORG, OrgSetting.key == LITIGATION_ANSWER_DAYS))


LAST_DAY = parsers.re(r'"(?P<label>[^"]+)"的最后一日为' + DATE("day"))


@given(LAST_DAY)
@then(LAST_DAY)
def last_day(scene: Scene, label: str, day: str) -> None:
    procedure = next(p for p in REGISTERS.values() if p.id == scene.case().procedure)
    names = [name for name, spec in procedure.deadlines.items() if spec.label.zh == label]
    assert names, f"no period 「{label}」 in {procedure.id}"
    row = scene.deadline(names[0])
    assert row is not None, f"the period 「{label}」 is not open"
    assert row.due == cn_date(day), row.due


@then(parsers.re(r'"(?P<label>[^"]+)"不适用于该事项'))
def period_without_day(scene: Scene, label: str) -> None:
    procedure = next(p for p in REGISTERS.values() if p.id == scene.case().procedure)
    name = next(name for name, spec in procedure.deadlines.items() if spec.label.zh == label)
    row = scene.deadline(name)
    assert row is not None and row.due is None, row


@then(parsers.re(r'"(?P<label>[^"]+)"记录为"(?P<status>按期|逾期)"'))
def period_verdict(scene: Scene, label: str, status: str) -> None:
    """The verdict the engine recorded with the step that ended the period (workflow/engine/timeliness.py)."""
    procedure = next(p for p in REGISTERS.values() if p.id == scene.case().procedure)
    name = next(name for name, spec in procedure.deadlines.items() if spec.label.zh == label)
    verdicts = [record["timeliness"][name] for record in scene.case().data.values()
                if isinstance(record, dict) and name in record.get("timeliness", {})]
    assert len(verdicts) == 1, f"{len(verdicts)} verdicts on 「{label}」"
    assert verdicts[0]["on_time"] == (status == "按期"), verdicts[0]
