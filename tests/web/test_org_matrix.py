"""The authorization matrix by organisation (issue 14 item 1): every case-scoped and organisation-scoped route of the
pages and the API, requested by every role of a town and of its district, for a case of their own organisation, of a
sibling town, of the parent district and of a child (an office below the town; the towns below the district).

The tree: 泉港区 (district) over 后龙镇 and 峰尾镇 (towns); 后龙镇 over its 司法所 (an office). Each organisation has one
major decision with one material attached, in the same stage, so that a case of another organisation can be
compared with the viewer's own.

The expected outcome is the rule, read from the definition files themselves (not from the code under test):
* own organisation: the case is read by the roles of `visibility.cases` (and `supervision`);
* an organisation below: only by a role of `visibility.supervision` (the supervising level reads its towns);
* a sibling or a parent: never.
A case a person reads answers every route as their own twin case does (but offers no step: acting stays local); a
case they may not read answers exactly as a case that does not exist (no existence leak). Lists, searches, the audit
pages and export, the compliance picker and the district overview hold what the rule says and nothing else; a
supervisor's step on a town's case is refused by the engine, with why, and audited.

Set up once per database (the tests only read, but for the refused steps, which change nothing but the trail).
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from tests.conftest import PG_APP_URL, REQUIRE_PG, _pg_admin, _pg_url
from tests.web.helpers import PROPOSAL, START, Page, csrf_from, login, parse
from web import create_app
from workflow import accounts, tokens
from workflow.clock import FixedClock
from workflow.db import writing
from workflow.demo import DEMO_PASSWORD, ORG, seed_town
from workflow.models import AuditEvent, Case, Organization, User
from workflow.runtime import Runtime

DEFINITIONS = Path(__file__).resolve().parents[2] / "definitions"
PROCEDURE = "major_decision"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"

# organisation -> (parent, kind, name)
TREE = {
    "qgdistrict": (None, "district", "泉港区人民政府"),
    ORG: ("qgdistrict", "town", "后龙镇人民政府"),
    "fwtown": ("qgdistrict", "town", "峰尾镇人民政府"),
    "hlsfs": (ORG, "office", "后龙镇司法所"),
}
DRAFTERS = {"qgdistrict": "qg_drafter", ORG: "zhangwei", "fwtown": "fw_drafter", "hlsfs": "sfs_drafter"}
# the viewers: (organisation, roles) by user name; the town's from the demo town (workflow/demo.py)
VIEWERS: dict[str, tuple[str, set[str]]] = {
    "zhangwei": (ORG, {"drafter"}),
    "chenjing": (ORG, {"legal_counsel", "legal_reviewer"}),
    "huangzhenhua": (ORG, {"head", "agency_head"}),
    "wanghai": (ORG, {"enforcement_officer"}),
    "liushen": (ORG, {"auditor"}),
    "admin": (ORG, {"admin"}),
    "hl_supervisor": (ORG, {"supervisor"}),  # a town's supervisor: its office below
    "qg_supervisor": ("qgdistrict", {"supervisor"}),
    "qg_auditor": ("qgdistrict", {"auditor"}),
    "qg_officer": ("qgdistrict", {"enforcement_officer", "agency_head"}),  # no supervising role
}
NEW_USERS = {**{u: (o, {"drafter"}) for o, u in DRAFTERS.items() if o != ORG},
             **{u: v for u, v in VIEWERS.items() if u.startswith(("hl_", "qg_"))}}
MISSING = "hlsfs-MD-2099-9999"  # a case that does not exist
CASE_ID = re.compile(r"\b(?:qgdistrict|houlong|fwtown|hlsfs)-MD-\d{4}-\d{4}\b")


# ---------------------------------------------------------------- the rule, from the definition file


LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # as the definitions' loader reads them (libyaml)


@functools.cache  # read once per process: the files do not change under the test
def _yaml(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)


def _definition() -> dict:
    return _yaml(DEFINITIONS / f"{PROCEDURE}.v2.yaml")


def _ancestors(org: str) -> list[str]:
    out, here = [], TREE[org][0]
    while here is not None:
        out.append(here)
        here = TREE[here][0]
    return out


def relation(viewer_org: str, case_org: str) -> str:
    if viewer_org == case_org:
        return "own"
    if viewer_org in _ancestors(case_org):
        return "child"
    if case_org in _ancestors(viewer_org):
        return "parent"
    return "sibling"


def reads(user: str, case_org: str) -> bool:
    visibility = _definition()["visibility"]
    org, roles = VIEWERS[user]
    rel = relation(org, case_org)
    if rel == "own":
        return bool(roles & (set(visibility["cases"]) | set(visibility["supervision"])))
    if rel == "child":
        return bool(roles & set(visibility["supervision"]))
    return False


def page_roles(page: str, admin: bool = True) -> set[str]:
    """Who opens an audit or compliance page: the roles every definition's `pages:` gives it, and (on the pages,
    not the API's audit export) the administrator."""
    roles = {"admin"} if admin else set()
    for path in DEFINITIONS.glob("*.yaml"):
        roles |= set(((_yaml(path).get("pages") or {}).get(page) or {})
                     .get("roles", []))
    return roles


