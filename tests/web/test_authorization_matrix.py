"""The authorization matrix of the HTML pages: every route (but static files and /api/, which
tests/api/test_matrix.py covers) against anonymous visitors and each demo role.

Each cell is a real request, as that user, to a real URL: {case} is a fresh major decision of the user's own
organisation, {other} one of another organisation (404: no existence leak), {ecase} a penalty case with a record
attached, {consult} a decision open for public comment, {token} the id of an API token, {review} one under legality review, {meeting} one in
collective discussion with its meeting convened; a POST to a URL of FRESH gets a case of its own. POSTs carry the session's valid CSRF token, so that a
cell tests who may, not whether the token is there (tests/web/test_csrf_refusal.py does that).

A cell is the status expected; `login` is the redirect to the login page (302 to /login?next=...), any other
302/303 a redirect elsewhere (a step taken, a case opened). 422 is the engine refusing a step the role may not
take (shown on the page with its reasons, web/cases.py); 403 a page the role does not use. A case of a procedure
the role may not see (the definition's `visibility:`) is 404 on every page, as another organisation's; a file that
shows the party's personal data (a record, an issued document) is 403 to a role that sees the case but not the
party (tests/web/test_need_to_know.py is the need-to-know matrix itself).

/healthz is the operator's and public (no data); /metrics is the operator's only: from another machine (the
browsers here) it is 404 to everyone, logged in or not (tests/web/test_operations.py: loopback and its token).

The test fails when a route exists that no row declares: a new page must say who may see it. Add one line per
endpoint (or per method and URL kind), e.g.
    GET  /reviews/                        login 200 403 ...
"""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import func, select
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.test import TestResponse

from tests.api.conftest import ENFORCEMENT, other_town
from tests.api.test_matrix import enforcement_case
from tests.test_documents import DECISION, notified, set_codes
from tests.web.helpers import PROPOSAL, START, login, new_case
from tests.web.test_meetings import HEAD, MEMBERS, convened, in_discussion, views
from tests.web.test_portal import consulting
from tests.web.test_reviews import under_review
from workflow import tokens
from workflow.db import writing
from workflow.demo import DEMO_PASSWORD, FORUM
from workflow.models import Case, EmailOutbox, IssuedDocument, MessageOutbox, Notification
from workflow.runtime import Runtime

# The page, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

# a column per role; the person who holds it in the demo town (workflow/demo.py)
USERS: dict[str, str | None] = {
    "anon": None,
    "drafter": "zhangwei",  # drafter
    "counsel": "chenjing",  # legal_counsel (and legal_reviewer)
    "adviser": "linzhiyuan",  # legal_adviser
    "member": "zhengli",  # decision_member
    "head": "huangzhenhua",  # head (and agency_head)
    "officer": "wanghai",  # enforcement_officer
    "agency": "wujianguo",  # agency_head (and decision_member)
    "reviewer": "guomin",  # legal_reviewer
    "auditor": "liushen",  # auditor
    "admin": "admin",  # admin
}

