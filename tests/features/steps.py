"""Step definitions for features/major_decision (重大行政决策程序).

Vocabulary of the feature files:

* people by their display names (张伟, 陈静, 黄振华, ...; workflow/demo.py); 王芳 is an extra person some
  scenarios create with two roles;
* stages, steps, payload fields, roles and deadlines by their Chinese labels in the newest definition
  (definitions/major_decision.v<N>.yaml, the version new cases start under), so the specs speak the
  definition's own language;
* dates as 2026年9月28日, Beijing time.

Every engine call goes through tests.features.coverage (create_case / fire), which records what the spec
exercised. An action step reads the same under 假如 and 当: as a Given it must succeed (otherwise the
scenario's setup is wrong and it fails right there); as a When it may be refused. Every refusal is checked on
the spot to have left the case exactly as it was (state, version, data, deadlines) and to have added exactly
one `refused` audit event carrying the same reasons with their articles.

Cases reach a stage only through the engine: `Scene.bring_to` fires the real transitions with plausible
payloads; nothing writes case rows directly.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when
from sqlalchemy import func, select

from tests.features import coverage
from workflow import accounts
from workflow.audit.trail import event_body
from workflow.audit.verifier import event_hash
from workflow.clock import FixedClock, local_date
from workflow.db import writing
from workflow.definitions import DEFINITIONS_DIR, Procedure, Transition, load_registry
from workflow.demo import ORG, USERS
from workflow.engine import Outcome, Reason
from workflow.models import (
    GENESIS_HASH,
    SYSTEM_JOURNAL_ID,
    AuditEvent,
    Case,
    CaseDeadline,
    OrgSetting,
)
from workflow.payloads import FieldSpec
from workflow.procedures import GUARDS
from workflow.procedures.major_decision.law import FORUM_SETTING
from workflow.runtime import Runtime

PROCEDURE_ID = "major_decision"
REGISTRY = load_registry()  # definitions/ as the engine sees it; loaded once per test session
PROC = REGISTRY.get(PROCEDURE_ID)

STATE_BY_LABEL = {s.label.zh: s.name for s in PROC.states.values()}
class StepsByLabel(dict[str, Transition]):
    """A procedure's steps (its opening included) by their Chinese label, as the feature files name them."""

    def __init__(self, procedure: Procedure):
        super().__init__({t.label.zh: t for t in procedure.transitions} | {procedure.create.label.zh: procedure.create})
        self.procedure = procedure

    def named(self, label: str) -> Transition:
        assert label in self, f"no step 「{label}」 in {self.procedure.ref}: {sorted(self)}"
        return self[label]


STEP_BY_LABEL = StepsByLabel(PROC)
STEP_BY_TRIGGER: dict[str, Transition] = {t.trigger: t for t in PROC.transitions} | {"create": PROC.create}
# Roles of every procedure (the enforcement specs reuse the audit steps); a label means one role everywhere.
ROLE_BY_LABEL = {label.zh: role for proc in REGISTRY.all() for role, label in proc.roles.items()}
DEADLINE_BY_LABEL = {d.label.zh: d for d in PROC.deadlines.values()}

# People of 后龙镇 (workflow/demo.py) plus the personas scenarios may create.
PEOPLE = {u["display_name"]: u["username"] for u in USERS}
EXTRA_PEOPLE = {"王芳": "wangfang"}
WHO = "(?P<who>" + "|".join(sorted({*PEOPLE, *EXTRA_PEOPLE}, key=len, reverse=True)) + ")"
CN_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")


def DATE(name: str) -> str:  # noqa: N802 - reads like the other pattern constants
    return rf"(?P<{name}>\d{{4}}年\d{{1,2}}月\d{{1,2}}日)"


def cn_date(text: str) -> date:
    match = CN_DATE.fullmatch(text)
    assert match, f"not a date like 2026年9月28日: {text!r}"
    return date(*map(int, match.groups()))


def field_spec(trigger: str, name: str) -> FieldSpec:
    return next(f for f in STEP_BY_TRIGGER[trigger].payload if f.name == name)


def choice(trigger: str, name: str, label: str) -> str:
    """The stored value of a choice by its Chinese label; a label the definition does not have is a spec error."""
    spec = field_spec(trigger, name)
    for value, choice_label in spec.choices:
        if choice_label.zh == label:
            return value
    raise AssertionError(f"「{label}」 is not a choice of {trigger}.{name}: {[c.zh for _, c in spec.choices]}")


def field_by_label(step: Transition, label: str) -> FieldSpec | None:
    return next((f for f in step.payload if f.label.zh == label), None)


def typed_value(spec: FieldSpec | None, text: str) -> Any:
    """A value typed into a form: converted the way a client would, kept raw when it does not fit the type."""
    if spec is None:
        return text
    if spec.type == "integer":
        return int(text) if re.fullmatch(r"-?\d+", text) else text
    if spec.type == "boolean":
        return {"是": True, "否": False}.get(text, text)
    if spec.type == "date":
        return cn_date(text).isoformat() if CN_DATE.fullmatch(text) else text
    if spec.type == "string_list":
        return [part for part in re.split("[、，]", text) if part]
    if spec.type == "choice":
        return next((value for value, label in spec.choices if label.zh == text), text)
    return text


def step_of(label: str) -> Transition:
    assert label in STEP_BY_LABEL, f"no step labelled 「{label}」 in {PROC.ref}: {sorted(STEP_BY_LABEL)}"
    return STEP_BY_LABEL[label]


def state_of(label: str) -> str:
    assert label in STATE_BY_LABEL, f"no stage labelled 「{label}」 in {PROC.ref}: {sorted(STATE_BY_LABEL)}"
    return STATE_BY_LABEL[label]


# ---------------------------------------------------------------- snapshots and the refusal invariant


@dataclass(frozen=True)
class Snapshot:
    case: tuple[Any, ...] | None  # everything a refusal must leave untouched
    chain_lengths: dict[str, int]  # audit events per chain (the case's and the system journal)
    cases: int
    record_files: frozenset[str]  # every file under the records folder (stored evidence and uploads in progress)


def _case_state(session: Any, case_id: str | None) -> tuple[Any, ...] | None:
    case = session.get(Case, case_id) if case_id else None
    if case is None:
        return None
    deadlines = tuple(sorted((d.name, d.kind, d.started_on, d.due, d.n, d.unit, d.provisional, d.basis)
                             for d in case.deadlines))
    return (case.state, case.version, case.title, json.dumps(case.data, sort_keys=True, ensure_ascii=False),
            case.updated_at, case.procedure, case.procedure_version, deadlines)


