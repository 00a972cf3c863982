"""The supervising level's page of the reports below it (web/annual_reports.py towns, workflow/procedures/
rule_of_law_report/towns.py): per organisation the year's report state, reported and published days (by 1 April or
late), a link where the Reader's supervision rule lets the district read it; and the district's own report citing
figures rolled up over its towns. Pages and reading, not the database: SQLite only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.helpers import new_case, parse
from workflow import accounts
from workflow.db import writing
from workflow.demo import ORG
from workflow.models import Case, Organization
from workflow.procedures.rule_of_law_report.report_view import view
from workflow.runtime import Runtime

pytestmark = pytest.mark.one_database

DISTRICT, TOWN2 = "quangang", "fengwei"
DRAFT = {"measures": "全年启动重大行政决策事项{{重大行政决策.启动的重大行政决策事项}}项。", "shortcomings": "意识有待提高。",
         "causes": "培训不足。", "leaders_duties": "主要负责人履行第一责任人职责。", "plans": "加强培训。"}


def _tree(town: Runtime, password_hash: str) -> None:
    with writing(town.sessions) as session:
        district = accounts.ensure_org(session, DISTRICT, "泉州市泉港区人民政府", "Quangang District")
        district.kind = "district"
        second = accounts.ensure_org(session, TOWN2, "泉州市泉港区峰尾镇人民政府", "Fengwei Town")
        second.kind, second.parent_id = "town", DISTRICT
        home = session.get(Organization, ORG)
        assert home is not None
        home.parent_id = DISTRICT
        session.flush()
        for org_id, username, name, roles in ((DISTRICT, "qg_supervisor", "庄明辉", ["supervisor"]),
                                              (DISTRICT, "qg_drafter", "区起草人", ["drafter"]),
                                              (TOWN2, "fw_drafter", "杨帆", ["drafter"])):
            accounts.create_user(session, org_id=org_id, username=username, display_name=name, roles=roles,
                                 unit="办公室", password_hash=password_hash)


def _ok(town: Runtime, case_id: str, trigger: str, who: str, payload: dict[str, object]) -> None:
    outcome = town.engine.fire(case_id, trigger, who, payload)
    assert outcome.ok, [r.zh for r in outcome.reasons]


def test_the_district_sees_where_each_towns_report_stands_and_its_own_cites_the_roll_up(
        town: Runtime, app: Flask, client_for: Callable[[str], FlaskClient], demo_password_hash: str) -> None:
    _tree(town, demo_password_hash)
    engine = town.engine
    today = engine.today().isoformat()
    new_case(town)  # one major decision in 后龙镇 ...
    new_case(town, actor="fw_drafter")  # ... and one in 峰尾镇 this year
    houlong = engine.create_case("rule_of_law_report", "zhangwei", {"year": 2025, "title": "后龙镇2025年度报告"}).case_id
    assert houlong
    for trigger, who, payload in (
            ("save_draft", "zhangwei", DRAFT), ("submit_for_review", "zhangwei", {}),
            ("pass_legal_review", "chenjing", {"opinion": "同意"}),
            ("sign_off", "huangzhenhua", {"signed_on": today, "signatory": "黄振华"}),
            ("report_to_superior", "zhangwei", {"reported_on": today, "recipients": ["泉港区人民政府"]}),
            ("publish", "zhangwei", {"published_on": today, "channel": "website", "location": "http://example.gov.cn/r"})):
        _ok(town, houlong, trigger, who, payload)
    fengwei = engine.create_case("rule_of_law_report", "fw_drafter", {"year": 2025, "title": "峰尾镇2025年度报告"}).case_id
    assert fengwei

    supervisor = client_for("qg_supervisor")
    page = parse(supervisor.get("/annual-reports/towns/?year=2025"))
    rows = {row.cells()[0]: row for row in page.rows("#town-reports")}
    assert set(rows) == {"泉州市泉港区人民政府（本单位）", "泉州市泉港区后龙镇人民政府", "泉州市泉港区峰尾镇人民政府"}, set(rows)
    own, hl, fw = rows["泉州市泉港区人民政府（本单位）"], rows["泉州市泉港区后龙镇人民政府"], rows["泉州市泉港区峰尾镇人民政府"]
    assert own.cells()[1] == "尚未起草" and own.links() == []
    assert hl.cells()[1] == "已向社会公开" and "2026年3月2日" in hl.cells()[4] and "按期公开" in hl.cells()[5]
    assert fw.cells()[1] == "起草中" and fw.cells()[4] == "未报送" and fw.cells()[5] == "未公开"
    assert hl.links() == [f"/annual-reports/{houlong}"] and fw.links() == [f"/annual-reports/{fengwei}"]
    assert "后龙镇2025年度报告" in parse(supervisor.get(hl.links()[0])).text("h1")  # the supervision rule: reads it
    assert client_for("zhangwei").get("/annual-reports/towns/").status_code == 403  # a town supervises nobody
    assert client_for("fw_drafter").get(f"/annual-reports/{houlong}").status_code == 404  # a sibling's: never

    district = engine.create_case("rule_of_law_report", "qg_drafter", {"year": 2026, "title": "泉港区2026年度报告"}).case_id
    assert district
    _ok(town, district, "save_draft", "qg_drafter", DRAFT)
    with town.sessions() as session:
        report = view(session, town.registry, session.get(Case, district), {}, "zh")
    measures = next(p for p in report.parts if p.name == "measures")
    assert "启动重大行政决策事项2项" in "".join(s.text for s in measures.segments)  # its towns' with its own