# method  url  [form]                           anon  drafter counsel adviser member head officer agency reviewer auditor admin
MATRIX = """
GET  /                                            login 302 302 302 302 302 302 302 302 302 302
GET  /login                                       200   302 302 302 302 302 302 302 302 302 302
POST /login                          login        302   302 302 302 302 302 302 302 302 302 302
POST /logout                                      login 302 302 302 302 302 302 302 302 302 302
GET  /logout                                      login 405 405 405 405 405 405 405 405 405 405
GET  /cases/                                      login 200 200 200 200 200 200 200 200 200 200
GET  /cases/export.xlsx                           login 200 200 200 200 200 200 200 200 200 200
GET  /cases/export.xlsx?opened_from=bad           login 400 400 400 400 400 400 400 400 400 400
POST /cases/                                      login 405 405 405 405 405 405 405 405 405 405
GET  /cases/new                                   login 200 200 403 403 200 200 403 200 403 403
GET  /cases/new?procedure=major_decision          login 200 403 403 403 403 403 403 403 403 403
GET  /cases/new?procedure=enforcement_case        login 403 403 403 403 403 200 403 403 403 403
GET  /cases/new?procedure=no_such_procedure       login 404 404 404 404 404 404 404 404 404 404
POST /cases/new                      major        login 302 422 422 422 422 422 422 422 422 422
POST /cases/new                      penalty      login 422 422 422 422 422 302 422 422 422 422
GET  /cases/{case}                                login 200 200 200 200 200 404 200 404 200 404
GET  /cases/{other}                               login 404 404 404 404 404 404 404 404 404 404
GET  /cases/NO-SUCH-CASE                          login 404 404 404 404 404 404 404 404 404 404
POST /cases/{case}                                login 405 405 405 405 405 405 405 405 405 405
GET  /cases/{ecase}/records/1                     login 404 200 404 404 200 200 200 200 403 404
GET  /cases/{ecase}/records/9                     login 404 404 404 404 404 404 404 404 403 404
GET  /cases/{ecase}/records/1/inline              login 404 200 404 404 200 200 200 200 403 404
GET  /cases/{ecase}/records/9/inline              login 404 404 404 404 404 404 404 404 403 404
GET  /cases/{other}/records/1                     login 404 404 404 404 404 404 404 404 404 404
GET  /cases/{case}/diagram.svg                    login 200 200 200 200 200 404 200 404 200 404
GET  /cases/{other}/diagram.svg                   login 404 404 404 404 404 404 404 404 404 404
POST /cases/{case}/steps/start       start        login 422 422 422 422 302 404 422 404 422 404
POST /cases/{other}/steps/start      start        login 404 404 404 404 404 404 404 404 404 404
GET  /cases/{case}/steps/start                    login 405 405 405 405 405 405 405 405 405 405
GET  /audit/                                      login 403 403 403 403 403 403 403 403 200 200
GET  /audit/events                                login 403 403 403 403 403 403 403 403 200 200
GET  /audit/events.csv                            login 403 403 403 403 403 403 403 403 200 200
GET  /audit/events.jsonl                          login 403 403 403 403 403 403 403 403 200 200
GET  /audit/verify                                login 403 403 403 403 403 403 403 403 200 200
POST /audit/verify                                login 403 403 403 403 403 403 403 403 302 302
GET  /audit/compliance                            login 403 403 403 403 200 403 200 403 200 200
GET  /audit/compliance.xlsx                       login 403 403 403 403 200 403 200 403 200 200
GET  /witness/                                    login 403 403 403 403 403 403 403 403 200 200
GET  /reviews/                                     login 403 200 200 403 403 403 403 200 403 403
GET  /reviews/{review}                            login 403 200 200 403 403 403 403 404 403 403
GET  /reviews/{case}                              login 403 200 200 403 403 403 403 404 403 403
GET  /reviews/{other}                             login 403 404 404 403 403 403 403 404 403 403
GET  /meetings/                                   login 403 403 403 200 200 403 200 403 403 403
GET  /meetings/{meeting}                          login 403 403 403 200 200 403 200 403 403 403
GET  /meetings/{case}                             login 403 403 403 404 404 403 404 403 403 403
GET  /meetings/{other}                            login 403 403 403 404 404 403 404 403 403 403
GET  /meetings/{meeting}/minutes                  login 403 200 403 200 200 403 200 403 200 404
GET  /meetings/{meeting}/minutes.pdf              login 403 200 403 200 200 403 200 403 200 404
GET  /meetings/{case}/minutes                     login 403 404 403 404 404 403 404 403 404 404
POST /reviews/{new-review}/opinion      return    login 403 302 422 403 403 403 403 404 403 403
POST /reviews/{new-review}/steps/record_adviser_opinion adviser login 403 302 302 403 403 403 403 404 403 403
POST /meetings/{new-discussion}/convene convene   login 403 403 403 422 302 403 422 403 403 403
POST /meetings/{new-meeting}/view       view      login 403 403 403 302 422 403 302 403 403 403
POST /meetings/{spoken}/decision        decide    login 403 403 403 422 302 403 422 403 403 403
GET  /admin/                                       login 403 403 403 403 403 403 403 403 403 200
GET  /admin/users                                  login 403 403 403 403 403 403 403 403 403 200
GET  /admin/users/new                              login 403 403 403 403 403 403 403 403 403 200
POST /admin/users/new                  newuser     login 403 403 403 403 403 403 403 403 403 302
GET  /admin/users/caiming                          login 403 403 403 403 403 403 403 403 403 200
GET  /admin/users/nosuchuser                       login 403 403 403 403 403 403 403 403 403 404
POST /admin/users/caiming/roles        roles       login 403 403 403 403 403 403 403 403 403 302
POST /admin/users/caiming/active       inactive    login 403 403 403 403 403 403 403 403 403 302
POST /admin/users/caiming/password     password    login 403 403 403 403 403 403 403 403 403 302
POST /admin/users/caiming/certificates certificate login 403 403 403 403 403 403 403 403 403 302
GET  /admin/settings                               login 403 403 403 403 403 403 403 403 403 200
GET  /admin/settings/enforcement.publication_working_days login 403 403 403 403 403 403 403 403 403 200
POST /admin/settings/enforcement.publication_working_days setting login 403 403 403 403 403 403 403 403 403 302
GET  /admin/calendar                               login 403 403 403 403 403 403 403 403 403 200
POST /admin/calendar                   holidays    login 403 403 403 403 403 403 403 403 403 302
GET  /admin/definitions                            login 403 403 403 403 403 403 403 403 403 200
GET  /admin/tokens                                 login 403 403 403 403 403 403 403 403 403 200
POST /admin/tokens                     token       login 403 403 403 403 403 403 403 403 403 200
POST /admin/tokens/{token}/revoke                  login 403 403 403 403 403 403 403 403 403 302
GET  /cases/{doc-case}/documents/{doc}           login 404 200 404 404 200 200 200 200 403 404
GET  /cases/{doc-case}/documents/999999        login 404 404 404 404 404 404 404 404 404 404
GET  /cases/{other}/documents/{doc}              login 404 404 404 404 404 404 404 404 404 404
POST /cases/{notified}/documents/preview/decide_penalty decision login 404 422 404 404 200 422 200 422 422 404
POST /cases/{other}/documents/preview/decide_penalty decision login 404 404 404 404 404 404 404 404 404 404
POST /cases/{notified}/documents/preview/decide_penalty/docx decision login 404 422 404 404 200 422 200 422 422 404
POST /cases/{other}/documents/preview/decide_penalty/docx decision login 404 404 404 404 404 404 404 404 404 404
POST /cases/{notified}/documents/docx/decide_penalty decision login 404 422 404 404 422 422 422 422 422 404
POST /cases/{other}/documents/docx/decide_penalty decision login 404 404 404 404 404 404 404 404 404 404
GET  /public/verify/{code}                        200   200 200 200 200 200 200 200 200 200 200
GET  /public/verify/NOSUCHCODE9                   404   404 404 404 404 404 404 404 404 404 404
POST /public/verify/{code}           copy         200   200 200 200 200 200 200 200 200 200 200
GET  /inbox/                                      login 200 200 200 200 200 200 200 200 200 200
POST /inbox/read                                  login 302 302 302 302 302 302 302 302 302 302
POST /inbox/email                    email        login 302 302 302 302 302 302 302 302 302 302
POST /inbox/digest                   digest       login 302 302 302 302 302 302 302 302 302 302
GET  /todo/                                       login 200 200 200 200 200 200 200 200 200 200
GET  /district/                                   login 403 403 403 403 403 403 403 403 403 403
POST /admin/outbox/999/retry                       login 403 403 403 403 403 403 403 403 403 404
POST /admin/outbox/{outbox}/retry                  login 403 403 403 403 403 403 403 403 403 302
POST /admin/messages/999/retry                     login 403 403 403 403 403 403 403 403 403 404
POST /admin/messages/{message}/retry               login 403 403 403 403 403 403 403 403 403 302
GET  /procedures/                                 login 200 200 200 200 200 200 200 200 200 200
GET  /procedures/major_decision/v1                login 200 200 200 200 200 200 200 200 200 200
GET  /procedures/enforcement_case/v1/diagram.svg  login 200 200 200 200 200 200 200 200 200 200
GET  /procedures/no_such_procedure/v1             login 404 404 404 404 404 404 404 404 404 404
GET  /cases/new?procedure=contract_review         login 200 403 403 403 403 403 403 403 403 403
GET  /cases/new?procedure=legal_activity          login 403 403 403 403 403 403 403 200 403 403
GET  /procedures/contract_review/v1               login 200 200 200 200 200 200 200 200 200 200
GET  /contracts/                                  login 200 200 200 403 200 403 403 403 200 403
GET  /contracts/register.xlsx                     login 200 200 200 403 200 403 403 403 200 403
GET  /registers/                                  login 200 200 200 200 200 200 200 200 200 200
GET  /registers/legal_activity/                   login 404 404 404 404 404 404 404 200 200 404
GET  /registers/legal_activity/export.xlsx        login 404 404 404 404 404 404 404 200 200 404
GET  /registers/legal_activity/template.xlsx      login 404 404 404 404 404 404 404 200 200 404
POST /registers/legal_activity/import             login 404 404 404 404 404 404 404 400 403 404
POST /registers/legal_activity/import activity    login 404 404 404 404 404 404 404 302 403 404
GET  /public/                                     200   200 200 200 200 200 200 200 200 200 200
GET  /public/register                             200   200 200 200 200 200 200 200 200 200 200
GET  /public/consultations                        200   200 200 200 200 200 200 200 200 200 200
GET  /public/decisions                            200   200 200 200 200 200 200 200 200 200 200
GET  /public/consultations/{consult}              200   200 200 200 200 200 200 200 200 200 200
GET  /public/consultations/{case}                 404   404 404 404 404 404 404 404 404 404 404
GET  /public/consultations/{consult}/files/1      404   404 404 404 404 404 404 404 404 404 404
POST /public/consultations/{consult} comment      303   303 303 303 303 303 303 303 303 303 303
POST /public/consultations/{case}    comment      404   404 404 404 404 404 404 404 404 404 404
GET  /public/normative-documents                  200   200 200 200 200 200 200 200 200 200 200
GET  /normative-documents/                        login 200 200 403 403 200 403 403 403 200 403
GET  /normative-documents/register.xlsx           login 200 200 403 403 200 403 403 403 200 403
GET  /public/information-requests/new?org=houlong 200   200 200 200 200 200 200 200 200 200 200
POST /public/information-requests/new?org=houlong inforeq 201   201 201 201 201 201 201 201 201 201 201
GET  /public/information-requests/new             200   200 200 200 200 200 200 200 200 200 200
GET  /public/information-requests/status          200   200 200 200 200 200 200 200 200 200 200
POST /public/information-requests/status trackcode 404  404 404 404 404 404 404 404 404 404 404
POST /public/information-requests/status heldcode 200   200 200 200 200 200 200 200 200 200 200
GET  /information-requests/                       login 403 403 403 403 403 403 403 403 200 403
GET  /information-requests/register.xlsx          login 403 403 403 403 403 403 403 403 200 403
GET  /information-requests/report?year=2026       login 403 403 403 403 403 403 403 403 200 403
GET  /information-requests/report.xlsx?year=2026  login 403 403 403 403 403 403 403 403 200 403
GET  /information-requests/report/requests?year=2026&row=new&column=all login 403 403 403 403 403 403 403 403 200 403
GET  /information-requests/report/remedies?year=2026&group=reconsideration&column=total login 403 403 403 403 403 403 403 403 200 403
GET  /healthz                                     200   200 200 200 200 200 200 200 200 200 200
GET  /metrics                                     404   404 404 404 404 404 404 404 404 404 404
GET  /figures/                                   login 200 200 200 200 200 200 200 200 200 403
GET  /figures/figures.xlsx                       login 200 200 200 200 200 200 200 200 200 403
GET  /figures/major_decision/proposed            login 200 200 200 200 200 200 200 200 200 403
GET  /figures/major_decision/no_such_figure      login 404 404 404 404 404 404 404 404 404 403
GET  /annual-reports/                            login 200 200 403 403 200 403 403 403 200 403
GET  /annual-reports/{case}                      login 404 404 404 404 404 404 404 404 404 404
GET  /annual-reports/{case}/figures/major_decision/proposed login 404 404 404 404 404 404 404 404 404 404
GET  /annual-reports/towns/                      login 403 403 403 403 403 403 403 403 403 403
"""

