"""The authorization matrix: every API endpoint against each demo role (and no credentials at all).

The API decides nothing itself: roles come from the engine (steps, openings) and the one rule of the API's
own, that only auditors export the audit trail. Each cell is a real request as that user, through a token.
"""

from __future__ import annotations

from tests.api.conftest import ENFORCEMENT, PROPOSAL, START, ApiClient, new_case

USERS = {"drafter": "zhangwei", "counsel": "chenjing", "officer": "wanghai", "adviser": "linzhiyuan",
         "head": "huangzhenhua", "member": "zhengli", "auditor": "liushen", "admin": "admin", "nobody": None}

MATRIX = """
endpoint                                   drafter counsel officer adviser head member auditor admin nobody
GET  /cases                                  200     200     200     200    200   200    200    200   401
POST /cases  major_decision                  201     403     403     403    403   403    403    403   401
POST /cases  enforcement_case                403     403     201     403    403   403    403    403   401
GET  /cases/{case}                           200     200     200     200    200   200    200    200   401
GET  /cases/{case}/transitions               200     200     200     200    200   200    200    200   401
POST /cases/{case}/transitions/start         403     403     403     403    200   403    403    403   401
GET  /cases/{case}/history                   200     200     200     200    200   200    200    200   401
GET  /definitions                            200     200     200     200    200   200    200    200   401
GET  /definitions/major_decision/1           200     200     200     200    200   200    200    200   401
GET  /audit/export                           403     403     403     403    403   403    200    403   401
GET  /openapi.json                           200     200     200     200    200   200    200    200   200
GET  /docs                                   200     200     200     200    200   200    200    200   200
"""


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
    bodies = {"major_decision": PROPOSAL, "enforcement_case": ENFORCEMENT}
    wrong = []
    for method, path, arg, expected in _rows():
        for role, status in expected.items():
            case_id = new_case(town)  # a fresh case each time: a step taken once cannot be taken again
            url = path.replace("{case}", case_id)
            client = clients[role]
            if method == "GET":
                response = client.get(url)
            elif url == "/cases":
                response = client.post(url, json={"procedure": arg, "payload": bodies[arg]})
            else:
                response = client.post(url, json={"payload": START}, headers={"If-Match": 'W/"1"'})
            if response.status_code != status:
                wrong.append(f"{method} {path} {arg} as {role}: {response.status_code}, expected {status}")
            if status >= 400:
                assert response.mimetype == "application/json", (method, path, role)
    assert not wrong, "\n".join(wrong)
