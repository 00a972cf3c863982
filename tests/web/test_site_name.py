"""The town's name on its own site (issue 16, item 9): the header carries the organisation's name with the
platform's, for staff and for the public portal's visitors; /public/ is the portal's front page listing what is
public, never the staff login."""

from __future__ import annotations

import pytest

from tests.web.helpers import parse

# The pages are the subject, not the database: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

NAME = "泉州市泉港区后龙镇人民政府 · 法治政府建设工作平台"


def test_the_header_names_the_town_for_staff_and_visitors(app, client_for) -> None:
    staff = parse(client_for("liushen").get("/todo/"))
    assert staff.text("a.brand") == NAME
    assert "泉州市泉港区后龙镇人民政府" in staff.text("title")
    visitor = parse(app.test_client().get("/login"))
    assert visitor.text("a.brand") == NAME
    english = parse(client_for("liushen").get("/todo/?lang=en"))
    assert english.text("a.brand").startswith("Houlong Town People's Government · ")


def test_public_is_the_portals_index_and_not_the_login(app) -> None:
    response = app.test_client().get("/public/")
    assert response.status_code == 200
    page = parse(response)
    assert page.text("h1") == "泉州市泉港区后龙镇人民政府 · 政务公开"
    assert not page.has("input[name=\"password\"]")
    links = page.links()
    for path in ("/public/consultations?org=houlong", "/public/decisions?org=houlong", "/public/register?org=houlong"):
        assert path in links
    assert "正在征求意见" in page.text("main") or "目前没有正在征求意见的事项" in page.text("main")


def test_from_the_first_of_december_every_staff_page_says_next_years_holidays_are_missing(app, client_for,
                                                                                       clock) -> None:
    from datetime import date

    clock.set_local_date(date(2026, 11, 30))
    client = client_for("zhangwei")
    assert not parse(client.get("/todo/")).has("p.calendar-banner")
    clock.set_local_date(date(2026, 12, 1))
    for url in ("/todo/", "/cases/", "/procedures/"):
        banner = parse(client.get(url)).text("p.calendar-banner")
        assert "尚未录入2027年国务院节假日安排" in banner and "请系统管理员在通知公布后录入" in banner
    admin = parse(client_for("admin").get("/admin/"))
    assert "/admin/calendar" in admin.one("p.calendar-banner").links()
