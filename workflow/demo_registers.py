"""Demo registers of 后龙镇 for 2024, called from workflow/demo.py: the records behind the figures of the town's 2024
rule-of-law report (legal-facts §10): 43 普法 activities with 10,000余 materials and 500余 consultations, 246
法律明白人 and 242 法治带头人 (238 people hold both), 19 mediation committees, 3 full-time mediators, 40 disputes
closed in 2024 all by agreement, an 意见箱 in every village and community, and a few study sessions.

Everything goes in through the engine: the activities as an .xlsx built here and imported like the town's own
spreadsheet (workflow/register_io.py), the other registers through the same all-or-nothing Engine.create_many,
and the disputes' agreements and judicial confirmations through fire(). The entries are made today about 2024,
so they are late entries (补录) under the town's records.late_entry_days, each with its reason. The people are
invented; village names other than those of the main demo are invented too.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from workflow import accounts, register_io, xlsx
from workflow.db import writing
from workflow.engine import Engine
from workflow.models import User
from workflow.typed_dates import REASON_FIELD

KEEPER = "guomin"  # 郭敏, 司法所
LATE = "2024年纸质台账于系统上线后统一补录（演示数据）"
# the mediation registers' periods (workflow/procedures/mediation/clock.py): no article in legal-facts-2 §7.1
TERM_SOURCE = "ILLUSTRATIVE 演示数据：示意本省人民调解条例的委员任期条款“每届任期三年”；以本省实际规定为准"
DISPUTE_SOURCE = "ILLUSTRATIVE 演示数据：示意《后龙镇人民调解工作制度》“调解纠纷一般在一个月内调结”；以本镇实际制度为准"
YEAR = 2024
# The town's list of villages and communities (organisation.villages), which the registers' village fields are held to.
# The 2024 report names no count and only 福炼社区; 后龙村 and 土坑村 appear in the main demo's stories.
VILLAGES_SOURCE = ("ILLUSTRATIVE 演示数据：村居名单为演示台账所用的村居名（福炼社区见于本镇2024年法治政府建设报告，"
                   "后龙村、土坑村见于演示案件，其余为虚构）；以县级人民政府批准的村（居）民委员会设置为准")
VILLAGES: tuple[tuple[str, str], ...] = (
    ("后龙村", "village"), ("峰前村", "village"), ("土坑村", "village"), ("前街村", "village"), ("后街村", "village"),
    ("东山村", "village"), ("西林村", "village"), ("南埔村", "village"), ("北岭村", "village"), ("上洋村", "village"),
    ("下洋村", "village"), ("青山村", "village"), ("溪头村", "village"), ("石井村", "village"),
    ("福炼社区", "community"), ("海滨社区", "community"), ("龙安社区", "community"), ("新华社区", "community"),
)
SURNAMES = "陈林黄郭刘王张李吴蔡许郑洪庄杨"
GIVEN = ("建", "志", "美", "国", "秀", "文", "海", "明", "丽", "伟", "华", "芳", "强", "燕", "平", "春", "清", "荣")

# (month, day, occasion, theme, venue, format): the 43 activities of 2024. Observance days fall on them.
_OCCASIONS: tuple[tuple[int, int, str, str], ...] = (
    (3, 15, "consumer_day", "消费者权益保护法律宣传"), (4, 15, "national_security_day", "国家安全法宣传"),
    (5, 10, "civil_code_month", "民法典进万家"), (5, 20, "civil_code_month", "民法典婚姻家庭编解读"),
    (5, 28, "civil_code_month", "民法典与百姓生活"), (6, 12, "work_safety_month", "安全生产法宣传"),
    (6, 18, "work_safety_month", "企业安全生产责任宣讲"), (6, 26, "anti_drug_day", "全民禁毒宣传"),
    (12, 4, "constitution_day", "宪法宣传周"),
)
_VENUES = (("village", "street_stall"), ("school", "school_visit"), ("enterprise", "lecture"), ("village", "lecture"),
           ("village", "door_to_door"))


def activities() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in range(43):
        if i < len(_OCCASIONS):
            month, day, occasion, theme = _OCCASIONS[i]
        else:  # the rest through the year: 平安建设 in September, other topics in the other months
            month = 1 + (i * 7) % 12
            day = 3 + (i * 5) % 24
            occasion = "peace_building_month" if month == 9 else "other"
            theme = "平安建设宣传" if month == 9 else ("反诈骗法律宣传", "未成年人保护法进校园", "土地管理法规宣讲",
                                                  "劳动合同法宣讲", "扫黑除恶常态化宣传")[i % 5]
        venue, form = _VENUES[i % len(_VENUES)]
        village = VILLAGES[i % len(VILLAGES)][0] if venue == "village" else ""
        rows.append({"held_on": date(YEAR, month, day).isoformat(), "title": theme, "occasion": occasion,
                     "venue_type": venue, "village": village, "format": form, "audience": 80 + (i * 37) % 150,
                     "materials": 240, "consultations": 12 + i % 2, "organiser": "后龙镇司法所"})
    return rows  # 43 × 240 = 10,320 materials; 43 × 12 + 21 = 537 consultations


def roster() -> list[dict[str, Any]]:
    """250 people: 238 hold both roles, 8 only 法律明白人, 4 only 法治带头人 (246 and 242)."""
    rows = []
    for i in range(250):
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)] + GIVEN[(i // len(GIVEN) + 3 * i) % len(GIVEN)]
        rows.append({"title": name, "village": VILLAGES[i % len(VILLAGES)][0], "legal_understanding": i < 246,
                     "rule_of_law_leader": i < 238 or i >= 246, "selection_route": "recommended" if i % 4 else "self",
                     "assessed_on": date(YEAR, 3 + i % 6, 1 + i % 27).isoformat()})
    return rows


def committees() -> list[dict[str, Any]]:
    rows = [{"title": f"{name}人民调解委员会", "parent_type": kind, "parent_name": f"{name}{'村民' if kind == 'village' else '居民'}委员会",
             "established_on": "2011-06-01", "members": 3 + i % 4, "women_members": 1 + i % 2,
             "term_started_on": "2023-05-01"} for i, (name, kind) in enumerate(VILLAGES)]
    rows.append({"title": "后龙镇人民调解委员会", "parent_type": "town", "parent_name": "后龙镇人民政府",
                 "established_on": "2011-03-01", "members": 7, "women_members": 2, "term_started_on": "2023-03-01"})
    return rows


def mediators() -> list[dict[str, Any]]:
    full = [{"title": name, "committee": "后龙镇人民调解委员会", "full_time": True, "since": since}
            for name, since in (("庄志明", "2019-03-01"), ("林秀华", "2021-07-01"), ("洪国平", "2023-02-01"))]
    part = [{"title": f"{SURNAMES[i]}{GIVEN[i]}{GIVEN[i + 5]}", "committee": f"{VILLAGES[i][0]}人民调解委员会",
             "full_time": False, "since": "2023-05-01"} for i in range(5)]
    return full + part


_CATEGORIES = ("neighbour", "family", "contract", "land_and_demolition", "damages", "labour", "other")


def disputes() -> list[dict[str, Any]]:
    return [{"registered_on": _dispute_day(i).isoformat(), "title": f"{VILLAGES[i % 14][0]}{('相邻通行', '婚姻家庭', '买卖合同', '征地补偿', '损害赔偿', '劳务报酬', '宅基地界址')[i % 7]}纠纷",
             "committee": f"{VILLAGES[i % 14][0]}人民调解委员会" if i % 3 else "后龙镇人民调解委员会",
             "category": _CATEGORIES[i % 7], "parties": [f"{SURNAMES[i % 15]}某", f"{SURNAMES[(i + 4) % 15]}某某"],
             "mediators": ["庄志明"] if i % 3 == 0 else ["林秀华", "洪国平"][i % 2:i % 2 + 1]}
            for i in range(40)]


def _dispute_day(i: int) -> date:
    return date(YEAR, 1, 8) + timedelta(days=i * 8)


def sessions() -> list[dict[str, Any]]:
    leaders = ["黄振华", "吴建国", "郑丽", "许文"]
    return [
        {"held_on": "2024-03-12", "body": "central_group", "title": "学习习近平法治思想", "law_related": True, "hours": "2",
         "trainer": "黄振华", "attendees": leaders, "hours_per_person": "2"},
        {"held_on": "2024-05-21", "body": "special_meeting", "title": "会前学法：民法典合同编", "law_related": True,
         "hours": "1", "trainer": "林志远", "attendees": leaders, "hours_per_person": "1"},
        {"held_on": "2024-07-09", "body": "enforcement_training", "title": "行政处罚法与执法程序培训", "law_related": True,
         "hours": "4", "trainer": "泉港区司法局", "attendees": ["王海", "蔡明", "洪志强", "李晓东"], "hours_per_person": "4"},
        {"held_on": "2024-09-10", "body": "central_group", "title": "学习党的二十届三中全会精神", "law_related": False,
         "hours": "2", "trainer": "黄振华", "attendees": leaders, "hours_per_person": "2"},
        {"held_on": "2024-11-19", "body": "special_meeting", "title": "会前学法：信访工作条例", "law_related": True,
         "hours": "1", "trainer": "陈静", "attendees": leaders, "hours_per_person": "1"},
    ]


def channels() -> list[dict[str, Any]]:
    return [{"title": name, "village_type": kind, "box_status": "active", "box_installed_on": f"2022-0{1 + i % 9}-15",
             "box_location": "村务公开栏旁" if kind == "village" else "社区党群服务中心", "notice_board": True}
            for i, (name, kind) in enumerate(VILLAGES)]


SAMPLE = 3  # rows of each register in the tests' demo town (workflow/demo.py seed(): every page, a few cases)


def tell(engine: Engine, *, full: bool = True) -> list[str]:
    """Enter the 2024 registers of 后龙镇 (`full`: all of them, the report's figures; else SAMPLE rows of each, for
    the tests that visit every case of the demo); the new cases' ids."""

    def rows(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return found if full else found[:SAMPLE]

    org_id = _org_of(engine)
    with writing(engine.sessions) as session:  # before the entries: their periods are counted when entered
        accounts.set_setting(session, org_id=org_id, key="mediation.committee_term_years", value=3,
                             source=TERM_SOURCE, by="admin", now=engine.clock.now())
        accounts.set_setting(session, org_id=org_id, key="mediation.dispute_period_days", value=30,
                             source=DISPUTE_SOURCE, by="admin", now=engine.clock.now())
        accounts.set_setting(session, org_id=org_id, key="organisation.villages", value=[v for v, _kind in VILLAGES],
                             source=VILLAGES_SOURCE, by="admin", now=engine.clock.now())
    created: list[str] = []
    procedure = engine.registry.get("legal_activity")
    specs = register_io.fields_of(procedure)
    cells = [[register_io.export_cell(f, row.get(f.name)) for f in specs] + [LATE] for row in rows(activities())]
    book = xlsx.workbook(procedure.label.zh, [["后龙镇2024年普法活动台账"],
                                              [f.label.zh for f in specs] + [register_io.REASON_LABEL.zh], *cells])
    created.extend(_ok(register_io.import_file(engine, procedure.id, KEEPER, book)))
    for procedure_id, entries in (("legal_roster", roster()), ("mediation_committee", committees()),
                                  ("mediator", mediators()), ("study_session", sessions()),
                                  ("village_channel", channels()), ("mediation_case", disputes())):
        payloads = [{**row, REASON_FIELD: LATE} for row in rows(entries)]
        result = register_io.import_payloads(engine, engine.registry.get(procedure_id), KEEPER,
                                             list(range(1, len(payloads) + 1)), payloads)
        created.extend(_ok(result))
        if procedure_id == "mediation_committee":
            _elections(engine, list(zip(result.created, rows(entries), strict=True)))
    disputes_ = created[-len(rows(disputes())):]
    for i, case_id in enumerate(disputes_):
        agreed = _dispute_day(i) + timedelta(days=5 + i % 10)
        written = i % 4 != 0
        effective = agreed + timedelta(days=1 if written else 0)
        _fire(engine, case_id, "record_agreement", {"form": "written" if written else "oral", "agreed_on": agreed.isoformat(),
                                                    "effective_on": effective.isoformat(), "terms": "双方自愿达成协议，按约履行",
                                                    REASON_FIELD: LATE})
        if i in (1, 17):  # two agreements taken to the court for confirmation, within the 30 days
            _fire(engine, case_id, "apply_judicial_confirmation",
                  {"applied_on": (effective + timedelta(days=12)).isoformat(), "joint_application": True,
                   "venue": "mediator_location", "court": "泉州市泉港区人民法院", REASON_FIELD: LATE})
            _fire(engine, case_id, "record_court_result",
                  {"result": "confirmed", "court_filed_on": (effective + timedelta(days=14)).isoformat(),
                   "decided_on": (effective + timedelta(days=25)).isoformat(), REASON_FIELD: LATE})
    return created


def _elections(engine: Engine, entered: list[tuple[str, dict[str, Any]]]) -> None:
    """Each committee's election once its three-year term (the demo's setting) has run out by today: a town that
    keeps its register records the 换届 (人民调解法第九条: re-electable), so the demo's committees are not shown
    with a term long expired. With the tests' clock (before the terms end) no election has come yet."""
    today = engine.today()
    for case_id, row in entered:
        started = date.fromisoformat(row["term_started_on"])
        new_term = started.replace(year=started.year + 3)
        if new_term <= today:
            _fire(engine, case_id, "record_election", {"term_started_on": new_term.isoformat(), "members": row["members"],
                                                        "women_members": row["women_members"],
                                                        REASON_FIELD: "换届选举结果依选举报告补录（演示数据）"})


def _org_of(engine: Engine) -> str:
    with engine.sessions() as session:
        user = session.scalar(select(User).where(User.username == KEEPER))
        assert user is not None, f"the register keeper {KEEPER} is not a person of the demo town"
        return user.org_id


def _ok(result: register_io.ImportResult) -> tuple[str, ...]:
    if not result.ok:
        raise RuntimeError("demo register refused: " + "；".join(p.text() for p in result.problems[:5]))
    return result.created


def _fire(engine: Engine, case_id: str, trigger: str, payload: dict[str, Any]) -> None:
    outcome = engine.fire(case_id, trigger, KEEPER, payload)
    if not outcome.ok:
        raise RuntimeError(f"demo register step {trigger} refused: " + "；".join(r.text() for r in outcome.reasons))
