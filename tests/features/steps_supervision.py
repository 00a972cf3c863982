"""Step definitions for features/enforcement_supervision (definitions/enforcement_supervision.v1.yaml): the district's
review of a town's case files (案卷评查) and the town's answer.

The organisations are made as the tree steps make them (tests/features/steps_organisations.py: 庄明辉 is the district's
supervisor); 刘建平 is the agency head of the sibling town 峰尾镇. 后龙镇's closed penalty cases are made by the real
engine (立案 → 调查 → 不予处罚 → 结案), so the sample is drawn from what the town really closed. A step by its label
(办理监督步骤"抽取案卷"), a field by its label in a table; a cell names the town's cases as {案件1} … {未办结案件}
{峰尾镇案件}, and a list's items are separated by "；". What a scenario does not fill in is what a careful supervisor
(or the town's agency head) would.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pytest_bdd import given, parsers, then
from sqlalchemy import delete, func, select

from tests.features.steps import REGISTRY, Scene, StepsByLabel, action, cn_date, outcome_of, running
from tests.features.steps_organisations import DISTRICT, SIBLING
from workflow import accounts
from workflow.case_reading import Reader
from workflow.concerning import concerning
from workflow.db import writing
from workflow.demo import ORG, POWER_STREETS
from workflow.models import Case, Notification, OrgSetting, User
from workflow.procedures.enforcement_supervision.law import (
    ANSWER_DAY_UNIT,
    ANSWER_DAYS,
    GRADE_EXCELLENT,
    GRADE_PASS,
)
from workflow.procedures.enforcement_supervision.sheet import draw

SUP = REGISTRY.get("enforcement_supervision")
STEPS = StepsByLabel(SUP)
STATES = {s.label.zh: s.name for s in SUP.states.values()}
SHEET = SUP.block("scoring")
SOURCE = "泉港区行政执法监督工作制度（示意）"
WHO = r"(?P<who>庄明辉|黄振华|陈静|刘建平)"
# name -> (user name, organisation, roles) of the people this module adds (庄明辉: steps_organisations.py)
SIBLING_HEAD = ("fw.liujianping", SIBLING, ["agency_head", "drafter"])
FULL = [f"{i.id}={i.max}" for i in SHEET.items]


def _cases(scene: Scene) -> dict[str, str]:
    return vars(scene).setdefault("supervised_cases", {})


def _review(scene: Scene) -> str:
    review = vars(scene).get("review_id")
    assert review, "no review in this scenario yet"
    return str(review)


def _defaults(scene: Scene, trigger: str) -> dict[str, Any]:
    today, cases = scene.today().isoformat(), _cases(scene)
    first = cases.get("案件1", "")
    scores = [f"evidence={SHEET.item('evidence').max - 5} 缺少现场照片，证据链不完整", *(s for s in FULL
                                                                                if not s.startswith("evidence="))]
    return copy.deepcopy({
        "create": {"title": "2026年度行政处罚案卷评查", "town": ORG, "reviewed_procedure": "enforcement_case",
                   "year": scene.today().year, "plan": "抽取后龙镇本年度办结的行政处罚案卷逐项评查"},
        "draw_sample": {"method": "picked", "cases": [first, cases.get("案件2", "")]},
        "score_case": {"case_id": first, "scores": scores},
        "close_without_problems": {"concluded_on": today, "summary": "抽取的案卷未发现问题"},
        "issue_opinion": {"kind": "correction", "document_ref": "泉港司执监〔2026〕1号", "served_on": today,
                          "problems": [f"{first}：现场照片未随卷归档，证据链不完整"]},
        "submit_rectification": {"answered_on": today, "corrections": ["已补充归档现场照片，组织执法人员学习证据规范"]},
        "return_rectification": {"reasons": "整改措施未落实到具体责任人", "served_on": today},
        "accept_rectification": {"accepted_on": today, "conclusion": "整改到位，予以办结"},
    }[trigger])


def _placeholders(scene: Scene, text: str) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: _cases(scene)[m.group(1)], text)


def _payload(scene: Scene, trigger: str, table: list[list[str]] | None) -> dict[str, Any]:
    body = _defaults(scene, trigger)
    step = SUP.create if trigger == "create" else next(t for t in SUP.transitions if t.trigger == trigger)
    for label, text in (table or [])[1:]:
        spec = next((f for f in step.payload if f.label.zh == label), None)
        assert spec is not None, f"「{label}」 is not a field of {SUP.id}.{trigger}"
        text = _placeholders(scene, text)
        if text == "（空）":
            body.pop(spec.name, None)
        elif spec.type == "string_list":
            body[spec.name] = [part for part in text.split("；") if part]
        elif spec.type == "integer":
            body[spec.name] = int(text)
        elif spec.type == "date":
            body[spec.name] = cn_date(text).isoformat()
        elif spec.type == "choice":
            body[spec.name] = next((v for v, lab in spec.choices if lab.zh == text), text)
        else:
            body[spec.name] = text
    return body


def _act(scene: Scene, who: str, label: str, table: list[list[str]] | None, strict: bool) -> None:
    step = STEPS.named(label)
    body = _payload(scene, step.trigger, table)
    if step.trigger == "create":
        scene.create(who, body, strict=strict, procedure=SUP.id)
        if scene.outcome and scene.outcome.ok:
            vars(scene)["review_id"] = scene.case_id
    else:
        scene.case_id = _review(scene)
        scene.fire(step.trigger, who, body, strict=strict)


@action(WHO + r'办理监督步骤"(?P<step>[^"]+)"')
def supervision_step(scene: Scene, who: str, step: str, strict: bool) -> None:
    _act(scene, who, step, None, strict)


@action(WHO + r'办理监督步骤"(?P<step>[^"]+)"，填写：')
def supervision_step_with(scene: Scene, who: str, step: str, datatable: list[list[str]], strict: bool) -> None:
    _act(scene, who, step, datatable, strict)


# ---------------------------------------------------------------- Given: the district, the towns, their cases


@given("泉港区已按本区行政执法监督工作制度设置整改报告期限和评查等次")
def district_rules(scene: Scene) -> None:
    with writing(scene.town.sessions) as session:
        for key, value in ((ANSWER_DAYS, 15), (ANSWER_DAY_UNIT, "working_days"), (GRADE_EXCELLENT, 90),
                           (GRADE_PASS, 60)):
            accounts.set_setting(session, org_id=DISTRICT, key=key, value=value, source=SOURCE, by="admin",
                                 now=scene.clock.now())


@given("泉港区尚未设置整改报告期限")
def no_answer_period(scene: Scene) -> None:
    with writing(scene.town.sessions) as session:
        session.execute(delete(OrgSetting).where(OrgSetting.org_id == DISTRICT, OrgSetting.key == ANSWER_DAYS))


@given(parsers.re(r"后龙镇今天办结了(?P<n>\d+)件行政处罚案件，另有1件刚立案"))
def closed_penalty_cases(scene: Scene, n: str) -> None:
    """Each through the engine as the town's officers would take it: 立案, 调查, 不予处罚, 结案."""
    engine, cases = scene.engine, _cases(scene)

    def ok(outcome: Any) -> str:
        assert outcome.ok, "；".join(r.text() for r in outcome.reasons)
        return str(outcome.case_id)

    for i in range(int(n) + 1):
        cid = ok(engine.create_case("enforcement_case", "wanghai", {
            "title": f"陈某{i + 1}在后龙街占道堆放建材案", "party": f"陈某{i + 1}（后龙镇后龙村）", "party_type": "individual",
            "facts": "当事人在后龙街人行道堆放建材，经责令后当日清理", "field": "市容环境卫生",
            "power": POWER_STREETS, "legal_basis": "《城市市容和环境卫生管理条例》第十四条、第三十六条"}))
        if i == int(n):
            cases["未办结案件"] = cid
            break
        ok(engine.fire(cid, "start_investigation", "wanghai", {"officers": ["wanghai", "caiming"]}))
        ok(engine.fire(cid, "decide_no_penalty", "huangzhenhua", {
            "ground": "minor_corrected", "reasons": "当事人当日清理完毕，未造成危害后果，已进行教育",
            "document_no": f"龙综执不罚〔2026〕{i + 1}号"}))
        ok(engine.fire(cid, "close_case", "huangzhenhua", {"summary": "不予处罚，案件办结"}))
        cases[f"案件{i + 1}"] = cid


