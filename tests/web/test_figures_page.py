"""The figures page (web/figures.py): each value counted from the cases, linked to exactly the records behind it;
the records of cases a reader may not see are counted but not listed; the year's workbook holds the same values.

The page, not the database, is the subject: SQLite only (tests/conftest.py, one_database).
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from tests.web.helpers import new_case, parse
from workflow.runtime import Runtime

pytestmark = pytest.mark.one_database


def test_a_figure_links_to_the_records_it_counted_and_hides_none_it_may_not_show(
        app: Flask, town: Runtime, client_for: Callable[[str], FlaskClient]) -> None:
    cases = sorted([new_case(town), new_case(town, title="后龙镇农贸市场改造方案")])
    year = town.engine.today().year
    drafter = client_for("zhangwei")
    page = parse(drafter.get(f"/figures/?year={year}"))
    assert "/figures/" in page.one("nav").links()
    row = page.one("#figure-major_decision-proposed")
    assert row.cells()[1].startswith("2")
    [link] = row.links()
    listed = parse(drafter.get(link))
    assert sorted(r.cells()[0] for r in listed.rows("#figure-records")) == cases
    assert "figure-hidden" not in drafter.get(link).get_data(as_text=True)

    # an enforcement officer sees the count (the report publishes it) but not the decisions' case files
    officer = parse(client_for("wanghai").get(link))
    assert "2" in officer.text("#figure-value")
    assert "没有可以列出的记录" in officer.text("#figure-records")
    assert "2" in officer.text("#figure-hidden")

    sheet = load_workbook(io.BytesIO(drafter.get(f"/figures/figures.xlsx?year={year}").data)).active
    rows = {r[1]: r for r in sheet.iter_rows(values_only=True) if r and len(r) > 2}
    assert rows["启动的重大行政决策事项"][2:5] == (2, "项", 2)

    before = parse(drafter.get(f"/figures/?year={year - 1}")).one("#figure-major_decision-proposed")
    assert before.cells()[1].startswith("0")
    assert drafter.get("/figures/?year=abc").status_code == 400
