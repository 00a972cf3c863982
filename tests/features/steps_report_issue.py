"""Step definitions for features/rule_of_law_report/05_签发公文.feature: the report issued as a 公文 when it is signed
off (definitions/documents/rule_of_law_report.yaml), and its figures fixed then (workflow/procedures/
rule_of_law_report/issued.py). They build on steps_report.py (the report of the scenario); what was issued (its
number, what the PDF says) is read by steps_documents.py's steps, wired beside these in test_rule_of_law_report.py."""

from __future__ import annotations

from pytest_bdd import given, parsers, then

from tests.features.steps import Scene
from tests.features.steps_report import Report
from tests.web.helpers import PROPOSAL
from workflow import accounts
from workflow.db import writing
from workflow.demo import ORG
from workflow.procedures.rule_of_law_report.law import COPY_TO, REPORT_CODE, REPORT_TO
from workflow.procedures.rule_of_law_report.report_view import view


def _set(scene: Scene, key: str, value: object) -> None:
    with writing(scene.town.sessions) as session:
        accounts.set_setting(session, org_id=ORG, key=key, value=value, source="泉港区关于报送年度报告的通知（示意）",
                             by="admin", now=scene.clock.now())


@given(parsers.re(r'后龙镇年度报告的发文机关代字为"(?P<code>[^"]+)"'))
def report_code(scene: Scene, code: str) -> None:
    _set(scene, REPORT_CODE, code)


@given(parsers.re(r'后龙镇年度报告主送"(?P<to>[^"]+)"，抄送"(?P<copy>[^"]+)"'))
def report_addressees(scene: Scene, to: str, copy: str) -> None:
    _set(scene, REPORT_TO, to.split("、"))
    _set(scene, COPY_TO, copy.split("、"))


@given(parsers.re(r"本年度(?:又)?启动了(?P<n>\d+)项重大行政决策事项"))
def decisions_started(scene: Scene, n: str) -> None:
    for i in range(int(n)):
        outcome = scene.town.engine.create_case("major_decision", "zhangwei", {**PROPOSAL, "title": f"决策事项{i + 1}"})
        assert outcome.ok, [r.zh for r in outcome.reasons]


@given(parsers.re(r'有一份(?P<year>\d{4})年度的年度报告引用了数据"(?P<name>[^"]+)"，处于"已审核待签发"阶段'))
def report_citing_reviewed(report: Report, year: str, name: str) -> None:
    report.year = int(year)
    report.act("create", "张伟", strict=True)
    report.act("save_draft", "张伟", strict=True, measures="全年启动重大行政决策事项{{" + name + "}}项。")
    report.act("submit_for_review", "张伟", strict=True)
    report.act("pass_legal_review", "陈静", strict=True)


@then(parsers.re(r'报告载明的"(?P<name>[^"]+)"为签发时数据(?P<then>\d+)，今日数据为(?P<today>\d+)'))
def figure_fixed(scene: Scene, name: str, then: str, today: str) -> None:
    with scene.town.sessions() as session:
        report = view(session, scene.town.registry, scene.case(), {}, "zh")
    names = {f"{scene.town.registry.get(pid).label.zh}.{f.spec.label.zh}": f.key
             for pid, figures in report.figures.items() for f in figures}
    key = names[name]
    fixed = report.figure(key)
    assert fixed is not None and str(fixed.value) == then, fixed
    assert report.today is not None and str(report.today[key].value) == today, report.today
    measures = "".join(s.text for p in report.parts if p.name == "measures" for s in p.segments)
    assert f"启动重大行政决策事项{then}项" in measures, measures
