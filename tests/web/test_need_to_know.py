"""The need-to-know matrix (issue 16 item 6): per procedure × role, who sees a case at all and who sees its party,
on the case page, the API, the case list and its search — as the definitions' `visibility:` declare
(workflow/need_to_know.py; 个人信息保护法第六条、第三十四条), enforced in one place (workflow/case_reading.py).

One case of each procedure, its party's personal data a name that appears nowhere else, is set up once per module
and database (the tests only read it). A cell is `party` (the case, with the party's data), `case` (the case, the
party masked) or `-` (404: the case is not found, as another organisation's; its existence is not told)."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from werkzeug.security import generate_password_hash

from tests.api.conftest import ENFORCEMENT
from tests.api.test_contract_review import CONTRACT, set_contract_rules
from tests.api.test_information_requests import INFO_REQUEST
from tests.api.test_normative_document import NORMATIVE
from tests.conftest import PG_APP_URL, REQUIRE_PG, _pg_admin, _pg_url
from tests.web.helpers import login, parse
from web import create_app
from workflow import accounts
from workflow.clock import FixedClock
from workflow.db import writing
from workflow.demo import DEMO_PASSWORD, DOCUMENT_CODES, DOCUMENT_CODES_SOURCE, ORG, seed_town
from workflow.models import User
from workflow.runtime import Runtime

USERS = {"drafter": "zhangwei", "counsel": "chenjing", "adviser": "linzhiyuan", "member": "zhengli",
         "head": "huangzhenhua", "officer": "wanghai", "agency": "wujianguo", "reviewer": "guomin",
         "auditor": "liushen", "admin": "admin", "clerk": "zhoumin", "dhead": "linhaiyan"}

# The party's personal data of each case: names that appear in nothing else of the set-up.
PARTY = {"major_decision": "欧阳甲某", "enforcement_case": "司马乙某", "enforcement_review": "司马乙某",
         "information_request": "诸葛丙某", "contract_review": "上官丁某", "mediation_case": "皇甫戊某",
         "legal_roster": "令狐己某"}

# procedure            drafter counsel adviser member head officer agency reviewer auditor admin clerk dhead
MATRIX = """
major_decision          party  case    case    case   case  -      case   -        case    -     -     -
enforcement_case        -      party   -       -      party party  party  party    case    -     -     -
enforcement_review      -      party   -       -      party party  party  party    case    -     -     -
information_request     -      -       -       -      -     -      -      -        case    -     party party
contract_review         party  party   party   -      party -      -      -        case    -     -     -
normative_document      case   case    -       -      case  -      -      -        case    -     case  -
normative_cleanup       -      case    -       -      case  -      -      -        case    -     -     -
mediation_case          -      -       -       -      -     -      -      party    case    -     -     -
legal_roster            -      -       -       -      -     -      -      party    case    -     -     -
"""
COLUMNS = list(USERS)


def _cells() -> list[tuple[str, str, str]]:
    out = []
    for line in MATRIX.strip().splitlines():
        procedure, *cells = line.split()
        assert len(cells) == len(COLUMNS), line
        out.extend((procedure, role, cell) for role, cell in zip(COLUMNS, cells, strict=True))
    return out


@dataclass
class Town:
    app: Flask
    runtime: Runtime
    cases: dict[str, str]  # procedure -> case id
    clients: dict[str, FlaskClient]

    def client(self, role: str) -> FlaskClient:
        if role not in self.clients:
            self.clients[role] = self.app.test_client()
            assert login(self.clients[role], USERS[role]).status_code == 302
        return self.clients[role]


def _open_cases(rt: Runtime) -> dict[str, str]:
    engine = rt.engine

    def create(procedure: str, actor: str, payload: dict) -> str:
        outcome = engine.create_case(procedure, actor, payload)
        assert outcome.ok and outcome.case_id, (procedure, outcome.reasons)
        return outcome.case_id

    def fire(case_id: str, trigger: str, actor: str, payload: dict) -> None:
        outcome = engine.fire(case_id, trigger, actor, payload)
        assert outcome.ok, (trigger, outcome.reasons)

    today = rt.clock.now().date().isoformat()
    cases = {}
    decision = cases["major_decision"] = create("major_decision", "zhangwei", {
        "title": "后龙镇老旧小区改造实施方案", "category": "public_policy", "proposer": "leader",
        "summary": "镇区老旧小区设施老化，拟分批改造。"})
    fire(decision, "start", "huangzhenhua", {"lead_unit": "村镇建设服务中心"})
    fire(decision, "open_public_comment", "zhangwei", {
        "draft_ref": "征求意见稿", "explanation": "改造范围和资金来源", "channels": ["镇政府网站"], "period_days": 30})
    fire(decision, "record_comment", "zhangwei", {"commenter": PARTY["major_decision"], "received_on": today,
                                                  "content": "希望加装电梯"})
    penalty = cases["enforcement_case"] = create("enforcement_case", "wanghai", {
        **ENFORCEMENT, "party": PARTY["enforcement_case"], "title": f"{PARTY['enforcement_case']}占道堆放物料案"})
    # a major case (a large fine, in the town's review catalogue) awaiting its legal review (处罚法第五十八条)
    fire(penalty, "start_investigation", "wanghai", {"officers": ["wanghai", "caiming"]})
    fire(penalty, "notify_with_hearing_rights", "wanghai", {
        "penalty_type": "fine", "amount": "20000", "facts": ENFORCEMENT["facts"], "reasons": "经调查，违法事实清楚",
        "legal_basis": ENFORCEMENT["legal_basis"], "rights_told": "告知陈述、申辩权利及要求听证的权利",
        "notified_on": today})
    fire(penalty, "assess_major_case", "wanghai", {"major_public_interest": False, "major_rights_after_hearing": False,
                                                   "complex": False, "catalogue_item": "拟作出较大数额罚款的"})
    cases["enforcement_review"] = create("enforcement_review", "wanghai", {
        "title": f"{PARTY['enforcement_review']}占道案拟处罚款", "enforcement_case": penalty,
        "materials": ["调查终结报告"], "proposal": "拟处罚款20,000元"})
    cases["information_request"] = create("information_request", "zhoumin", {
        **INFO_REQUEST, "applicant": PARTY["information_request"]})
    cases["contract_review"] = create("contract_review", "zhangwei", {
        **CONTRACT, "counterparty": PARTY["contract_review"]})
    cases["normative_document"] = create("normative_document", "zhangwei", NORMATIVE)
    cases["normative_cleanup"] = create("normative_cleanup", "chenjing", {
        "title": "后龙镇行政规范性文件清理", "scope_date": today, "lead_body": "后龙镇司法所", "reason": "区政府部署"})
    cases["mediation_case"] = create("mediation_case", "guomin", {  # registers (issue 14): 郭敏 keeps them
        "registered_on": today, "title": "后龙村相邻通行纠纷", "committee": "后龙村人民调解委员会", "category": "neighbour",
        "parties": [PARTY["mediation_case"], "林某"], "mediators": ["庄志明"]})
    cases["legal_roster"] = create("legal_roster", "guomin", {
        "title": PARTY["legal_roster"], "village": "后龙村", "legal_understanding": True, "rule_of_law_leader": False,
        "selection_route": "recommended", "assessed_on": today})
    return cases


_numbers = itertools.count()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def town(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
         sqlite_template: Path) -> Iterator[Town]:
    folder = tmp_path_factory.mktemp(f"need-to-know-{request.param}")
    created: list[str] = []
    if request.param == "sqlite":
        shutil.copy(sqlite_template, folder / "town.sqlite3")
        url = f"sqlite:///{folder / 'town.sqlite3'}"
    else:
        pg = request.getfixturevalue("pg_template")
        if pg is None:
            if REQUIRE_PG:
                pytest.fail("PostgreSQL is required (LAWFLOW_TEST_REQUIRE_PG=1) but LAWFLOW_TEST_PG_URL is not set")
            pytest.skip("PostgreSQL test server not running (scripts/pg-test-server start)")
        name = f"lawflow_ntk{os.getpid()}_{next(_numbers)}"
        _pg_admin(f"CREATE DATABASE {name} TEMPLATE {pg} OWNER lawflow_owner")
        created.append(name)
        url = _pg_url(PG_APP_URL or "", name)
    rt = Runtime(instance=folder / "instance", database_url=url, key_path=folder / "instance" / "audit-signing.key",
                 clock=FixedClock())
    rt.instance.mkdir(parents=True, exist_ok=True)
    try:
        seed_town(rt, generate_password_hash(DEMO_PASSWORD, "pbkdf2:sha256:1"))
        set_contract_rules(rt)
        with writing(rt.sessions) as session:  # the notice is numbered and issued (workflow/documents/)
            for key, value in DOCUMENT_CODES:
                accounts.set_setting(session, org_id=ORG, key=key, value=value, source=DOCUMENT_CODES_SOURCE,
                                     by="admin", now=rt.clock.now())
        with writing(rt.sessions) as session:  # a cheap hash: the logins are not the subject
            session.execute(update(User).values(password_hash=generate_password_hash(DEMO_PASSWORD, "pbkdf2:sha256:1")))
        cases = _open_cases(rt)
        app = create_app(rt, {"TESTING": True, "SECRET_KEY": "test-secret-key-for-the-web-tests-only"})
        yield Town(app, rt, cases, {})
    finally:
        rt.db.dispose()
        for name in created:
            _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.parametrize(("procedure", "role", "cell"), _cells())
def test_who_sees_a_case_and_its_party(town: Town, procedure: str, role: str, cell: str) -> None:
    case_id = town.cases[procedure]
    client = town.client(role)
    page = client.get(f"/cases/{case_id}")
    api = client.get(f"/api/v1/cases/{case_id}")
    history = client.get(f"/api/v1/cases/{case_id}/history")
    if cell == "-":
        assert (page.status_code, api.status_code, history.status_code) == (404, 404, 404)
        missing = "houlong-XX-2026-9999"  # the same answer as for a case that does not exist
        assert page.get_data(as_text=True).replace(case_id, "?") == client.get(f"/cases/{missing}").get_data(
            as_text=True).replace(missing, "?")
        return
    assert (page.status_code, api.status_code, history.status_code) == (200, 200, 200)
    party = PARTY.get(procedure)
    if party is None:
        return  # a procedure that records no party's personal data
    shown = [page.get_data(as_text=True), api.get_data(as_text=True), history.get_data(as_text=True)]
    if cell == "party":
        assert party in shown[0] and party in repr(api.get_json()["data"]) and party in shown[2]
    else:  # masked on the page, in the case's data and in its history (the title too, where it names the party)
        assert not any(party in text for text in shown), (procedure, role)
        assert f"{party[0]}**" in shown[0] or "〔已隐去〕" in shown[0]


@pytest.mark.parametrize("role", ["drafter", "member", "adviser"])
def test_a_drafter_a_decision_body_member_and_an_outside_legal_adviser_cannot_see_a_penalty_cases_party(
        town: Town, role: str) -> None:
    """They hold no role of the penalty procedure: the case is not found, nor is it in any list or search."""
    case_id, party = town.cases["enforcement_case"], PARTY["enforcement_case"]
    client = town.client(role)
    for url in (f"/cases/{case_id}", f"/cases/{case_id}/diagram.svg", f"/cases/{case_id}/records/1",
                f"/api/v1/cases/{case_id}", f"/api/v1/cases/{case_id}/records"):
        assert client.get(url).status_code == 404, url
    for query in ("", f"q={party}", f"q={case_id}", "procedure=enforcement_case"):  # the rows and their count
        assert not any(party in row or case_id in row for row in _listed(client, query)[1]), query
    assert _listed(client, f"q={case_id}")[0] == 0
    for url in ("/todo/", "/api/v1/cases?page_size=100"):
        body = client.get(url).get_data(as_text=True)
        assert party not in body and case_id not in body, url


def _listed(client: FlaskClient, query: str) -> tuple[int, list[str]]:
    """The case list's total and its rows' text."""
    doc = parse(client.get(f"/cases/?{query}"))
    rows = [r.text() for r in doc.rows("table.cases")] if doc.has("table.cases") else []
    count = doc.text("p.result-count")
    assert (f"共{len(rows)}件案件" in count) if rows else ("没有符合条件的案件" in count), count
    return len(rows), rows


def test_the_list_and_its_search_tell_nothing_of_a_party_the_reader_may_not_see(town: Town) -> None:
    """The auditor sees the penalty case (its number) but not its party: a search by the party's name finds
    nothing (no count, no row), the row does not show the title that names them; the officer finds it."""
    case_id, party = town.cases["enforcement_case"], PARTY["enforcement_case"]
    auditor, officer = town.client("auditor"), town.client("officer")
    found, rows = _listed(officer, f"q={party}")  # the penalty case and its legal review, both naming the party
    assert found == 2 and {case_id, town.cases["enforcement_review"]} == {r.split()[0] for r in rows}
    assert all(party in r for r in rows)
    found, rows = _listed(auditor, f"q={party}")
    assert found == 0
    body = auditor.get(f"/cases/?q={party}").get_data(as_text=True)
    assert case_id not in body
    found, rows = _listed(auditor, f"q={case_id}")  # by number: listed, the title masked
    assert found == 1 and case_id in rows[0] and party not in rows[0] and "〔已隐去〕" in rows[0]
    found, rows = _listed(auditor, "procedure=enforcement_case")
    assert found == 1 and party not in " ".join(rows)
    api = auditor.get("/api/v1/cases?procedure=enforcement_case").get_json()
    assert [c["id"] for c in api["items"]] == [case_id] and party not in repr(api)
    drafter = town.client("drafter")  # a procedure they may not see is not in their list or its count at all
    assert _listed(drafter, "procedure=enforcement_case")[0] == 0
    assert town.cases["enforcement_case"] not in repr(drafter.get("/api/v1/cases?page_size=100").get_json())


def test_the_audit_pages_mask_the_party_and_the_export_keeps_the_trail_as_hashed(town: Town) -> None:
    """The auditor's explorer shows each event's payload as the definitions let auditors read it; the JSON Lines
    export is the trail byte for byte (the verifier recomputes its hashes), so it holds the party's name."""
    case_id, party = town.cases["enforcement_case"], PARTY["enforcement_case"]
    auditor = town.client("auditor")
    page = auditor.get(f"/audit/events?case={case_id}")
    assert page.status_code == 200 and "司**" in page.get_data(as_text=True)
    assert party not in page.get_data(as_text=True)
    export = auditor.get(f"/audit/events.jsonl?case={case_id}")
    assert export.status_code == 200 and party in export.get_data(as_text=True)
    assert party not in auditor.get(f"/audit/events.csv?case={case_id}").get_data(as_text=True)