def snapshot(town: Runtime, case_id: str | None) -> Snapshot:
    with town.sessions() as session:
        chains = [c for c in (case_id, SYSTEM_JOURNAL_ID) if c]
        lengths = {c: session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == c))
                   or 0 for c in chains}
        cases = session.scalar(select(func.count()).select_from(Case)) or 0
        state = _case_state(session, case_id)
    root = town.records.root
    files = frozenset(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else frozenset()
    return Snapshot(state, lengths, cases, files)


def expected_article(trigger: str, reason: Reason, procedure: Procedure | None = PROC) -> str | None:
    """The article a reason must cite, where the definition (of `procedure`) or the guard registry fixes it."""
    if reason.code in GUARDS:
        return GUARDS[reason.code].article
    if procedure is None:
        return None
    steps = {t.trigger: t for t in procedure.transitions} | {"create": procedure.create}
    if reason.code == "separation_of_duties":  # the conflict's own article, else the step's
        declared = [c.basis or steps[trigger].basis for c in procedure.conflicts_of(trigger)]
        if declared:  # one of the step's conflicts (a step may be in more than one)
            return reason.article if reason.article in declared else declared[0]
    if reason.code in ("role_not_allowed", "separation_of_duties"):
        return steps[trigger].basis if trigger in steps else None
    if reason.code.startswith("minimum_period:"):
        return procedure.deadlines[reason.code.split(":", 1)[1]].basis
    return None


def verify_chain(town: Runtime, chain_id: str) -> None:
    with town.sessions() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.case_id == chain_id)
                               .order_by(AuditEvent.seq)).all()
        prev = GENESIS_HASH
        for n, row in enumerate(rows, start=1):
            assert row.seq == n, f"{chain_id}: gap in the chain at seq {n} (found {row.seq})"
            assert row.prev == prev, f"{chain_id}#{n}: prev does not link to the event before"
            assert event_hash(event_body(row)) == row.hash, f"{chain_id}#{n}: stored hash does not match the event"
            prev = row.hash
        case = session.get(Case, chain_id)
        if case is not None:
            assert (case.audit_seq, case.audit_head) == (len(rows), prev), f"{chain_id}: chain head on the case is off"


# ---------------------------------------------------------------- the scene of one scenario


