"""Register people and villages (issue 14): the registers' village fields are held to the organisation's list
`organisation.villages` once it is set (typed as before without it), and a study session's attendees are the
organisation's people by name; an imported spreadsheet's typed names are matched, a row naming someone or a
village that is not there refused with its line and column, nothing half-imported. Engine and import, not the
database: SQLite only (the feature scenarios of features/legal_education run on both)."""

from __future__ import annotations

from typing import Any

import pytest

from workflow import accounts, register_io, xlsx
from workflow.db import writing
from workflow.demo import ORG
from workflow.models import Case
from workflow.people_options import people_choices
from workflow.runtime import Runtime

pytestmark = pytest.mark.one_database

KEEPER = "guomin"
ACTIVITY = {"held_on": "2025-12-04", "title": "宪法宣传进村居", "occasion": "constitution_day", "venue_type": "village",
            "village": "后龙村", "format": "street_stall", "audience": 120, "materials": 300, "consultations": 15}
SESSION = {"held_on": "2025-11-18", "body": "central_group", "title": "学习习近平法治思想", "law_related": True,
           "hours": "2", "trainer": "黄振华", "attendees": ["黄振华", "吴建国"], "hours_per_person": "2"}


def _book(town: Runtime, procedure_id: str, rows: list[dict[str, Any]]) -> bytes:
    procedure = town.registry.get(procedure_id)
    specs = register_io.fields_of(procedure)
    return xlsx.workbook(procedure.label.zh, [["台账"], [f.label.zh for f in specs],
                                              *([register_io.export_cell(f, row.get(f.name)) for f in specs]
                                                for row in rows)])


def _villages(town: Runtime, names: list[str]) -> None:
    with writing(town.sessions) as session:
        accounts.set_setting(session, org_id=ORG, key="organisation.villages", value=names,
                             source="后龙镇所辖村（居）民委员会名单（示意）", by="admin", now=town.clock.now())


def _entries(town: Runtime, procedure_id: str) -> int:
    with town.sessions() as session:
        return session.query(Case).filter(Case.procedure == procedure_id).count()


def test_an_imported_village_not_on_the_list_is_refused_by_its_line_and_nothing_is_saved(town: Runtime) -> None:
    rows = [ACTIVITY, {**ACTIVITY, "village": "前进村"}, {**ACTIVITY, "venue_type": "school", "village": ""}]
    assert register_io.import_file(town.engine, "legal_activity", KEEPER, _book(town, "legal_activity", rows)).ok
    _villages(town, ["后龙村", "峰前村"])
    result = register_io.import_file(town.engine, "legal_activity", KEEPER, _book(town, "legal_activity", rows))
    assert not result.ok and result.created == ()
    assert [(p.line, p.field) for p in result.problems] == [(4, "村居")]  # title row, head row, then the rows
    assert "「前进村」不在名单中" in result.problems[0].zh and "organisation.villages" in result.problems[0].en
    assert _entries(town, "legal_activity") == 3  # the first import only


def test_each_attendee_is_a_person_of_the_organisation_by_name(town: Runtime) -> None:
    rows = [SESSION, {**SESSION, "attendees": ["黄振华", "王某某", "吴建国"]}]
    result = register_io.import_file(town.engine, "study_session", KEEPER, _book(town, "study_session", rows))
    assert not result.ok and [(p.line, p.field) for p in result.problems] == [(4, "参加人员")]
    assert result.problems[0].zh == "「参加人员」应为本单位在职人员，「王某某」不是"
    assert register_io.import_file(town.engine, "study_session", KEEPER, _book(town, "study_session", rows[:1])).ok


def test_the_forms_offer_the_list_and_the_people(town: Runtime) -> None:
    _villages(town, ["后龙村", "峰前村"])
    roster = town.registry.get("legal_roster").create.payload
    study = town.registry.get("study_session").create.payload
    with town.sessions() as session:
        offered = people_choices(session, ORG, [*roster, *study], "执法证")
    assert offered["setting:organisation.villages:"] == (("后龙村", "后龙村"), ("峰前村", "峰前村"))
    people = dict(offered["people_named:all"])
    assert people["黄振华"] == "黄振华（镇长）" and "系统管理员" in people and "王某某" not in people