@given(parsers.re(r"峰尾镇与后龙镇同属泉港区，(?P<name>刘建平)担任峰尾镇的行政机关负责人，峰尾镇有一件案件"))
def sibling_town(scene: Scene, demo_password_hash: str, name: str) -> None:
    username, org, roles = SIBLING_HEAD
    with writing(scene.town.sessions) as session:
        district = accounts.ensure_org(session, DISTRICT, "泉州市泉港区人民政府", "Quangang District")
        district.kind = "district"
        town = accounts.ensure_org(session, org, "泉州市泉港区峰尾镇人民政府", "Fengwei Town")
        town.kind, town.parent_id = "town", DISTRICT
        session.flush()
        accounts.create_user(session, org_id=org, username=username, display_name=name, unit="峰尾镇镇长",
                             roles=roles, password_hash=demo_password_hash)
    scene.people[name] = username
    outcome = scene.engine.create_case("major_decision", username, {
        "title": "峰尾镇渔港环境综合整治实施方案", "category": "public_policy", "proposer": "leader",
        "summary": "整治渔港周边占道堆放和环境卫生"})
    assert outcome.ok, "；".join(r.text() for r in outcome.reasons)
    _cases(scene)["峰尾镇案件"] = str(outcome.case_id)


STAGES = ["待抽取案卷", "评查中", "已评分", "待被监督单位整改", "整改报告待审查"]


