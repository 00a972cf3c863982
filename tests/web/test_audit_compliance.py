"""/audit/compliance: the seven figures of workflow/procedures/enforcement/compliance.py for the user's organisation and a period.

Houlong town (the `town` fixture): four enforcement officers, 洪志强's certificate expired on 2026-01-31,
two legal reviewers. One penalty case is opened on 2026-03-02 and never decided, so its 90-day decision limit
has run out by 2026-07-01 (today, in these tests). The other figures have nothing to count.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from tests.web.helpers import Page, parse, text
from workflow.demo import FIELD_STREETS, POWER_STREETS
from workflow.models import Organization
from workflow.procedures.enforcement.compliance import (
    CERTIFIED,
    DECISION_LIMIT,
    KEYS,
    REVIEW_STAFF,
    compliance_figures,
)
from workflow.settings import BY_KEY as SETTINGS

# The page, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

FILING = {"title": "陈某某在后龙街两侧堆放建材案", "party": "陈某某（后龙镇后龙村）", "party_type": "individual",
          "facts": "当事人在后龙街两侧人行道堆放建材约20立方米，经责令后未清理。", "field": FIELD_STREETS,
          "power": POWER_STREETS, "legal_basis": "《城市市容和环境卫生管理条例》第三十六条"}
TODAY = date(2026, 7, 1)


@pytest.fixture
def overdue(town, clock) -> str:
    case_id = town.engine.create_case("enforcement_case", "wanghai", FILING).case_id
    assert case_id
    clock.current = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)  # 10:00 on 1 July, Beijing time
    return case_id


def summary_row(page: str, key: str) -> Page:
    """The row of the figures table that links to the figure's own section."""
    rows = [row for row in parse(page).rows("table.figures") if f"#fig-{key}" in row.links()]
    assert len(rows) == 1, f"{len(rows)} rows of the figures table link to #fig-{key}"
    return rows[0]


def section(page: str, key: str) -> Page:
    return parse(page).one(f"section.figure#fig-{key}")


def report_org(town) -> str:
    with town.sessions() as s:
        return s.get(Organization, "houlong").name_zh


def _report(town, start: date, end: date):
    with town.sessions() as s:
        return compliance_figures(s, "houlong", start, end, registry=town.registry, as_of=TODAY)


@pytest.mark.parametrize("query, start, end", [
    ("", date(2026, 1, 1), TODAY),  # default: this calendar year to date
    ("?from=2026-01-01&to=2026-03-31", date(2026, 1, 1), date(2026, 3, 31)),
    ("?from=2026-06-01&to=2026-12-31", date(2026, 6, 1), date(2026, 12, 31)),
])
def test_the_numbers_are_those_of_compliance_figures(town, overdue, client_for, query, start, end):
    response = client_for("liushen").get("/audit/compliance" + query)
    assert response.status_code == 200
    page = text(response)
    report = _report(town, start, end)
    assert [f.key for f in report.figures] == list(KEYS)
    for f in report.figures:
        row = summary_row(page, f.key)
        assert f.label.zh in row
        assert f"{f.numerator}/{f.denominator} {f.unit.zh}" in row
        if f.share is None:
            assert "无可计数事项" in row and "%" not in row.html("th") + row.html("td.bar-col")
        else:
            assert f"{f.share * 100:.1f}%" in row
            assert f'width="{round(f.share * 100, 2)}"' in row.html()
        detail = section(page, f.key)
        assert _named(f.basis) in detail and f.period_rule.zh in detail
        for note in f.notes:  # a setting by its name, never its key (issue 16: the office's language)
            assert _named(note.zh) in detail
        for s in f.shortfalls:
            assert s.reason_label.zh in detail
    assert f"统计期：{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日" in page