EXCLUDED = ("static",)  # and everything under /api/ (tests/api/test_matrix.py)


def held_code(town: Runtime) -> str:
    """The tracking code of a request sent in person (the office creates it, web/information_requests.py keeps codes)."""
    from tests.api.test_information_requests import INFO_REQUEST
    from workflow.procedures.information_request import tracking

    case_id = town.engine.create_case("information_request", "zhoumin", INFO_REQUEST).case_id
    assert case_id
    code = tracking.new_code()
    with writing(town.sessions) as session:
        tracking.keep(session, code, case_id, "houlong", town.clock.now())
    return code


def api_token(town: Runtime) -> str:
    """The id of an integrator's token (lina's), for the revocation page."""
    with writing(town.sessions) as session:
        token, _secret = tokens.create(session, username="lina", name="镇档案系统", by="admin", now=town.clock.now())
        session.flush()
        return str(token.id)


def issued_document(town: Runtime) -> tuple[str, str, str]:
    """A penalty decided with its 决定书 issued: (case, document id, verification code)."""
    set_codes(town, town.clock)  # type: ignore[arg-type]
    case_id = notified(town, town.clock)  # type: ignore[arg-type]
    assert town.engine.fire(case_id, "decide_penalty", "huangzhenhua", DECISION).ok
    with town.sessions() as session:
        doc = session.scalars(select(IssuedDocument).where(IssuedDocument.case_id == case_id)
                              .order_by(IssuedDocument.id.desc())).first()
        assert doc is not None
        return case_id, str(doc.id), doc.verify_code


