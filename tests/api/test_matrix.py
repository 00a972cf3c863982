"""The authorization matrix: every API endpoint against each demo role (and no credentials at all).

The API decides nothing itself: roles come from the engine (steps, openings, attaching records) and the two
rules of the API's own: only auditors export the audit trail, and only auditors, agency heads and heads see the
compliance figures. A case of a procedure the caller's roles may not see (its definition's `visibility:`) is 404
like another organisation's, and a record's file (evidence about the party) is 403 to those who see the case but
not the party (tests/web/test_need_to_know.py is the full need-to-know matrix). Each cell is a real request as
that user, through a token. {case} is a fresh major
decision, {ecase} a fresh penalty case with one record attached.
"""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import ENFORCEMENT, PROPOSAL, START, ApiClient, new_case
from tests.api.test_contract_review import CONTRACT, set_contract_rules
from tests.api.test_information_requests import INFO_REQUEST
from tests.api.test_normative_document import NORMATIVE
from tests.api.test_records import PDF, RECORD, multipart
from workflow.models import Case

# The API's contract, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database

USERS = {"drafter": "zhangwei", "counsel": "chenjing", "officer": "wanghai", "adviser": "linzhiyuan",
         "head": "huangzhenhua", "member": "zhengli", "auditor": "liushen", "admin": "admin", "nobody": None}

MATRIX = """
endpoint                                   drafter counsel officer adviser head member auditor admin nobody
GET  /cases                                  200     200     200     200    200   200    200    200   401
POST /cases  major_decision                  201     403     403     403    403   403    403    403   401
POST /cases  enforcement_case                403     403     201     403    403   403    403    403   401
POST /cases  information_request             403     403     403     403    403   403    403    403   401
GET  /cases/{case}                           200     200     404     200    200   200    200    404   401
GET  /cases/{case}/transitions               200     200     404     200    200   200    200    404   401
POST /cases/{case}/transitions/start         403     403     404     403    200   403    403    404   401
GET  /cases/{case}/history                   200     200     404     200    200   200    200    404   401
GET  /cases/{case}/records                   200     200     404     200    200   200    200    404   401
GET  /cases/{ecase}/records                  404     200     200     404    200   404    200    404   401
POST /cases/{ecase}/records                  404     403     201     404    403   404    403    404   401
GET  /cases/{ecase}/records/1                404     200     200     404    200   404    403    404   401
POST /cases  normative_document              201     403     403     403    403   403    403    403   401
GET  /definitions/normative_document/1       200     200     200     200    200   200    200    200   401
GET  /compliance                             403     403     403     403    200   403    200    403   401
GET  /definitions                            200     200     200     200    200   200    200    200   401
GET  /definitions/major_decision/1           200     200     200     200    200   200    200    200   401
GET  /definitions/information_request/1      200     200     200     200    200   200    200    200   401
POST /cases  contract_review                 201     403     403     403    403   403    403    403   401
GET  /definitions/contract_review/1          200     200     200     200    200   200    200    200   401
GET  /audit/export                           403     403     403     403    403   403    200    403   401
GET  /todo                                   200     200     200     200    200   200    200    200   401
GET  /users                                  200     200     200     200    200   200    200    200   401
GET  /tokens                                 403     403     403     403    403   403    403    200   401
GET  /openapi.json                           200     200     200     200    200   200    200    200   200
GET  /docs                                   200     200     200     200    200   200    200    200   200
"""


def enforcement_case(town) -> str:
    case_id = town.engine.create_case("enforcement_case", "wanghai", ENFORCEMENT).case_id
    assert case_id and town.engine.fire(case_id, "attach_record", "wanghai", RECORD,
                                        attachment=town.records.stage_bytes(PDF, "a.pdf")).ok
    return case_id


def _version(town, case_id: str) -> int:
    with town.sessions() as s:
        return s.get(Case, case_id).version


def _rows() -> list[tuple[str, str, str, dict[str, int]]]:
    header, *lines = [line.split() for line in MATRIX.strip().splitlines()]
    roles = header[1:]
    rows = []
    for cells in lines:
        method, path, *rest = cells
        arg = rest[0] if len(rest) > len(roles) else ""
        statuses = rest[-len(roles):]
        rows.append((method, path, arg, {role: int(s) for role, s in zip(roles, statuses, strict=True)}))
    return rows


def test_every_endpoint_for_every_role(app, town, token_for) -> None:
    assert list(USERS) == MATRIX.split()[1:10]
    clients = {role: ApiClient(app.test_client(), token_for(user) if user else None)
               for role, user in USERS.items()}
    bodies = {"major_decision": PROPOSAL, "enforcement_case": ENFORCEMENT, "normative_document": NORMATIVE,
              "information_request": INFO_REQUEST, "contract_review": CONTRACT}
    set_contract_rules(town)  # its review period is a setting (no national rule)
    wrong = []
    for method, path, arg, expected in _rows():
        for role, status in expected.items():
            # a fresh case each time: a step taken once cannot be taken again
            case_id = enforcement_case(town) if "{ecase}" in path else new_case(town)
            url = path.replace("{case}", case_id).replace("{ecase}", case_id)
            client = clients[role]
            if method == "GET":
                response = client.get(url)
            elif url == "/cases":
                response = client.post(url, json={"procedure": arg, "payload": bodies[arg]})
            elif url.endswith("/records"):
                body, content_type = multipart([("payload", None, "application/json", json.dumps(RECORD).encode()),
                                                ("file", "b.pdf", "application/pdf", PDF + b"%%EOF\n")])
                response = client.post(url, data=body, content_type=content_type,
                                       headers={"If-Match": f'W/"{_version(town, case_id)}"'})
            else:
                response = client.post(url, json={"payload": START}, headers={"If-Match": 'W/"1"'})
            if response.status_code != status:
                wrong.append(f"{method} {path} {arg} as {role}: {response.status_code}, expected {status}")
            if status >= 400:
                assert response.mimetype == "application/json", (method, path, role)
    assert not wrong, "\n".join(wrong)