@dataclass
class Scene:
    town: Runtime
    clock: FixedClock
    people: dict[str, str] = field(default_factory=lambda: dict(PEOPLE))
    case_id: str | None = None
    outcome: Outcome | None = None
    trigger: str | None = None
    before: Snapshot | None = None
    opened_version: int | None = None
    matched: Reason | None = None
    attempted_procedure: str = PROCEDURE_ID  # the procedure of the last create attempt

    # -- basics
    @property
    def engine(self) -> Any:
        return self.town.engine

    def today(self) -> date:
        return local_date(self.clock.now())

    def user(self, who: str) -> str:
        assert who in self.people, f"{who} is not a person of this scenario (known: {sorted(self.people)})"
        return self.people[who]

    def case(self) -> Case:
        assert self.case_id, "no case in this scenario yet"
        with self.town.sessions() as session:
            case = session.get(Case, self.case_id)
            assert case is not None
            session.expunge(case)
            return case

    def data(self) -> dict[str, Any]:
        return self.case().data

    def deadline(self, name: str) -> CaseDeadline | None:
        with self.town.sessions() as session:
            row = session.get(CaseDeadline, (self.case_id, name))
            if row is not None:
                session.expunge(row)
            return row

    def go_to(self, day: date) -> None:
        """Move the clock to 09:00 on `day` (never backwards: audit times only grow)."""
        today = self.today()
        assert day >= today, f"the scenario would move time backwards from {today} to {day}"
        if day > today:
            self.clock.set_local_date(day)

    # -- the only ways in
    def create(self, who: str, payload: Any, *, strict: bool, procedure: str = PROCEDURE_ID) -> Outcome:
        actor = self.user(who)
        self.attempted_procedure = procedure
        return self._attempt("create", strict, lambda: coverage.create_case(self.engine, procedure, actor, payload))

    def fire(self, trigger: str, who: str, payload: Any, *, strict: bool, username: str | None = None,
             case_id: str | None = None, expected_version: int | None = None,
             stage_file: Callable[[], Any] | None = None) -> Outcome:
        """`stage_file` receives the record's file (RecordStore.stage) as part of the attempt, after the
        snapshot a refusal is compared with: an upload refused must leave no file behind."""
        actor = username or self.user(who)
        target = case_id or self.case_id
        assert target, "no case to act on"
        return self._attempt(trigger, strict, lambda: coverage.fire(
            self.engine, target, trigger, actor, payload, expected_version=expected_version,
            attachment=stage_file() if stage_file else None))

    def _attempt(self, trigger: str, strict: bool, call: Callable[[], Outcome]) -> Outcome:
        self.before = None if strict else snapshot(self.town, self.case_id)
        outcome = call()
        self.outcome, self.trigger, self.matched = outcome, trigger, None
        if outcome.ok:
            if trigger == "create":
                self.case_id = outcome.case_id
            return outcome
        if strict:
            raise AssertionError(f"setup step {trigger} was refused: " + "；".join(r.text() for r in outcome.reasons))
        self.check_refusal_left_no_trace()
        return outcome

    # -- the refusal invariant
    def check_refusal_left_no_trace(self) -> None:
        outcome, before = self.outcome, self.before
        assert outcome is not None and before is not None and not outcome.ok
        after = snapshot(self.town, self.case_id)
        assert after.case == before.case, "a refused step changed the case (state, version, data or deadlines)"
        assert after.cases == before.cases, "a refused step created a case"
        assert after.record_files == before.record_files, "a refused step left a file in the records folder"
        chain = outcome.case_id or SYSTEM_JOURNAL_ID
        assert chain in before.chain_lengths, f"refusal recorded on an unexpected chain {chain}"
        for name, length in before.chain_lengths.items():
            grown = after.chain_lengths[name] - length
            assert grown == (1 if name == chain else 0), f"audit chain {name} grew by {grown} events"
        with self.town.sessions() as session:
            event = session.scalar(select(AuditEvent).where(AuditEvent.case_id == chain)
                                   .order_by(AuditEvent.seq.desc()).limit(1))
            assert event is not None
            assert event.kind == "refused", f"the new audit event is {event.kind!r}, not 'refused'"
            assert event.trigger == outcome.trigger
            state = before.case[0] if before.case and outcome.case_id else None
            assert (event.from_state, event.to_state) == (state, state)
            recorded = json.loads(event.reasons)
            case = session.get(Case, outcome.case_id) if outcome.case_id else None
            procedure_ref = (case.procedure, case.procedure_version) if case else (self.attempted_procedure, None)
        try:
            procedure: Procedure | None = REGISTRY.get(*procedure_ref)
        except KeyError:
            procedure = None
        assert outcome.reasons, "a refusal without reasons"
        assert recorded == [r.as_record() for r in outcome.reasons], "the audit event does not carry the reasons"
        for reason in outcome.reasons:
            assert reason.zh and reason.en, f"reason {reason.code} lacks its Chinese or English text"
            article = expected_article(outcome.trigger, reason, procedure)
            if article is not None:
                assert reason.article == article, f"{reason.code} cites {reason.article!r}, expected {article!r}"

    # -- default payloads: what a careful clerk in 后龙镇 would fill in
    def payload(self, trigger: str, **changes: Any) -> dict[str, Any]:
        today = self.today()
        ref = self.case_id or "后龙镇"
        later = self.engine.calendar.add_working_days(today, 10).date
        defaults: dict[str, dict[str, Any]] = {
            "create": {"title": "后龙镇农村生活污水治理三年行动方案（2026—2028年）", "category": "public_policy",
                       "proposer": "leader",
                       "summary": "部分村庄生活污水直排溪流，拟统筹建设收集管网和终端设施；依据《水污染防治法》拟定三年行动方案。"},
            "start": {"lead_unit": "党政综合办公室", "co_units": ["村镇建设服务中心"], "instructions": "请按程序组织起草，广泛听取意见"},
            "decline_to_start": {"reason": "该事项已纳入区级统一部署，镇级无需另行决策"},
            "open_public_comment": {"draft_ref": f"{ref}-征求意见稿", "explanation": "起草背景、依据和主要内容的说明",
                                    "channels": ["后龙镇人民政府网站", "镇政务公开栏"], "period_days": 30},
            "record_comment": {"commenter": "后龙村村民 陈先生", "received_on": today.isoformat(),
                               "content": "建议优先改造靠近溪流的自然村"},
            "submit_public_comment": {"commenter": "峰前村村民 林女士", "contact": "13800000000",
                                      "content": "希望公布各村管网建设时间表"},
            "decide_comment_adoption": {"comment_no": 1, "adoption": "adopted", "adoption_reason": "符合治理优先序，已在方案中体现"},
            "schedule_hearing": {"hearing_date": (today + timedelta(days=10)).isoformat(), "place": "后龙镇人民政府三楼会议室",
                                 "materials_sent_on": (today + timedelta(days=1)).isoformat(),
                                 "selection_method": "各村推荐与自愿报名相结合，公开遴选",
                                 "participants": ["后龙村村民代表 陈先生", "峰前村村民代表 林女士", "镇人大代表 郭先生"]},
            "record_hearing": {"held_on": today.isoformat(), "record_ref": f"{ref}-听证笔录-01",
                               "signed_by_participants": True},
            "close_public_comment": {"summary": "公众意见均已研究处理，采纳情况已汇总"},
            "record_expert_argumentation": {"unit": "泉州市规划设计研究院", "method": "meeting",
                                            "experts": ["泉州市环境科学研究所 王教授", "福建某设计院 周工"],
                                            "no_direct_interest": True, "report_ref": f"{ref}-论证-01", "report_signed": True,
                                            "conclusion": "方案总体可行，建议优化管网布局"},
            "waive_expert_argumentation": {"justification": "技术方案已由住建部门审查，不属于专业性、技术性较强须另行论证的事项"},
            "record_risk_assessment": {"unit": "后龙镇综治中心", "report_ref": f"{ref}-风评-01", "report_signed": True,
                                       "risk_points": "施工期间交通影响；征地补偿", "measures": "分段施工，提前公告；补偿标准公开",
                                       "conclusion": "controllable"},
            "waive_risk_assessment": {"ground": "no_stability_risk",
                                      "justification": "本事项不涉及征地拆迁，实施不会对社会稳定、公共安全造成不利影响"},
            "adjust_draft": {"changes": "增加过渡期安置和补偿条款", "draft_ref": f"{ref}-草案-修改稿"},
            "submit_for_legality_review": {"draft_ref": f"{ref}-送审稿", "legal_basis": "《水污染防治法》第四十九条",
                                           "procedure_account": "已公开征求意见30日，组织专家论证和风险评估",
                                           "requested_by": later.isoformat()},
            "record_adviser_opinion": {"adviser": "林志远律师", "capacity": "legal_adviser", "opinion": "未发现与上位法相抵触的内容"},
            "return_for_supplement": {"missing": "风险评估报告附件"},
            "issue_legality_opinion": {"conclusion": "lawful", "authority": "属于镇人民政府职权范围",
                                       "procedure": "已履行公众参与、专家论证、风险评估程序", "content": "内容符合法律法规和国家政策",
                                       "reasons": "经审查，草案合法", "legal_basis": "《重大行政决策程序暂行条例》第二十七条"},
            "revise_after_opinion": {"changes": "按审查意见删除向农户收取运维费用的条款", "draft_ref": f"{ref}-修改稿"},
            "submit_for_collective_discussion": {"materials": ["决策草案及说明", "公众意见采纳情况", "专家论证报告", "风险评估报告",
                                                               "合法性审查意见"]},
            "convene_meeting": {"forum": "镇长办公会议", "meeting_date": today.isoformat(),
                                "attendees": ["wujianguo", "zhengli", "xuwen", "huangzhenhua"]},
            "record_member_view": {"view": "agree", "statement": "同意方案"},
            "adopt_decision": {"head_statement": "同意实施，资金分年度核定", "decision_text": "原则通过该方案"},
            "reject_decision": {"head_statement": "方案条件尚不成熟，不予通过"},
            "defer_decision": {"head_statement": "方案尚需完善，暂缓决定"},
            "report_to_party_committee": {"committee": "中共后龙镇委员会", "reported_on": today.isoformat(),
                                          "report_ref": "龙政〔2026〕21号"},
            "publish": {"document_no": "龙政〔2026〕23号", "channels": ["后龙镇人民政府网站", "泉港区人民政府公报"],
                        "published_on": today.isoformat()},
            "start_execution": {"executing_unit": "村镇建设服务中心"},
            "report_execution": {"report": "已完成4个自然村管网建设", "problems": "部分村庄用地协调进度较慢"},
            "suspend_execution": {"reason": "施工中发现文物遗存，须暂停等待文物部门勘查"},
            "resume_execution": {"reason": "文物部门勘查完毕，调整线路后恢复施工"},
            "start_major_adjustment": {"reason": "上级规划调整，治理范围须扩大", "scope": "新增3个自然村纳入治理范围"},
            "start_post_evaluation": {"evaluator_unit": "福建省社会科学院评估中心", "ground": "many_objections"},
            "complete_post_evaluation": {"report_ref": f"{ref}-评估报告", "findings": "总体达到预期，建议优化运维机制"},
            "archive": {"archive_ref": "龙档〔2026〕重决-01",
                        "materials": ["决策建议", "征求意见材料", "论证评估报告", "合法性审查意见", "会议记录", "公布文件"]},
        }
        payload = copy.deepcopy(defaults[trigger])
        if trigger == "record_hearing" and self.case_id:  # held on the day it was scheduled for
            payload["held_on"] = (self.data().get("hearing") or {}).get("hearing_date", payload["held_on"])
        for key, value in changes.items():
            if value is None:
                payload.pop(key, None)
            else:
                payload[key] = value
        return payload

    def act(self, trigger: str, who: str, *, strict: bool, **changes: Any) -> Outcome:
        payload = self.payload(trigger, **changes)
        if trigger == "create":
            return self.create(who, payload, strict=strict)
        return self.fire(trigger, who, payload, strict=strict)

    # -- bringing a case to a stage through the real transitions
    MAIN_LINE = (
        ("create", "张伟"), ("start", "黄振华"), ("open_public_comment", "张伟"), ("close_public_comment", "张伟"),
        ("record_expert_argumentation", "张伟"), ("record_risk_assessment", "张伟"),
        ("submit_for_legality_review", "张伟"), ("record_adviser_opinion", "林志远"),
        ("issue_legality_opinion", "陈静"), ("submit_for_collective_discussion", "张伟"),
        ("convene_meeting", "黄振华"), ("record_member_view", "吴建国"), ("record_member_view", "郑丽"),
        ("record_member_view", "许文"), ("adopt_decision", "黄振华"), ("report_to_party_committee", "张伟"),
        ("publish", "张伟"), ("start_execution", "黄振华"),
    )
    BRANCHES = {"suspended": ("suspend_execution", "黄振华"), "post_evaluation": ("start_post_evaluation", "黄振华"),
                "archived": ("archive", "张伟"), "not_started": ("decline_to_start", "黄振华")}

    def bring_to(self, target: str, by: dict[str, str] | None = None) -> None:
        """Open a case and fire the main line of the procedure until it reaches `target` (a state name).

        `by` names who takes a step instead of the usual person, e.g. {"submit_for_legality_review": "王芳"}.
        """
        by = by or {}
        line = list(self.MAIN_LINE)
        if target == "not_started":
            line = line[:1]
        state = None
        for trigger, who in line:
            if trigger == "close_public_comment":
                self.pass_comment_period()
            state = self.act(trigger, by.get(trigger, who), strict=True).to_state
            if state == target:
                return
        if target in self.BRANCHES:
            trigger, who = self.BRANCHES[target]
            state = self.act(trigger, by.get(trigger, who), strict=True).to_state
        assert state == target, f"could not bring the case to {target} (reached {state})"

    def pass_comment_period(self) -> None:
        row = self.deadline("comment_period")
        assert row is not None, "no public comment period is running"
        self.go_to(row.due + timedelta(days=1))