def unread_notices(town: Runtime, case_id: str) -> None:
    """A reminder in each demo person's inbox (workflow/timers/notifications.py)."""
    now = town.clock.now()
    with writing(town.sessions) as session:
        for username in filter(None, USERS.values()):
            session.add(Notification(org_id="houlong", recipient=username, case_id=case_id, kind="remind",
                                     deadline="publication", due=now.date(), text_zh="提醒", text_en="Reminder",
                                     created_at=now))


def dead_letter(town: Runtime) -> str:
    """The id of an e-mail copy of a notice that could not be delivered (workflow/timers/mail.py): dead."""
    now, case_id = town.clock.now(), new_case(town)
    with writing(town.sessions) as session:
        notice = Notification(org_id="houlong", recipient="zhangwei", case_id=case_id, kind="remind",
                              deadline="publication", due=now.date(), text_zh="提醒", text_en="Reminder",
                              created_at=now)
        session.add(notice)
        session.flush()
        row = EmailOutbox(org_id="houlong", notification_id=notice.id, address="zhangwei@example.org",
                          subject="提醒", body="提醒", status="dead", attempts=5, next_attempt_at=now,
                          last_error="ConnectionRefusedError")
        session.add(row)
        session.flush()
        return str(row.id)


def dead_message(town: Runtime) -> str:
    """The id of a group robot's message that could not be delivered (workflow/timers/robots.py): dead."""
    now = town.clock.now()
    with writing(town.sessions) as session:
        n = session.scalar(select(func.count()).select_from(MessageOutbox)) or 0
        row = MessageOutbox(org_id="houlong", key=f"robot:matrix:{n + 1}", channel="robot", target="领导群", subject="提醒",
                            facts={}, status="dead", attempts=5, next_attempt_at=now,
                            last_error="ConnectionRefusedError", created_at=now)
        session.add(row)
        session.flush()
        return str(row.id)


