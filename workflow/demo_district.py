"""The demo's district above its towns (issue 14 items 1 and 6): 泉港区 with its justice bureau's supervisor, the
demo town 后龙镇 under it, and a second town, 峰尾镇, with people and a few cases of its own (a penalty case under
investigation, a major decision being drafted), all made by the real engine.

The supervisor (qg_supervisor) reads both towns' cases, audit trails and figures and takes no step in them; each
town sees only its own. Names and parties are invented; the settings' sources say they are illustrative.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from werkzeug.security import generate_password_hash

from workflow import accounts, demo_supervision
from workflow.clock import FixedClock
from workflow.db import writing
from workflow.engine import Engine
from workflow.models import Organization

DISTRICT = "quangang"
TOWN2 = "fengwei"
PASSWORD = "quangang2026"

DISTRICT_USERS: list[dict[str, Any]] = [
    {"username": "qg_supervisor", "display_name": "庄明辉", "unit": "泉港区司法局行政执法协调监督科",
     "roles": ["supervisor"]},
    {"username": "qg_admin", "display_name": "区系统管理员", "unit": "泉港区司法局", "roles": ["admin"]},
]
TOWN2_USERS: list[dict[str, Any]] = [
    {"username": "fw_officer1", "display_name": "刘建平", "unit": "峰尾镇综合执法队", "roles": ["enforcement_officer"]},
    {"username": "fw_officer2", "display_name": "陈志刚", "unit": "峰尾镇综合执法队", "roles": ["enforcement_officer"]},
    {"username": "fw_legal", "display_name": "黄晓燕", "unit": "峰尾镇司法所", "roles": ["legal_counsel", "legal_reviewer"]},
    {"username": "fw_drafter", "display_name": "杨帆", "unit": "峰尾镇党政综合办公室", "roles": ["drafter"]},
    {"username": "fw_head", "display_name": "苏国栋", "unit": "峰尾镇镇长", "roles": ["head", "agency_head"]},
    {"username": "fw_auditor", "display_name": "蒋慧", "unit": "峰尾镇纪检监察室", "roles": ["auditor"]},
    {"username": "fw_admin", "display_name": "峰尾镇系统管理员", "unit": "峰尾镇党政综合办公室", "roles": ["admin"]},
]
ILLUSTRATIVE = "演示数据（ILLUSTRATIVE）：示意{what}；以峰尾镇实际公布的文本为准"


def seed(engine: Engine, clock: FixedClock, houlong: str, real_now: datetime, *, field: str, power: str,
         rules: list[tuple[str, Any]]) -> list[str]:
    """The district, Houlong under it, 峰尾镇 with its people, settings and two cases; returns the cases' ids.

    `field` and `power` are the delegated penalty power the penalty case uses, `rules` the town's settings (as the
    demo town's, workflow/demo.py: the forum, the quorum, the enforcement rules), each recorded with a source that
    says it is illustrative."""
    now = clock.now()
    password_hash = generate_password_hash(PASSWORD)
    with writing(engine.sessions) as session:
        district = accounts.ensure_org(session, DISTRICT, "泉州市泉港区人民政府", "Quangang District People's Government")
        district.kind = "district"
        town = accounts.ensure_org(session, TOWN2, "泉州市泉港区峰尾镇人民政府", "Fengwei Town People's Government")
        town.kind, town.parent_id = "town", DISTRICT
        home = session.get(Organization, houlong)
        assert home is not None
        home.parent_id = DISTRICT
        session.flush()
        for org_id, users in ((DISTRICT, DISTRICT_USERS), (TOWN2, TOWN2_USERS)):
            for u in users:
                accounts.create_user(session, org_id=org_id, password_hash=password_hash, **u)
        accounts.ensure_system_account(session, TOWN2)
        for key, value in rules:
            accounts.set_setting(session, org_id=TOWN2, key=key, value=value, by="fw_admin", now=now,
                                 source=ILLUSTRATIVE.format(what=f"峰尾镇的规则「{key}」（与后龙镇演示数据相同）"))
        session.flush()
        for username, number in (("fw_officer1", "闽QG-2024-0521"), ("fw_officer2", "闽QG-2025-0133")):
            accounts.add_certificate(session, username=username, kind="enforcement", number=number, field=field,
                                     issued_on=date(2024, 5, 1), valid_until=date(2030, 4, 30),
                                     issuer="泉州市泉港区人民政府")

    def ok(outcome: Any) -> str:
        if not outcome.ok or not outcome.case_id:
            raise RuntimeError(f"demo district step refused: {[r.zh for r in outcome.reasons]}")
        return str(outcome.case_id)

    cases = []
    clock.current = real_now - timedelta(days=40)  # a penalty case whose investigation has run for weeks
    penalty = ok(engine.create_case("enforcement_case", "fw_officer1", {
        "title": "林某某在峰尾镇渔港路占道堆放渔具案", "party": "林某某（峰尾镇诚峰村）", "party_type": "individual",
        "facts": "当事人在渔港路两侧人行道堆放渔网、浮球等渔具，经责令后未清理", "field": field, "power": power,
        "legal_basis": "《城市市容和环境卫生管理条例》第十四条、第三十六条"}))
    clock.advance(days=1)
    outcome = engine.fire(penalty, "start_investigation", "fw_officer1", {
        "officers": ["fw_officer1", "fw_officer2"], "plan": "现场勘验、询问当事人"})
    if not outcome.ok:
        raise RuntimeError(f"demo district step refused: {[r.zh for r in outcome.reasons]}")
    cases.append(penalty)
    clock.current = real_now - timedelta(days=6)
    cases.append(ok(engine.create_case("major_decision", "fw_drafter", {
        "title": "峰尾镇渔港环境综合整治实施方案", "category": "public_policy", "proposer": "leader",
        "summary": "整治渔港周边占道堆放和环境卫生，拟出台镇级实施方案。"})))
    # The district reviews both towns' case files (issue 14 item 2): workflow/demo_supervision.py.
    cases.extend(demo_supervision.tell(engine, clock, DISTRICT, houlong, TOWN2, real_now, field=field, power=power))
    if clock.now() > real_now:
        raise RuntimeError("the district's demo story ran past the present")
    return cases
