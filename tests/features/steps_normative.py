"""Step definitions for features/normative_document (行政规范性文件 and its clean-up, 规范性文件清理).

They build on tests/features/steps.py (the Scene, its refusal invariant, dates, people, the generic refusal
steps) and speak the labels of definitions/normative_document.v1.yaml and normative_cleanup.v1.yaml: a step by
its label (办理文件步骤"登记评估论证"), a field by its label in a table, a stage by its label.

People: 张伟 drafts, 陈静 is the town's designated reviewer, 黄振华 the head (workflow/demo.py); the background
adds 林海 of the body the county designates (泉港区司法局), with an account of his own (周敏 of the general office
is one of the town's people), and the town's rules for normative documents as settings with their source.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from pytest_bdd import given, parsers, then
from sqlalchemy import select

from tests.features import coverage
from tests.features.steps import (
    DATE,
    PEOPLE,
    REGISTRY,
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
from workflow.demo import ORG
from workflow.models import Case, RoleAssignment, User
from workflow.procedures.normative_document import cleanup, register
from workflow.procedures.normative_document.law import REVIEW_POINTS

DOC = REGISTRY.get("normative_document")
CLEAN = REGISTRY.get("normative_cleanup")

# The people the background adds (name -> username, unit, roles).
STAFF = {"林海": ("linhai", "泉港区司法局", ["county_reviewer"])}  # 周敏 (office_clerk) is one of the town's people
ND_WHO = "(?P<who>" + "|".join(sorted({*PEOPLE, *STAFF}, key=len, reverse=True)) + ")"
SOURCE = "后龙镇人民政府行政规范性文件管理办法（示意）"
# The town's rules in the background: the values legal-facts-2 §1 reports, each as a setting with its source.
RULES = {"normative.legality_reviewer": "internal", "normative.comment_min_working_days": 7,
         "normative.comment_min_days_business": 30, "normative.collective_forum": "镇长办公会议",
         "normative.filing_recipient": "泉州市泉港区人民政府", "normative.filing_days": 15,
         "normative.filing_day_unit": "calendar_days", "normative.max_validity_years": 5,
         "normative.expiry_reminder_working_days": 20}




DOC_STEPS, CLEAN_STEPS = StepsByLabel(DOC), StepsByLabel(CLEAN)
STATES = {s.label.zh: s.name for p in (DOC, CLEAN) for s in p.states.values()}
REVIEW_POINT_BY_LABEL = {label.zh: value for value, label in next(
    f for f in DOC_STEPS["登记审核事项意见"].payload if f.name == "item").choices}


def _changed(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    payload = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    return payload


@dataclass
class Normative:
    """The document case of a scenario and its clean-up; `scene.case_id` follows the one acted on."""

    scene: Scene
    case_id: str | None = None
    cleanup_id: str | None = None
    business: bool = False
    documents: dict[str, str] = field(default_factory=dict)  # name in the scenario -> case id

    def data(self) -> dict[str, Any]:
        with self.scene.town.sessions() as session:
            case = session.get(Case, self.case_id)
            assert case is not None
            return dict(case.data)

    def payload(self, trigger: str, **changes: Any) -> dict[str, Any]:
        today = self.scene.today()
        calendar = self.scene.engine.calendar
        # only entering into force reads the case (its publication date): one query fewer for every other step
        data = self.data() if self.case_id and trigger == "enter_into_force" else {}
        published = (data.get("publication") or {}).get("published_on", today.isoformat())
        effective = date.fromisoformat(published)
        defaults: dict[str, dict[str, Any]] = {
            "create": {"title": "后龙镇农村宅基地建房管理规定", "drafting_unit": "村镇建设服务中心",
                       "summary": "规范农村村民住宅建设的申请、审查、批准和监管，明确村民的申报义务。",
                       "superior_basis": "《中华人民共和国土地管理法》第六十二条；《福建省农村村民住宅建设管理办法》",
                       "new_obligations": True, "affects_business": self.business},
            "confirm_normative": {"affects_rights": True, "binds_generally": True, "applies_repeatedly": True,
                                  "note": "涉及村民建房申报义务，普遍适用，反复适用"},
            "exclude": {"kind": "work_plan", "reason": "属于本镇年度工作方案，不涉及公民权利义务"},
            "record_evaluation": {"done": "done", "findings": "经评估，制定本规定必要、可行，与上位法衔接"},
            "open_public_comment": {"channels": ["后龙镇人民政府网站", "镇政务公开栏"],
                                    "closes_on": (today + timedelta(days=30)).isoformat() if self.business
                                    else calendar.add_working_days(today, 7).date.isoformat()},
            "close_public_comment": {"comments_received": 3, "adoption": "采纳2条，1条不予采纳并说明理由"},
            "record_fair_competition_review": {"conclusion": "compliant", "notes": "未设置市场准入和退出条件，不排除、限制竞争"},
            "submit_to_office": {"draft": True, "explanation": True, "legal_basis": True, "comment_adoption": True,
                                 "own_opinion": True},
            "forward_for_review": {"note": "材料齐全"},
            "return_to_drafter": {"reason": "起草说明未说明制定依据，退回重新起草"},
            "request_supplement": {"missing": "补充征求意见采纳情况说明",
                                   "due_on": (today + timedelta(days=5)).isoformat()},
            "submit_supplement": {"supplement": "已补充征求意见采纳情况说明"},
            "record_review_point": {"item": "issuer", "finding": "compliant"},
            "record_review_consultation": {"method": "expert_meeting", "held_on": today.isoformat(),
                                           "consulted": ["后龙镇法律顾问林志远", "泉港区司法局"],
                                           "question": "宅基地建房保证金是否属于违法设定的收费事项",
                                           "summary": "与会专家一致认为保证金缺乏上位法依据，建议删除"},
            "issue_legality_opinion": {"outcome": "lawful", "opinion": "经审核，制定主体合法，内容和程序符合规定"},
            "revise_after_opinion": {"changes": "删除第八条关于收取保证金的规定"},
            "withdraw": {"reason": "经审核不合法，停止制定"},
            "submit_for_deliberation": {"opinion_adopted": "fully"},
            "adopt_at_meeting": {"forum": "镇长办公会议", "meeting_date": today.isoformat(),
                                 "attendees": ["黄振华", "吴建国", "郑丽", "许文"], "views": "与会人员一致同意"},
            "reject_at_meeting": {"forum": "镇长办公会议", "meeting_date": today.isoformat(),
                                  "attendees": ["黄振华", "吴建国", "郑丽", "许文"], "views": "多数认为时机不成熟"},
            "sign": {"signed_on": today.isoformat()},
            "register_and_number": {"register_no": f"龙政规〔{today.year}〕1号", "registered_on": today.isoformat()},
            "record_publication": {"channel": "portal", "location": "http://www.qg.gov.cn/houlong/gfxwj/1.htm",
                                   "published_on": today.isoformat()},
            "enter_into_force": {"effective_on": published, "kind": "ordinary",
                                 "valid_until": effective.replace(year=effective.year + 5).isoformat()},
            "file_with_superior": {"recipient": "泉州市泉港区人民政府", "filed_on": today.isoformat(),
                                   "filing_ref": f"龙政文〔{today.year}〕1号"},
            "evaluate_before_expiry": {"conclusion": "lapse", "report": "上位法已调整，届满后不再施行"},
            "amend": {"reason": "上位法修改，需相应修改", "scope": "修改第五条申请材料"},
            "repeal": {"reason": "上位法已废止，本规定失去依据", "decision_ref": f"龙政〔{today.year}〕9号",
                       "repealed_on": today.isoformat()},
            "repeal_by_cleanup": {"cleanup_case": self.cleanup_id or ""},
        }
        return _changed(defaults[trigger], changes)

    def act(self, trigger: str, who: str, *, strict: bool, **changes: Any) -> None:
        payload = self.payload(trigger, **changes)
        self.scene.case_id = self.case_id
        if trigger == "create":
            self.scene.create(who, payload, strict=strict, procedure=DOC.id)
            if self.scene.outcome and self.scene.outcome.ok:
                self.case_id = self.scene.case_id
            return
        self.scene.fire(trigger, who, payload, strict=strict)

    def clean(self, trigger: str, who: str, *, strict: bool, **changes: Any) -> None:
        today = self.scene.today()
        defaults: dict[str, dict[str, Any]] = {
            "create": {"title": f"后龙镇{today.year}年行政规范性文件清理", "scope_date": today.isoformat(),
                       "lead_body": "后龙镇司法所", "reason": "泉港区人民政府部署的全面清理"},
            "record_document_outcome": {"document": self.case_id or "", "outcome": "retain",
                                        "reasons": "符合上位法规定，继续有效"},
            "publish_results": {"notice_ref": f"龙政告〔{today.year}〕1号", "published_on": today.isoformat(),
                                "location": "http://www.qg.gov.cn/houlong/gfxwj/ql.htm"},
        }
        payload = _changed(defaults[trigger], changes)
        if trigger == "create":
            self.scene.case_id = None
            self.scene.create(who, payload, strict=strict, procedure=CLEAN.id)
            if self.scene.outcome and self.scene.outcome.ok:
                self.cleanup_id = self.scene.case_id
            return
        assert self.cleanup_id, "no clean-up in this scenario"
        self.scene.case_id = self.cleanup_id
        self.scene.fire(trigger, who, payload, strict=strict)

    # -- bringing a document to a stage through the real transitions
    def review_all_points(self, who: str = "陈静") -> None:
        for item in REVIEW_POINTS:
            self.act("record_review_point", who, strict=True, item=item)

    def wait_working_days(self, n: int) -> None:
        self.scene.go_to(self.scene.engine.calendar.add_working_days(self.scene.today(), n).date)

    def bring_to(self, target: str) -> None:
        line: list[tuple[str, str]] = [
            ("create", "张伟"), ("confirm_normative", "张伟"), ("record_evaluation", "张伟"),
            ("open_public_comment", "张伟"), ("close_public_comment", "张伟"),
            *([("record_fair_competition_review", "张伟")] if self.business else []),
            ("submit_to_office", "张伟"), ("forward_for_review", "周敏"), ("points", "陈静"),
            ("issue_legality_opinion", "陈静"), ("submit_for_deliberation", "张伟"), ("adopt_at_meeting", "黄振华"),
            ("sign", "黄振华"), ("register_and_number", "周敏"), ("record_publication", "周敏"),
            ("enter_into_force", "周敏"),
        ]
        stops = {"screening": "create", "drafting": "confirm_normative", "public_comment": "open_public_comment",
                 "commented": "close_public_comment", "office_check": "submit_to_office",
                 "legality_review": "forward_for_review", "reviewed": "issue_legality_opinion",
                 "deliberation": "submit_for_deliberation", "adopted": "adopt_at_meeting", "signed": "sign",
                 "registered": "register_and_number", "in_force": "enter_into_force"}
        assert target in stops, f"no way to bring a document to {target}"
        last = [t for t, _ in line].index(stops[target])
        for trigger, who in line[:last + 1]:
            if trigger == "points":
                self.review_all_points(who)
                continue
            if trigger == "close_public_comment":
                row = self.scene.deadline("comment_period")
                assert row is not None and row.due is not None
                self.scene.go_to(row.due + timedelta(days=1))
            if trigger == "issue_legality_opinion":
                self.wait_working_days(5)
            self.act(trigger, who, strict=True)
        state = self.scene.case().state
        assert state == target, f"could not bring the document to {target} (reached {state})"


@pytest.fixture
def nd(scene: Scene) -> Normative:
    return Normative(scene)


def step_table(scene: Scene, step: Transition, datatable: list[list[str]] | None) -> dict[str, Any]:
    """| 字段 | 值 | rows by field label -> payload changes; （不填） leaves a field out."""
    changes: dict[str, Any] = {}
    for label, text in (datatable or [])[1:]:
        spec = field_by_label(step, label)
        assert spec is not None, f"「{step.label.zh}」 has no field 「{label}」: {[f.label.zh for f in step.payload]}"
        changes[spec.name] = None if text == "（不填）" else typed_value(spec, text)
    return changes


# ================================================================ Given


@given("后龙镇已确定规范性文件的办理人员和规则")
def town_rules(scene: Scene, demo_password_hash: str) -> None:
    with writing(scene.town.sessions) as session:
        for name, (username, unit, roles) in STAFF.items():
            accounts.create_user(session, org_id=ORG, username=username, display_name=name, unit=unit,
                                 password_hash=demo_password_hash, roles=roles)
            scene.people[name] = username
        for key, value in RULES.items():
            accounts.set_setting(session, org_id=ORG, key=key, value=value, source=SOURCE, by="admin",
                                 now=scene.clock.now())


@given(parsers.re(r'后龙镇规定规范性文件由"(?P<who>本单位审核人员|县级确定的审核机构)"审核'))
def reviewer_setting(scene: Scene, who: str) -> None:
    value = "internal" if who == "本单位审核人员" else "county_designated"
    with writing(scene.town.sessions) as session:
        accounts.set_setting(session, org_id=ORG, key="normative.legality_reviewer", value=value,
                             source="泉港区人民政府关于确定规范性文件合法性审核机构的通知（示意）", by="admin",
                             now=scene.clock.now())


@given(parsers.re(r"后龙镇规定报送备案期限为自发布之日起(?P<n>\d+)个工作日"))
def filing_in_working_days(scene: Scene, n: str) -> None:
    with writing(scene.town.sessions) as session:
        for key, value in (("normative.filing_days", int(n)), ("normative.filing_day_unit", "working_days")):
            accounts.set_setting(session, org_id=ORG, key=key, value=value, by="admin", now=scene.clock.now(),
                                 source="示意：某地规范性文件备案办法“印发之日起3个工作日内报送备案”（legal-facts-2 §1.8）")


@given(parsers.re(ND_WHO + r"也是本单位合法性审核人员"))
def also_reviewer(scene: Scene, who: str) -> None:
    with writing(scene.town.sessions) as session:
        user = session.scalar(select(User).where(User.username == scene.user(who)))
        assert user is not None
        if "legal_counsel" not in {r.role for r in user.roles}:
            user.roles.append(RoleAssignment(role="legal_counsel"))


@given(parsers.re(r'有一件(?P<business>涉企)?规范性文件处于"(?P<stage>[^"]+)"阶段'))
def document_at(nd: Normative, business: str | None, stage: str) -> None:
    assert stage in STATES, f"no stage 「{stage}」: {sorted(STATES)}"
    nd.business = bool(business)
    nd.bring_to(STATES[stage])


@given(parsers.re(r'(?P<name>[^"，]+)是一件现行有效的规范性文件'))
def named_document(nd: Normative, name: str) -> None:
    nd.case_id = None
    nd.bring_to("in_force")
    assert nd.case_id
    nd.documents[name] = nd.case_id


@given(parsers.re(r"7个审核事项均已登记(?:，但缺少\"(?P<label>[^\"]+)\")?"))
def points_recorded(nd: Normative, label: str | None) -> None:
    skip = REVIEW_POINT_BY_LABEL[label] if label else None
    for item in REVIEW_POINTS:
        if item != skip:
            nd.act("record_review_point", "陈静", strict=True, item=item)


@given(parsers.re(r"自收到送审材料起已过(?P<n>\d+)个工作日"))
def working_days_passed(nd: Normative, n: str) -> None:
    row = nd.scene.deadline("legality_review_time")
    assert row is not None and row.started_on is not None
    nd.scene.go_to(nd.scene.engine.calendar.add_working_days(row.started_on, int(n)).date)


@given(parsers.re(r"距发布之日已过(?P<n>\d+)日"))
def days_since_publication(nd: Normative, n: str) -> None:
    published = date.fromisoformat(nd.data()["publication"]["published_on"])
    nd.scene.go_to(published + timedelta(days=int(n)))


@given(parsers.re(r"征求意见期限已经届满"))
def comment_over(nd: Normative) -> None:
    row = nd.scene.deadline("comment_period")
    assert row is not None and row.due is not None
    nd.scene.go_to(row.due + timedelta(days=1))


# ================================================================ actions (假如 = done, 当 = attempted)


doc_step, clean_step = DOC_STEPS.named, CLEAN_STEPS.named


@action(ND_WHO + r'办理文件步骤"(?P<step>[^"]+)"')
def document_step(nd: Normative, who: str, step: str, strict: bool) -> None:
    nd.act(doc_step(step).trigger, who, strict=strict)


@action(ND_WHO + r'办理文件步骤"(?P<step>[^"]+)"，其中：')
def document_step_with(nd: Normative, who: str, step: str, datatable: list[list[str]], strict: bool) -> None:
    spec = doc_step(step)
    nd.act(spec.trigger, who, strict=strict, **step_table(nd.scene, spec, datatable))


@action(ND_WHO + r'以"(?P<item>[^"]+)"登记审核事项意见')
def review_point(nd: Normative, who: str, item: str, strict: bool) -> None:
    nd.act("record_review_point", who, strict=strict, item=REVIEW_POINT_BY_LABEL[item])


@action(ND_WHO + r"逐项登记7个审核事项意见")
def review_points(nd: Normative, who: str, strict: bool) -> None:
    for item in REVIEW_POINTS:
        nd.act("record_review_point", who, strict=strict, item=item)


@action(ND_WHO + "将征求意见截止日期定为" + DATE("closes") + r'(?:，缩短理由为"(?P<reason>[^"]+)")?')
def open_comment(nd: Normative, who: str, closes: str, reason: str | None, strict: bool) -> None:
    nd.act("open_public_comment", who, strict=strict, closes_on=cn_date(closes).isoformat(),
           shortening_reason=reason)


@action(ND_WHO + r'启动清理(?:"(?P<title>[^"]+)")?')
def start_cleanup(nd: Normative, who: str, title: str | None, strict: bool) -> None:
    nd.clean("create", who, strict=strict, **({"title": title} if title else {}))


@action(ND_WHO + r'对(?P<name>[^"，]+?)作出清理结论"(?P<outcome>[^"]+)"')
def cleanup_outcome(nd: Normative, who: str, name: str, outcome: str, strict: bool) -> None:
    spec = next(f for f in clean_step("作出文件清理结论").payload if f.name == "outcome")
    document = nd.documents.get(name) or nd.case_id
    nd.clean("record_document_outcome", who, strict=strict, document=document,
             outcome=typed_value(spec, outcome), reasons=f"经清理，{outcome}")


@action(ND_WHO + r'办理清理步骤"(?P<step>[^"]+)"')
def cleanup_step(nd: Normative, who: str, step: str, strict: bool) -> None:
    nd.clean(clean_step(step).trigger, who, strict=strict)


@action(ND_WHO + r"依清理结果废止(?P<name>[^\"，]+)")
def repeal_by_cleanup(nd: Normative, who: str, name: str, strict: bool) -> None:
    nd.case_id = nd.documents[name]
    nd.act("repeal_by_cleanup", who, strict=strict)


@action(ND_WHO + "执行公布的清理结果")
def apply_cleanup(nd: Normative, who: str, strict: bool) -> None:
    assert nd.cleanup_id
    engine = nd.scene.engine
    outcomes = cleanup.apply_repeals(engine, nd.cleanup_id, nd.scene.user(who),
                                     fire=lambda *a, **k: coverage.fire(engine, *a, **k))
    assert outcomes, "the clean-up repealed nothing"
    last = outcomes[-1]
    nd.scene.outcome, nd.scene.trigger = last, last.trigger
    nd.scene.case_id = last.case_id


# ================================================================ Then


@then(parsers.re(r'办理成功，(?:文件|清理)处于"(?P<stage>[^"]+)"阶段'))
def succeeded_in(nd: Normative, stage: str) -> None:
    succeeded(nd.scene, STATES[stage])
    assert nd.scene.case().state == STATES[stage]


@then(parsers.re(r'(?P<name>[^"，]+?)处于"(?P<stage>[^"]+)"阶段'))
def named_at(nd: Normative, name: str, stage: str) -> None:
    case_id = nd.documents.get(name, nd.case_id)
    with nd.scene.town.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None and case.state == STATES[stage], f"{name} is {case.state if case else None}"


@then(parsers.re(r'文件期限"(?P<label>[^"]+)"至' + DATE("due") + "届满"))
def document_deadline(nd: Normative, label: str, due: str) -> None:
    name = next(d.name for d in DOC.deadlines.values() if d.label.zh == label)
    row = running(nd.scene, name, label)
    assert row.due == cn_date(due), f"「{label}」 is due {row.due}"


@then(parsers.re(r'文件期限"(?P<label>[^"]+)"不再计算'))
def document_deadline_gone(nd: Normative, label: str) -> None:
    name = next(d.name for d in DOC.deadlines.values() if d.label.zh == label)
    assert nd.scene.deadline(name) is None, f"「{label}」 is still running"


@then(parsers.re(r"认定记录载明认定人为" + ND_WHO))
def gate_recorded_by(nd: Normative, who: str) -> None:
    gate = nd.data().get("gate") or {}
    assert gate.get("recorded_by") == nd.scene.user(who), f"gate record: {gate}"


@then(parsers.re(r'(?P<which>继续有效|已失效)目录(?P<neg>不)?列有(?P<name>[^"，]+)'))
def listed(nd: Normative, which: str, neg: str | None, name: str) -> None:
    with nd.scene.town.sessions() as session:
        lists = register.cleanup_lists(session, ORG, nd.cleanup_id or "")
    ids = [row.case_id for row in (lists.valid if which == "继续有效" else lists.invalid)]
    assert (nd.documents[name] in ids) != bool(neg), f"{which}: {ids}"


@then(parsers.re(r'审核记录载有"(?P<method>[^"]+)"的意见摘要'))
def consultation_recorded(nd: Normative, method: str) -> None:
    spec = next(f for f in DOC_STEPS["登记审核中的征求意见和论证"].payload if f.name == "method")
    value = next((v for v, label in spec.choices if label.zh == method), None)
    assert value, f"「{method}」 is not a method: {[label.zh for _, label in spec.choices]}"
    consultations = nd.data().get("consultations") or []
    assert consultations and consultations[-1]["method"] == value and consultations[-1]["summary"].strip(), consultations
