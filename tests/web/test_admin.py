"""System administration pages (/admin): administrators of their own organisation only; every change through
workflow/administration.py (audited in ADM-<org>); refusals re-render the form with per-field messages (422)."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select

from tests.web.helpers import csrf_from, login, parse, text
from workflow import accounts, tokens
from workflow.audit.export import verify_database
from workflow.clock import utc_stamp
from workflow.db import writing
from workflow.demo import DEMO_PASSWORD
from workflow.models import AuditEvent, HolidayYear, OrgSetting, User
from workflow.runtime import Runtime

# The page, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

JOURNAL = "ADM-houlong"
STRONG = "a-long-enough-password"
SAMPLE_ARGS = {"username": "zhangwei", "key": "major_decision.collective_forum", "token_id": 1, "outbox_id": 1}
NOTICE_TEXT = """国务院办公厅关于2027年部分节假日安排的通知（示例）
一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月5日（农历除夕、周五）至11日（农历正月初七、周四）放假调休，共7天。2月14日（周日）、2月20日（周六）上班。
"""


def admin_routes(app: Flask) -> list[tuple[str, str]]:
    """Every (method, url) of the admin blueprint, with sample arguments."""
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        url = rule.build({k: SAMPLE_ARGS[k] for k in rule.arguments}, append_unknown=False)[1]
        out.extend((method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))
    return out


def post(client, url: str, data: dict, page: str | None = None):
    token = csrf_from(client.get(page or url))
    return client.post(url, data={"csrf_token": token, **data})


def admin_events(rt: Runtime) -> list[AuditEvent]:
    with rt.sessions() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.case_id == JOURNAL).order_by(AuditEvent.seq)))


def test_every_admin_route_is_forbidden_to_others(app, client_for) -> None:
    routes = admin_routes(app)
    assert len(routes) >= 14 and ("POST", "/admin/users/zhangwei/roles") in routes
    for username in ("liushen", "huangzhenhua", "zhangwei"):  # auditor, head, drafter
        client = client_for(username)
        token = csrf_from(client.get("/cases/"))
        for method, url in routes:
            response = client.open(url, method=method, data={"csrf_token": token, "roles": "admin",
                                                             "active": "0", "value": "x", "source": "x"})
            assert response.status_code == 403, (username, method, url)
        assert "系统管理" not in text(client.get("/cases/"))
    with app.test_client() as anonymous:
        assert anonymous.get("/admin/users").status_code == 302  # to the login page
    with app.extensions["lawflow"].sessions() as s:
        zhangwei = s.scalar(select(User).where(User.username == "zhangwei"))
        assert zhangwei.active and zhangwei.role_names == {"drafter"}
    assert admin_events(app.extensions["lawflow"]) == []


def test_an_administrator_sees_every_page_and_the_navigation_link(client_for, app) -> None:
    client = client_for("admin")
    assert 'href="/admin/"' in text(client.get("/cases/"))
    for method, url in admin_routes(app):
        if method == "GET":
            assert client.get(url).status_code == 200, url
    page = text(client.get("/admin/definitions"))
    assert "/procedures/major_decision/v1" in page and "definitions/enforcement_case.v1.yaml" in page


def test_a_created_user_can_log_in_with_their_roles(town, app, client_for) -> None:
    admin = client_for("admin")
    response = post(admin, "/admin/users/new", {"username": "xiaoli", "display_name": "肖丽", "unit": "经济发展办公室",
                                                "password": STRONG, "password_confirm": STRONG,
                                                "roles": ["drafter", "auditor"]})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/users/xiaoli")
    assert "肖丽" in text(admin.get("/admin/users"))
    client = app.test_client()
    assert login(client, "xiaoli", STRONG).status_code == 302
    assert client.get("/audit/").status_code == 200  # the auditor role works at once
    assert "新建案件" in text(client.get("/cases/"))  # and the drafter's
    [event] = admin_events(town)
    assert event.trigger == "user_created" and STRONG not in event.payload


def test_a_refused_new_user_keeps_the_input_and_names_each_field(town, client_for) -> None:
    admin = client_for("admin")
    response = post(admin, "/admin/users/new", {"username": "Xiao Li", "display_name": "肖丽", "unit": "",
                                                "password": "short", "password_confirm": "other",
                                                "roles": ["drafter"]})
    assert response.status_code == 422
    page = text(response)
    assert "「用户名」：应为2到64个小写字母" in page and "密码至少10个字符" in page
    assert 'value="Xiao Li"' in page and 'value="肖丽"' in page and "short" not in page  # never a password
    assert re.search(r'value="drafter" checked', page)
    with town.sessions() as s:
        assert s.scalar(select(User).where(User.display_name == "肖丽")) is None
    assert admin_events(town) == []


def test_a_role_change_takes_effect_at_once(town, client_for) -> None:
    admin = client_for("admin")
    lina = client_for("lina")
    assert lina.get("/audit/").status_code == 403
    assert post(admin, "/admin/users/lina/roles", {"roles": ["drafter", "auditor"]},
                "/admin/users/lina").status_code == 302
    assert lina.get("/audit/").status_code == 200
    assert 'href="/audit/"' in text(lina.get("/cases/"))
    assert post(admin, "/admin/users/lina/roles", {"roles": ["drafter"]}, "/admin/users/lina").status_code == 302
    assert lina.get("/audit/").status_code == 403
    assert [json.loads(e.payload)["new"] for e in admin_events(town)] == [["auditor", "drafter"], ["drafter"]]


def test_a_deactivated_user_is_logged_out_and_cannot_log_in_until_reactivated(town, app, client_for) -> None:
    admin = client_for("admin")
    lina = client_for("lina")
    assert post(admin, "/admin/users/lina/active", {"active": "0"}, "/admin/users/lina").status_code == 302
    assert lina.get("/cases/").status_code == 302  # the running session no longer counts
    assert login(app.test_client(), "lina").status_code == 200  # the login page again, with its error
    assert "已停用" in text(admin.get("/admin/users"))
    assert post(admin, "/admin/users/lina/active", {"active": "1"}, "/admin/users/lina").status_code == 302
    assert lina.get("/cases/").status_code == 302  # reactivated: the old session stays ended
    assert login(app.test_client(), "lina").status_code == 302


def test_a_password_reset_ends_the_users_sessions_everywhere(town, app, client_for) -> None:
    """A new password ends every session made with the old one (a lost phone, a shared computer), including
    the one of whoever may have taken the old password; the new password logs in at once."""
    admin = client_for("admin")
    office, phone = client_for("lina"), client_for("lina")
    assert office.get("/cases/").status_code == 200 and phone.get("/cases/").status_code == 200
    assert post(admin, "/admin/users/lina/password", {"password": STRONG, "password_confirm": STRONG},
                "/admin/users/lina").status_code == 302
    assert office.get("/cases/").status_code == 302 and phone.get("/cases/").status_code == 302  # to the login
    assert admin.get("/admin/users").status_code == 200  # nobody else's session ended
    fresh = app.test_client()
    assert login(fresh, "lina", STRONG).status_code == 302 and fresh.get("/cases/").status_code == 200


def test_an_administrator_cannot_lock_themselves_out(town, client_for) -> None:
    admin = client_for("admin")
    response = post(admin, "/admin/users/admin/roles", {"roles": ["auditor"]}, "/admin/users/admin")
    assert response.status_code == 422 and "不能取消自己的系统管理员角色" in text(response)
    response = post(admin, "/admin/users/admin/active", {"active": "0"}, "/admin/users/admin")
    assert response.status_code == 422 and "不能停用自己的账号" in text(response)
    assert admin.get("/admin/").status_code == 200
    with town.sessions() as s:
        assert accounts.authenticate(s, "admin", DEMO_PASSWORD) is not None


def test_a_password_reset_lets_the_user_in_with_the_new_password(town, app, client_for) -> None:
    admin = client_for("admin")
    short = post(admin, "/admin/users/lina/password", {"password": "123", "password_confirm": "123"},
                 "/admin/users/lina")
    assert short.status_code == 422 and "密码至少10个字符" in text(short)
    done = post(admin, "/admin/users/lina/password", {"password": STRONG, "password_confirm": STRONG},
                "/admin/users/lina")
    assert done.status_code == 302
    assert login(app.test_client(), "lina", STRONG).status_code == 302
    assert [e.trigger for e in admin_events(town)] == ["password_reset"]


def test_certificates_are_listed_and_added_with_field_errors(town, client_for) -> None:
    admin = client_for("admin")
    assert "闽QG-2023-0101" in text(admin.get("/admin/users/wanghai"))
    response = post(admin, "/admin/users/caiming/certificates", {
        "kind": "enforcement", "number": "闽QG-2027-0009", "issuer": "泉州市泉港区人民政府", "field": "",
        "issued_on": "2027-01-01", "valid_until": ""}, "/admin/users/caiming")
    assert response.status_code == 422
    page = text(response)
    assert 'id="certificate-field-err"' in page and "执法证件须注明执法领域和有效期" in page
    assert 'value="闽QG-2027-0009"' in page
    response = post(admin, "/admin/users/caiming/certificates", {
        "kind": "enforcement", "number": "闽QG-2027-0009", "issuer": "泉州市泉港区人民政府", "field": "城乡规划建设",
        "issued_on": "2027-01-01", "valid_until": "2031-12-31"}, "/admin/users/caiming")
    assert response.status_code == 302
    assert "闽QG-2027-0009" in text(admin.get("/admin/users/caiming"))
    assert [e.trigger for e in admin_events(town)] == ["certificate_added"]


def test_the_portal_account_is_shown_read_only(client_for) -> None:
    admin = client_for("admin")
    assert "公开征求意见平台账号（只读）" in text(admin.get("/admin/users"))
    page = text(admin.get("/admin/users/public.houlong"))
    assert "/admin/users/public.houlong/roles" not in page and "/password" not in page
    response = post(admin, "/admin/users/public.houlong/roles", {"roles": ["drafter"]}, "/admin/users")
    assert response.status_code == 422 and "公开征求意见平台账号由系统维护" in text(response)


def test_another_organisations_user_is_not_found(town, client_for) -> None:
    with writing(town.sessions) as s:
        accounts.ensure_org(s, "qiaotou", "桥头镇", "Qiaotou")
        accounts.create_user(s, username="qt_drafter", display_name="桥头起草人", org_id="qiaotou", roles=["drafter"],
                             password_hash="x")
    admin = client_for("admin")
    assert admin.get("/admin/users/qt_drafter").status_code == 404
    assert post(admin, "/admin/users/qt_drafter/active", {"active": "0"}, "/admin/users").status_code == 404
    assert "qt_drafter" not in text(admin.get("/admin/users"))


# ---------------------------------------------------------------- settings


def test_a_setting_needs_its_source_and_a_valid_value_and_is_audited(town, client_for) -> None:
    admin = client_for("admin")
    key = "enforcement.publication_working_days"
    url = f"/admin/settings/{key}"
    page = text(admin.get(url))
    assert "国办发〔2018〕118号" in page and 'name="source"' in page
    no_source = post(admin, url, {"value": "5", "source": ""})
    assert no_source.status_code == 422
    assert 'id="setting-source-err"' in text(no_source) and "「依据来源」：不能为空" in text(no_source)
    not_a_number = post(admin, url, {"value": "五", "source": "闽政办〔2027〕1号第五条"})
    assert not_a_number.status_code == 422
    assert 'id="setting-value-err"' in text(not_a_number) and "应为整数" in text(not_a_number)
    assert "闽政办〔2027〕1号第五条" in text(not_a_number)  # the input is kept
    with town.sessions() as s:
        assert s.get(OrgSetting, ("houlong", key)).value == {"value": 7}
    done = post(admin, url, {"value": "5", "source": "闽政办〔2027〕1号第五条"})
    assert done.status_code == 302
    listing = text(admin.get("/admin/settings"))
    assert "闽政办〔2027〕1号第五条" in listing
    [event] = admin_events(town)
    assert json.loads(event.payload)["old"]["value"] == 7 and json.loads(event.payload)["new"] == {
        "value": 5, "source": "闽政办〔2027〕1号第五条"}
    overview = text(admin.get("/admin/"))
    assert "变更本单位设置" in overview and "原值" in overview and "闽政办〔2027〕1号第五条" in overview
    report = verify_database(town.sessions, town.origin, utc_stamp(town.clock.now()))
    assert report.ok, report.message
    explorer = text(client_for("liushen").get(f"/audit/events?case={JOURNAL}"))
    assert "变更本单位设置" in explorer and "系统管理日志" in explorer
    assert "变更本单位设置" in text(client_for("liushen").get("/audit/events?kind=admin"))


def test_structured_settings_round_trip_through_their_forms(town, client_for) -> None:
    admin = client_for("admin")
    url = "/admin/settings/enforcement.delegated_powers"
    assert "市容环境卫生｜对在街道两侧" in text(admin.get(url))
    bad = post(admin, url, {"value": "市容环境卫生｜对占道经营的处罚\n城乡规划建设", "source": "闽政〔2027〕2号"})
    assert bad.status_code == 422 and "第2项「处罚事项」：不能为空" in text(bad)
    good = post(admin, url, {"value": "市容环境卫生｜对占道经营的处罚\n城乡规划建设 | 对违法建设的处罚", "source": "闽政〔2027〕2号"})
    assert good.status_code == 302
    with town.sessions() as s:
        assert s.get(OrgSetting, ("houlong", "enforcement.delegated_powers")).value == {"value": [
            {"field": "市容环境卫生", "power": "对占道经营的处罚"}, {"field": "城乡规划建设", "power": "对违法建设的处罚"}]}
    url = "/admin/settings/enforcement.mandatory_av_acts"
    assert 'name="value" value="record_hearing"' in text(admin.get(url))
    assert post(admin, url, {"value": ["record_hearing", "serve_decision"], "source": "本镇音像记录清单"}).status_code == 302
    with town.sessions() as s:
        assert s.get(OrgSetting, ("houlong", "enforcement.mandatory_av_acts")).value == {
            "value": ["record_hearing", "serve_decision"]}
    url = "/admin/settings/enforcement.large_fine_threshold"
    bad = post(admin, url, {"individual": "很多", "organisation": "100000", "source": "x"})
    assert bad.status_code == 422 and 'id="setting-individual-err"' in text(bad)


# ---------------------------------------------------------------- calendar


def test_a_holiday_year_added_on_the_page_makes_2027_exact(town, client_for) -> None:
    """The notice pasted (no YAML), read and shown for confirmation, saved only when confirmed."""
    admin = client_for("admin")
    assert "2004–2026" in text(admin.get("/admin/calendar"))
    source = "国务院办公厅关于2027年部分节假日安排的通知"
    bad = post(admin, "/admin/calendar", {"year": "2027", "source": source, "action": "preview",
                                          "notice_text": "一、元旦：2026年12月31日至2027年1月1日放假。"})
    assert bad.status_code == 422 and "2026年12月31日不属于2027年" in text(bad)
    assert 'value="save"' not in text(bad)  # nothing to confirm while a line is not understood
    no_source = post(admin, "/admin/calendar", {"year": "2027", "source": "", "action": "preview",
                                                "notice_text": NOTICE_TEXT})
    assert no_source.status_code == 422 and 'id="year-source-err"' in text(no_source)
    preview = post(admin, "/admin/calendar", {"year": "2027", "source": source, "action": "preview",
                                              "notice_text": NOTICE_TEXT})
    assert preview.status_code == 200
    shown = parse(preview)
    days_off = [r.cells() for r in shown.rows("section[aria-labelledby=\"confirm-holidays\"] table")]
    assert len(days_off) == 10 and days_off[0] == ["2027年1月1日", "周五", "元旦"]
    assert days_off[3] == ["2027年2月5日", "周五", "春节"]
    assert not town.engine.calendar.covers(2027)  # shown, not saved
    assert town.engine.calendar.add_working_days(date(2026, 12, 25), 10).provisional
    confirm = shown.form_fields("main form")
    done = admin.post("/admin/calendar", data={**confirm, "action": "save"})
    assert done.status_code == 302
    assert town.engine.calendar.covers(2027)
    deadline = town.engine.calendar.add_working_days(date(2026, 12, 25), 10)
    assert not deadline.provisional and deadline.date == date(2027, 1, 11)
    with town.sessions() as s:
        row = s.get(HolidayYear, 2027)
        assert row.added_by == "admin" and {"date": "2027-02-14", "name": "春节"} in row.data["workdays"]
    assert source in text(admin.get("/admin/calendar"))
    assert [e.trigger for e in admin_events(town)] == ["holiday_year_added"]


def test_a_year_typed_as_a_table_of_dates_is_shown_for_confirmation(client_for) -> None:
    admin = client_for("admin")
    preview = post(admin, "/admin/calendar", {
        "year": "2027", "source": "国务院办公厅关于2027年部分节假日安排的通知", "action": "preview",
        "days_off": "2027年1月1日 元旦\n2027-02-05 至 2027-02-11 春节", "workdays": "2月14日 春节"})
    assert preview.status_code == 200
    tables = parse(preview).all("table.calendar-confirm")
    assert len(tables) == 2 and len(tables[0].xpath("./tbody/tr")) == 8 and len(tables[1].xpath("./tbody/tr")) == 1


# ---------------------------------------------------------------- tokens


def test_a_token_is_shown_once_and_revoked(town, client_for) -> None:
    admin = client_for("admin")
    response = post(admin, "/admin/tokens", {"username": "chenjing", "name": "司法所 OA"})
    assert response.status_code == 200
    token = re.search(r"lf_[A-Za-z0-9_-]{43}", text(response)).group(0)
    listing = text(admin.get("/admin/tokens"))
    assert token not in listing and "司法所 OA" in listing
    owner = tokens.resolve(town.sessions, token, town.clock.now())
    assert owner is not None and owner.username == "chenjing"
    revoked = post(admin, f"/admin/tokens/{owner.token_id}/revoke", {}, "/admin/tokens")
    assert revoked.status_code == 302
    assert tokens.resolve(town.sessions, token, town.clock.now()) is None
    refused = post(admin, "/admin/tokens", {"username": "public.houlong", "name": "x"})
    assert refused.status_code == 422
    assert [e.trigger for e in admin_events(town)] == ["token_created", "token_revoked"]
    assert all(token not in e.payload for e in admin_events(town))


# ---------------------------------------------------------------- the web's own guarantees


def test_forms_without_the_csrf_token_change_nothing(town, client_for) -> None:
    admin = client_for("admin")
    for url, data in (("/admin/users/lina/active", {"active": "0"}),
                      ("/admin/users/new", {"username": "x1", "display_name": "x", "password": STRONG,
                                            "password_confirm": STRONG}),
                      ("/admin/settings/major_decision.collective_forum", {"value": "x", "source": "y"})):
        response = admin.post(url, data=data)
        assert response.status_code == 400, url
        assert admin.post(url, data={**data, "csrf_token": "forged"}).status_code == 400
    with town.sessions() as s:
        assert s.scalar(select(User.active).where(User.username == "lina"))
        assert s.scalar(select(User).where(User.username == "x1")) is None
    assert admin_events(town) == []


def test_a_script_in_a_display_name_is_shown_as_text(town, client_for) -> None:
    admin = client_for("admin")
    name = '<script>alert("x")</script>'
    assert post(admin, "/admin/users/new", {"username": "evil", "display_name": name, "unit": "<b>u</b>",
                                            "password": STRONG, "password_confirm": STRONG}).status_code == 302
    for url in ("/admin/users", "/admin/users/evil", "/admin/"):
        page = text(admin.get(url))
        assert "<script>alert" not in page and "&lt;script&gt;alert" in page, url
        assert "<b>u</b>" not in page


def test_the_pages_speak_english_when_asked(client_for) -> None:
    admin = client_for("admin")
    page = text(admin.get("/admin/settings?lang=en"))
    assert "Organisation settings" in page and "Forum of the collective discussion" in page
    assert "Source" in page and "集体讨论会议形式" not in page
    assert "Users" in text(admin.get("/admin/users?lang=en"))


@pytest.mark.parametrize("url", ["/admin/users/nobody", "/admin/settings/enforcement.nothing"])
def test_unknown_things_are_not_found(client_for, url: str) -> None:
    assert client_for("admin").get(url).status_code == 404
