"""Step definitions for features/enforcement (行政处罚普通程序 and 重大执法决定法制审核).

They build on tests/features/steps.py (the Scene, its refusal invariant, dates, people, and the generic
refusal steps) and speak the labels of definitions/enforcement_case.v1.yaml and enforcement_review.v1.yaml:
a step by its label (办理执法步骤"立案", 办理审核步骤"受理审核"), a field by its label in a table. A field whose
label says （账号） takes people by their names. Who is an officer and whose certificate has expired is
workflow/demo.py: 王海 (two fields), 蔡明 (市容环境卫生), 洪志强 (expired); 陈静 holds the legal qualification,
郭敏 does not; 黄振华 and 吴建国 are agency heads.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from pytest_bdd import given, parsers, then
from sqlalchemy import select

from tests.features.steps import (
    DATE,
    REGISTRY,
    WHO,
    Scene,
    StepsByLabel,
    action,
    cn_date,
    field_by_label,
    running,
    succeeded,
    typed_value,
)
from workflow import accounts
from workflow.db import writing
from workflow.definitions import Transition
from workflow.demo import ORG, POWER_STREETS
from workflow.models import Case, OrgSetting, RoleAssignment, User
from workflow.procedures.enforcement.law import CHECKLIST, DECISION_DAYS

ENF = REGISTRY.get("enforcement_case")
REV = REGISTRY.get("enforcement_review")




ENF_STEPS, REV_STEPS = StepsByLabel(ENF), StepsByLabel(REV)
STATES = {s.label.zh: (p.id, s.name) for p in (ENF, REV) for s in p.states.values()}
DEADLINES = {d.label.zh: d.name for d in ENF.deadlines.values()}
CHECKLIST_BY_LABEL = {label.zh: value for value, label in next(
    f for f in REV_STEPS["登记审核事项意见"].payload if f.name == "item").choices}


@dataclass
class Enforcement:
    """The enforcement case of a scenario and its legal review case; `scene.case_id` follows the one acted on."""

    scene: Scene
    case_id: str | None = None
    review_id: str | None = None
    major: bool = False
    large: bool = False  # a large fine was notified: the town's catalogue makes the case major (处罚法第五十八条)
    published: bool = False  # bring_to publishes the decision right after it is made

    # -- payloads a careful officer of 后龙镇 would fill in
    def payload(self, trigger: str, **changes: Any) -> dict[str, Any]:
        scene = self.scene
        today = scene.today()
        data = self.data() if self.case_id else {}
        notice = data.get("notice") or {}
        filed = (data.get("filing") or {}).get("recorded_on", today.isoformat())
        calendar = scene.engine.calendar
        due = calendar.period(date.fromisoformat(filed), DECISION_DAYS, "calendar_days").date
        defaults: dict[str, dict[str, Any]] = {
            "create": {"title": "陈某某在后龙街两侧堆放建材案", "party": "陈某某（后龙镇后龙村）", "party_type": "individual",
                       "facts": "当事人在后龙街两侧人行道堆放建材约20立方米，经责令后未清理。", "field": "市容环境卫生",
                       "power": POWER_STREETS, "legal_basis": "《城市市容和环境卫生管理条例》第十四条、第三十六条"},
            "start_investigation": {"officers": ["wanghai", "caiming"], "plan": "现场勘验、询问当事人、调取照片"},
            "record_investigation_conduct": {"occasion": "现场勘验后龙街两侧人行道", "conducted_on": today.isoformat(),
                                             "certificates_shown": True, "duties_told": True,
                                             "av_record_ref": "执法记录仪-0001"},
            "replace_officers": {"officers": ["wanghai", "caiming"], "reason": "原执法人员执法证件到期，更换执法人员"},
            "record_recusal": {"officer": "caiming", "applied_by": "party", "ground": "当事人称执法人员与其有纠纷",
                               "granted": False},
            "register_evidence_preservation": {"items": ["水泥30包", "钢筋2吨"], "reason": "物料可能被转移，证据以后难以取得",
                                               "head_approved": True},
            "decide_on_preserved_evidence": {"measure": "return", "reasons": "已拍照固定证据，解除登记保存并退还"},
            "extend_decision_period": {"extended_until": (due + timedelta(days=30)).isoformat(),
                                       "rule_source": "本机关适用的规章规定的延长期限", "reason": "案情复杂，需补充鉴定"},
            "transfer_to_judicial_organs": {"organ": "泉州市公安局泉港分局", "suspected_crime": "涉嫌非法经营罪",
                                            "transfer_ref": "龙综执移〔2026〕1号"},
            "decide_no_penalty": {"ground": "minor_corrected", "reasons": "当事人当日清理完毕，未造成危害后果，已进行教育",
                                  "document_no": "龙综执不罚〔2026〕1号"},
            "notify_intended_penalty": self._notice("2000"),
            "notify_with_hearing_rights": self._notice("20000"),
            "renotify_intended_penalty": {**self._notice("2000"), "change_ground": "correction",
                                          "change_reason": "原告知书所列罚款数额计算有误"},
            "renotify_with_hearing_rights": {**self._notice("20000"), "change_ground": "new_facts",
                                             "change_reason": "补充调查发现当事人另在后龙街东段堆放建材约40立方米"},
            "record_statement": {"statement": "当事人称系临时堆放，请求从轻处罚", "review": "经复核，陈述理由不成立，不予采纳"},
            "request_hearing": {"requested_on": today.isoformat()},
            "schedule_hearing": {"hearing_date": calendar.add_working_days(today, 8).date.isoformat(),
                                 "notified_on": today.isoformat(), "place": "后龙镇人民政府三楼会议室",
                                 "chair": "chenjing", "public": True},
            "record_hearing": {"held_on": (data.get("hearing") or {}).get("hearing_date", today.isoformat()),
                               "record_ref": f"{self.case_id}-听证笔录", "signed_by_party": True},
            "assess_major_case": {"major_public_interest": False, "major_rights_after_hearing": False, "complex": False,
                                  **({"catalogue_item": "拟作出较大数额罚款的"} if self.major or self.large else {})},
            "record_collective_discussion": {"meeting_date": today.isoformat(), "attendees": ["huangzhenhua", "wujianguo"],
                                             "conclusion": "同意按告知内容作出处罚"},
            "decide_penalty": {"document_no": "龙综执罚〔2026〕1号", "party": "陈某某，住后龙镇后龙村",
                               "facts_and_evidence": "现场勘验笔录、询问笔录、照片证实当事人占道堆放建材",
                               "penalty_type": notice.get("penalty_type", "fine"),
                               **({"amount": notice["amount"]} if notice.get("amount") else {}),
                               "legal_basis": "《城市市容和环境卫生管理条例》第三十六条",
                               "performance": "自收到本决定书之日起十五日内到指定银行缴纳罚款",
                               "reconsideration_body": "泉州市泉港区人民政府", "reconsideration_days": 60,
                               "litigation_months": 6, "decided_on": today.isoformat(), "sealed": True},
            "serve_decision": {"method": "on_the_spot", "served_on": today.isoformat(), "proof_ref": "送达回证-001"},
            "publish_decision": {"channel": "portal", "location": "后龙镇人民政府网站·行政执法公示专栏",
                                 "published_on": today.isoformat()},
            "record_not_published": {"reason": "仅警告个人且当事人已改正，不具有一定社会影响"},
            "record_withdrawal_ground": {"ground": "revoked", "document_ref": "泉港政复决〔2026〕3号",
                                         "occurred_on": today.isoformat()},
            "withdraw_publication": {"public_reason": "该处罚决定已被行政复议决定撤销，故撤回公开",
                                     "withdrawn_on": today.isoformat()},
            "record_execution": {"outcome": "performed", "completed_on": today.isoformat(), "receipt_ref": "缴款书-001"},
            "close_case": {"summary": "当事人已缴纳罚款并清理占道物料，案件办结"},
            "approve_filing": {"opinion": "符合立案条件，同意立案", "approved_on": today.isoformat()},
            "publish_service_notice": {"ground": "whereabouts_unknown", "attempts": "两次上门均无人，村委会称当事人已外出",
                                       "channel": "后龙镇人民政府公告栏及政府网站", "notice_on": today.isoformat()},
            "seal_or_seize_property": {"measure": "seize", "items": ["水泥30包", "钢筋2吨"],
                                       "decision_no": "龙综执扣〔2026〕1号", "carried_out_on": today.isoformat(),
                                       "until": (today + timedelta(days=30)).isoformat(), "head_approved": True,
                                       "officers_present": ["wanghai", "caiming"], "party_notified": True,
                                       "on_site_record": True},
            "attach_record": {"kind": "text", "title": "询问笔录", "format": "pdf", "made_on": today.isoformat()},
            "archive": {"archive_ref": "龙档〔2026〕执-01", "materials": ["立案审批表", "调查笔录", "执法记录仪音像记录", "决定书", "送达回证"]},
        }
        return _changed(defaults[trigger], changes)

    def _notice(self, amount: str) -> dict[str, Any]:
        return {"penalty_type": "fine", "amount": amount, "facts": "当事人在后龙街两侧人行道堆放建材约20立方米",
                "reasons": "违反《城市市容和环境卫生管理条例》第十四条", "legal_basis": "《城市市容和环境卫生管理条例》第三十六条",
                "rights_told": "告知当事人有陈述、申辩的权利", "notified_on": self.scene.today().isoformat()}

    def review_payload(self, trigger: str, **changes: Any) -> dict[str, Any]:
        defaults: dict[str, dict[str, Any]] = {
            "create": {"title": "陈某某占道堆放建材案拟处罚款", "enforcement_case": self.case_id or "",
                       "materials": ["调查终结报告", "告知书及送达回证", "听证笔录", "证据材料"],
                       "proposal": "拟处罚款，依据《城市市容和环境卫生管理条例》第三十六条"},
            "accept_for_review": {"note": "材料齐全，予以受理"},
            "record_checklist_finding": {"item": "subject", "finding": "compliant"},
            "pass_review": {"opinion": "主体合法，程序正当，事实清楚，证据充分，适用法律准确，同意作出处罚决定"},
            "return_for_supplement": {"missing": "缺少现场勘验照片"},
            "resubmit": {"supplement": "补充现场勘验照片12张"},
            "fail_review": {"opinion": "适用法律错误，不同意作出该处罚决定"},
        }
        return _changed(defaults[trigger], changes)

    # -- acting on the two cases
    def data(self) -> dict[str, Any]:
        with self.scene.town.sessions() as session:
            case = session.get(Case, self.case_id)
            assert case is not None
            return dict(case.data)

    def act(self, trigger: str, who: str, *, strict: bool, **changes: Any) -> None:
        if trigger == "record_hearing" and "held_on" not in changes and self.case_id:
            # a hearing is recorded once held, on the day it was set for (no date in the future)
            held = (self.data().get("hearing") or {}).get("hearing_date")
            if held and date.fromisoformat(held) > self.scene.today():
                self.scene.go_to(date.fromisoformat(held))
        payload = self.payload(trigger, **changes)
        self.scene.case_id = self.case_id
        if trigger == "create":
            self.scene.create(who, payload, strict=strict, procedure=ENF.id)
            if self.scene.outcome and self.scene.outcome.ok:
                self.case_id = self.scene.case_id
            return
        self.scene.fire(trigger, who, payload, strict=strict)

    def review(self, trigger: str, who: str, *, strict: bool, **changes: Any) -> None:
        payload = self.review_payload(trigger, **changes)
        if trigger == "create":
            self.scene.case_id = None
            self.scene.create(who, payload, strict=strict, procedure=REV.id)
            if self.scene.outcome and self.scene.outcome.ok:
                self.review_id = self.scene.case_id
            self.scene.case_id = self.review_id
            return
        assert self.review_id, "no legal review in this scenario"
        self.scene.case_id = self.review_id
        self.scene.fire(trigger, who, payload, strict=strict)

    def pass_hearing_period(self) -> None:
        self.scene.case_id = self.case_id
        row = self.scene.deadline("hearing_request_period")
        if row is not None:
            self.scene.go_to(row.due + timedelta(days=1))

    def review_passes(self) -> None:
        self.review("create", "王海", strict=True)
        self.review("accept_for_review", "陈静", strict=True)
        for item in CHECKLIST:
            self.review("record_checklist_finding", "陈静", strict=True, item=item)
        self.review("pass_review", "陈静", strict=True)
        self.scene.case_id = self.case_id

    # -- bringing the enforcement case to a stage through the real transitions
    def bring_to(self, target: str, kind: str) -> None:
        """`kind`: ordinary (a 2000-yuan fine), hearing (a large fine: hearing right), major (large fine, major)."""
        self.major = kind == "major"
        self.large = kind in ("hearing", "major")
        notice = "notify_intended_penalty" if kind == "ordinary" else "notify_with_hearing_rights"
        base = [("create", "王海"), ("start_investigation", "王海")]
        extras = [("record_collective_discussion", "黄振华"), ("review", "")] if self.major else []
        full = [*base, (notice, "王海"), ("assess_major_case", "王海"), *extras, ("decide_penalty", "黄振华"),
                ("serve_decision", "王海"), ("record_execution", "王海"), ("close_case", "黄振华"), ("archive", "王海")]
        last = {"decided": "decide_penalty", "served": "serve_decision", "executed": "record_execution",
                "closed": "close_case", "archived": "archive"}
        lines = {
            "filed": base[:1], "investigating": base,
            "notified": [*base, (notice, "王海"), *([("assess_major_case", "王海")] if self.major else [])],
            "hearing": [*base, (notice, "王海"), ("request_hearing", "王海")],
            "no_penalty": [*base, ("decide_no_penalty", "黄振华")],
            "transferred": [*base, ("transfer_to_judicial_organs", "黄振华")],
        }
        if target in last:
            line = full[:[t for t, _ in full].index(last[target]) + 1]
        else:
            assert target in lines, f"no way to bring a case to {target}"
            line = lines[target]
        for trigger, who in line:
            if trigger == "review":
                self.review_passes()
                continue
            if trigger == "decide_penalty":
                self.pass_hearing_period()
            self.act(trigger, who, strict=True)
            if trigger == "decide_penalty" and self.published:
                self.act("publish_decision", "王海", strict=True)
        state = self.scene.case().state
        assert state == target, f"could not bring the case to {target} (reached {state})"


def _changed(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    payload = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    return payload


@pytest.fixture
def enf(scene: Scene) -> Enforcement:
    return Enforcement(scene)


def step_table(scene: Scene, step: Transition, datatable: list[list[str]] | None) -> dict[str, Any]:
    """| 字段 | 值 | rows by field label -> payload changes; （账号） fields take people's names."""
    changes: dict[str, Any] = {}
    for label, text in (datatable or [])[1:]:
        spec = field_by_label(step, label)
        assert spec is not None, f"「{step.label.zh}」 has no field 「{label}」: {[f.label.zh for f in step.payload]}"
        if "账号" in label:
            names = [n for n in text.replace("，", "、").split("、") if n]
            people = [scene.user(n) for n in names]
            changes[spec.name] = people if spec.type == "string_list" else people[0]
        elif text == "（不填）":
            changes[spec.name] = None
        else:
            changes[spec.name] = typed_value(spec, text)
    return changes