def _all_spoken(town: Runtime) -> str:
    case_id = convened(town)
    views(town, case_id, *((m, "agree", "同意") for m in MEMBERS))
    return case_id


# A POST to these gets a case of its own (a step taken once cannot be taken again): {case} a new major
# decision, {new-review} one under legality review, {new-discussion} one awaiting its meeting, {new-meeting}
# one whose meeting is convened, {spoken} one whose attending members have all stated their views.
FRESH: dict[str, Callable[[Runtime], str]] = {
    "{case}": new_case, "{new-review}": under_review, "{new-discussion}": in_discussion,
    "{new-meeting}": convened, "{spoken}": _all_spoken, "{consult}": consulting, "{outbox}": dead_letter, "{message}": dead_message,  # opened now: the stories
}  # move the clock on by weeks, and the shared {consult}'s period would be over by the portal's POST

# the review and meeting pages' forms, filled in as their users would (with the case's current version)
STEP_BODIES: dict[str, dict[str, Any]] = {
    "return": {"conclusion": "return_for_supplement", "missing": "请补充风险评估报告原件"},
    "adviser": {"adviser": "林志远律师", "capacity": "legal_adviser", "opinion": "未发现与上位法相抵触的内容"},
    "convene": {"forum": FORUM, "meeting_date": "2026-05-06", "attendees": [*MEMBERS, HEAD]},
    "view": {"view": "agree", "statement": "同意实施"},
    "decide": {"decision": "adopt_decision", "head_statement": "同意各位意见", "decision_text": "通过实施办法"},
}
# the administration forms (web/admin/), on a person no column of the table stands for (caiming)
PASSWORD = "matrix-password-2026"
ADMIN_BODIES: dict[str, dict[str, Any]] = {
    "newuser": {"username": "xiaoli", "display_name": "肖丽", "unit": "经济发展办公室", "password": PASSWORD,
                "password_confirm": PASSWORD, "roles": ["drafter"]},
    "roles": {"roles": ["enforcement_officer", "auditor"]},
    "inactive": {"active": "0"},
    "password": {"password": PASSWORD, "password_confirm": PASSWORD},
    "certificate": {"kind": "enforcement", "number": "闽QG-2027-0099", "issuer": "泉州市泉港区人民政府",
                    "field": "城乡规划建设", "issued_on": "2027-01-01", "valid_until": "2031-12-31"},
    "setting": {"value": "5", "source": "闽政办〔2027〕1号第五条"},
    "holidays": {"year": "2027", "source": "国务院办公厅关于2027年部分节假日安排的通知", "action": "save",
                 "confirmed": '{"holidays": [{"date": "2027-01-01", "name": "元旦"}], "workdays": []}'},
    "token": {"username": "chenjing", "name": "司法所 OA"},
}


