"""The contract register (合同合法性审查台账, web/contracts.py): the rows as the records say, the filters, the .xlsx,
who may open it and the navigation's link.

Two contracts driven through the engine in one test (the story is the expensive part): a major contract (above
the organisation's amount) reviewed by the legal adviser, signed and filed, and a small one still under review.
The page, not the database, is the subject: SQLite only (tests/conftest.py, one_database).
"""

from __future__ import annotations

import io

import pytest
from flask import Flask
from openpyxl import load_workbook

from tests.web.helpers import parse
from workflow import accounts
from workflow.db import writing
from workflow.demo import CONTRACT_SETTINGS, MAJOR_CONTRACT_AMOUNT, ORG
from workflow.procedures.contract_review.law import MAJOR_AMOUNT, REVIEW_POINTS
from workflow.runtime import Runtime

pytestmark = pytest.mark.one_database

CONTRACT = {"contracting_unit": "经济发展办公室", "term": "三年", "kind": "state_assets",
            "administrative_agreement": False, "text": "甲方将农贸市场一层摊位出租给乙方……"}


def _story(town: Runtime) -> tuple[str, str]:
    engine = town.engine
    with writing(town.sessions) as session:
        for key, value in [*CONTRACT_SETTINGS, (MAJOR_AMOUNT, MAJOR_CONTRACT_AMOUNT)]:
            accounts.set_setting(session, org_id=ORG, key=key, value=value, source="测试：本单位合同合法性审查办法",
                                 by="admin", now=town.clock.now())
    major = engine.create_case("contract_review", "lina", {
        **CONTRACT, "title": "农贸市场摊位租赁合同", "counterparty": "泉州市某商贸有限公司", "amount": "360000"}).case_id
    small = engine.create_case("contract_review", "lina", {
        **CONTRACT, "title": "村道保洁服务合同", "counterparty": "后龙镇某保洁服务部", "amount": "80000.5"}).case_id
    assert major and small
    for point in REVIEW_POINTS:
        assert engine.fire(major, "record_review_point", "linzhiyuan", {"item": point, "finding": "符合规定"}).ok
    today = engine.today().isoformat()
    for trigger, actor, payload in [
            ("issue_opinion", "linzhiyuan", {"outcome": "approve", "opinion": "同意签订"}),
            ("sign_contract", "huangzhenhua", {"signed_on": today, "signatory": "黄振华"}),
            ("file_contract", "lina", {"filed_on": today, "filed_with": "后龙镇司法所", "archive_ref": "合同-01"})]:
        outcome = engine.fire(major, trigger, actor, payload)
        assert outcome.ok, [r.zh for r in outcome.reasons]
    return major, small


def test_the_register_lists_filters_and_exports_the_contracts(app: Flask, town: Runtime, client_for) -> None:
    major, small = _story(town)
    year = town.engine.today().year
    lina = client_for("lina")
    page = parse(lina.get("/contracts/"))
    assert "/contracts/" in page.one("nav").links()  # the navigation links the register for its roles
    rows = {r.cells()[0].split()[0]: r for r in page.rows("#contract-register")}
    title, unit, party, amount, outcome, stage, submitted, signed, filed = rows["农贸市场摊位租赁合同"].cells()
    assert "重大合同" in title and (unit, party, amount) == ("经济发展办公室", "泉州市某商贸有限公司", "360,000元")
    assert (outcome, stage) == ("同意", "已签订并备案") and submitted and signed and filed
    assert rows["农贸市场摊位租赁合同"].links()[0].endswith(major)
    title, _u, _p, amount, outcome, stage, _s, signed, filed = rows["村道保洁服务合同"].cells()
    assert "重大合同" not in title and amount == "80,000.50元"
    assert (outcome, stage, signed, filed) == ("", "合法性审查中", "", "")

    filtered = parse(lina.get(f"/contracts/?state=filed&year={year}"))
    assert [r.cells()[0].split()[0] for r in filtered.rows("#contract-register")] == ["农贸市场摊位租赁合同"]
    assert "没有符合条件的合同" in parse(lina.get(f"/contracts/?year={year - 1}")).one("#contract-register")
    assert lina.get("/contracts/?state=nonsense").status_code == 400
    assert lina.get("/contracts/?year=abc").status_code == 400

    response = lina.get("/contracts/register.xlsx?state=under_review")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows_xlsx = list(sheet.iter_rows(values_only=True))
    assert rows_xlsx[1][:5] == ("编号", "合同名称", "承办单位", "合同相对方", "合同金额（元）")
    assert [r[:5] for r in rows_xlsx[2:]] == [(small, "村道保洁服务合同", "经济发展办公室", "后龙镇某保洁服务部", "80000.50")]
    whole = list(load_workbook(io.BytesIO(lina.get("/contracts/register.xlsx").data)).active.iter_rows(values_only=True))
    assert {r[0]: (r[4], r[6]) for r in whole[2:]}[major] == (360000, "是")  # whole yuan as a number; major

    officer = client_for("wanghai")  # no role in contracts
    assert officer.get("/contracts/").status_code == 403
    assert officer.get("/contracts/register.xlsx").status_code == 403
    assert "/contracts/" not in parse(officer.get("/cases/")).one("nav").links()

    # the auditor checks the reviews, not whom the town contracts with (the definition's `visibility:`,
    # 个人信息保护法第六条): the counterparty is masked on the page and in the workbook
    auditor = client_for("liushen")
    seen = {r.cells()[0].split()[0]: r.cells() for r in parse(auditor.get("/contracts/")).rows("#contract-register")}
    assert "泉州市某商贸有限公司" not in str(seen) and seen["农贸市场摊位租赁合同"][2] == "泉**"
    book = list(load_workbook(io.BytesIO(auditor.get("/contracts/register.xlsx").data)).active.iter_rows(values_only=True))
    assert "泉州市某商贸有限公司" not in str(book) and "后龙镇某保洁服务部" not in str(book)