# ================================================================ Given


KINDS = {"行政处罚": "ordinary", "拟处较大数额罚款的行政处罚": "hearing", "重大行政处罚": "major",
         "已公开决定的行政处罚": "ordinary"}


@given(parsers.re(r'有一起(?P<kind>行政处罚|拟处较大数额罚款的行政处罚|重大行政处罚|已公开决定的行政处罚)案件处于'
                  r'"(?P<stage>[^"]+)"阶段'))
def enforcement_case_at(enf: Enforcement, kind: str, stage: str) -> None:
    procedure, state = STATES[stage]
    assert procedure == ENF.id, f"「{stage}」 is not a stage of {ENF.ref}"
    enf.published = kind.startswith("已公开")
    enf.bring_to(state, KINDS[kind])


@given(parsers.re(r'执法期限"(?P<label>[^"]+)"已经届满'))
def enforcement_deadline_over(enf: Enforcement, label: str) -> None:
    row = running(enf.scene, DEADLINES[label], label)
    enf.scene.go_to(row.due + timedelta(days=1))


@given(parsers.re(r'后龙镇尚未设置"(?P<key>[a-z_.]+)"'))
def setting_unset(enf: Enforcement, key: str) -> None:
    with writing(enf.scene.town.sessions) as session:
        row = session.get(OrgSetting, (ORG, key))
        if row is not None:
            session.delete(row)


