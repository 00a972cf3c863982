"""The annual report's page (web/annual_reports.py): the report as it will read, each cited figure filled in from
the records and linked to them, a hand-entered one marked with who entered it and why, numbers typed into the text
flagged, and the refusals of the year beside the shortcomings part.

The page, not the database, is the subject: SQLite only (tests/conftest.py, one_database).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.helpers import new_case, parse
from workflow import demo_registers, demo_report
from workflow.runtime import Runtime

pytestmark = pytest.mark.one_database


def test_the_report_reads_its_figures_from_the_records_and_shows_where_each_comes_from(
        app: Flask, town: Runtime, client_for: Callable[[str], FlaskClient]) -> None:
    engine = town.engine
    year = engine.today().year
    decisions = sorted([new_case(town), new_case(town, title="后龙镇农贸市场改造方案")])
    refused = engine.fire(decisions[0], "start", "zhengli", {"lead_unit": "党政综合办公室"})  # not the member's step
    assert not refused.ok
    report = engine.create_case("rule_of_law_report", "zhangwei", {
        "year": year, "title": f"后龙镇人民政府关于{year}年法治政府建设情况的报告"}).case_id
    assert report
    assert engine.fire(report, "enter_figure", "zhangwei", {
        "figure_id": "意见箱村居数", "label": "设置意见箱的村居", "value": "19", "unit": "个",
        "source": "各村（居）上报材料", "reason": "意见箱尚未在系统中登记"}).ok
    assert engine.fire(report, "save_draft", "zhangwei", {
        "measures": "全年启动重大行政决策事项{{major_decision.proposed}}项，{{手工录入.意见箱村居数}}个村居设置意见箱，"
                    "开展普法活动45场。",
        "shortcomings": "仍有凭经验办事的现象。"}).ok

    drafter = client_for("zhangwei")
    assert "/annual-reports/" in parse(drafter.get("/annual-reports/")).one("nav").links()
    page = parse(drafter.get(f"/annual-reports/{report}"))
    measures = page.one("#part-measures")
    assert "全年启动重大行政决策事项2项，19※个村居设置意见箱" in measures.text()  # ※: entered by hand
    assert f"/figures/major_decision/proposed?year={year}" in measures.links()
    assert "45" in page.text("#part-measures .typed-numbers")  # typed, no record behind it
    manual = page.text("#report-manual")
    assert "张伟" in manual and "意见箱尚未在系统中登记" in manual
    assert "尚未撰写" in page.text("#part-leaders_duties")  # a required part still empty
    assert "{{重大行政决策.启动的重大行政决策事项}}" in page.text("#report-figures")  # how to cite it
    rules = page.text("#refusals-by-rule")
    assert "1" in rules and "副镇长" in page.text("#refusals-by-unit")  # 郑丽's refused attempt, by her unit

    assert client_for("linzhiyuan").get(f"/annual-reports/{report}").status_code == 404  # not the adviser's work
    assert drafter.get(f"/annual-reports/{decisions[0]}").status_code == 404  # not a report


def test_houlongs_2024_report_states_the_source_reports_figures_each_from_exactly_its_records(
        app: Flask, town: Runtime, client_for: Callable[[str], FlaskClient]) -> None:
    """Issue 14, done when: the 2024 report of 后龙镇 (龙政〔2024〕58号, legal-facts §10) generated from the demo's
    records states the source document's figures, and each figure's link lists exactly the records behind it."""
    demo_registers.tell(town.engine, full=True)
    report = demo_report.tell(town.engine)
    keeper = client_for("guomin")  # 郭敏 keeps the registers: she may open every record behind them
    response = client_for("zhangwei").get(f"/annual-reports/{report}")
    page = parse(response)
    text = "".join(page.text("#part-measures").split())
    for stated in ("法治宣传活动40余场次", "发放宣传资料10000余份", "解答群众法律咨询500余人次", "“法律明白人”246人",
                   "“法治带头人”242人", "已建立调委会19个", "配备专职人民调解员3名", "全年共调解矛盾纠纷40起，成功率达100%",
                   "覆盖率达100%", "清理（修改、废止、宣布失效）规范性文件0件"):
        assert stated in text, stated
    assert "typed-numbers" not in response.get_data(as_text=True)  # no number typed without a record behind it
    # signed off through lawflow (the demo sets the 代字): each figure links to its records as fixed at sign-off
    links = [link for link in page.one("#part-measures").links() if "/figures/" in link]
    assert links and all(link.startswith(f"/annual-reports/{report}/figures/") for link in links), links
    exact = {"legal_activity/activities": 43, "legal_roster/legal_understanding": 246,
             "legal_roster/rule_of_law_leaders": 242, "mediation_committee/committees": 19, "mediator/full_time": 3,
             "mediation_case/closed": 40}
    for link in links:
        key = link.split("?")[0].split("/figures/")[1]
        if key in exact:
            fixed = parse(client_for("zhangwei").get(link))  # as signed: the count of the records behind it
            assert f"依据的记录：{exact[key]}" in fixed.text("#figure-value") and fixed.has("#figure-fixed"), key
            listed = parse(keeper.get(f"/figures/{key}?year=2024")).rows("#figure-records")  # today's, all visible
            assert len(listed) == exact[key], (key, len(listed))
    assert {k for k in exact} <= {link.split("?")[0].split("/figures/")[1] for link in links}
    assert "已向社会公开" in parse(client_for("zhangwei").get("/annual-reports/")).text("#annual-reports")
