"""Registers (台账): Engine.create_many (all or nothing, every bad row named, refusals audited), the xlsx import
(workflow/register_io.py) and one figure per register counted by year (workflow/register_spec.py).

create_many is a transaction's behaviour, so its tests run on both databases; the reading and counting tests do
not depend on the database and run once (one_database)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from workflow import register_io
from workflow.figures import stated
from workflow.models import SYSTEM_JOURNAL_ID, AuditEvent, Case
from workflow.runtime import Runtime

KEEPER = "guomin"  # 郭敏, 司法所: the demo's register keeper


def activity(**changes: Any) -> dict[str, Any]:
    row = {"held_on": "2025-12-04", "title": "宪法宣传进村居", "occasion": "constitution_day", "venue_type": "village",
           "village": "后龙村", "format": "street_stall", "audience": 120, "materials": 300, "consultations": 15}
    return {**row, **changes}


def counts(town: Runtime) -> tuple[int, int, int]:
    """(cases, audit events of all cases, events in the system journal)."""
    with town.sessions() as session:
        cases = session.scalar(select(func.count()).select_from(Case))
        events = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id != SYSTEM_JOURNAL_ID))
        journal = session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.case_id == SYSTEM_JOURNAL_ID))
    return cases or 0, events or 0, journal or 0


def test_create_many_opens_every_case_in_one_go(town: Runtime) -> None:
    batch = town.engine.create_many("legal_activity", KEEPER, [activity(), activity(title="民法典宣传", held_on="2025-05-20",
                                                                                     occasion="civil_code_month")])
    assert batch.ok and len({o.case_id for o in batch.outcomes}) == 2
    assert counts(town)[:2] == (2, 2)  # each its own case and its own created event


def test_create_many_saves_nothing_when_a_row_is_refused_and_audits_each_refusal(town: Runtime) -> None:
    rows = [activity(), activity(held_on="2025-12-05"), activity(audience=-1), activity()]
    before = counts(town)
    batch = town.engine.create_many("legal_activity", KEEPER, rows)
    assert not batch.ok
    assert [i for i, _ in batch.refused] == [1, 2]  # both bad rows found, not only the first
    assert batch.refused[0][1].codes == ["occasion_matches_date"]
    assert [r.field for r in batch.refused[1][1].reasons] == ["audience"]
    cases, events, journal = counts(town)
    assert (cases, events) == before[:2]  # no case and no event of the accepted rows
    assert journal == before[2] + 2  # the two refusals, audited in the system journal
    with town.sessions() as session:
        refused = session.scalars(select(AuditEvent).where(AuditEvent.case_id == SYSTEM_JOURNAL_ID)
                                  .order_by(AuditEvent.seq.desc()).limit(2)).all()
    assert {e.kind for e in refused} == {"refused"} and {e.trigger for e in refused} == {"create"}


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HEAD = ["活动日期", "活动主题", "宣传节点", "场所类型", "村居", "活动形式", "受众人数", "发放宣传资料（份）", "解答法律咨询（人次）"]


@pytest.mark.one_database
def test_import_names_every_bad_row_with_its_line_and_field_and_saves_nothing(town: Runtime) -> None:
    content = _xlsx([HEAD,
                     ["2025-12-04", "宪法日宣传", "国家宪法日（12月4日）", "村居", "后龙村", "摆摊宣传", 100, 200, 10],
                     ["2025年12月6日", "宪法日宣传", "国家宪法日（12月4日）", "村居", "后龙村", "摆摊宣传", 100, 200, 10],
                     ["2025-06-01", "禁毒宣传", "国际禁毒日（6月26日）", "学校", "", "进校园", "很多", 50, 0],
                     ["2025-05-10", "民法典", "民法典宣传月（5月）", "工厂", "", "讲座", 30, 40, 5]])
    before = counts(town)
    result = register_io.import_file(town.engine, "legal_activity", KEEPER, content)
    assert not result.ok and result.created == ()
    where = {(p.line, p.field) for p in result.problems}
    assert (3, "") in where  # 12·6 is not the 12·4 observance (a guard: the row as a whole)
    assert (4, "受众人数") in where  # "很多" is no number (the form is checked before the rules, as in fire())
    assert (5, "场所类型") in where  # no such venue type
    assert not any(p.line == 2 for p in result.problems)
    assert counts(town)[:2] == before[:2]


@pytest.mark.one_database
def test_import_refuses_an_unknown_column_before_any_row(town: Runtime) -> None:
    result = register_io.import_file(town.engine, "legal_activity", KEEPER, _xlsx([[*HEAD, "备注栏"], ["2025-12-04"]]))
    assert not result.ok and [(p.line, p.field) for p in result.problems] == [(1, "备注栏")]


@pytest.mark.one_database
def test_export_reads_back_and_the_template_has_the_labels(town: Runtime) -> None:
    procedure = town.registry.get("legal_activity")
    assert register_io.import_file(town.engine, "legal_activity", KEEPER, _xlsx(
        [HEAD, ["2025-12-04", "宪法日宣传", "国家宪法日（12月4日）", "村居", "后龙村", "摆摊宣传", 100, 200, 10],
         ["2024-04-15", "国家安全教育", "全民国家安全教育日（4月15日）", "学校", "", "进校园", 300, 500, 20]])).ok
    with town.sessions() as session:
        exported = register_io.export(session, procedure, "houlong", 2025, frozenset({"register_keeper"}))
    sheet = load_workbook(io.BytesIO(exported)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:3] == ("活动日期（必填）", "活动主题（必填）", "宣传节点（必填）") and len(rows) == 3  # 2025 only
    assert rows[2][:4] == ("2025-12-04", "宪法日宣传", "国家宪法日（12月4日）", "村居")
    back, problems = register_io.read(procedure, exported)
    assert problems == [] and back[0][1]["occasion"] == "constitution_day" and back[0][1]["audience"] == 100
    heads = list(load_workbook(io.BytesIO(register_io.template(procedure))).active.iter_rows(values_only=True))[1]
    assert heads[0] == "活动日期（必填）" and heads[-1] == "补录理由"


# ---------------------------------------------------------------- one figure per register, by year


def _figures(town: Runtime, procedure_id: str, year: int) -> dict[str, str]:
    with town.sessions() as session:
        found = register_io.figures(session, town.registry.get(procedure_id), "houlong", year)
    return {f.spec.id: stated(f) for f in found}


def _many(town: Runtime, procedure_id: str, rows: list[dict[str, Any]]) -> list[str]:
    batch = town.engine.create_many(procedure_id, KEEPER, rows)
    assert batch.ok, [r.text() for _, o in batch.refused for r in o.reasons]
    return [o.case_id or "" for o in batch.outcomes]


@pytest.mark.one_database
def test_activities_count_by_year_and_withdrawn_entries_count_nowhere(town: Runtime) -> None:
    ids = _many(town, "legal_activity", [activity(), activity(materials=700), activity(held_on="2024-12-04")])
    assert town.engine.fire(ids[0], "withdraw", KEEPER, {"reason": "重复登记，撤销"}).ok
    found = _figures(town, "legal_activity", 2025)
    assert (found["activities"], found["materials"]) == ("1", "700")
    assert _figures(town, "legal_activity", 2024)["activities"] == "1"


@pytest.mark.one_database
def test_roster_counts_each_role_apart_at_the_end_of_the_year(town: Runtime) -> None:
    def person(name: str, lu: bool, lead: bool, on: str = "2024-03-01") -> dict[str, Any]:
        return {"title": name, "village": "后龙村", "legal_understanding": lu, "rule_of_law_leader": lead,
                "selection_route": "recommended", "assessed_on": on}

    ids = _many(town, "legal_roster", [person("陈一", True, True), person("陈二", True, False),
                                       person("陈三", False, True), person("陈四", True, True, "2025-02-01")])
    assert town.engine.fire(ids[1], "leave", KEEPER, {"left_on": "2025-01-10", "reason": "外出务工"}).ok
    assert _figures(town, "legal_roster", 2024) == {"legal_understanding": "2", "rule_of_law_leaders": "2", "people": "3"}
    assert _figures(town, "legal_roster", 2025) == {"legal_understanding": "2", "rule_of_law_leaders": "3", "people": "3"}
    with town.sessions() as session:
        short = register_io.shortfalls(session, town.registry.get("legal_roster"), "houlong", 2025)
    assert [(s.group, s.count) for s in short] == [("后龙村", 2)]  # a guideline of 3 per village: a warning


@pytest.mark.one_database
def test_study_sessions_count_those_on_law(town: Runtime) -> None:
    row = {"held_on": "2024-06-12", "body": "central_group", "title": "学习民法典", "law_related": True, "hours": "2",
           "attendees": ["黄振华", "吴建国"], "hours_per_person": "2"}
    _many(town, "study_session", [row, {**row, "law_related": False, "title": "学习党史"}])
    assert _figures(town, "study_session", 2024) == {"sessions": "2", "on_law": "1", "central_group": "1",
                                                     "enforcement_training": "0"}


@pytest.mark.one_database
def test_committees_and_mediators_count_those_in_place_at_the_end_of_the_year(town: Runtime) -> None:
    committee = {"title": "后龙村人民调解委员会", "parent_type": "village", "parent_name": "后龙村民委员会",
                 "established_on": "2011-05-01", "members": 5, "women_members": 1, "term_started_on": "2023-05-01"}
    ids = _many(town, "mediation_committee", [committee, {**committee, "title": "镇人民调解委员会", "parent_type": "town"}])
    assert town.engine.fire(ids[1], "dissolve", KEEPER, {"dissolved_on": "2024-06-30", "reason": "机构调整"}).ok
    assert _figures(town, "mediation_committee", 2023) == {"committees": "2", "in_villages": "1"}
    assert _figures(town, "mediation_committee", 2024) == {"committees": "1", "in_villages": "1"}
    _many(town, "mediator", [{"title": "林调解", "committee": "后龙村人民调解委员会", "full_time": True, "since": "2020-01-01"},
                             {"title": "陈调解", "committee": "后龙村人民调解委员会", "full_time": False, "since": "2020-01-01"}])
    assert _figures(town, "mediator", 2024) == {"mediators": "2", "full_time": "1"}


@pytest.mark.one_database
def test_mediation_success_rate_is_agreements_over_disputes_closed_in_the_year(town: Runtime) -> None:
    case = {"registered_on": "2024-03-01", "title": "相邻通行纠纷", "committee": "后龙村人民调解委员会", "category": "neighbour",
            "parties": ["陈某", "林某"], "mediators": ["林调解"]}
    ids = _many(town, "mediation_case", [case, case, case, case])
    agreement = {"form": "oral", "agreed_on": "2024-03-10", "effective_on": "2024-03-10", "terms": "让出通道"}
    assert town.engine.fire(ids[0], "record_agreement", KEEPER, agreement).ok
    assert town.engine.fire(ids[1], "record_agreement", KEEPER, {**agreement, "agreed_on": "2025-01-03",
                                                                  "effective_on": "2025-01-03"}).ok
    assert town.engine.fire(ids[2], "terminate", KEEPER, {"terminated_on": "2024-05-01", "reason": "一方拒绝调解",
                                                          "routes_explained": True}).ok
    assert _figures(town, "mediation_case", 2024) == {"registered": "4", "closed": "2", "agreements": "1",
                                                      "success_rate": "50%", "confirmations": "0"}


@pytest.mark.one_database
def test_opinion_box_coverage_is_villages_with_an_active_box_over_all_villages(town: Runtime) -> None:
    village = {"title": "后龙村", "village_type": "village", "box_status": "active", "box_installed_on": "2023-01-05",
               "notice_board": True}
    _many(town, "village_channel", [village, {**village, "title": "峰前村", "box_installed_on": "2024-02-01"},
                                    {"title": "福炼社区", "village_type": "community", "box_status": "none",
                                     "notice_board": True}])
    assert _figures(town, "village_channel", 2023)["coverage"] == "33.3%"
    assert _figures(town, "village_channel", 2024) == {"villages": "3", "with_box": "2", "coverage": "66.7%"}


@pytest.mark.one_database
def test_the_command_line_imports_all_or_nothing_and_exports_the_year(lawflow, town: Runtime, tmp_path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(_xlsx([HEAD, ["2025-12-04", "宪法日宣传", "国家宪法日（12月4日）", "村居", "后龙村", "摆摊宣传", 1, 2, 3],
                           ["2025-12-05", "宪法日宣传", "国家宪法日（12月4日）", "村居", "后龙村", "摆摊宣传", 1, 2, 3]]))
    refused = lawflow("register", "import", "legal_activity", str(bad), "--as", KEEPER)
    assert refused.returncode == 3 and "第3行" in refused.stderr and counts(town)[0] == 0
    good = tmp_path / "good.xlsx"
    good.write_bytes(_xlsx([HEAD, ["2025-12-04", "宪法日宣传", "国家宪法日（12月4日）", "村居", "后龙村", "摆摊宣传", 1, 2, 3]]))
    assert lawflow("register", "import", "legal_activity", str(good), "--as", KEEPER).returncode == 0
    out = tmp_path / "out.xlsx"
    exported = lawflow("register", "export", "legal_activity", "--year", "2025", "--as", KEEPER, "-o", str(out))
    assert exported.returncode == 0
    assert list(load_workbook(out).active.iter_rows(values_only=True))[2][1] == "宪法日宣传"
    figures = lawflow("register", "figures", "legal_activity", "--year", "2025", "--org", "houlong")
    assert "普法活动（场次）\t1" in figures.stdout


@pytest.mark.one_database
def test_houlongs_2024_registers_give_the_figures_of_its_2024_report(town: Runtime) -> None:
    """legal-facts §10: 40余 activities, 10000余 materials, 500余 consultations, 246 and 242, 19 committees, 3 full-time
    mediators, 40 disputes at 100%, 意见箱 coverage 100% — from the demo's records, through the import path."""
    from workflow import demo_registers

    demo_registers.tell(town.engine, full=True)
    found = {p: _figures(town, p, 2024) for p in ("legal_activity", "legal_roster", "mediation_committee", "mediator",
                                                 "mediation_case", "village_channel", "study_session")}
    assert found["legal_activity"]["activities"] == "43" and int(found["legal_activity"]["materials"]) > 10000
    assert int(found["legal_activity"]["consultations"]) > 500
    assert (found["legal_roster"]["legal_understanding"], found["legal_roster"]["rule_of_law_leaders"]) == ("246", "242")
    assert found["mediation_committee"]["committees"] == "19" and found["mediator"]["full_time"] == "3"
    assert (found["mediation_case"]["closed"], found["mediation_case"]["success_rate"]) == ("40", "100%")
    assert found["village_channel"]["coverage"] == "100%" and int(found["study_session"]["on_law"]) >= 1