@given(parsers.re(r'后龙镇依据"(?P<source>[^"]+)"设置处罚决定期限可延长(?P<days>\d+)日'))
def extension_rule(enf: Enforcement, source: str, days: str) -> None:
    with writing(enf.scene.town.sessions) as session:
        accounts.set_setting(session, org_id=ORG, key="enforcement.decision_extension_days", value=int(days),
                             source=source, by="admin", now=enf.scene.clock.now())


@given(parsers.re(WHO + "同时担任法制审核人员"))
def also_reviewer(enf: Enforcement, who: str) -> None:
    with writing(enf.scene.town.sessions) as session:
        user = session.scalar(select(User).where(User.username == enf.scene.user(who)))
        assert user is not None
        user.roles.append(RoleAssignment(role="legal_reviewer"))


@given(parsers.re(r"综合执法队新进执法人员(?P<name>[\u4e00-\u9fff]{2,3})尚未取得执法证件"))
def officer_without_certificate(enf: Enforcement, demo_password_hash: str, name: str) -> None:
    with writing(enf.scene.town.sessions) as session:
        accounts.create_user(session, org_id=ORG, username="new_officer", display_name=name, unit="综合执法队",
                             password_hash=demo_password_hash, roles=["enforcement_officer"])
    enf.scene.people[name] = "new_officer"