def supervises(user: str) -> bool:
    return bool(VIEWERS[user][1] & set(_definition()["visibility"]["supervision"]))


def audited_orgs(user: str) -> set[str]:
    org, _roles = VIEWERS[user]
    return {org} | ({o for o in TREE if org in _ancestors(o)} if supervises(user) else set())


# ---------------------------------------------------------------- the set-up, once per database


@dataclass
class Tree:
    app: Flask
    runtime: Runtime
    cases: dict[str, str]  # organisation -> its major decision
    clients: dict[str, FlaskClient]
    tokens: dict[str, str]
    answers: dict[tuple[str, str, str], tuple[int, str]] = field(default_factory=dict)

    def client(self, user: str) -> FlaskClient:
        if user not in self.clients:
            self.clients[user] = self.app.test_client()
            assert login(self.clients[user], user).status_code == 302, user
        return self.clients[user]

    def answer(self, user: str, route: str, case_id: str) -> tuple[int, str]:
        """Status and body of a GET (the viewer's twin case and the missing one are asked once per route)."""
        key = (user, route, case_id)
        if key not in self.answers:
            got = self.client(user).get(route.format(id=case_id))
            self.answers[key] = (got.status_code, got.get_data(as_text=True) if route == "/cases/{id}" else "")
        return self.answers[key]

    def routes(self, user: str) -> list[str]:
        """The case-scoped routes asked for this viewer: the case page and the API's case for everyone; every
        route for the viewers that see each relation's both outcomes (a town's head: own, sibling, parent, child;
        a town's and the district's supervisor: the organisations below too), on SQLite. Which case a route may read is
        decided in one place once the row is loaded (workflow/case_reading.py Reader.sees_case), the same on both
        databases; the lists, searches and audit queries, which are SQL, run in full on both."""
        if user in EVERY_ROUTE and self.runtime.database_url.startswith("sqlite"):
            return CASE_ROUTES
        return ["/cases/{id}", "/api/v1/cases/{id}"]


_numbers = itertools.count()


def _seed(rt: Runtime) -> dict[str, str]:
    cheap = generate_password_hash(DEMO_PASSWORD, "pbkdf2:sha256:1")
    seed_town(rt, cheap)
    with writing(rt.sessions) as session:
        for org, (_parent, kind, name) in TREE.items():
            row = accounts.ensure_org(session, org, name, name)
            row.kind = kind
        session.flush()
        for org, (parent, _kind, _name) in TREE.items():
            session.get(Organization, org).parent_id = parent
        for user, (org, roles) in NEW_USERS.items():
            accounts.create_user(session, username=user, display_name=user, org_id=org, roles=sorted(roles),
                                 password_hash=cheap)
        session.execute(update(User).values(password_hash=cheap))  # the logins are not the subject
    cases = {}
    for org, drafter in DRAFTERS.items():
        outcome = rt.engine.create_case(PROCEDURE, drafter, {**PROPOSAL, "title": f"{TREE[org][2]}的决策"})
        assert outcome.ok and outcome.case_id, outcome.reasons
        attached = rt.engine.fire(outcome.case_id, "attach_material", drafter, {
            "material": "draft", "title": "决策草案", "format": "pdf", "made_on": rt.engine.today().isoformat()},
            attachment=rt.records.stage_bytes(PDF, "draft.pdf"))
        assert attached.ok, attached.reasons
        cases[org] = outcome.case_id
    return cases


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def tree(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
         sqlite_template: Path) -> Iterator[Tree]:
    folder = tmp_path_factory.mktemp(f"org-matrix-{request.param}")
    created: list[str] = []
    if request.param == "sqlite":
        shutil.copy(sqlite_template, folder / "tree.sqlite3")
        url = f"sqlite:///{folder / 'tree.sqlite3'}"
    else:
        pg = request.getfixturevalue("pg_template")
        if pg is None:
            if REQUIRE_PG:
                pytest.fail("PostgreSQL is required (LAWFLOW_TEST_REQUIRE_PG=1) but LAWFLOW_TEST_PG_URL is not set")
            pytest.skip("PostgreSQL test server not running (scripts/pg-test-server start)")
        name = f"lawflow_org{os.getpid()}_{next(_numbers)}"
        _pg_admin(f"CREATE DATABASE {name} TEMPLATE {pg} OWNER lawflow_owner")
        created.append(name)
        url = _pg_url(PG_APP_URL or "", name)
    rt = Runtime(instance=folder / "instance", database_url=url, key_path=folder / "instance" / "audit-signing.key",
                 clock=FixedClock())
    rt.instance.mkdir(parents=True, exist_ok=True)
    try:
        cases = _seed(rt)
        with writing(rt.sessions) as session:
            issued = {u: tokens.create(session, username=u, name="matrix", by="admin", now=rt.clock.now())[1]
                      for u in ("qg_supervisor", "huangzhenhua")}
        app = create_app(rt, {"TESTING": True, "SECRET_KEY": "test-secret-key-for-the-web-tests-only"})
        yield Tree(app, rt, cases, {}, issued)
    finally:
        rt.db.dispose()
        for name in created:
            _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# ---------------------------------------------------------------- one case: every case-scoped route