@given(parsers.re(r'对后龙镇的案卷评查已进行到"(?P<stage>[^"]+)"'))
def review_at(scene: Scene, stage: str) -> None:
    assert stage in STAGES, f"no stage 「{stage}」: {STAGES}"
    reached = STAGES.index(stage)
    _act(scene, "庄明辉", "启动案卷评查", None, True)
    if reached >= 1:
        _act(scene, "庄明辉", "抽取案卷", None, True)
    if reached >= 2:
        for key in ("案件1", "案件2"):
            scene.fire("score_case", "庄明辉", {**_defaults(scene, "score_case"), "case_id": _cases(scene)[key]},
                       strict=True)
    if reached >= 3:
        _act(scene, "庄明辉", "制发监督意见书或纠错通知", None, True)
    if reached >= 4:
        _act(scene, "黄振华", "报送整改报告", None, True)


# ---------------------------------------------------------------- Then


@then(parsers.re(r'办理成功，评查处于"(?P<stage>[^"]+)"阶段'))
def review_succeeded(scene: Scene, stage: str) -> None:
    outcome = outcome_of(scene)
    assert outcome.ok, "refused: " + "；".join(r.text() for r in outcome.reasons)
    assert stage in STATES, f"no stage 「{stage}」: {sorted(STATES)}"
    assert scene.case().state == STATES[stage]


@then("以记录的随机种子和待抽案卷清单重新抽取，结果与记录的抽取结果一致")
def draw_reproduced(scene: Scene) -> None:
    sample = scene.data()["sample"]
    assert sample["method"] == "random" and sample["seed"] and sample["candidates"]
    assert draw(sample["seed"], sample["candidates"], len(sample["cases"])) == sorted(sample["cases"])
    closed = sorted(v for k, v in _cases(scene).items() if k.startswith("案件"))
    assert sorted(sample["candidates"]) == closed  # every file the town closed in the year, and only those


