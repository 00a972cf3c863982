"""The annual report issued as a 公文 when it is signed off (definitions/documents/rule_of_law_report.yaml,
workflow/procedures/rule_of_law_report/issued.py): numbered from the 代字 setting, addressed and copied as the
settings say, its text with every cited figure filled in; the figures fixed with it in the sign-off event, so that
the report reads them as they were signed even when later records change today's count; a missing 公文 element
refuses the sign-off naming it.

The engine, the records store and a real PDF (pdftotext, pdffonts) are the subject, not the database: SQLite only
(the features in features/rule_of_law_report/05_签发公文.feature run on both). One PDF is rendered.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.web.helpers import new_case, parse
from workflow import accounts
from workflow.audit.export import verify_database
from workflow.clock import FixedClock, utc_stamp
from workflow.db import writing
from workflow.demo import ORG
from workflow.models import AuditEvent, Case, DocumentNumberCounter, IssuedDocument
from workflow.procedures.rule_of_law_report.law import COPY_TO, REPORT_CODE, REPORT_TO
from workflow.procedures.rule_of_law_report.report_view import view
from workflow.runtime import Runtime

pytestmark = pytest.mark.one_database

TITLE = "后龙镇人民政府关于2026年度法治政府建设情况的报告"
DRAFT = {
    "intro": "今年以来，后龙镇扎实推进法治政府建设。",
    "measures": "坚持依法决策，全年启动重大行政决策事项{{重大行政决策.启动的重大行政决策事项}}项。",
    "shortcomings": "部分干部依法行政意识有待提高。",
    "causes": "学法培训针对性不强。",
    "leaders_duties": "镇党委书记、镇长认真履行推进法治建设第一责任人职责。",
    "plans": "加强执法人员培训。",
}
SETTINGS: dict[str, Any] = {REPORT_CODE: "泉后政", REPORT_TO: ["泉港区人民政府"],
                            COPY_TO: ["中共泉港区委全面依法治区委员会办公室"]}


def _settings(town: Runtime, clock: FixedClock, values: dict[str, Any]) -> None:
    with writing(town.sessions) as session:
        for key, value in values.items():
            accounts.set_setting(session, org_id=ORG, key=key, value=value, source="测试：泉港区关于报送年度报告的通知",
                                 by="admin", now=clock.now())


def _reviewed(town: Runtime) -> str:
    engine = town.engine
    case_id = engine.create_case("rule_of_law_report", "zhangwei", {"year": 2026, "title": TITLE}).case_id
    assert case_id
    for trigger, who, payload in (("save_draft", "zhangwei", DRAFT), ("submit_for_review", "zhangwei", {}),
                                  ("pass_legal_review", "chenjing", {"opinion": "同意报签。"})):
        outcome = engine.fire(case_id, trigger, who, payload)
        assert outcome.ok, [r.zh for r in outcome.reasons]
    return case_id


SIGN = {"signed_on": "2026-03-02", "signatory": "黄振华"}


def test_a_report_without_its_addressee_is_not_signed_off_and_nothing_is_numbered(
        town: Runtime, clock: FixedClock) -> None:
    _settings(town, clock, {REPORT_CODE: "泉后政"})  # the 代字, but no 主送机关
    new_case(town)
    case_id = _reviewed(town)
    refused = town.engine.fire(case_id, "sign_off", "huangzhenhua", SIGN)
    assert not refused.ok
    assert any("主送机关" in r.zh and "第九条" in r.article for r in refused.reasons), [r.zh for r in refused.reasons]
    with town.sessions() as session:
        assert session.get(Case, case_id).state == "reviewed"
        assert session.scalars(select(IssuedDocument)).all() == []
        assert session.scalars(select(DocumentNumberCounter)).all() == []


def test_the_signed_report_is_a_numbered_gongwen_and_keeps_its_figures_as_signed(
        town: Runtime, clock: FixedClock, app: Flask, client_for: Callable[[str], FlaskClient]) -> None:
    _settings(town, clock, SETTINGS)
    new_case(town)  # one major decision started this year: the cited figure is 1
    case_id = _reviewed(town)
    signed = town.engine.fire(case_id, "sign_off", "huangzhenhua", SIGN)
    assert signed.ok, [r.zh for r in signed.reasons]

    with town.sessions() as session:
        doc = session.scalars(select(IssuedDocument).where(IssuedDocument.case_id == case_id)).one()
        facts = json.loads(session.scalar(select(AuditEvent.facts).where(
            AuditEvent.case_id == case_id, AuditEvent.seq == doc.event_seq)) or "{}")
    assert doc.number == "泉后政〔2026〕1号" and doc.doc_type == "rule_of_law_report/report"
    kept = facts["documents"][0]["data"]
    assert kept["figures"]["major_decision"]["proposed"]["value"] == "1"
    assert len(kept["figures"]["major_decision"]["proposed"]["records"]) == 1

    pdf = town.records.path_of(doc.sha256)
    text = "".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())
    for said in ("泉后政〔2026〕1号", TITLE, "泉港区人民政府：", "全年启动重大行政决策事项1项", "二、存在的不足和原因",
                 "抄送：中共泉港区委全面依法治区委员会办公室", "2026年3月2日"):
        assert said in text, said
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # the "emb" column: every font embedded

    new_case(town, title="后龙镇农贸市场改造方案")  # recorded after the sign-off: today's count is 2
    with town.sessions() as session:
        report = view(session, town.registry, session.get(Case, case_id), {}, "zh")
    assert report.issued is not None and report.issued.number == doc.number
    fixed = report.figure("major_decision.proposed")
    assert fixed is not None and fixed.value == 1 and len(fixed.records) == 1
    assert report.today is not None and report.today["major_decision.proposed"].value == 2
    measures = next(p for p in report.parts if p.name == "measures")
    assert "启动重大行政决策事项1项" in "".join(s.text for s in measures.segments)

    drafter = client_for("zhangwei")
    page = parse(drafter.get(f"/annual-reports/{case_id}"))
    issued = page.one("#report-issued")
    assert "泉后政〔2026〕1号" in issued.text()
    download = next(link for link in issued.links() if "/documents/" in link)
    assert drafter.get(download).data == pdf.read_bytes()
    changed = [row.cells() for row in page.rows("#report-figures-changed")]
    assert any("启动的重大行政决策事项" in row[0] and row[1:] == ["1", "2"] for row in changed), changed
    assert "签发时数据" in page.text("#report-figures")
    measures = page.one("#part-measures")
    assert "启动重大行政决策事项1项" in "".join(measures.text().split())
    behind = next(link for link in measures.links() if "/figures/" in link)
    assert behind == f"/annual-reports/{case_id}/figures/major_decision/proposed"
    listed = parse(drafter.get(behind))
    assert len(listed.rows("#figure-records")) == 1 and "签发时数据" in listed.text("#figure-fixed")
    assert "2" in parse(drafter.get("/figures/major_decision/proposed?year=2026")).text("#figure-value")

    verified = verify_database(town.sessions, town.origin, utc_stamp(clock.now()), registry=town.registry)
    assert verified.ok, verified.message