CASE_ROUTES = ["/cases/{id}", "/cases/{id}/diagram.svg", "/cases/{id}/records/1", "/reviews/{id}", "/meetings/{id}",
               "/meetings/{id}/minutes", "/api/v1/cases/{id}", "/api/v1/cases/{id}/history",
               "/api/v1/cases/{id}/records", "/api/v1/cases/{id}/records/1", "/api/v1/cases/{id}/transitions"]
CELLS = [(u, o) for u in VIEWERS for o in TREE]
EVERY_ROUTE = {"huangzhenhua", "hl_supervisor", "qg_supervisor"}


def _cell_id(cell: tuple[str, str]) -> str:
    user, org = cell
    return f"{user}-{relation(VIEWERS[user][0], org)}-{org}"


@pytest.mark.parametrize("cell", CELLS, ids=[_cell_id(c) for c in CELLS])
def test_a_case_of_each_organisation_is_read_as_the_rule_says(tree: Tree, cell: tuple[str, str]) -> None:
    user, org = cell
    client = tree.client(user)
    case_id, twin = tree.cases[org], tree.cases[VIEWERS[user][0]]
    expected = reads(user, org)
    for route in tree.routes(user):
        got = tree.answer(user, route, case_id)
        like = tree.answer(user, route, twin if expected else MISSING)
        assert got[0] == like[0], (route, got[0], like[0])
        if not expected:  # word for word the page of a case that does not exist
            assert got[1].replace(case_id, "?") == like[1].replace(MISSING, "?")
    if expected and relation(VIEWERS[user][0], org) != "own":  # read only: no step is offered anywhere
        page = client.get(f"/cases/{case_id}").get_data(as_text=True)
        assert f"/cases/{case_id}/steps/" not in page and "上级机关对下级机关案件只能查阅" in page
        assert client.get(f"/api/v1/cases/{case_id}/transitions").get_json()["steps"] == []


# ---------------------------------------------------------------- lists, searches, audit, figures


@pytest.mark.parametrize("user", list(VIEWERS))
def test_lists_searches_and_the_api_hold_exactly_the_cases_the_rule_lets_one_read(tree: Tree, user: str) -> None:
    client = tree.client(user)
    readable = {tree.cases[o] for o in TREE if reads(user, o)}
    page = client.get("/cases/?order=updated").get_data(as_text=True)
    listed = set(CASE_ID.findall(page))
    api = {c["id"] for c in client.get("/api/v1/cases?page_size=100").get_json()["items"]}
    searched = set(CASE_ID.findall(client.get("/cases/?q=-MD-").get_data(as_text=True)))
    assert listed == api == searched == readable
    many = len({o for o in TREE if reads(user, o)}) > 1
    assert ('name="org"' in page) == (many and supervises(user))  # the organisation filter where there is a choice
    for org in TREE if supervises(user) else ["fwtown"]:  # only organisations one reads; another is refused
        filtered = client.get(f"/cases/?org={org}")
        if org in audited_orgs(user) and supervises(user):
            assert filtered.status_code == 200
            assert set(CASE_ID.findall(filtered.get_data(as_text=True))) == readable & {tree.cases[org]}
        elif org != VIEWERS[user][0]:
            assert filtered.status_code == 400