def test_the_register_of_requests_shows_the_applicant_to_the_office_only(town: Town) -> None:
    applicant = PARTY["information_request"]
    assert applicant in town.client("clerk").get("/information-requests/").get_data(as_text=True)
    register = town.client("auditor").get("/information-requests/")
    assert register.status_code == 200 and town.cases["information_request"] in register.get_data(as_text=True)
    assert applicant not in register.get_data(as_text=True) and "诸**" in register.get_data(as_text=True)


def test_a_contracts_counterparty_is_masked_only_when_a_natural_person(town: Town) -> None:
    """个人信息保护法第四条: a company's name is not personal information; the auditor, who checks the reviews and
    need not know whom the town contracts with, reads a company counterparty but not a natural person's name
    (contract_review's `visibility.personal_data.when`), on the case page, in the API and in the register."""
    engine = town.runtime.engine
    company, person = "厦门丙丁建设工程有限公司", "慕容庚某"
    made = {}
    for name, kind in ((company, "legal_person"), (person, "natural_person")):
        outcome = engine.create_case("contract_review", "zhangwei",
                                     {**CONTRACT, "counterparty": name, "counterparty_type": kind})
        assert outcome.ok and outcome.case_id, outcome.reasons
        made[name] = outcome.case_id
    auditor, drafter = town.client("auditor"), town.client("drafter")
    register = auditor.get("/contracts/").get_data(as_text=True)
    assert company in register and person not in register and f"{person[0]}**" in register
    for name, case_id in made.items():
        shown = [auditor.get(f"/cases/{case_id}").get_data(as_text=True),
                 auditor.get(f"/api/v1/cases/{case_id}").get_data(as_text=True)]
        assert all((name in text) == (name == company) for text in shown), name
        assert name in drafter.get(f"/cases/{case_id}").get_data(as_text=True)  # the drafter's work needs it
