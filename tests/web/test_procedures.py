"""Procedure pages, the living specs: the list, each definition's page (diagram, tables, scenarios, results)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from markupsafe import escape
from pytest_bdd.feature import get_features

from tests.web.helpers import Page, parse, text
from web import specs
from workflow.procedures import GUARDS

# The page, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

FEATURES = Path(__file__).resolve().parents[2] / "features"
SVG = re.compile(r"<svg\b.*?</svg>", re.S)


def _latest(town, procedure_id: str = "major_decision") -> str:
    """The page of the version new cases start under (the one the scenarios specify)."""
    p = town.registry.get(procedure_id)
    return f"/procedures/{p.id}/v{p.version}"


def _titles(folder: str) -> list[str]:
    return [name for f in get_features([str(FEATURES / folder)]) for name in f.scenarios]


@pytest.fixture
def no_report(app, tmp_path):
    app.config["FEATURE_REPORT"] = str(tmp_path / "no-such-report.json")
    return app


def _report(path: Path, results: list[dict], complete: bool = True) -> Path:
    specs.write_report(path, results, sorted(FEATURES.rglob("*.feature")), FEATURES, complete=complete,
                       commit="0123456789abcdef", now=datetime(2026, 11, 30, 2, 0, tzinfo=UTC))
    return path


def _result(feature: str, scenario: str, backend: str, outcome: str, procedures: list[str],
            message: str = "", example: dict | None = None) -> dict:
    return {"feature": feature, "scenario": scenario, "example": example or {}, "backend": backend,
            "outcome": outcome, "duration": 0.1, "procedures": procedures, "message": message}


def test_the_list_shows_every_procedure_and_version_to_any_user(town, client_for, no_report):
    response = client_for("zhangwei").get("/procedures/")
    assert response.status_code == 200
    page = text(response)
    assert re.search(r'<a href="/procedures/"[^>]*>程序</a>', page)  # in the navigation
    for p in town.registry.all():
        assert f'href="/procedures/{p.id}/v{p.version}"' in page
        assert str(escape(p.label.zh)) in page
        assert str(escape(p.legal_basis[0]["title"])) in page
    assert "尚无测试报告" in page


def test_the_pages_need_a_login(app):
    response = app.test_client().get("/procedures/major_decision/v1")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_unknown_procedure_or_version_is_not_found(town, client_for, no_report):
    client = client_for("liushen")
    assert client.get("/procedures/no_such_thing/v1").status_code == 404
    assert client.get("/procedures/major_decision/v99").status_code == 404


def test_each_page_shows_every_state_step_guard_article_and_deadline(town, client_for, no_report):
    client = client_for("liushen")
    for p in town.registry.all():
        page = text(client.get(f"/procedures/{p.id}/v{p.version}"))
        for state in p.states.values():
            assert str(escape(state.label.zh)) in page, state.name
        for t in (p.create, *p.transitions):
            assert f'id="step-{t.trigger}"' in page
            assert str(escape(t.label.zh)) in page, t.trigger
            for g in t.guards:
                assert str(escape(GUARDS[g].article)) in page, g
                assert str(escape(GUARDS[g].zh)) in page, g
            for f in t.payload:
                assert str(escape(f.label.zh)) in page, f"{t.trigger}.{f.name}"
        for d in p.deadlines.values():
            assert str(escape(d.label.zh)) in page and str(escape(d.basis)) in page, d.name
        if p.audio_video:
            assert "全程音像记录" in page and str(escape(p.audio_video.basis)) in page


def test_both_versions_of_the_major_decision_are_listed_and_the_first_points_to_the_second(town, client_for,
                                                                                         no_report):
    client = client_for("liushen")
    listing = text(client.get("/procedures/"))
    assert 'href="/procedures/major_decision/v1"' in listing and 'href="/procedures/major_decision/v2"' in listing
    v1, v2 = text(client.get("/procedures/major_decision/v1")), text(client.get("/procedures/major_decision/v2"))
    assert "旧版本" in v1 and 'href="/procedures/major_decision/v2"' in v1 and 'id="step-attach_material"' not in v1
    assert "现行版本" in v2 and 'id="step-attach_material"' in v2
    row = parse(v2).text("tr#step-attach_material")
    assert "上传决策材料" in row and "决策承办人员" in row and "条例第二十六条、第二十九条、第三十三条" in row
    assert "材料类别" in row and "听证笔录" in row and "MP4 视频" in row
    assert str(escape(_titles("major_decision/08_决策过程记录和材料.feature")[0])) in v2  # its scenarios
    assert str(escape(_titles("major_decision/08_决策过程记录和材料.feature")[0])) not in v1


def test_the_page_says_who_may_act_and_the_separation_of_duties(town, client_for, no_report):
    page = text(client_for("liushen").get("/procedures/major_decision/v1"))
    row = parse(page).text("tr#step-issue_legality_opinion")
    assert "合法性审查人员" in row and "合法性审查 → 已出具审查意见" in row
    assert "职责分离：曾以决策承办人员身份办理本案的人员不得办理。" in row
    deadline = parse(page).text("tr#deadline-comment_period")
    assert "最短期间" in deadline and "按「征求意见期限（日）」所填日数" in deadline and "日历日" in deadline
    case = text(client_for("liushen").get("/procedures/enforcement_case/v1"))
    assert "按本单位设置 「处罚决定公开期限（工作日）」" in case  # a length set by a local rule
    assert "至「延长至」所填日期" in case
    assert "本单位设置 enforcement.mandatory_av_acts 列出的其他执法行为" in case


def _svg_texts(page: str) -> tuple[ET.Element, list[str]]:
    match = SVG.search(page)
    assert match, "no inline SVG on the page"
    root = ET.fromstring(match.group(0))  # well-formed XML, or this raises
    ns = "{http://www.w3.org/2000/svg}"
    texts = ["".join(el.itertext()) for el in root.iter(f"{ns}text")]
    return root, texts


def test_the_diagram_is_well_formed_svg_naming_every_state(town, client_for, no_report):
    client = client_for("liushen")
    ns = "{http://www.w3.org/2000/svg}"
    for p in town.registry.all():
        page = text(client.get(f"/procedures/{p.id}/v{p.version}"))
        root, texts = _svg_texts(page)
        assert root.find(f"{ns}title") is not None and p.label.zh in root.find(f"{ns}title").text
        assert root.find(f"{ns}desc").text.startswith(f"共{len(p.states)}个阶段")
        for state in p.states.values():
            assert any(state.label.zh == t for t in texts), state.label.zh
        joined = re.sub(r"[\s·\u2002]", "", "".join(texts))  # labels wrap over lines; merged ones have bullets
        for t in p.transitions:
            if t.dest is not None:
                assert re.sub(r"\s", "", t.label.zh) in joined, t.trigger
        assert "<script" not in match_svg(page)
    svg = client.get("/procedures/major_decision/v1/diagram.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    ET.fromstring(svg.get_data())


def match_svg(page: str) -> str:
    found = SVG.search(page)
    return found.group(0) if found else ""


def test_the_diagram_is_deterministic(town, app):
    from web import diagram

    with app.test_request_context():
        for p in town.registry.all():
            assert diagram.render(p) == diagram.render(p)


def test_without_a_report_every_scenario_of_the_folder_is_listed(town, client_for, no_report):
    client = client_for("liushen")
    pages = {p.id: text(client.get(f"/procedures/{p.id}/v{p.version}")) for p in town.registry.all()}
    for pid, folder in (("major_decision", "major_decision"), ("enforcement_case", "enforcement"),
                        ("enforcement_review", "enforcement")):
        titles = _titles(folder)
        assert titles
        for title in titles:
            assert str(escape(title)) in pages[pid], (pid, title)
        assert "尚无测试报告" in pages[pid]
        assert "✓" not in parse(pages[pid]).one("section.scenarios").html()
    assert "该目录也规定重大执法决定法制审核" in pages["enforcement_case"]


def _article(scenarios: Page, title: str) -> Page:
    """The <article> of the scenario with this title."""
    found = [a for a in scenarios.all("article.scenario") if Page(a).text("span.scenario-title") == title]
    assert len(found) == 1, f"{len(found)} scenario articles titled {title!r}"
    return Page(found[0])


def test_a_report_shows_passed_and_failed_marks_and_its_time(town, client_for, app, tmp_path):
    md = _titles("major_decision/01_决策启动.feature")
    results = [_result("major_decision/01_决策启动.feature", md[0], b, "passed", ["major_decision"])
               for b in ("sqlite", "postgresql")]
    results += [_result("major_decision/01_决策启动.feature", md[1], "sqlite", "passed", ["major_decision"],
                        example={"人员": "陈静"}),
                _result("major_decision/01_决策启动.feature", md[1], "postgresql", "failed", ["major_decision"],
                        message="AssertionError: 理由不符", example={"人员": "陈静"})]
    app.config["FEATURE_REPORT"] = str(_report(tmp_path / "report.json", results, complete=False))
    page = text(client_for("liushen").get(_latest(town)))
    scenarios = parse(page).one("section.scenarios")
    assert "最近一次场景测试：2026年11月30日 10:00" in scenarios  # 02:00 UTC, shown in Beijing time
    assert "代码版本 0123456789ab" in scenarios
    assert "该次运行只选取了部分场景" in scenarios
    first = _article(scenarios, md[0]).html()
    assert 'class="mark passed" title="SQLite：通过"' in first and 'title="PostgreSQL：通过"' in first
    second = _article(scenarios, md[1])
    assert "failed" in second.classes() and 'title="PostgreSQL：未通过"' in second.html() and "✗" in second
    assert "AssertionError: 理由不符" in scenarios
    assert 'title="SQLite：未运行"' in _article(scenarios, md[2]).html()
    listing = text(client_for("liushen").get("/procedures/"))
    assert "最近一次场景测试：2026年11月30日 10:00" in listing


def test_a_report_places_the_scenarios_of_a_shared_folder_by_the_procedures_they_drove(town, client_for, app,
                                                                                      tmp_path):
    features = {f.filename: f for f in get_features([str(FEATURES / "enforcement")])}
    review_file = next(f for name, f in features.items() if name.endswith("04_重大执法决定法制审核.feature"))
    case_file = next(f for name, f in features.items() if name.endswith("01_立案与调查取证.feature"))
    review_title, case_title = next(iter(review_file.scenarios)), next(iter(case_file.scenarios))
    both_title = list(review_file.scenarios)[1]
    results = [
        _result("enforcement/04_重大执法决定法制审核.feature", review_title, "sqlite", "passed",
                ["enforcement_case", "enforcement_review"]),
        _result("enforcement/04_重大执法决定法制审核.feature", both_title, "sqlite", "passed",
                ["enforcement_review"]),
        _result("enforcement/01_立案与调查取证.feature", case_title, "sqlite", "passed", ["enforcement_case"]),
    ]
    app.config["FEATURE_REPORT"] = str(_report(tmp_path / "report.json", results))
    client = client_for("liushen")
    review = text(client.get("/procedures/enforcement_review/v1"))
    case = text(client.get("/procedures/enforcement_case/v1"))
    assert str(escape(review_title)) in review and str(escape(both_title)) in review
    assert str(escape(case_title)) not in review  # drove only the penalty case
    assert str(escape(case_title)) in case and str(escape(review_title)) in case
    assert str(escape(both_title)) not in case
    assert "此处列出最近一次运行中办理了本程序的场景" in review


def test_an_unreadable_report_is_said_to_be_so(town, client_for, app, tmp_path):
    bad = tmp_path / "report.json"
    bad.write_text("{not json", encoding="utf-8")
    app.config["FEATURE_REPORT"] = str(bad)
    page = text(client_for("liushen").get(_latest(town)))
    assert "测试报告无法读取" in page


def test_the_english_page(town, client_for, no_report):
    client = client_for("liushen")
    page = text(client.get(_latest(town) + "?lang=en"))
    assert '<html lang="en">' in page
    for heading in ("State diagram", "Stages", "Steps", "Deadlines", "Scenarios", "Legal rules"):
        assert heading in page
    assert "Legality review" in page and "Issue the legality opinion" in page
    assert str(escape(GUARDS["comment_period_lawful"].en)) in page
    assert "No test report is present" in page
    _root, texts = _svg_texts(page)
    assert any(t == "Proposed" for t in texts)
    assert "Procedures" in text(client.get("/procedures/?lang=en"))


def test_the_report_round_trip(tmp_path):
    path = _report(tmp_path / "r.json", [
        _result("major_decision/01_决策启动.feature", "甲", "sqlite", "passed", ["major_decision"], example={"a": "1"}),
        _result("major_decision/01_决策启动.feature", "甲", "sqlite", "failed", ["major_decision"], example={"a": "2"},
                message="boom"),
        _result("major_decision/01_决策启动.feature", "甲", "postgresql", "skipped", []),
    ])
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["format"] == specs.REPORT_FORMAT and raw["generated_at"] == "2026-11-30T02:00:00Z"
    assert raw["features"]["major_decision/01_决策启动.feature"] == specs.file_digest(
        FEATURES / "major_decision" / "01_决策启动.feature")
    report = specs.load_report(path)
    result = report.of("major_decision/01_决策启动.feature", "甲")
    assert result.backends == {"sqlite": "failed", "postgresql": "skipped"} and result.outcome == "failed"
    assert result.rows[(("a", "1"),)] == "passed" and result.rows[(("a", "2"),)] == "failed"
    assert result.messages == ["boom"]
    assert specs.load_report(tmp_path / "missing.json") is None


def test_the_report_path(monkeypatch, tmp_path):
    monkeypatch.delenv(specs.REPORT_ENV, raising=False)
    monkeypatch.setenv("LAWFLOW_INSTANCE", str(tmp_path / "inst"))
    assert specs.report_path() == tmp_path / "inst" / "test-report" / "features.json"
    monkeypatch.setenv(specs.REPORT_ENV, str(tmp_path / "elsewhere.json"))
    assert specs.report_path() == tmp_path / "elsewhere.json"