def test_the_workbook_holds_the_same_figures_and_shortfalls(town, overdue, client_for):
    response = client_for("liushen").get("/audit/compliance.xlsx?from=2026-01-01&to=2026-06-30")
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment")
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0][0] == f"执法合规指标（{report_org(town)}，2026年1月1日至2026年6月30日）"
    assert rows[1][:6] == ("指标", "依据", "计算规则", "分子", "分母", "比例")
    report = _report(town, date(2026, 1, 1), date(2026, 6, 30))
    assert [(r[0], r[3], r[4]) for r in rows[2:]] == [(f.label.zh, f.numerator, f.denominator) for f in report.figures]
    by_label = {r[0]: r for r in rows[2:]}
    certified = next(f for f in report.figures if f.key == CERTIFIED)
    assert by_label[certified.label.zh][5] == "75.0%" and "洪志强（hongzhiqiang）" in by_label[certified.label.zh][7]
    decided = next(f for f in report.figures if f.key == DECISION_LIMIT)
    assert overdue in (by_label[decided.label.zh][7] or "")
    assert "导出Excel" in text(client_for("liushen").get("/audit/compliance"))
    assert client_for("liushen").get("/audit/compliance.xlsx?from=2026-02-30").status_code == 400


def test_shortfalls_link_to_their_cases_and_name_the_people(town, overdue, client_for):
    page = text(client_for("liushen").get("/audit/compliance"))
    decided = section(page, DECISION_LIMIT)
    assert "0/1 件" in decided and "0.0%" in decided
    assert f'<a href="/cases/{overdue}">{overdue}</a>' in decided.html()
    assert "逾期未办" in decided and "未办理" in decided
    certified = section(page, CERTIFIED)
    assert "3/4 人" in certified and "75.0%" in certified
    assert "洪志强（hongzhiqiang）" in certified and "执法证件已过期" in certified and "2026年1月31日" in certified
    staff = summary_row(page, REVIEW_STAFF)
    assert "50.0%" in staff and "参考标准 ≥5.0%" in staff
    assert '<line class="target" x1="5.0"' in staff.html()  # the reference marked on the bar


def test_a_figure_with_nothing_to_count_is_neither_0_nor_100_percent(town, client_for):
    page = text(client_for("liushen").get("/audit/compliance"))  # no penalty case at all
    for key in ("publication_on_time", "withdrawal_in_time", "av_recorded", "major_reviewed_before_decision",
                DECISION_LIMIT):
        row = summary_row(page, key)
        assert "无可计数事项" in row and "0/0" in row
        markup = row.html()
        assert "0.0%" not in markup and "100.0%" not in markup and "share-bar" not in markup
        detail = section(page, key)
        assert "无可计数事项" in detail and "本期无未达标事项" not in detail
    english = text(client_for("liushen").get("/audit/compliance?lang=en"))
    assert "nothing to count" in summary_row(english, DECISION_LIMIT)


def test_the_bars_are_inline_svg_without_scripts(town, overdue, client_for):
    page = text(client_for("liushen").get("/audit/compliance"))
    assert page.count('<svg class="share-bar"') == 2 * 3  # three figures with a share: chart and section
    assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", page) and "style=" not in page  # no inline script
    assert re.search(r'<svg class="share-bar"[^>]*role="img" aria-label="75.0%"', page)


@pytest.mark.parametrize(("query", "field", "message"), [
    ("from=2026-02-30", "from", "日期无效"),
    ("to=31/12/2026", "to", "日期无效"),
    ("from=2026-05-01&to=2026-04-30", "to", "截止日期早于起始日期。"),
])
def test_a_bad_period_is_named_next_to_its_field(town, client_for, query, field, message):
    response = client_for("liushen").get(f"/audit/compliance?{query}")
    assert response.status_code == 400
    page = text(response)
    assert message in parse(page).text(f"#c-{field}-err")
    assert 'class="figures"' not in page and "Traceback" not in page


def test_auditors_administrators_and_agency_heads_see_it(town, client_for):
    for username in ("liushen", "admin", "wujianguo", "huangzhenhua"):
        assert client_for(username).get("/audit/compliance").status_code == 200, username
    for username in ("zhangwei", "wanghai", "chenjing"):
        client = client_for(username)
        assert client.get("/audit/compliance").status_code == 403, username
        assert "/audit/compliance" not in text(client.get("/cases/"))
    head = client_for("wujianguo")  # an agency head: the figures, not the audit trail
    nav = text(head.get("/cases/"))
    assert 'href="/audit/compliance"' in nav and 'href="/audit/events"' not in nav
    assert head.get("/audit/events").status_code == 403


def _named(text: str) -> str:
    """A note as the page writes it: each organisation setting's key replaced by 「its name」."""
    for key, spec in sorted(SETTINGS.items(), key=lambda item: -len(item[0])):
        text = text.replace(key, f"「{spec.label.zh}」")
    return text