START = date(2026, 3, 2)  # a Monday; scenarios begin here at 09:00 Beijing time unless they say otherwise


@pytest.fixture
def scene(town: Runtime, clock: FixedClock) -> Scene:
    clock.set_local_date(START)  # independent of FixedClock's default; nothing has happened on the case yet
    # Each Runtime would parse definitions/*.yaml again on first use (~0.2 s with PyYAML's pure-Python
    # loader), which was most of a scenario's time. The registry is immutable, so one load serves them all.
    if "registry" not in vars(town) and "engine" not in vars(town) and town.definitions_dir == DEFINITIONS_DIR:
        town.registry = REGISTRY
    return Scene(town, clock)


def action(pattern: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a business action both as a Given (must succeed) and as a When (may be refused)."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        # stacklevel=2: the step fixtures go into this module's namespace, not into register()'s frame
        given(parsers.re(pattern), stacklevel=2)(functools.partial(fn, strict=True))
        when(parsers.re(pattern), stacklevel=2)(functools.partial(fn, strict=False))
        return fn

    return register


# ================================================================ Given: the town, the clock, the case


@given(parsers.re(r'后龙镇人民政府以"(?P<forum>[^"]+)"作为重大行政决策的集体讨论会议形式'))
def town_forum(scene: Scene, forum: str) -> None:
    with scene.town.sessions() as session:
        setting = session.get(OrgSetting, (ORG, FORUM_SETTING))
        assert setting is not None and setting.value.get("value") == forum, "the town's forum setting differs"


@given(parsers.re(r"(?P<unit>[^的]+)的(?P<name>[\u4e00-\u9fff]{2,3})同时担任(?P<roles>.+)"))
def person_with_roles(scene: Scene, demo_password_hash: str, unit: str, name: str, roles: str) -> None:
    assert name in EXTRA_PEOPLE, f"add {name} to EXTRA_PEOPLE first"
    wanted = [ROLE_BY_LABEL[r] for r in re.split("[和、]", roles)]
    with writing(scene.town.sessions) as session:
        accounts.create_user(session, org_id=ORG, username=EXTRA_PEOPLE[name], display_name=name, unit=unit,
                             password_hash=demo_password_hash, roles=wanted)
    scene.people[name] = EXTRA_PEOPLE[name]


@given(parsers.re("今天是" + DATE("day")))
def today_is(scene: Scene, day: str) -> None:
    scene.go_to(cn_date(day))


@given(parsers.re(r"国务院尚未公布(?P<year>\d{4})年的节假日安排"))
def holiday_year_unknown(scene: Scene, year: str) -> None:
    assert not scene.engine.calendar.covers(int(year)), (
        f"the calendar now has the {year} holiday notice: move this scenario to the first year without data")


@given("公开征求意见期限已经届满")
def comment_period_over(scene: Scene) -> None:
    scene.pass_comment_period()


@given(parsers.re(r'有一项重大行政决策事项处于"(?P<stage>[^"]+)"阶段'))
def case_at_stage(scene: Scene, stage: str) -> None:
    scene.bring_to(state_of(stage))


@given(parsers.re(r'有一项由' + WHO + r'(?P<step>[^"]+?)的重大行政决策事项处于"(?P<stage>[^"]+)"阶段'))
def case_at_stage_by(scene: Scene, who: str, step: str, stage: str) -> None:
    scene.bring_to(state_of(stage), by={step_of(step).trigger: who})


@given("专家论证和风险评估均已完成")
def argumentation_done(scene: Scene) -> None:
    scene.act("record_expert_argumentation", "张伟", strict=True)
    scene.act("record_risk_assessment", "张伟", strict=True)


@given("集体讨论会议已召开")
def meeting_convened(scene: Scene) -> None:
    scene.act("convene_meeting", "黄振华", strict=True)


@given(parsers.re(r"组成人员依次发表意见：(?P<views>.+)"))
def members_speak(scene: Scene, views: str) -> None:
    for item in views.split("、"):
        match = re.fullmatch(WHO + r"(?P<view>不同意|同意|弃权)", item)
        assert match, f"not a view like 吴建国同意: {item!r}"
        scene.act("record_member_view", match["who"], strict=True,
                  view=choice("record_member_view", "view", match["view"]), statement=f"{match['view']}该方案")


@given(parsers.re(WHO + r"打开了该案件"))
def opens_case(scene: Scene, who: str) -> None:
    scene.user(who)
    scene.opened_version = scene.case().version


# ================================================================ actions (假如 = done, 当 = attempted)


@action(WHO + r'提出重大行政决策建议"(?P<title>[^"]+)"(?:，类别为"(?P<category>[^"]+)")?')
def propose(scene: Scene, who: str, title: str, category: str | None, strict: bool) -> None:
    extra = {"category": choice("create", "category", category)} if category else {}
    scene.act("create", who, strict=strict, title=title, **extra)


@action(WHO + r'按程序"(?P<procedure>[^"]+)"提出建议')
def propose_unknown_procedure(scene: Scene, who: str, procedure: str, strict: bool) -> None:
    scene.create(who, scene.payload("create"), strict=strict, procedure=procedure)


@action(WHO + r'决定启动该决策(?:，承办单位为"(?P<unit>[^"]+)"|(?P<no_unit>，但未明确承办单位))?')
def start(scene: Scene, who: str, unit: str | None, no_unit: str | None, strict: bool) -> None:
    scene.act("start", who, strict=strict, lead_unit=None if no_unit else (unit or "党政综合办公室"))


@action(WHO + r'决定不予启动，理由为"(?P<reason>[^"]*)"')
def decline(scene: Scene, who: str, reason: str, strict: bool) -> None:
    scene.act("decline_to_start", who, strict=strict, reason=reason)


@action(WHO + r'以(?P<days>\d+)日的期限公开征求意见(?:，缩短理由为"(?P<reason>[^"]*)")?')
def open_comment(scene: Scene, who: str, days: str, reason: str | None, strict: bool) -> None:
    scene.act("open_public_comment", who, strict=strict, period_days=int(days), urgency_reason=reason or None)


@action(WHO + r'登记(?P<commenter>[^"，]+?)的意见"(?P<content>[^"]+)"')
def record_comment(scene: Scene, who: str, commenter: str, content: str, strict: bool) -> None:
    scene.act("record_comment", who, strict=strict, commenter=commenter, content=content)


@action(r'公众通过公开征求意见平台提交意见"(?P<content>[^"]*)"'
        r'(?:，署名为"(?P<commenter>[^"]*)")?(?:，联系方式为"(?P<contact>[^"]*)")?')
def submit_public_comment(scene: Scene, content: str, commenter: str | None, contact: str | None,
                          strict: bool) -> None:
    """As the portal does: fired as the organisation's portal account; empty inputs are left out."""
    payload = {"content": content, **({"commenter": commenter} if commenter else {}),
               **({"contact": contact} if contact else {})}
    scene.fire("submit_public_comment", "", payload, strict=strict, username=accounts.portal_username(ORG))


@action(WHO + r'对第(?P<no>\d+)条意见作出"(?P<adoption>[^"]+)"决定，理由为"(?P<reason>[^"]+)"')
def decide_adoption(scene: Scene, who: str, no: str, adoption: str, reason: str, strict: bool) -> None:
    scene.act("decide_comment_adoption", who, strict=strict, comment_no=int(no),
              adoption=choice("decide_comment_adoption", "adoption", adoption), adoption_reason=reason)


@action(WHO + "安排于" + DATE("held") + "举行听证会，听证材料于" + DATE("sent") + "送达参加人")
def schedule_hearing(scene: Scene, who: str, held: str, sent: str, strict: bool) -> None:
    scene.act("schedule_hearing", who, strict=strict, hearing_date=cn_date(held).isoformat(),
              materials_sent_on=cn_date(sent).isoformat())


@action(WHO + r"登记听证笔录，笔录(?P<signed>已经|未经)参加人确认签字")
def record_hearing(scene: Scene, who: str, signed: str, strict: bool) -> None:
    scene.act("record_hearing", who, strict=strict, signed_by_participants=signed == "已经")


@action(WHO + "结束公众参与并汇总意见采纳情况")
def close_comment(scene: Scene, who: str, strict: bool) -> None:
    scene.act("close_public_comment", who, strict=strict)


@action(WHO + r'登记由"(?P<unit>[^"]+)"组织的专家论证'
        r"(?:，(?P<flaw>论证意见未签字或盖章|参加论证的专家与决策事项有直接利害关系))?")
def record_expert(scene: Scene, who: str, unit: str, flaw: str | None, strict: bool) -> None:
    scene.act("record_expert_argumentation", who, strict=strict, unit=unit,
              report_signed=flaw != "论证意见未签字或盖章",
              no_direct_interest=flaw != "参加论证的专家与决策事项有直接利害关系")


@action(WHO + r'说明本事项无需专家论证，理由为"(?P<reason>[^"]*)"')
def waive_expert(scene: Scene, who: str, reason: str, strict: bool) -> None:
    scene.act("waive_expert_argumentation", who, strict=strict, justification=reason)


@action(WHO + r'登记由"(?P<unit>[^"]+)"作出的风险评估，结论为"(?P<conclusion>[^"]+)"')
def record_risk(scene: Scene, who: str, unit: str, conclusion: str, strict: bool) -> None:
    scene.act("record_risk_assessment", who, strict=strict, unit=unit,
              conclusion=choice("record_risk_assessment", "conclusion", conclusion))


@action(WHO + r'说明本事项无需风险评估，理由为"(?P<reason>[^"]*)"')
def waive_risk(scene: Scene, who: str, reason: str, strict: bool) -> None:
    scene.act("waive_risk_assessment", who, strict=strict, justification=reason)


@action(WHO + r'调整决策草案"(?P<changes>[^"]+)"')
def adjust_draft(scene: Scene, who: str, changes: str, strict: bool) -> None:
    scene.act("adjust_draft", who, strict=strict, changes=changes)


@action(WHO + "送请合法性审查(?:，要求于" + DATE("due") + "前完成)?")
def submit_review(scene: Scene, who: str, due: str | None, strict: bool) -> None:
    extra = {"requested_by": cn_date(due).isoformat()} if due else {}
    scene.act("submit_for_legality_review", who, strict=strict, **extra)


@action(WHO + "登记法律顾问意见")
def adviser_opinion(scene: Scene, who: str, strict: bool) -> None:
    scene.act("record_adviser_opinion", who, strict=strict)


@action(WHO + r'以缺少"(?P<missing>[^"]+)"为由退回补充材料')
def return_for_supplement(scene: Scene, who: str, missing: str, strict: bool) -> None:
    scene.act("return_for_supplement", who, strict=strict, missing=missing)


@action(WHO + r'出具合法性审查意见，结论为"(?P<conclusion>[^"]+)"')
def issue_opinion(scene: Scene, who: str, conclusion: str, strict: bool) -> None:
    scene.act("issue_legality_opinion", who, strict=strict,
              conclusion=choice("issue_legality_opinion", "conclusion", conclusion),
              reasons="经审查，草案合法" if conclusion == "合法" else "草案设定的收费事项缺乏法律、法规依据")


@action(WHO + "根据审查意见修改决策草案")
def revise(scene: Scene, who: str, strict: bool) -> None:
    scene.act("revise_after_opinion", who, strict=strict)


@action(WHO + "提请集体讨论")
def submit_discussion(scene: Scene, who: str, strict: bool) -> None:
    scene.act("submit_for_collective_discussion", who, strict=strict)


@action(WHO + r'作为改革探索事项提请集体讨论(?:，并提示法律风险"(?P<risk>[^"]+)"|(?P<silent>，但未提示法律风险))')
def submit_exploratory(scene: Scene, who: str, risk: str | None, silent: str | None, strict: bool) -> None:
    scene.act("submit_for_collective_discussion", who, strict=strict, exploratory_reform=True,
              legal_risk_statement=None if silent else risk)


@action(WHO + r'召开"(?P<forum>[^"]+)"，出席人员为(?P<attendees>.+)')
def convene(scene: Scene, who: str, forum: str, attendees: str, strict: bool) -> None:
    names = [n for n in re.split("[、和]", attendees) if n]
    scene.act("convene_meeting", who, strict=strict, forum=forum, attendees=[scene.user(n) for n in names])


@action(WHO + r'发表"(?P<view>[^"]+)"意见(?:，发言要点为"(?P<statement>[^"]+)")?')
def member_view(scene: Scene, who: str, view: str, statement: str | None, strict: bool) -> None:
    scene.act("record_member_view", who, strict=strict, view=choice("record_member_view", "view", view),
              statement=statement or f"{view}该方案")


DECISIONS = {"作出通过决定": "adopt_decision", "决定不予通过": "reject_decision", "决定暂缓并退回修改": "defer_decision"}


@action(WHO + r"(?P<decision>作出通过决定|决定不予通过|决定暂缓并退回修改)"
        r'(?:，并说明与多数意见不一致的理由"(?P<reason>[^"]+)")?')
def head_decides(scene: Scene, who: str, decision: str, reason: str | None, strict: bool) -> None:
    scene.act(DECISIONS[decision], who, strict=strict, reason_against_majority=reason)


@action(WHO + r'向"(?P<committee>[^"]+)"请示报告')
def report_to_party(scene: Scene, who: str, committee: str, strict: bool) -> None:
    scene.act("report_to_party_committee", who, strict=strict, committee=committee)


@action(WHO + r'公布决策(?:，文号为"(?P<number>[^"]+)")?')
def publish(scene: Scene, who: str, number: str | None, strict: bool) -> None:
    scene.act("publish", who, strict=strict, **({"document_no": number} if number else {}))


@action(WHO + r'明确"(?P<unit>[^"]+)"为执行单位并组织执行')
def start_execution(scene: Scene, who: str, unit: str, strict: bool) -> None:
    scene.act("start_execution", who, strict=strict, executing_unit=unit)


@action(WHO + r'报告执行情况"(?P<report>[^"]+)"')
def report_execution(scene: Scene, who: str, report: str, strict: bool) -> None:
    scene.act("report_execution", who, strict=strict, report=report)


@action(WHO + r'决定暂停执行，理由为"(?P<reason>[^"]+)"')
def suspend(scene: Scene, who: str, reason: str, strict: bool) -> None:
    scene.act("suspend_execution", who, strict=strict, reason=reason)


@action(WHO + r'决定恢复执行(?:，理由为"(?P<reason>[^"]+)")?')
def resume(scene: Scene, who: str, reason: str | None, strict: bool) -> None:
    scene.act("resume_execution", who, strict=strict, **({"reason": reason} if reason else {}))


@action(WHO + r'决定对决策作出重大调整，调整内容为"(?P<scope>[^"]+)"')
def major_adjustment(scene: Scene, who: str, scope: str, strict: bool) -> None:
    scene.act("start_major_adjustment", who, strict=strict, scope=scope)


@action(WHO + r'委托"(?P<unit>[^"]+)"开展决策后评估(?:，评估情形为"(?P<ground>[^"]+)")?')
def post_evaluation(scene: Scene, who: str, unit: str, ground: str | None, strict: bool) -> None:
    extra = {"ground": choice("start_post_evaluation", "ground", ground)} if ground else {}
    scene.act("start_post_evaluation", who, strict=strict, evaluator_unit=unit, **extra)


@action(WHO + "完成决策后评估")
def complete_evaluation(scene: Scene, who: str, strict: bool) -> None:
    scene.act("complete_post_evaluation", who, strict=strict)


@action(WHO + "将决策过程记录和材料归档")
def archive(scene: Scene, who: str, strict: bool) -> None:
    scene.act("archive", who, strict=strict)


# ---- generic actions in the definition's own words: a step by its label, a field by its label


@action(WHO + r'办理"(?P<step>[^"]+)"')
def generic_step(scene: Scene, who: str, step: str, strict: bool) -> None:
    scene.act(step_of(step).trigger, who, strict=strict)


@action(WHO + r'办理"(?P<step>[^"]+)"，但未填写"(?P<label>[^"]+)"')
def generic_step_missing(scene: Scene, who: str, step: str, label: str, strict: bool) -> None:
    spec = step_of(step)
    target = field_by_label(spec, label)
    assert target is not None, f"「{step}」 has no field 「{label}」"
    scene.act(spec.trigger, who, strict=strict, **{target.name: None})


@action(WHO + r'办理"(?P<step>[^"]+)"，其中"(?P<label>[^"]+)"填写为"(?P<value>[^"]*)"')
def generic_step_value(scene: Scene, who: str, step: str, label: str, value: str, strict: bool) -> None:
    spec = step_of(step)
    target = field_by_label(spec, label)
    scene.act(spec.trigger, who, strict=strict, **{target.name if target else label: typed_value(target, value)})


@when(parsers.re(r'未登记的用户"(?P<username>[^"]+)"办理"(?P<step>[^"]+)"'))
def unknown_user_acts(scene: Scene, username: str, step: str) -> None:
    trigger = step_of(step).trigger
    scene.fire(trigger, "", scene.payload(trigger), strict=False, username=username)


@when(parsers.re(WHO + r'对不存在的案件"(?P<case_id>[^"]+)"办理"(?P<step>[^"]+)"'))
def act_on_unknown_case(scene: Scene, who: str, case_id: str, step: str) -> None:
    trigger = step_of(step).trigger
    scene.fire(trigger, who, scene.payload(trigger), strict=False, case_id=case_id)


@when(parsers.re(WHO + r'办理本程序没有的步骤"(?P<trigger>[^"]+)"'))
def act_unknown_trigger(scene: Scene, who: str, trigger: str) -> None:
    scene.fire(trigger, who, {}, strict=False)


@when(parsers.re(WHO + r'依据打开案件时的版本办理"(?P<step>[^"]+)"'))
def act_on_stale_version(scene: Scene, who: str, step: str) -> None:
    assert scene.opened_version is not None, "nobody opened the case"
    trigger = step_of(step).trigger
    scene.fire(trigger, who, scene.payload(trigger), strict=False, expected_version=scene.opened_version)


# ================================================================ Then


def outcome_of(scene: Scene) -> Outcome:
    assert scene.outcome is not None, "nothing was attempted"
    return scene.outcome


def succeeded(scene: Scene, state: str) -> Outcome:
    """The last attempt was taken and reached `state` (a refusal is shown with its reasons)."""
    outcome = outcome_of(scene)
    assert outcome.ok, "refused: " + "；".join(r.text() for r in outcome.reasons)
    assert outcome.to_state == state, f"reached {outcome.to_state}, not {state}"
    return outcome


def running(scene: Scene, name: str, label: str) -> CaseDeadline:
    """The case's running period `name` (labelled `label` in the feature)."""
    row = scene.deadline(name)
    assert row is not None, f"「{label}」 is not running"
    return row


@then(parsers.re(r'办理成功，决策事项处于"(?P<stage>[^"]+)"阶段'))
def succeeded_at(scene: Scene, stage: str) -> None:
    succeeded(scene, state_of(stage))
    assert scene.case().state == state_of(stage)


@then(parsers.re(r'不予办理，理由为"(?P<fragment>[^"]+)"'))
def refused_because(scene: Scene, fragment: str) -> None:
    outcome = outcome_of(scene)
    assert not outcome.ok, f"the step was allowed ({outcome.from_state} -> {outcome.to_state})"
    found = [r for r in outcome.reasons if fragment in r.zh]
    assert found, f"no reason mentions 「{fragment}」: {[r.zh for r in outcome.reasons]}"
    scene.matched = found[0]


@then(parsers.re(r'不予办理，理由依次为：'))
def refused_for_reasons(scene: Scene, datatable: list[list[str]]) -> None:
    outcome = outcome_of(scene)
    assert not outcome.ok, "the step was allowed"
    fragments = [row[0] for row in datatable[1:]]
    assert len(outcome.reasons) == len(fragments), f"reasons: {[r.zh for r in outcome.reasons]}"
    for reason, fragment in zip(outcome.reasons, fragments, strict=True):
        assert fragment in reason.zh, f"「{fragment}」 not in 「{reason.zh}」"


@then(parsers.re(r'该理由援引"(?P<article>[^"]+)"'))
def reason_cites(scene: Scene, article: str) -> None:
    assert scene.matched is not None, "say first which reason (不予办理，理由为…)"
    assert article in scene.matched.article, f"「{scene.matched.article}」 does not cite 「{article}」"


@then(parsers.re(r'不予办理，理由指明"(?P<label>[^"]+)"：(?P<problem>.+)'))
def refused_for_field(scene: Scene, label: str, problem: str) -> None:
    outcome = outcome_of(scene)
    assert not outcome.ok, "the step was allowed"
    target = field_by_label(STEP_BY_TRIGGER[scene.trigger or ""], label)
    name = target.name if target else label
    found = [r for r in outcome.reasons if r.code == "invalid_payload" and r.field == name]
    assert found, f"no reason names the field {name}: {[(r.code, r.field, r.zh) for r in outcome.reasons]}"
    assert any(label in r.zh and problem in r.zh for r in found), f"{[r.zh for r in found]}"


@then("案件的阶段、版本、数据和期限均保持不变")
def case_unchanged(scene: Scene) -> None:
    assert not outcome_of(scene).ok, "the step was allowed"
    after = snapshot(scene.town, scene.case_id)
    assert scene.before is not None and after.case is not None and after.case == scene.before.case


@then("审计记录恰好新增一条拒绝事件，载明全部拒绝理由及其依据")
def one_refusal_event(scene: Scene) -> None:
    scene.check_refusal_left_no_trace()


@then("案件保持原状，审计记录恰好新增一条载明理由及依据的拒绝事件")
def unchanged_and_logged(scene: Scene) -> None:
    case_unchanged(scene)
    scene.check_refusal_left_no_trace()


@then("没有创建案件，系统日志恰好新增一条载明理由的拒绝事件")
def refused_in_journal(scene: Scene) -> None:
    outcome = outcome_of(scene)
    assert not outcome.ok and outcome.case_id is None
    scene.check_refusal_left_no_trace()
    verify_chain(scene.town, SYSTEM_JOURNAL_ID)


@then("本案审计链完整可验证")
def chain_verifies(scene: Scene) -> None:
    assert scene.case_id, "no case in this scenario"
    verify_chain(scene.town, scene.case_id)


@then(parsers.re(r'审计记录新增一条准予办理的事件，办理人为' + WHO + r'，角色为"(?P<role>[^"]+)"'))
def transition_event(scene: Scene, who: str, role: str) -> None:
    outcome = outcome_of(scene)
    assert outcome.ok, "the step was refused"
    with scene.town.sessions() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.case_id == outcome.case_id,
                                                        AuditEvent.seq == outcome.seq))
        assert event is not None and event.hash == outcome.event_hash
        kind = "created" if outcome.trigger == "create" else "transition"
        assert (event.kind, event.actor, event.role) == (kind, scene.user(who), ROLE_BY_LABEL[role])
        assert (event.from_state, event.to_state, event.trigger) == (outcome.from_state, outcome.to_state,
                                                                     outcome.trigger)