@pytest.mark.parametrize("user", list(VIEWERS))
def test_the_audit_trail_and_its_exports_cover_the_organisations_the_rule_lets_one_audit(tree: Tree,
                                                                                         user: str) -> None:
    client = tree.client(user)
    may, may_export = bool(VIEWERS[user][1] & page_roles("audit")), bool(VIEWERS[user][1] & page_roles("audit", False))
    export = client.get("/api/v1/audit/export")
    exported = export.get_data(as_text=True)  # streamed: read before the next request
    selection = client.get("/audit/events.jsonl")  # the explorer's export, unfiltered: every event in scope
    lines = selection.get_data(as_text=True).splitlines()
    assert (export.status_code, selection.status_code) == (200 if may_export else 403, 200 if may else 403)
    selected = {json.loads(line).get("case") for line in lines} if may else set()
    for org, case_id in tree.cases.items():
        seen = org in audited_orgs(user)
        assert (case_id in selected) == (seen and may), org
        assert (f'"{case_id}"' in exported) == (seen and may_export), org


AUDITORS = [u for u in VIEWERS if VIEWERS[u][1] & page_roles("audit")]


@pytest.mark.parametrize("user", AUDITORS)
def test_the_audit_explorer_filters_by_organisation_in_its_query_and_its_export(tree: Tree, user: str) -> None:
    """The organisation picker and column where one audits several organisations; `?org=` narrows the page's count
    and the selection export to that organisation's events; an organisation one does not audit is refused."""
    client = tree.client(user)
    page = parse(client.get("/audit/events").get_data(as_text=True))
    many = len(audited_orgs(user)) > 1
    assert page.has("form.org-picker select") == many
    names: dict[str, str] = {}
    if many:
        names = {o.get("value"): Page(o).text() for o in page.all("form.org-picker option")}
        assert set(names) == {""} | audited_orgs(user)
        assert "单位" in page.first("table.events thead tr").cells()
    for org in TREE:
        selection = client.get(f"/audit/events.jsonl?org={org}")
        if org not in audited_orgs(user):
            assert selection.status_code == 400, org
            continue
        lines = [json.loads(line) for line in selection.get_data(as_text=True).splitlines()]
        assert lines[0]["filters"] == {"org": org}
        cases = {r["case"] for r in lines if r["type"] == "event"}
        assert tree.cases[org] in cases and not (cases & (set(tree.cases.values()) - {tree.cases[org]})), org
        shown = parse(client.get(f"/audit/events?org={org}").get_data(as_text=True))
        if many:
            assert {Page(td).text() for td in shown.all("table.events td.org")} == {names[org]}


