"""Free text is inert wherever it is shown: every text field a scenario reaches carries markup, and no page
renders it as markup.

The fields are enumerated from the definitions, not picked by hand:
* the demo town's stories (workflow/demo.py: every procedure, decided, published, withdrawn, reviewed) run with
  every string, text and string-list field of every step they take (the opening steps included) replaced by a
  numbered payload, except the few fields a guard compares with known values (KEEP);
* through the web: the opening form of every procedure, a comment on the public portal, and every step form
  that any demo user is offered on any case, sent back with every field carrying a payload (a stale version, so
  that the page re-renders the form with the input kept, and the engine records the refused attempt);
* query parameters that pages read (found in web/'s code) and a case id in the path, each carrying a payload.
Then every page (each GET row of the authorization matrix, for a case of every kind (`representative_cases`), as a
user who may see it; the audit
explorer page by page; the portal's pages) must contain no payload as markup, and each payload must appear,
escaped, on at least one page: shown, not dropped, and not executed. Exports and record files must not be HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.web.helpers import login, representative_cases, text
from tests.web.test_authorization_matrix import USERS, rows, token_of
from web import create_app
from workflow import demo
from workflow.definitions import Procedure, Transition
from workflow.demo_district import PASSWORD as DISTRICT_PASSWORD
from workflow.engine import Engine, Outcome
from workflow.models import SYSTEM_JOURNAL_ID, Case, User
from workflow.payloads import FieldSpec
from workflow.runtime import Runtime

# The page, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

TEXT_TYPES = ("string", "text", "string_list")
# A payload that breaks out of an attribute (either quote) and of text, with a script and an event handler.
LONG = "\"'><script>alert({n})</script><img src=x onerror=alert({n})>"
SHORT = "\"'><script>alert({n})</script>"  # for fields that take fewer characters
RAW = ("<script>alert(", "<img src=x")  # what must never reach a page unescaped

# Fields a guard compares with known values (a setting, a user name, a case id): replacing them would only make
# the step refused. Each is still shown escaped where a refused attempt is re-rendered (the step-form sweep).
KEEP = {
    ("enforcement_case", "create", "field"): "must be a delegated field (organisation setting)",
    ("enforcement_case", "create", "power"): "must be a delegated power (organisation setting)",
    ("enforcement_case", "start_investigation", "officers"): "user names of certified officers",
    ("enforcement_case", "seal_or_seize_property", "officers_present"): "user names of certified officers",
    ("enforcement_case", "assess_major_case", "catalogue_item"): "an item of the review catalogue (setting)",
    ("enforcement_case", "attach_record", "recorder"): "the user name of who recorded",
    ("enforcement_review", "create", "enforcement_case"): "the id of the case under review",
    ("major_decision", "convene_meeting", "forum"): "the organisation's collective-discussion forum (setting)",
    ("major_decision", "convene_meeting", "attendees"): "user names of the members",
    ("normative_document", "adopt_at_meeting", "forum"): "the organisation's deliberation forum (setting)",
    ("normative_document", "file_with_superior", "recipient"): "the organisation's filing recipient (setting)",
    ("normative_document", "repeal_by_cleanup", "cleanup_case"): "the id of the clean-up that repeals it",
    ("normative_cleanup", "record_document_outcome", "document"): "the id of the document reviewed",
    ("enforcement_supervision", "create", "town"): "the id of an organisation below the district",
    ("enforcement_supervision", "draw_sample", "seed"): "the seed the sample is drawn with again",
    ("enforcement_supervision", "draw_sample", "candidates"): "ids of the town's closed cases",
    ("enforcement_supervision", "draw_sample", "cases"): "ids of the cases drawn",
    ("enforcement_supervision", "score_case", "case_id"): "the id of a sampled case",
    ("enforcement_supervision", "score_case", "scores"): "item=points lines of the scoring sheet",
    ("enforcement_supervision", "issue_opinion", "problems"): "each names a sampled case's id",
    **{(register, step, field): why
       for register, field, why in (("legal_activity", "village", "a village of the organisation's list (setting)"),
                                    ("legal_roster", "village", "a village of the organisation's list (setting)"),
                                    ("village_channel", "title", "a village of the organisation's list (setting)"),
                                    ("study_session", "attendees", "names of the organisation's people"))
       for step in ("create", "correct")},
}


class Payloads:
    """A numbered payload per (procedure, step, field), and what was sent where."""

    def __init__(self) -> None:
        self.numbers: dict[tuple[str, str, str], int] = {}

    def of(self, key: tuple[str, str, str], spec: FieldSpec | None = None) -> str:
        n = self.numbers.setdefault(key, 100 + len(self.numbers))
        payload = LONG.format(n=n)
        if spec is not None and spec.max_length and spec.max_length < len(payload):
            payload = SHORT.format(n=n)
        return payload

    def fill(self, procedure: Procedure, step: Transition, payload: Any) -> Any:
        """The payload with every text field replaced (but those in KEEP); a list keeps its length."""
        if not isinstance(payload, dict):
            return payload
        out = dict(payload)
        for spec in step.payload:
            key = (procedure.id, step.trigger, spec.name)
            if spec.type not in TEXT_TYPES or spec.name not in out or key in KEEP:
                continue
            value = self.of(key, spec)
            out[spec.name] = [value, *out[spec.name][1:]] if spec.type == "string_list" else value
        return out


def _injecting_engine(payloads: Payloads) -> type[Engine]:
    class InjectingEngine(Engine):
        """The demo's engine, with the payloads put into every step it takes."""

        def create_case(self, procedure_id: str, actor: str, payload: Any = None) -> Outcome:
            procedure = self.registry.get(procedure_id)
            return super().create_case(procedure_id, actor, payloads.fill(procedure, procedure.create, payload))

        def fire(self, case_id: str, trigger: str, actor: str, payload: Any = None, **kwargs: Any) -> Outcome:
            with self.sessions() as s:
                case = s.get(Case, case_id)
                procedure = self.procedure_of(case)
                step = procedure.transition(trigger, case.state) or next(
                    t for t in procedure.transitions if t.trigger == trigger)
            return super().fire(case_id, trigger, actor, payloads.fill(procedure, step, payload), **kwargs)

    return InjectingEngine


