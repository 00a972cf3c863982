"""GET /api/v1/audit/export: the bytes `lawflow audit export` writes, for auditors only, and they verify."""

from __future__ import annotations

import io

import pytest

from tests.api.conftest import START, is_json_error, new_case
from workflow.audit import signing
from workflow.audit.checkpoint import make_checkpoint
from workflow.audit.export import export
from workflow.audit.verifier import verify_file
from workflow.clock import utc_stamp


@pytest.fixture
def trail(town, api_for) -> None:
    """A few cases with transitions and refusals, anchored by a signed checkpoint, and one event after it."""
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
    export(town.sessions, expected, town.origin, utc_stamp(town.clock.now()))
    assert response.get_data() == expected.getvalue()
    path = tmp_path / "trail.jsonl"
    path.write_bytes(response.get_data())
    report = verify_file(str(path))
    assert report.ok, report.message
    assert (report.events, report.cases) == (10, 4) and report.checkpoints == 1 and report.unanchored_events == 1


def test_anyone_but_an_auditor_is_refused(api_for, trail) -> None:
    for username in ("zhangwei", "chenjing", "huangzhenhua", "admin"):  # all roles: see test_matrix.py
        body = is_json_error(api_for(username).get("/audit/export"), 403)
        assert body["code"] == "auditor_only" and "审计" in body["message"]