@pytest.mark.parametrize("user", list(VIEWERS))
def test_the_figures_registers_and_the_overview_of_the_organisations_below(tree: Tree, user: str) -> None:
    client = tree.client(user)
    own = VIEWERS[user][0]
    may = bool(VIEWERS[user][1] & page_roles("compliance"))
    may_register = bool(VIEWERS[user][1] & page_roles("register", False))
    registers = {}  # the registers kept for the people of a procedure (its roles but the system's)
    for page, name in (("/contracts/", "contract_review"), ("/normative-documents/", "normative_document")):
        data = _yaml(DEFINITIONS / f"{name}.v1.yaml")
        visibility = data["visibility"]
        registers[page] = bool(VIEWERS[user][1] & (set(data["roles"]) - {"system"})
                               & (set(visibility["cases"]) | set(visibility["supervision"])))
    below = {o for o in TREE if own in _ancestors(o)}
    # an organisation below (a supervisor's: its figures), and one that is not (refused, naming the field)
    asked = ([sorted(below)[0]] if supervises(user) else []) + [o for o in TREE if o not in audited_orgs(user)][:1]
    for org in asked:
        status = client.get(f"/audit/compliance?org={org}").status_code
        assert status == (403 if not may else 200 if org in audited_orgs(user) else 400), org
        register = client.get(f"/information-requests/?org={org}").status_code  # the families' registers, likewise
        assert register == (403 if not may_register else 200 if org in audited_orgs(user) else 400), org
        for page, staff in registers.items():
            status = client.get(f"{page}?org={org}").status_code
            assert status == (403 if not staff else 200 if org in audited_orgs(user) else 400), (page, org)
        api = client.get(f"/api/v1/compliance?org={org}")  # the API's figures: the same organisations
        assert api.status_code == (200 if may and org in audited_orgs(user) else 403), org
        if api.status_code == 200:
            assert api.get_json()["org"]["id"] == org
        figures = client.get(f"/figures/?org={org}")  # every definition's figures: the same organisations
        staff = bool(VIEWERS[user][1] - {"admin"})
        assert figures.status_code == (403 if not staff else 200 if org in audited_orgs(user) else 400), org
        if figures.status_code == 200:  # one major decision in each organisation: counted for the one chosen
            cell = parse(figures).one(f"#figure-{PROCEDURE}-proposed").cells()[1]
            assert cell.startswith("1"), (org, cell)
    if supervises(user):  # the roll-up: their own organisation and every one below, added up
        total = parse(client.get("/figures/?org=all")).one(f"#figure-{PROCEDURE}-proposed").cells()[1]
        assert total.startswith(str(len(audited_orgs(user)))), total
    else:
        assert client.get("/figures/?org=all").status_code in (400, 403)
    overview = client.get("/district/")
    assert overview.status_code == (200 if supervises(user) else 403)
    if supervises(user):
        body = overview.get_data(as_text=True)
        rows = [r.text() for r in parse(overview).rows("table.district")]
        assert {o for o in TREE if any(TREE[o][2] in r for r in rows)} == below
        for org in below:  # one open case each, linked to its filtered list
            assert f"/cases/?org={org}&amp;procedure={PROCEDURE}" in body


# ---------------------------------------------------------------- acting stays local


def _version(tree: Tree, case_id: str) -> int:
    with tree.runtime.sessions() as s:
        return s.get(Case, case_id).version


def _refusals(tree: Tree, case_id: str) -> list[AuditEvent]:
    with tree.runtime.sessions() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.kind == "refused")))


def test_a_supervisor_takes_no_step_on_a_towns_case_the_refusal_says_why_and_is_audited(tree: Tree) -> None:
    case_id = tree.cases[ORG]
    before, refused = _version(tree, case_id), len(_refusals(tree, case_id))
    client = tree.client("qg_supervisor")
    page = client.post(f"/cases/{case_id}/steps/start", data={
        "csrf_token": csrf_from(client.get(f"/cases/{case_id}")), "expected_version": str(before), **START})
    assert page.status_code == 422 and "上级机关对下级机关案件只能查阅，监督通过执法监督程序进行" in page.get_data(as_text=True)
    api = tree.app.test_client().post(f"/api/v1/cases/{case_id}/transitions/start", json={"payload": START},
                                      headers={"Authorization": f"Bearer {tree.tokens['qg_supervisor']}",
                                               "If-Match": f'W/"{before}"'})
    assert api.status_code == 403
    assert [r["code"] for r in api.get_json()["details"]["reasons"]] == ["supervising_organisation"]
    assert _version(tree, case_id) == before  # the case exactly as it was; both attempts in its trail
    events = _refusals(tree, case_id)[refused:]
    assert [e.actor for e in events] == ["qg_supervisor", "qg_supervisor"]
    assert all("supervising_organisation" in e.reasons for e in events)


def test_a_towns_head_cannot_reach_a_sibling_towns_case_and_nothing_is_told_or_recorded(tree: Tree) -> None:
    case_id = tree.cases["fwtown"]
    before, refused = _version(tree, case_id), len(_refusals(tree, case_id))
    client = tree.client("huangzhenhua")
    response = client.post(f"/cases/{case_id}/steps/start", data={
        "csrf_token": csrf_from(client.get("/cases/")), "expected_version": str(before), **START})
    assert response.status_code == 404
    api = tree.app.test_client().post(f"/api/v1/cases/{case_id}/transitions/start", json={"payload": START},
                                      headers={"Authorization": f"Bearer {tree.tokens['huangzhenhua']}",
                                               "If-Match": f'W/"{before}"'})
    assert api.status_code == 404
    assert _version(tree, case_id) == before and len(_refusals(tree, case_id)) == refused
    # the engine itself (the CLI's way in) tells a sibling's case apart from none, neither by words nor by code
    outcome = tree.runtime.engine.fire(case_id, "start", "huangzhenhua", START)
    assert [r.code for r in outcome.reasons] == ["unknown_case"]