@then(parsers.re(r'"(?P<label>[^"]+)"至' + DATE("due") + r"届满(?P<provisional>，为推算日期)?"))
def deadline_due(scene: Scene, label: str, due: str, provisional: str | None) -> None:
    assert label in DEADLINE_BY_LABEL, f"no deadline labelled 「{label}」"
    row = running(scene, DEADLINE_BY_LABEL[label].name, label)
    assert row.due == cn_date(due), f"「{label}」 is due {row.due}"
    assert row.provisional == bool(provisional), f"provisional is {row.provisional}"


@then(parsers.re(r'"(?P<label>[^"]+)"不再计算'))
def deadline_gone(scene: Scene, label: str) -> None:
    assert label in DEADLINE_BY_LABEL, f"no deadline labelled 「{label}」"
    assert scene.deadline(DEADLINE_BY_LABEL[label].name) is None, f"「{label}」 is still running"


def _record_of(step: Transition, data: dict[str, Any]) -> dict[str, Any] | None:
    assert step.record is not None
    stored = data.get(step.record.key)
    if isinstance(stored, list):
        return next((item for item in reversed(stored) if item.get("trigger") == step.trigger), None)
    return stored if stored and stored.get("trigger") == step.trigger else None


@then(parsers.re(r'案卷中载有"(?P<step>[^"]+)"的记录，办理人为' + WHO))
def record_kept(scene: Scene, step: str, who: str) -> None:
    record = _record_of(step_of(step), scene.data())
    assert record is not None, f"no record of 「{step}」"
    assert record["recorded_by"] == scene.user(who)