@then(parsers.re(r'"整改报告期限"至(?P<due>\d{4}年\d{1,2}月\d{1,2}日)届满'))
def answer_due(scene: Scene, due: str) -> None:
    row = running(scene, "answer_period", "整改报告期限")
    assert row.due == cn_date(due), row.due


@then(parsers.re(r"(?P<town>后龙镇|峰尾镇)的(?P<name>黄振华|刘建平)(?P<sees>能|不能)在案件列表中看到该评查"))
def town_reads(scene: Scene, town: str, name: str, sees: str) -> None:
    username = scene.people[name]
    org = ORG if town == "后龙镇" else SIBLING
    with scene.town.sessions() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        roles = set(user.role_names)
        reader = Reader.for_user(session, REGISTRY, roles, org)
        case = session.get(Case, _review(scene))
        assert case is not None
        listed = session.scalar(select(func.count()).select_from(Case)
                                .where(reader.scope_clause(), Case.id == case.id))
        assert (reader.sees_case(case), listed) == ((True, 1) if sees == "能" else (False, 0))


@then(parsers.re(r'后龙镇的"(?P<key>案件\d)"显示"(?P<label>[^"]+)"，"(?P<summary>[^"]+)"'))
def sampled_case_shows(scene: Scene, key: str, label: str, summary: str) -> None:
    with scene.town.sessions() as session:
        case = session.get(Case, _cases(scene)[key])
        assert case is not None
        found = concerning(session, REGISTRY, case)
    assert [(c.case_id, c.label.zh, c.summary.zh if c.summary else "") for c in found] == \
        [(_review(scene), label, summary)]


@action(r'庄明辉随机抽取(?P<n>\d+)件案卷，随机种子为"(?P<seed>[^"]+)"')
def random_draw(scene: Scene, n: str, seed: str, strict: bool) -> None:
    """As the review page would: every file the town closed in the period is a candidate; the seed draws the sample."""
    candidates = sorted(v for k, v in _cases(scene).items() if k.startswith("案件"))
    scene.case_id = _review(scene)
    scene.fire("draw_sample", "庄明辉", {"method": "random", "seed": seed, "candidates": candidates,
                                        "cases": draw(seed, candidates, int(n))}, strict=strict)


# ---------------------------------------------------------------- the answer period's timers


@given(parsers.re(r"泉港区规定期限届满前(?P<n>\d+)个工作日提醒"))
def district_reminds(scene: Scene, n: str) -> None:
    with writing(scene.town.sessions) as session:
        accounts.set_setting(session, org_id=DISTRICT, key="timers.first_reminder_working_days", value=int(n),
                             source=SOURCE, by="admin", now=scene.clock.now())


NOTICE_KINDS = {"届满提醒": "remind", "逾期通知": "overdue"}
ORG_OF = {"后龙镇": ORG, "区司法局": DISTRICT}


@then(parsers.re(r'(?P<people>.+)各收到一条"(?P<label>[^"]+)"的(?P<kind>届满提醒|逾期通知)'))
def each_told(scene: Scene, people: str, label: str, kind: str) -> None:
    """Each named person (「后龙镇的黄振华、陈静和区司法局的庄明辉」) has one such notice of the review, in the
    inbox of their own organisation; nobody else has one."""
    wanted: dict[str, str] = {}
    for part in re.split("和(?=后龙镇的|区司法局的)", people):
        org, names = part.split("的", 1)
        wanted.update({scene.user(name): ORG_OF[org] for name in re.split("[、]", names)})
    with scene.town.sessions() as session:
        notices = session.scalars(select(Notification).where(
            Notification.case_id == _review(scene), Notification.kind == NOTICE_KINDS[kind])).all()
        got = {n.recipient: n.org_id for n in notices}
        assert len(notices) == len(got), f"a notice was left twice: {[n.recipient for n in notices]}"
        assert all(label in n.text_zh for n in notices)
    assert got == wanted, f"{kind} of 「{label}」 went to {got}, expected {wanted}"
