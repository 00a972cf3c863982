"""The register pages (web/registers.py): the import of a town's spreadsheet with bad rows (each shown with its line
and column, nothing saved), a good import, and the round trip — a year exported from one town and imported into
another gives the other town the same figures. The page is the subject, not the database: SQLite only."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from tests.web.helpers import csrf_from, parse, text
from workflow import accounts, register_io
from workflow.db import writing
from workflow.figures import stated
from workflow.models import Case

pytestmark = pytest.mark.one_database
PAGE = "/registers/legal_activity/?year=2025"
HEAD = ["活动日期", "活动主题", "宣传节点", "场所类型", "村居", "活动形式", "受众人数", "发放宣传资料（份）", "解答法律咨询（人次）"]
GOOD = ["2025-12-04", "宪法日宣传", "国家宪法日（12月4日）", "村居", "后龙村", "摆摊宣传", 100, 200, 10]


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client, content: bytes, page: str = PAGE):  # noqa: ANN001, ANN202 - a test client and its response
    token = csrf_from(client.get(page))
    return client.post(page.replace("/?", "/import?"), data={"csrf_token": token,
                                                           "file": (io.BytesIO(content), "普法台账.xlsx")},
                       content_type="multipart/form-data")


def _count(town) -> int:  # noqa: ANN001
    with town.sessions() as session:
        return session.scalar(select(func.count()).select_from(Case).where(Case.procedure == "legal_activity")) or 0


def test_an_import_with_bad_rows_shows_each_of_them_and_saves_nothing(town, client_for) -> None:
    keeper = client_for("guomin")
    bad_date = ["2025-12-06", *GOOD[1:]]
    bad_number = [*GOOD[:6], "很多", 200, 10]
    response = _upload(keeper, _xlsx([HEAD, GOOD, bad_date, bad_number]))
    assert response.status_code == 422
    shown = [(li.get("data-line"), li.get("data-field")) for li in parse(response).all("#import-problems li")]
    assert ("3", "") in shown and ("4", "受众人数") in shown and not any(line == "2" for line, _ in shown)
    assert "第3行" in parse(response).text("#import-problems")
    assert _count(town) == 0


def test_an_auditor_reads_the_register_but_may_not_import(town, client_for) -> None:
    auditor = client_for("liushen")
    page = parse(auditor.get(PAGE))
    assert page.has("#register-figures") and not page.has("#register-import")
    assert client_for("zhangwei").get(PAGE).status_code == 404  # no role of the register: not even found


def test_a_year_exported_from_one_town_imports_into_another_with_the_same_figures(town, client_for,
                                                                                  demo_password_hash) -> None:
    keeper = client_for("guomin")
    rows = [GOOD, ["2025-06-26", "禁毒宣传进校园", "国际禁毒日（6月26日）", "学校", "", "进校园", 400, 900, 30],
            ["2024-12-04", "宪法宣传", "国家宪法日（12月4日）", "村居", "峰前村", "讲座", 50, 60, 4]]
    response = _upload(keeper, _xlsx([HEAD, *rows]))
    assert response.status_code == 302, text(response)
    page = parse(keeper.get(PAGE))
    assert page.text("#figure-activities") == "2" and page.text("#figure-materials") == "1100"
    exported = keeper.get("/registers/legal_activity/export.xlsx?year=2025")
    assert exported.status_code == 200 and exported.mimetype.endswith("spreadsheetml.sheet")
    with writing(town.sessions) as s:
        accounts.ensure_org(s, "fengwei", "泉港区峰尾镇人民政府", "Fengwei Town People's Government")
        accounts.create_user(s, username="fw_keeper", display_name="峰尾台账员", org_id="fengwei",
                             roles=["register_keeper"], password_hash=demo_password_hash)
    other = client_for("fw_keeper")
    assert _upload(other, exported.data).status_code == 302
    with town.sessions() as session:
        here = register_io.figures(session, town.registry.get("legal_activity"), "houlong", 2025)
        there = register_io.figures(session, town.registry.get("legal_activity"), "fengwei", 2025)
    assert [(f.spec.id, stated(f)) for f in there] == [(f.spec.id, stated(f)) for f in here]
    assert parse(other.get(PAGE)).text("#figure-activities") == "2"


def test_a_committee_whose_term_has_ended_is_flagged_on_its_register_page(town, client_for) -> None:
    """Issue 14: the term is the organisation's setting (legal-facts-2 §7.1 states none); a committee of an earlier
    year whose term ended shows on the page of any year, linked to its case; a current one does not."""
    with writing(town.sessions) as session:
        accounts.set_setting(session, org_id="houlong", key="mediation.committee_term_years", value=3,
                             source="本省人民调解条例（示意）", by="admin", now=town.clock.now())
    entry = {"parent_type": "village", "parent_name": "后龙村民委员会", "established_on": "2011-06-01", "members": 5,
             "women_members": 1}
    old = town.engine.create_case("mediation_committee", "guomin",
                                  {**entry, "title": "后龙村人民调解委员会", "term_started_on": "2020-05-01"})
    new = town.engine.create_case("mediation_committee", "guomin",
                                  {**entry, "title": "峰前村人民调解委员会", "term_started_on": "2025-05-01"})
    assert old.ok and new.ok, (old.reasons, new.reasons)
    page = parse(client_for("guomin").get("/registers/mediation_committee/?year=2026"))
    flagged = page.one("#register-overdue")
    assert f"/cases/{old.case_id}" in flagged.links() and f"/cases/{new.case_id}" not in flagged.links()
    assert "本届任期" in flagged.text() and "2023-04-30" in flagged.text()