@then(parsers.re(r'"(?P<step>[^"]+)"的记录已转入前一轮次'))
def record_moved_to_previous_round(scene: Scene, step: str) -> None:
    spec, data = step_of(step), scene.data()
    assert _record_of(spec, data) is None, f"「{step}」 still counts in the current round"
    rounds = data.get("previous_rounds") or []
    assert rounds and _record_of(spec, rounds[-1]) is not None, f"「{step}」 is not kept in the previous round"


@then(parsers.re(r'会议记录载明' + WHO + r'的意见为"(?P<view>[^"]+)"，发言要点为"(?P<statement>[^"]+)"'))
def view_recorded(scene: Scene, who: str, view: str, statement: str) -> None:
    views = [v for v in scene.data().get("member_views", []) if v["recorded_by"] == scene.user(who)]
    assert len(views) == 1, f"{who} has {len(views)} recorded views"
    assert views[0]["view"] == choice("record_member_view", "view", view)
    assert views[0]["statement"] == statement


@then(parsers.re(r'第(?P<no>\d+)条意见的采纳情况为"(?P<adoption>[^"]+)"'))
def adoption_recorded(scene: Scene, no: str, adoption: str) -> None:
    comment = next(c for c in scene.data()["comments"] if c["no"] == int(no))
    assert comment.get("adoption") == choice("decide_comment_adoption", "adoption", adoption)
    assert comment.get("adoption_reason")


