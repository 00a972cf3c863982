"""GET /api/v1/audit/export: the bytes `lawflow audit export` writes, for auditors only, and they verify."""

from __future__ import annotations

import io
import json

import pytest

from tests.api.conftest import ENFORCEMENT, START, is_json_error, new_case, other_town
from workflow import accounts
from workflow.audit import signing
from workflow.audit.checkpoint import make_checkpoint
from workflow.audit.export import export
from workflow.audit.verifier import export_line, verify_file
from workflow.clock import utc_stamp
from workflow.db import writing


@pytest.fixture
def trail(town, api_for) -> None:
    """A few cases with transitions and refusals, anchored by a signed checkpoint, and one event after it;
    another organisation's case among them."""
    other_town(town)
    head = api_for("huangzhenhua")
    for i in range(3):
        case_id = new_case(town, title=f"决策{i}")
        api_for("zhangwei").fire(case_id, "start", START)  # refused
        head.fire(case_id, "start", START)
    signing.generate_key_file(town.key_path)
    make_checkpoint(town.sessions, town.key_path, town.origin, town.clock)
    new_case(town, title="检查点之后")


def test_an_auditor_gets_exactly_the_cli_export_and_it_verifies(api_for, town, trail, tmp_path) -> None:
    response = api_for("liushen").get("/audit/export")
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="lawflow-audit-')
    assert response.is_streamed
    expected = io.BytesIO()
    export(town.sessions, expected, town.origin, utc_stamp(town.clock.now()), orgs=["houlong"])
    assert response.get_data() == expected.getvalue()
    path = tmp_path / "trail.jsonl"
    path.write_bytes(response.get_data())
    report = verify_file(str(path))
    assert report.ok, report.message
    assert (report.events, report.cases) == (10, 4) and report.checkpoints == 1 and report.unanchored_events == 1
    assert report.leaves == 10  # and the other organisation's one, known only by its place and hash
    assert b"shanyao" not in response.get_data()


def _lines(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.splitlines()]


def test_each_organisations_auditor_exports_only_its_own_trail(api_for, town, tmp_path) -> None:
    """Two towns on one instance: each auditor's export holds its own cases and administration journal and no
    case id, party or event of the other town; both verify against the same signed checkpoint."""
    theirs = other_town(town)
    with writing(town.sessions) as s:
        accounts.create_user(s, username="sy_auditor", display_name="山腰审计", org_id="shanyao",
                             roles=["auditor"], password_hash="x")
    ours = town.engine.create_case("enforcement_case", "wanghai", ENFORCEMENT).case_id
    mine = new_case(town, title="后龙镇的决策")
    assert not town.engine.fire("houlong-MD-2099-0001", "start", "huangzhenhua", {}).ok  # the SYS journal
    signing.generate_key_file(town.key_path)
    make_checkpoint(town.sessions, town.key_path, town.origin, town.clock)

    houlong, shanyao = (api_for(u).get("/audit/export").get_data() for u in ("liushen", "sy_auditor"))
    chains = {u: {r["case"] for r in _lines(data) if r["type"] in ("event", "case")}
              for u, data in (("houlong", houlong), ("shanyao", shanyao))}
    assert chains["houlong"] == {ours, mine} and chains["shanyao"] == {theirs}
    assert _lines(houlong)[0]["scope"] == {"orgs": ["houlong"]}
    body = shanyao.decode()
    assert ours not in body and mine not in body and ENFORCEMENT["party"] not in body and "后龙" not in body
    assert "SYS" not in body and theirs not in houlong.decode()
    for name, data in (("h", houlong), ("s", shanyao)):
        path = tmp_path / f"{name}.jsonl"
        path.write_bytes(data)
        report = verify_file(str(path))
        assert report.ok and report.checkpoints == 1 and report.signatures == "verified", report.message


def test_a_leaf_without_its_case_is_refused_in_a_whole_export(town, tmp_path) -> None:
    """Only a scoped export may name a leaf by its hash alone: in a whole export it is a removed case."""
    new_case(town)
    signing.generate_key_file(town.key_path)
    make_checkpoint(town.sessions, town.key_path, town.origin, town.clock)
    out = io.BytesIO()
    export(town.sessions, out, town.origin, utc_stamp(town.clock.now()))
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    for line in lines:
        if line["type"] == "leaf":
            del line["case"], line["seq"]
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"".join(export_line(line) for line in lines))
    report = verify_file(str(path))
    assert not report.ok and "leaf" in report.message


def test_anyone_but_an_auditor_is_refused(api_for, trail) -> None:
    for username in ("zhangwei", "chenjing", "huangzhenhua", "admin"):  # all roles: see test_matrix.py
        body = is_json_error(api_for(username).get("/audit/export"), 403)
        assert body["code"] == "auditor_only" and "审计" in body["message"]