@given("听证申请期限已经届满")
def hearing_period_over(enf: Enforcement) -> None:
    enf.pass_hearing_period()


@given(parsers.re(r'审核事项均已登记为符合要求(?:，但"(?P<label>[^"]+)"存在问题)?'))
def findings_recorded(enf: Enforcement, label: str | None) -> None:
    for item in CHECKLIST:
        problem = label is not None and CHECKLIST_BY_LABEL[label] == item
        enf.review("record_checklist_finding", "陈静", strict=True, item=item,
                   finding="problem" if problem else "compliant")


# ================================================================ actions (假如 = done, 当 = attempted)


enf_step, _rev_step = ENF_STEPS.named, REV_STEPS.named


@action(WHO + r'办理执法步骤"(?P<step>[^"]+)"')
def enforcement_step(enf: Enforcement, who: str, step: str, strict: bool) -> None:
    enf.act(enf_step(step).trigger, who, strict=strict)


@action(WHO + r'办理执法步骤"(?P<step>[^"]+)"，其中：')
def enforcement_step_with(enf: Enforcement, who: str, step: str, datatable: list[list[str]], strict: bool) -> None:
    spec = enf_step(step)
    enf.act(spec.trigger, who, strict=strict, **step_table(enf.scene, spec, datatable))


@action(WHO + r'办理审核步骤"(?P<step>[^"]+)"')
def review_step(enf: Enforcement, who: str, step: str, strict: bool) -> None:
    enf.review(_rev_step(step).trigger, who, strict=strict)


