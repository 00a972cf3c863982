"""Requests for government information on the web (web/information_requests.py): the public form creates the
case through the engine and gives a tracking code whose hash only is kept; the applicant reads the stage and the
answer by the code without logging in; the staff register and the annual report (国办公开办函〔2021〕30号) with
its cross-checks, each figure linking to its requests, and its .xlsx export."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.web.helpers import csrf_from, parse, text
from workflow.models import AuditEvent, Case, RequestTrackingCode
from workflow.procedures.information_request import tracking

# The pages, not the database, are this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

REQUEST = {"title": "后龙镇2025年农村危房改造补助资金发放情况", "applicant": "陈建华", "applicant_type": "natural_person",
           "contact": "13900000000", "description": "2025年度补助对象名单及补助金额", "access_form": "electronic"}


def _post_form(client, town, **extra):
    page = client.get("/public/information-requests/new?org=houlong")
    issued = re.search(r'name="issued" value="([^"]+)"', page.get_data(as_text=True))
    town.clock.advance(seconds=5)  # a person takes a while to type
    return client.post("/public/information-requests/new?org=houlong",
                       data={**REQUEST, "issued": issued.group(1) if issued else "", "website": "",
                             "csrf_token": csrf_from(page), **extra})


def test_from_the_public_form_to_the_answer_the_register_and_the_report(town, app, client_for):
    visitor = app.test_client()
    response = _post_form(visitor, town)
    assert response.status_code == 201, text(response)
    page = text(response)
    code = re.search(r'id="tracking-code">([A-Za-z0-9_-]+)<', response.get_data(as_text=True)).group(1)
    assert len(code) == 22  # 128 bits, URL-safe base64
    with town.sessions() as s:
        case = s.scalars(select(Case).where(Case.procedure == "information_request")).one()
        assert case.id in page and case.state == "submitted" and case.data["request"]["channel"] == "online"
        event = s.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)).one()
        assert (event.actor, event.role) == ("public.houlong", "public")
        stored = s.scalars(select(RequestTrackingCode)).one()
        assert stored.code_hash == tracking.digest(code) != code and stored.case_id == case.id
        case_id = case.id

    status = visitor.post("/public/information-requests/status", data={"code": code, "csrf_token": csrf_from(
        visitor.get("/public/information-requests/status"))})
    assert status.status_code == 200 and "已提交待确认收到" in text(status) and "待本机关与您确认" in text(status)
    for wrong in (code[:-1] + ("A" if code[-1] != "A" else "B"), "short", ""):
        miss = visitor.post("/public/information-requests/status", data={"code": wrong, "csrf_token": csrf_from(
            visitor.get("/public/information-requests/status"))})
        assert miss.status_code == 404 and case_id not in text(miss)

    today = town.engine.today().isoformat()
    assert town.engine.fire(case_id, "confirm_receipt", "zhoumin", {"received_on": today, "confirmed_on": today}).ok
    answered = town.engine.fire(case_id, "answer", "zhoumin", {
        "answer_type": "disclosed", "where_to_obtain": "以电子邮件发送至申请人邮箱",
        "reply_text": "经审查，您申请的信息予以公开。", "answered_on": today})
    assert answered.ok, answered.reasons
    status = visitor.post("/public/information-requests/status", data={"code": code, "csrf_token": csrf_from(
        visitor.get("/public/information-requests/status"))})
    shown = text(status)
    assert "已答复" in shown and "经审查，您申请的信息予以公开。" in shown and "予以公开（第三十六条第二项）" in shown

    officer = client_for("zhoumin")
    opening = officer.get("/cases/new?procedure=information_request")  # the generic pages serve the family
    assert opening.status_code == 200 and "申请方式" in text(opening)
    case_page = officer.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'id="step-archive"' in case_page and 'id="step-answer"' not in case_page  # answered: the archive is next
    register = text(officer.get("/information-requests/"))
    assert case_id in register and "陈建华" in register and "网上申请" in register
    exported = load_workbook(BytesIO(officer.get("/information-requests/register.xlsx").data)).active
    [entry] = [row for row in exported.iter_rows(min_row=3, values_only=True) if row[0] == case_id]
    assert entry[2:4] == ("陈建华", "网上申请") and entry[5] == "已答复"  # the register's row, 导出Excel
    year = town.engine.today().year
    report = officer.get(f"/information-requests/report?year={year}")
    assert report.status_code == 200
    body = report.get_data(as_text=True)
    assert 'id="checks-ok"' in body
    link = re.search(r'href="([^"]+)" data-row="1" data-column="natural_person">1<', body)
    assert link, "the disclosed request counts under （一）予以公开, 自然人"
    behind = text(officer.get(link.group(1).replace("&amp;", "&")))
    assert case_id in behind
    xlsx = officer.get(f"/information-requests/report.xlsx?year={year}")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(BytesIO(xlsx.data)).active
    rows = {row[0]: row[1:] for row in sheet.iter_rows(values_only=True) if row[0]}
    assert any(label.startswith("一、本年新收政府信息公开申请数量") for label in rows)
    disclosed = next(values for label, values in rows.items() if "（一）予以公开" in str(label))
    assert disclosed[0] == 1  # 自然人, the first column: the one request disclosed, a number, not text

    assert 'href="/information-requests/"' in officer.get("/cases/").get_data(as_text=True)  # the main navigation
    officer_of_another_family = client_for("wanghai")
    assert officer_of_another_family.get("/information-requests/").status_code == 403
    assert 'href="/information-requests/"' not in officer_of_another_family.get("/cases/").get_data(as_text=True)
    assert client_for("linhaiyan").get(f"/information-requests/report?year={year}").status_code == 200


def test_the_public_form_keeps_out_a_script_and_a_refused_form_keeps_what_was_typed(town, app):
    visitor = app.test_client()
    caught = _post_form(visitor, town, website="http://spam.example")
    assert caught.status_code == 422 and "自动提交" in text(caught) and REQUEST["title"] in text(caught)
    refused = _post_form(visitor, town, applicant="")
    assert refused.status_code == 422 and "申请未被接受" in text(refused)
    with town.sessions() as s:
        assert s.scalars(select(Case).where(Case.procedure == "information_request")).all() == []
    town.clock.advance(seconds=1)
    fast = visitor.post("/public/information-requests/new?org=houlong", data={**REQUEST, "csrf_token": csrf_from(
        visitor.get("/public/information-requests/new?org=houlong"))})
    assert fast.status_code == 422  # no signed issue time: not a form a person filled in


def test_the_reports_normative_document_figures_come_from_the_normative_register(town, client_for):
    """第二十条第（一）项 of the report: the normative documents' own register answers (none registered: zeros,
    not the dash of a figure the records cannot give)."""
    year = town.engine.today().year
    page = parse(client_for("linhaiyan").get(f"/information-requests/report?year={year}"))
    section = page.one('section[aria-labelledby="proactive-title"]')
    assert [td.text_content() for td in section.all("tbody td")] == ["0", "0", "0"]
    assert "据本系统登记的行政规范性文件" in section.text()


def test_the_reports_reconsideration_and_litigation_table_comes_from_the_records(town, client_for):
    """Section 四 (国办公开办函〔2021〕30号): a reconsideration upheld and a lawsuit pending, recorded on an answered
    request, appear under their columns, each figure linking to the request, with the check and in the export."""
    engine, today = town.engine, town.engine.today().isoformat()
    created = engine.create_case("information_request", "zhoumin", {**REQUEST, "channel": "in_person"})
    case_id = created.case_id
    for trigger, payload in (
            ("confirm_receipt", {"received_on": today, "submitted_on": today}),
            ("answer", {"answer_type": "not_exist", "reply_text": "经检索，本机关没有所申请的信息。", "answered_on": today}),
            ("record_remedy", {"kind": "reconsideration", "filed_on": today, "body": "泉港区人民政府", "outcome": "pending"}),
            ("record_remedy_outcome", {"remedy_no": 1, "outcome": "maintained", "decided_on": today}),
            ("record_remedy", {"kind": "litigation_after_reconsideration", "filed_on": today, "body": "泉港区人民法院",
                               "outcome": "pending"})):
        outcome = engine.fire(case_id, trigger, "zhoumin", payload)
        assert outcome.ok, (trigger, outcome.reasons)
    officer, year = client_for("zhoumin"), town.engine.today().year
    page = parse(officer.get(f"/information-requests/report?year={year}"))
    figures = {(a.get("data-group"), a.get("data-column")): a for a in page.all("#remedies-table a")}
    assert {k: a.text_content() for k, a in figures.items()} == {
        ("reconsideration", "maintained"): "1", ("reconsideration", "total"): "1",
        ("litigation_after_reconsideration", "pending"): "1", ("litigation_after_reconsideration", "total"): "1"}
    assert page.one("#remedies-checks-ok")
    behind = text(officer.get(figures[("litigation_after_reconsideration", "pending")].get("href")))
    assert case_id in behind and "复议后起诉" in behind
    assert officer.get(f"/information-requests/report/remedies?year={year}&group=x&column=total").status_code == 400
    sheet = load_workbook(BytesIO(officer.get(f"/information-requests/report.xlsx?year={year}").data)).active
    rows = {row[0]: row[1:] for row in sheet.iter_rows(values_only=True) if row[0]}
    assert rows["行政复议"][:5] == (1, 0, 0, 0, 1) and rows["行政诉讼：复议后起诉"][:5] == (0, 0, 0, 1, 1)


def test_the_status_lookup_is_rate_limited_per_client_with_a_clear_429_page(town, app):
    """The lookup by tracking code is limited like the portal's forms (web/throttle.py), under its own count: the
    11th lookup within 10 minutes gets a 429 page saying why, in Chinese or English, and the forms are not used up."""
    visitor = app.test_client()
    token = csrf_from(visitor.get("/public/information-requests/status"))
    for _ in range(10):
        assert visitor.post("/public/information-requests/status", data={"code": "x" * 22, "csrf_token": token}
                            ).status_code == 404
    refused = visitor.post("/public/information-requests/status", data={"code": "x" * 22, "csrf_token": token})
    assert refused.status_code == 429
    assert parse(refused).text("#status-throttled").startswith("查询过于频繁，请稍后再试。")
    assert "10分钟内最多查询10次" in text(refused)
    english = visitor.post("/public/information-requests/status?lang=en", data={"code": "x" * 22, "csrf_token": token},
                           headers={"Accept-Language": "en"})
    assert english.status_code == 429 and "Too many lookups" in text(english)
    assert _post_form(visitor, town).status_code == 201  # the request form's own count is untouched
    town.clock.advance(minutes=11)  # the short window has passed
    assert visitor.post("/public/information-requests/status", data={"code": "x" * 22, "csrf_token": token}
                        ).status_code == 404


def test_a_request_that_is_a_petition_opens_the_linked_petition_shown_on_both_case_pages(town, client_for):
    """条例第三十九条 (issue 14): the notice and the petition in one step; each case page lists the other."""
    from workflow import accounts
    from workflow.db import writing

    with writing(town.sessions) as session:
        accounts.set_setting(session, org_id="houlong", key="petitions.day_unit", value="calendar_days",
                             source="本省信访工作规定（示意）", by="admin", now=town.clock.now())
    engine, today = town.engine, town.engine.today().isoformat()
    opened = engine.create_case("information_request", "zhoumin", {**REQUEST, "channel": "in_person"})
    assert engine.fire(opened.case_id, "confirm_receipt", "zhoumin", {"received_on": today, "submitted_on": today}).ok
    told = engine.fire(opened.case_id, "treat_as_petition", "zhoumin", {
        "kind": "petition", "channel": "后龙镇信访办", "reply_text": "您反映的事项属于信访，不作为政府信息公开申请处理。",
        "answered_on": today, "open_petition": True, "petition_class": "claim"})
    assert told.ok, told.reasons
    with town.sessions() as s:
        petition = s.scalars(select(Case).where(Case.procedure == "petition")).one()
        assert petition.data["entry"]["origin_request"] == opened.case_id
    officer = client_for("zhoumin")  # who reads both: the disclosure officer reads the petitions, names masked
    links = parse(officer.get(f"/cases/{petition.id}")).one("section.linked-cases").links()
    assert any(opened.case_id in link for link in links)
    links = parse(officer.get(f"/cases/{opened.case_id}")).one("section.linked-cases").links()
    assert any(petition.id in link for link in links)