# ---------------------------------------------------------------- putting the payloads in


def _browser(app: Flask, username: str | None, address: str, password: str | None = None) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    if username:
        assert (login(client, username, password) if password else login(client, username)).status_code == 302
    return client


def _all_fields(procedure: Procedure, step: Transition, payloads: Payloads, base: dict[str, Any],
                keep: bool = True) -> dict[str, Any]:
    """A form with the step's text fields carrying payloads (KEEP fields too unless `keep`; others from `base`)."""
    form = dict(base)
    for spec in step.payload:
        key = (procedure.id, step.trigger, spec.name)
        if spec.type in TEXT_TYPES and not (keep and key in KEEP):
            form[spec.name] = payloads.of(key, spec)
    return form


def open_cases_through_the_forms(app: Flask, town: Runtime, payloads: Payloads, pages: list[str]) -> list[str]:
    """The opening form of every procedure, sent by a user who opens such cases; refused forms into `pages`.
    Returns the cases it opened."""
    from tests.api.conftest import ENFORCEMENT
    from tests.api.test_information_requests import INFO_REQUEST
    from tests.web.helpers import PROPOSAL

    with town.sessions() as s:
        penalty = s.scalars(select(Case.id).where(Case.procedure == "enforcement_case")).first()
    bases = {"major_decision": ("zhangwei", PROPOSAL), "enforcement_case": ("wanghai", ENFORCEMENT),
             "enforcement_review": ("wanghai", {"enforcement_case": penalty, "materials": "调查终结报告"}),
             "normative_document": ("zhangwei", {"new_obligations": "true", "affects_business": "false"}),
             "normative_cleanup": ("chenjing", {"scope_date": town.engine.today().isoformat()}),
             "information_request": ("zhoumin", INFO_REQUEST),
             "contract_review": ("lina", {"kind": "state_assets", "administrative_agreement": "false",
                                          "amount": "360000"})}
    late = {"late_entry_reason": "台账补录（纸质台账）"}  # the registers record past days (workflow/demo_registers.py)
    bases |= {  # the registers (issue 14): 郭敏 keeps them
        "legal_activity": ("guomin", {**late, "held_on": "2025-12-04", "occasion": "constitution_day",
                                      "venue_type": "village", "format": "lecture", "audience": "10", "materials": "20",
                                      "consultations": "3", "village": "后龙村"}),
        "legal_roster": ("guomin", {**late, "legal_understanding": "true", "rule_of_law_leader": "true",
                                    "selection_route": "self", "assessed_on": "2025-06-01", "village": "后龙村"}),
        "study_session": ("guomin", {**late, "held_on": "2025-06-01", "body": "other", "law_related": "true",
                                     "hours": "2", "hours_per_person": "2", "attendees": "黄振华"}),
        "mediation_committee": ("guomin", {**late, "parent_type": "village", "established_on": "2011-06-01",
                                           "members": "5", "women_members": "1", "term_started_on": "2023-05-01"}),
        "mediator": ("guomin", {**late, "full_time": "true", "since": "2020-01-01"}),
        "mediation_case": ("guomin", {**late, "registered_on": "2025-06-01", "category": "other"}),
        "village_channel": ("guomin", {**late, "village_type": "village", "box_status": "active",
                                       "box_installed_on": "2022-01-05", "notice_board": "true", "title": "后龙村"}),
        "rule_of_law_report": ("zhangwei", {"year": "2025"}),
        # the district's supervisor opens a review of the town (issue 14): its own password (workflow/demo_district.py)
        "enforcement_supervision": ("qg_supervisor", {"town": demo.ORG, "reviewed_procedure": "enforcement_case",
                                                      "year": "2026"}),  # the demo wrote 2024's (workflow/demo_report.py)
        "petition": ("guomin", {**late, "received_on": "2025-06-01", "channel": "letter", "petition_class": "claim",
                                "transferred_from": "direct"}),
        "complaint": ("guomin", {**late, "received_on": "2025-06-01", "kind": "complaint", "channel": "hotline"}),
        "respondent_case": ("guomin", {**late, "received_on": "2025-06-01", "kind": "reconsideration",
                                       "simple_procedure": "false"}),
    }
    opened: list[str] = []
    for procedure in town.registry.latest():
        username, base = bases[procedure.id]
        client = _browser(app, username, "198.51.100.20", DISTRICT_PASSWORD if username.startswith("qg_") else None)
        # as a user fills it in; then with the checked fields too, which the refusal quotes back
        checked = any(key[:2] == (procedure.id, "create") for key in KEEP)
        for keep in (True, False) if checked else (True,):
            form = _all_fields(procedure, procedure.create, payloads, {**base, "procedure": procedure.id}, keep)
            response = client.post("/cases/new", data={**form, "csrf_token": token_of(client)})
            assert response.status_code == (302 if keep and procedure.id != "enforcement_review" else 422), (
                procedure.id, keep, response.status_code)
            if response.status_code == 422:
                pages.append(text(response))
            else:
                opened.append(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    return opened


def comment_on_the_portal(app: Flask, town: Runtime, payloads: Payloads) -> None:
    client = _browser(app, None, "198.51.100.30")
    with town.sessions() as s:
        ids = s.scalars(select(Case.id).where(Case.procedure == "major_decision")).all()
    for case_id in ids:
        page = text(client.get(f"/public/consultations/{case_id}"))
        issued = re.search(r'name="issued" value="([^"]+)"', page)
        if not issued:
            continue
        procedure = town.registry.get("major_decision")
        step = next(t for t in procedure.transitions if t.trigger == "submit_public_comment")
        town.clock.advance(seconds=5)
        form = _all_fields(procedure, step, payloads, {"issued": issued.group(1), "website": ""})
        response = client.post(f"/public/consultations/{case_id}", data={**form, "csrf_token": token_of(client)})
        assert response.status_code == 303, text(response)
        return
    raise AssertionError("no consultation open for comment in the demo")


def send_every_step_form_back(app: Flask, town: Runtime, payloads: Payloads, ids: list[str]) -> list[str]:
    """Every step form any demo user is offered, with every field carrying a payload and a stale version: the
    page comes back (409) with the input kept, and the engine records the refused attempt. Returns the pages.
    Each step of each procedure is sent once (its payloads are the same on any case), and a case page is read
    only by the users holding a role of some step from its stage (no one else is offered a form there)."""
    pages = []
    with town.sessions() as s:
        users = s.scalars(select(User).where(User.username.in_([u for u in USERS.values() if u]))).all()
        roles = {user.username: user.role_names for user in users}
        states = dict(s.execute(select(Case.id, Case.state)).all())
    sent: set[tuple[str, str]] = set()
    for username in (u for u in USERS.values() if u):
        client = _browser(app, username, "198.51.100.40")
        for case_id in ids:
            with town.sessions() as s:
                procedure = town.engine.procedure_of(s.get(Case, case_id))
            if not any(set(t.roles) & roles[username] for t in procedure.triggers_from(states[case_id])):
                continue
            page = text(client.get(f"/cases/{case_id}"))
            for trigger in sorted(set(re.findall(rf'action="/cases/{case_id}/steps/(\w+)"', page))):
                if (procedure.id, trigger) in sent:
                    continue
                sent.add((procedure.id, trigger))
                step = procedure.transition(trigger, states[case_id])
                assert step is not None
                form = {spec.name: payloads.of((procedure.id, trigger, spec.name), spec) for spec in step.payload}
                response = client.post(f"/cases/{case_id}/steps/{trigger}",
                                       data={**form, "expected_version": "0", "csrf_token": token_of(client)})
                assert response.status_code == 409, (case_id, trigger, response.status_code)
                pages.append(text(response))
    return pages


# ---------------------------------------------------------------- reading every page


def _query_names() -> list[str]:
    """The query parameters web/'s code reads (request.args / request.values)."""
    names: set[str] = set()
    for path in (Path(__file__).resolve().parents[2] / "web").rglob("*.py"):
        names.update(re.findall(r'request\.(?:args|values)\.get\(\s*"(\w+)"', path.read_text(encoding="utf-8")))
    return sorted(names)


def pages(app: Flask, town: Runtime, payloads: Payloads, ids: list[str]) -> Iterator[tuple[str, str, str]]:
    """(url, who, body) of every HTML page: each GET row of the authorization matrix for a case of each kind, as the first
    role it shows 200 to; the audit explorer page by page; reflected query parameters and path segments."""
    with town.sessions() as s:
        procedures = {case_id: procedure for case_id, procedure in s.execute(select(Case.id, Case.procedure))}
    clients: dict[str, FlaskClient] = {}
    fetched: set[tuple[str, str]] = set()
    people = {**USERS, "disclosure": "zhoumin"}  # the information requests' officer (not a column of the matrix)

    def client(role: str) -> FlaskClient:
        if role not in clients:
            clients[role] = _browser(app, people[role], "198.51.100.50")
        return clients[role]

    def get(role: str, url: str) -> tuple[str, str, str]:
        if (role, url) in fetched:  # a case page is the row of {case} and of {ecase} alike: read once
            return url, role, ""
        fetched.add((role, url))
        response = client(role).get(url)
        if response.mimetype.startswith("application/vnd.openxmlformats"):  # a workbook: binary, an attachment
            assert response.headers.get("Content-Disposition", "").startswith("attachment"), url
            return url, role, ""
        body = response.get_data(as_text=True)
        if response.mimetype != "text/html":  # exports and record files: served as what they are
            # a PDF or an image shown in place (web/inline_files.py): checked to be what it says, under a policy
            # that runs no script in it
            in_place = response.mimetype in ("application/pdf", "image/png", "image/jpeg") and "script-src 'none'" \
                in response.headers.get("Content-Security-Policy", "")
            assert in_place or response.mimetype in ("text/csv", "application/jsonl", "application/x-ndjson",
                                                     "application/json", "text/plain", "image/svg+xml") \
                or response.headers.get("Content-Disposition", "").startswith("attachment"), (url, response.mimetype)
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            body = "" if response.mimetype != "image/svg+xml" else body
        return url, role, body

    reflected = "&".join(f"{name}={quote(payloads.of(('query', name, name)))}" for name in _query_names())
    for row in rows():
        if row.method != "GET" or "{other}" in row.url:
            continue
        role = next((r for r, status in row.expected.items() if status == "200"), None)
        if role is None:
            continue
        urls = [row.url]
        if row.url.startswith("/public/") and "{" not in row.url and "?" not in row.url:
            urls.append(f"{row.url}?org={demo.ORG}")  # the demo's three organisations: the town's own page too
        for name in ("{case}", "{ecase}", "{consult}"):
            if name in row.url:
                urls = [row.url.replace(name, case_id) for case_id in ids]
                urls.append(row.url.replace(name, quote(payloads.of(("path", name, name)), safe="")))
        for url in urls:
            yield get(role, url)
            if "{" not in row.url and "?" not in url:
                yield get(role, f"{url}?{reflected}")
    for case in ids:  # each case page also as a role that sees its party (the definition's `visibility:` masks it
        role = PARTY_READERS.get(procedures[case])  # for the others), so that the party's fields are checked too
        if role is not None:
            yield get(role, f"/cases/{case}")
    for case in (*ids, SYSTEM_JOURNAL_ID):
        page = 1
        while True:
            url, role, body = get("auditor", f"/audit/events?case={case}&page={page}")
            yield url, role, body
            if 'rel="next"' not in body:
                break
            page += 1


PARTY_READERS = {"major_decision": "drafter", "enforcement_case": "officer", "enforcement_review": "officer",
                 "information_request": "disclosure", "contract_review": "drafter"}


def escaped_core(n: int) -> str:
    return f"&lt;script&gt;alert({n})&lt;/script&gt;"


@pytest.fixture
def poisoned(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> tuple[Runtime, Payloads]:
    """The demo town, its stories told with payloads in every text field they fill."""
    payloads = Payloads()
    monkeypatch.setattr(demo, "Engine", _injecting_engine(payloads))
    demo.seed(runtime)
    return runtime, payloads


def test_no_free_text_is_rendered_as_markup_anywhere(poisoned):
    town, payloads = poisoned
    stories = dict(payloads.numbers)
    assert {key[:2] for key in stories} >= {("major_decision", "create"), ("enforcement_case", "create"),
                                            ("enforcement_review", "create")}
    app = create_app(town, {"TESTING": True, "SECRET_KEY": "test-secret-key-for-the-web-tests-only"})
    forms_back: list[str] = []
    ids = representative_cases(town, open_cases_through_the_forms(app, town, payloads, forms_back), home=demo.ORG)
    comment_on_the_portal(app, town, payloads)
    forms_back += send_every_step_form_back(app, town, payloads, ids)
    seen = "\n".join(forms_back)
    where: dict[str, set[str]] = {}
    for url, role, body in pages(app, town, payloads, ids):
        for raw in RAW:
            assert raw not in body, f"{url} as {role} renders a payload as markup: ...{_around(body, raw)}..."
        for n in re.findall(r"&lt;script&gt;alert\((\d+)\)&lt;/script&gt;", body):
            where.setdefault(n, set()).add(url.split("?")[0])
        seen += body
    for page in forms_back:
        assert not any(raw in page for raw in RAW)
    missing = sorted((key, n) for key, n in payloads.numbers.items()
                     if key[0] not in ("query", "path") and escaped_core(n) not in seen)
    assert not missing, f"payloads shown nowhere (dropped, or shown raw and so not found escaped): {missing}"
    # the story's payloads reach the case pages, the list (titles), the explorer and the portal
    shown_on = {page for n in map(str, stories.values()) for page in where.get(n, ())}
    assert any(p.startswith("/cases/") and p.count("/") == 2 for p in shown_on)
    assert "/cases/" in shown_on and "/audit/events" in shown_on
    assert {"/public/register", "/public/decisions"} & shown_on
    assert any(p.startswith("/public/consultations/") for p in shown_on)
    print(f"{len(stories)} fields of the stories, {len(payloads.numbers)} payloads in all")


def _around(body: str, raw: str) -> str:
    i = body.index(raw)
    return body[max(0, i - 120): i + 80]