@action(WHO + r'办理审核步骤"(?P<step>[^"]+)"，其中：')
def review_step_with(enf: Enforcement, who: str, step: str, datatable: list[list[str]], strict: bool) -> None:
    spec = _rev_step(step)
    enf.review(spec.trigger, who, strict=strict, **step_table(enf.scene, spec, datatable))


@action(WHO + r'就(?:案件"(?P<number>[^"]+)"|本案)提请法制审核')
def submit_review(enf: Enforcement, who: str, number: str | None, strict: bool) -> None:
    enf.review("create", who, strict=strict, **({"enforcement_case": number} if number else {}))


@action(r"本案的法制审核已经通过")
def review_passed(enf: Enforcement, strict: bool) -> None:
    enf.review_passes()


# ================================================================ Then


@then(parsers.re(r'办理成功，(?:案件|审核)处于"(?P<stage>[^"]+)"阶段'))
def succeeded_in(enf: Enforcement, stage: str) -> None:
    procedure, state = STATES[stage]
    succeeded(enf.scene, state)
    case = enf.scene.case()
    assert (case.procedure, case.state) == (procedure, state)


@then(parsers.re(r'执法期限"(?P<label>[^"]+)"至' + DATE("due") + "届满"))
def enforcement_deadline(enf: Enforcement, label: str, due: str) -> None:
    row = running(enf.scene, DEADLINES[label], label)
    assert row.due == cn_date(due), f"「{label}」 is due {row.due}"


@then(parsers.re(r'执法期限"(?P<label>[^"]+)"不再计算'))
def enforcement_deadline_gone(enf: Enforcement, label: str) -> None:
    assert enf.scene.deadline(DEADLINES[label]) is None, f"「{label}」 is still running"


@then(parsers.re(r'执法期限"(?P<label>[^"]+)"开始计算，为(?P<n>\d+)个工作日'))
def enforcement_deadline_started(enf: Enforcement, label: str, n: str) -> None:
    row = running(enf.scene, DEADLINES[label], label)
    assert (row.n, row.unit) == (int(n), "working_days"), f"「{label}」 is {row.n} {row.unit}"


TIMELINESS = {"公开": ("publication", ("publication_period", "other_publication_period")),
              "撤回": ("withdrawal", ("withdrawal_period",))}


@then(parsers.re(r'(?P<what>公开|撤回)记录为"(?P<status>按期|逾期)"'))
def recorded_timeliness(enf: Enforcement, what: str, status: str) -> None:
    key, deadlines = TIMELINESS[what]
    record = enf.data().get(key)
    assert record is not None, f"no {key} on record"
    timeliness = next(record["timeliness"][d] for d in deadlines if d in record["timeliness"])
    assert timeliness["on_time"] == (status == "按期"), f"recorded {timeliness}"