@dataclass(frozen=True)
class Row:
    method: str
    url: str  # with {placeholders}
    form: str  # which body a POST sends (Scene.body)
    expected: dict[str, str]  # role -> status, or "login"


def rows() -> list[Row]:
    out = []
    for line in MATRIX.strip().splitlines():
        method, url, *rest = line.split()
        form = rest[0] if len(rest) > len(USERS) else ""
        out.append(Row(method, url, form, dict(zip(USERS, rest[-len(USERS):], strict=True))))
    return out


def endpoint_of(app: Flask, method: str, url: str) -> str | None:
    """The endpoint a URL of the table reaches (None: no route, or not with this method)."""
    adapter = app.url_map.bind("localhost")
    try:
        path = url.split("?")[0].replace("{token}", "1").replace("{doc}", "1").replace("{outbox}", "1").replace("{message}", "1")  # numbers, as their converters want
        endpoint, _args = adapter.match(path.replace("{", "").replace("}", ""), method=method)
    except (NotFound, MethodNotAllowed):
        return None
    return endpoint


def html_routes(app: Flask) -> set[tuple[str, str]]:
    """(method, endpoint) of every HTML route: what the table must declare."""
    return {(method, rule.endpoint) for rule in app.url_map.iter_rules()
            if rule.endpoint not in EXCLUDED and not rule.rule.startswith("/api/")
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}


