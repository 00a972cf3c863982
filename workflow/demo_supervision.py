"""The demo's supervision of enforcement (issue 14 item 2): 泉港区's justice bureau reviews case files of its towns.

* 后龙镇: three penalty cases the town closed this year are drawn at random (the seed and the candidates recorded),
  scored on the district's sheet, a correction notice (纠错通知) is served, the town's head answers with a
  rectification report and the district closes the review;
* 峰尾镇: its closed case is reviewed and a supervision opinion (监督意见书) awaits the town's answer, so that its
  head and its 司法所 see it in 我的待办.

Everything is taken by the real engine. The cases are closed this year, not in 2024: the demo's events are stamped
by its clock in the weeks before today, and nothing backdates an audit event. The district's rules (the time to
answer, the grades) are settings whose source says they are illustrative.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from workflow import accounts
from workflow.clock import FixedClock, local_date
from workflow.db import writing
from workflow.engine import Engine
from workflow.procedures.enforcement_supervision.law import (
    ANSWER_DAY_UNIT,
    ANSWER_DAYS,
    GRADE_EXCELLENT,
    GRADE_PASS,
)
from workflow.procedures.enforcement_supervision.sheet import draw

SUPERVISOR = "qg_supervisor"
SOURCE = "演示数据（ILLUSTRATIVE）：示意《泉港区行政执法监督工作制度》的整改期限和案卷评查等次；以区司法局实际制度为准"
RULES = ((ANSWER_DAYS, 15), (ANSWER_DAY_UNIT, "working_days"), (GRADE_EXCELLENT, 90), (GRADE_PASS, 60))
SEED = "泉港区司法局2026年第2次案卷评查"


def tell(engine: Engine, clock: FixedClock, district: str, houlong: str, fengwei: str, real_now: datetime, *,
         field: str, power: str) -> list[str]:
    """The two reviews (and the towns' closed cases they sample); returns the reviews' ids."""
    with writing(engine.sessions) as session:
        for key, value in RULES:
            accounts.set_setting(session, org_id=district, key=key, value=value, by="qg_admin", now=clock.now(),
                                 source=SOURCE)

    def ok(outcome: Any) -> str:
        if not outcome.ok or not outcome.case_id:
            raise RuntimeError(f"demo supervision step refused: {[r.zh for r in outcome.reasons]}")
        return str(outcome.case_id)

    def closed_case(officers: list[str], head: str, title: str, party: str, facts: str, no: str) -> str:
        cid = ok(engine.create_case("enforcement_case", officers[0], {
            "title": title, "party": party, "party_type": "individual", "facts": facts, "field": field,
            "power": power, "legal_basis": "《城市市容和环境卫生管理条例》第十四条、第三十六条"}))
        clock.advance(hours=2)
        ok(engine.fire(cid, "start_investigation", officers[0], {"officers": officers, "plan": "现场检查、询问当事人"}))
        clock.advance(days=1)
        ok(engine.fire(cid, "decide_no_penalty", head, {
            "ground": "first_offence", "reasons": "初次违法，危害后果轻微并当场改正，已进行法治教育", "document_no": no}))
        clock.advance(hours=3)
        ok(engine.fire(cid, "close_case", head, {"summary": "不予行政处罚，当事人已改正，案件办结"}))
        return cid

    def today() -> str:
        return local_date(clock.now()).isoformat()

    clock.current = real_now - timedelta(days=45)
    houlong_cases = [
        closed_case(["wanghai", "caiming"], "huangzhenhua", title, party, facts, f"龙综执不罚〔2026〕{i}号")
        for i, (title, party, facts) in enumerate((
            ("蔡某某在后龙街占道经营案", "蔡某某（后龙镇后龙村）", "当事人在后龙街人行道摆摊经营水果，经劝导当场撤离"),
            ("郑某某在文化广场堆放杂物案", "郑某某（后龙镇前亭村）", "当事人在文化广场东侧堆放纸箱等杂物，当场清理"),
            ("许某某在后龙村道旁堆放沙石案", "许某某（后龙镇后龙村）", "当事人在村道旁堆放沙石约3立方米，当日清运"),
        ), start=11)]
    fengwei_case = closed_case(["fw_officer1", "fw_officer2"], "fw_head", "黄某某在渔港路堆放渔网案",
                               "黄某某（峰尾镇诚峰村）", "当事人在渔港路人行道晾晒、堆放渔网，经责令当场清理",
                               "峰综执不罚〔2026〕3号")
    clock.advance(days=3)
    year = local_date(clock.now()).year

    # 后龙镇: a random draw of 2 of its 3 closed files, a correction notice, the answer, closed.
    review = ok(engine.create_case("enforcement_supervision", SUPERVISOR, {
        "title": "后龙镇本年度行政处罚案卷评查", "town": houlong, "reviewed_procedure": "enforcement_case",
        "year": year, "plan": "随机抽取后龙镇本年度办结的行政处罚案卷，按评分表逐项评查"}))
    clock.advance(hours=1)
    sample = draw(SEED, houlong_cases, 2)
    ok(engine.fire(review, "draw_sample", SUPERVISOR, {"method": "random", "seed": SEED, "candidates": houlong_cases,
                                                      "cases": sample}))
    for n, case_id in enumerate(sample):
        clock.advance(hours=2)
        deductions = {"evidence": "15 询问笔录未载明执法证件号码", "documents": "8 不予处罚决定书未写明救济途径"} if n == 0 \
            else {"archive": "4 卷内目录未编页码"}
        ok(engine.fire(review, "score_case", SUPERVISOR, {
            "case_id": case_id, "remarks": "按评分表逐项评查",
            "scores": [f"{item}={deductions.get(item, str(full))}" for item, full in (
                ("subject", 10), ("facts", 15), ("evidence", 20), ("procedure", 20), ("law", 10), ("discretion", 10),
                ("documents", 10), ("archive", 5))]}))
    clock.advance(days=1)
    ok(engine.fire(review, "issue_opinion", SUPERVISOR, {
        "kind": "correction", "document_ref": "泉港司执监纠〔2026〕2号", "served_on": today(),
        "problems": [f"{sample[0]}：询问笔录未载明执法证件号码，不予处罚决定书未写明救济途径",
                     f"{sample[1]}：卷内目录未编页码"]}))
    clock.advance(days=9)
    ok(engine.fire(review, "submit_rectification", "huangzhenhua", {
        "answered_on": today(), "corrections": ["已补正询问笔录并重新送达写明救济途径的决定书，组织执法队学习文书规范",
                                                "已按立卷规范补编卷内目录页码"]}))
    clock.advance(days=2)
    ok(engine.fire(review, "accept_rectification", SUPERVISOR, {
        "accepted_on": today(), "conclusion": "经审查，后龙镇已逐项整改到位，予以办结"}))

    # 峰尾镇: its closed file reviewed, a supervision opinion awaiting the town's rectification report.
    clock.current = real_now - timedelta(days=8)
    opinion = ok(engine.create_case("enforcement_supervision", SUPERVISOR, {
        "title": "峰尾镇本年度行政处罚案卷评查", "town": fengwei, "reviewed_procedure": "enforcement_case",
        "year": year}))
    clock.advance(hours=1)
    ok(engine.fire(opinion, "draw_sample", SUPERVISOR, {"method": "picked", "cases": [fengwei_case]}))
    clock.advance(hours=2)
    ok(engine.fire(opinion, "score_case", SUPERVISOR, {"case_id": fengwei_case, "scores": [
        "subject=10", "facts=12 未查明当事人堆放渔网的持续时间", "evidence=16 缺少现场照片", "procedure=20", "law=10",
        "discretion=10", "documents=10", "archive=5"]}))
    clock.advance(days=1)
    ok(engine.fire(opinion, "issue_opinion", SUPERVISOR, {
        "kind": "opinion", "document_ref": "泉港司执监意〔2026〕5号", "served_on": today(),
        "problems": [f"{fengwei_case}：未查明违法行为持续时间，现场照片未随卷归档"]}))
    if clock.now() > real_now:
        raise RuntimeError("the supervision demo story ran past the present")
    return [review, opinion]