@then(parsers.re(r'第(?P<no>\d+)条意见尚待作出采纳决定'))
def adoption_pending(scene: Scene, no: str) -> None:
    comment = next(c for c in scene.data()["comments"] if c["no"] == int(no))
    assert "adoption" not in comment, comment


@then(parsers.re(r'第(?P<no>\d+)条意见经公开征求意见平台登记，署名为"(?P<commenter>[^"]*)"，联系方式为"(?P<contact>[^"]*)"'))
def portal_comment_recorded(scene: Scene, no: str, commenter: str, contact: str) -> None:
    comment = next(c for c in scene.data()["comments"] if c["no"] == int(no))
    assert comment["trigger"] == "submit_public_comment"
    assert comment["recorded_by"] == accounts.portal_username(ORG)
    assert comment.get("commenter", "") == commenter and comment.get("contact", "") == contact, comment
    outcome = outcome_of(scene)
    with scene.town.sessions() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.case_id == outcome.case_id,
                                                        AuditEvent.seq == comment["event_seq"]))
        assert event is not None and (event.kind, event.actor, event.role) == (
            "transition", accounts.portal_username(ORG), "public")


@then(parsers.re(r'公众意见"(?P<content>[^"]+)"登记为第(?P<no>\d+)条'))
def comment_numbered(scene: Scene, content: str, no: str) -> None:
    comments = scene.data().get("comments", [])
    assert [c["no"] for c in comments] == list(range(1, len(comments) + 1))
    assert any(c["content"] == content and c["no"] == int(no) for c in comments), comments