def undeclared(app: Flask) -> list[str]:
    declared = {(row.method, endpoint_of(app, row.method, row.url)) for row in rows()}
    return sorted(f"{method} {endpoint}" for method, endpoint in html_routes(app) - declared)


def outcome(response: TestResponse) -> str:
    if response.status_code == 302 and response.headers.get("Location", "").startswith("/login?next="):
        return "login"
    return str(response.status_code)


def token_of(client: FlaskClient) -> str:
    """The session's CSRF token (made now if the session has none yet), as a page's form would carry it."""
    with client.session_transaction() as session:
        token = session.get("_csrf") or secrets.token_urlsafe(32)
        session["_csrf"] = token
    return token


class Scene:
    """The town with the cases the table's URLs name, and a logged-in browser per role."""

    def __init__(self, app: Flask, town: Runtime):
        self.app, self.town = app, town
        # (the stories behind {review} and {meeting} move the clock on by weeks: before {consult}'s period opens)
        doc_case, doc, code = issued_document(town)  # first: its story is dated today (FixedClock's default day)
        self.ids = {"{doc-case}": doc_case, "{doc}": doc, "{code}": code, "{notified}": notified(town, town.clock),
                    "{review}": under_review(town), "{meeting}": convened(town), "{case}": new_case(town),
                    "{other}": other_town(town), "{ecase}": enforcement_case(town), "{consult}": consulting(town),
                    "{token}": api_token(town)}
        self.held = held_code(town)  # a request's tracking code, for the status page (POSTs change nothing there)
        unread_notices(town, self.ids["{case}"])  # each person has a notice to mark read
        self.clients = {role: self.client(role) for role in USERS}
        self.used: FlaskClient | None = None  # the browser of the last request (the role's may be new since)

    def client(self, role: str) -> FlaskClient:
        client = self.app.test_client()
        # one address per role: the portal's and the login's limits count per address
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{list(USERS).index(role) + 1}"
        username = USERS[role]
        if username:
            response = login(client, username)
            assert response.status_code == 302, (role, response.status_code)
        return client

    def url(self, row: Row) -> str:
        url = row.url
        for name, make in FRESH.items():
            if row.method == "POST" and name in url:
                url = url.replace(name, make(self.town))
        for name, value in self.ids.items():
            url = url.replace(name, value)
        return url

    def body(self, form: str, client: FlaskClient, url: str) -> dict[str, Any]:
        """What a POST of the table sends (without the CSRF token)."""
        if form == "login":
            return {"username": "zhangwei", "password": DEMO_PASSWORD}
        if form == "major":
            return {"procedure": "major_decision", **PROPOSAL}
        if form == "penalty":
            return {"procedure": "enforcement_case", **ENFORCEMENT}
        if form == "start":
            with self.town.sessions() as s:
                case = s.get(Case, url.split("/")[2])
                version = str(case.version) if case else "1"
            return {"expected_version": version, **START}
        if form in STEP_BODIES:
            with self.town.sessions() as s:
                body = {"expected_version": str(s.get(Case, url.split("/")[2]).version), **STEP_BODIES[form]}
            if form == "convene":  # held the day it is convened: a typed date neither future nor before the submission
                body["meeting_date"] = self.town.engine.today().isoformat()
            return body
        if form in ADMIN_BODIES:
            return ADMIN_BODIES[form]
        if form == "comment":
            page = client.get(url).get_data(as_text=True)
            issued = re.search(r'name="issued" value="([^"]+)"', page)
            self.town.clock.advance(seconds=5)  # a person takes a while to write
            return {"issued": issued.group(1) if issued else "", "website": "", "commenter": "后龙村村民",
                    "content": "建议在各村设置分类收集点"}
        if form == "inforeq":  # a request for government information, as an applicant types it
            page = client.get(url).get_data(as_text=True)
            issued = re.search(r'name="issued" value="([^"]+)"', page)
            self.town.clock.advance(seconds=5)
            return {"issued": issued.group(1) if issued else "", "website": "", "title": "村道修缮资金使用情况",
                    "applicant": "陈建华", "applicant_type": "natural_person", "contact": "13900000000",
                    "description": "2025年村道修缮资金的使用明细", "access_form": "electronic"}
        if form == "trackcode":  # a tracking code no request has
            return {"code": secrets.token_urlsafe(16)}
        if form == "heldcode":  # the tracking code of a request the applicant sent
            return {"code": self.held}
        if form == "decision":  # the decision's form as the head fills it in, to preview its 决定书
            return {**{k: str(v) for k, v in DECISION.items() if k != "sealed"}, "sealed": "true"}
        if form == "email":  # the person's own address for copies of their notices
            return {"email": "someone@example.org", "email_enabled": "1"}
        if form == "digest":  # the person's choice of a daily digest's hour, the digest off: saved with no address
            return {"digest": "0", "digest_hour": "9"}
        if form == "activity":  # the register keeper imports one 普法 activity from the town's spreadsheet
            book = Workbook()
            book.active.append(["活动日期", "活动主题", "宣传节点", "场所类型", "村居", "活动形式", "受众人数",
                                "发放宣传资料（份）", "解答法律咨询（人次）"])
            book.active.append(["2025-12-04", "宪法日宣传", "国家宪法日（12月4日）", "村居", "后龙村", "摆摊宣传", 100, 200, 10])
            data = io.BytesIO()
            book.save(data)
            data.seek(0)
            return {"file": (data, "activities.xlsx"), "late_entry_reason": "纸质台账补录"}
        if form == "copy":  # someone holding a copy checks it on the public page
            return {"copy": (io.BytesIO(b"%PDF-1.7 a copy"), "copy.pdf")}
        assert form == "", f"no body named {form!r}"
        return {}

    def request(self, row: Row, role: str, token: str | None = "valid", url: str | None = None) -> TestResponse:
        """The row's request as `role` (to `url`, if given, instead of the row's with fresh ids filled in): a
        POST with the session's token ("valid"), with none (None) or with `token`."""
        client = self.used = self.clients[role]
        url = url or self.url(row)
        if row.method == "GET":
            response = client.get(url)
        else:
            data = self.body(row.form, client, url)
            if token is not None:
                data["csrf_token"] = token_of(client) if token == "valid" else token
            response = client.post(url, data=data)
        response.get_data()  # a streamed export runs to its end
        response.close()
        if row.method == "POST" and row.url in ("/login", "/logout") and response.status_code == 302:
            self.clients[role] = self.client(role)  # logged in, or out, by that cell: as the role was again
        return response


def test_every_html_route_is_in_the_table(app):
    missing = undeclared(app)
    assert not missing, "routes no row of MATRIX declares (add a line saying who may use them):\n" + "\n".join(missing)


def test_a_route_added_without_a_row_is_caught(own_app):
    app = own_app
    app.add_url_rule("/reports/secret", "reports.secret", lambda: "secret", methods=["GET", "POST"])
    assert undeclared(app) == ["GET reports.secret", "POST reports.secret"]


def test_the_table_names_only_routes_that_exist(app):
    for row in rows():
        if "405" not in row.expected.values():
            assert endpoint_of(app, row.method, row.url) is not None, f"{row.method} {row.url} reaches no route"


def test_every_route_for_every_role(app, town):
    scene = Scene(app, town)
    wrong = []
    for row in rows():
        for role, status in row.expected.items():
            got = outcome(scene.request(row, role))
            if got != status:
                wrong.append(f"{row.method} {row.url} {row.form} as {role}: {got}, expected {status}")
    assert not wrong, "\n".join(wrong)
