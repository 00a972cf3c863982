"""A town and its district as two lawflow instances in one test (tests/audit/test_witnessed_checkpoints.py,
test_witness_bundles.py): the district's runtime on the test's backend, its organisations and accounts, and the
town's side of the exchange."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import PG_APP_URL, _pg_admin, _pg_url
from workflow import accounts, tokens
from workflow.audit.checkpoint import make_checkpoint
from workflow.clock import FixedClock
from workflow.models import (
    AuditEvent,
    WitnessedCheckpoint,
    WitnessFinding,
    WitnessTownKey,
    admin_journal_id,
)
from workflow.runtime import Runtime

DISTRICT, TOWN = "quangang", "houlong"
DISTRICT_ORIGIN = "lawflow/quangang"
CONFIG = {"TESTING": True, "SECRET_KEY": "test-secret-key-for-the-witness-tests-only"}  # the district's app
PROPOSAL = {"title": "后龙镇农村生活污水治理方案", "category": "public_policy", "proposer": "leader",
            "summary": "部分村庄生活污水直排，拟建设收集管网"}  # a major decision: the town's events to witness
_numbers = itertools.count()


# ----------------------------------------------------------------------------------------------- the district


@pytest.fixture
def district(request: pytest.FixtureRequest, database_url: str, tmp_path: Path, sqlite_template: Path,
             clock: FixedClock, demo_password_hash: str) -> Iterator[Runtime]:
    """A second instance on the same backend as the town: its own empty database, key folder and origin, with
    the district, the town's organisation row under it, a district auditor and the town's service account."""
    if database_url.startswith("sqlite"):
        path = tmp_path / "district.sqlite3"
        shutil.copy(sqlite_template, path)
        url, name = f"sqlite:///{path}", None
    else:
        name = f"lawflow_d{os.getpid()}_{next(_numbers)}"
        _pg_admin(f"CREATE DATABASE {name} TEMPLATE {request.getfixturevalue('pg_template')} OWNER lawflow_owner")
        url = _pg_url(PG_APP_URL or "", name)
    folder = tmp_path / "district"
    rt = Runtime(instance=folder / "instance", database_url=url, key_path=folder / "keys" / "audit-signing.key",
                 origin=DISTRICT_ORIGIN, clock=clock)
    rt.instance.mkdir(parents=True)
    rt.key_path.parent.mkdir(mode=0o700)
    with rt.sessions.begin() as s:
        accounts.ensure_org(s, DISTRICT, "泉州市泉港区人民政府", "Quangang District People's Government")
        accounts.ensure_org(s, TOWN, "泉州市泉港区后龙镇人民政府", "Houlong Town People's Government").parent_id = DISTRICT
        s.flush()
        accounts.create_user(s, username="qu.shen", display_name="区审计员", org_id=DISTRICT, roles=["auditor"],
                             password_hash=demo_password_hash)
        accounts.create_user(s, username="svc.houlong", display_name="后龙镇见证报送", org_id=TOWN, roles=["auditor"],
                             password_hash=demo_password_hash)
    try:
        yield rt
    finally:
        rt.db.dispose()
        if name is not None:
            request.getfixturevalue("pg_dropper").drop(name)


def service_token(district: Runtime) -> str:
    with district.sessions.begin() as s:
        return tokens.create(s, username="svc.houlong", name="后龙镇见证报送", by="admin", now=district.clock.now())[1]


def api_transport(client: Any, token: str) -> Callable[[str, str, Mapping[str, Any] | None], tuple[int, Any]]:
    def call(method: str, path: str, body: Mapping[str, Any] | None) -> tuple[int, Any]:
        response = client.open("/api/v1" + path, method=method, json=body,
                               headers={"Authorization": f"Bearer {token}"})
        return response.status_code, response.get_json()

    return call


def new_case(rt: Runtime) -> str:
    outcome = rt.engine.create_case("major_decision", "zhangwei", PROPOSAL)
    assert outcome.ok and outcome.case_id, outcome.reasons
    return outcome.case_id


def checkpoint(rt: Runtime) -> int:
    return make_checkpoint(rt.sessions, rt.key_path, rt.origin, rt.clock, witness=rt.witness_path).tree_size


def held(rt: Runtime) -> dict[str, int]:
    """What the district keeps, by table, and its receipts' events (the town's journal at the district)."""
    with rt.sessions() as s:
        counts = {m.__tablename__: int(s.scalar(select(func.count()).select_from(m)) or 0)
                  for m in (WitnessTownKey, WitnessedCheckpoint, WitnessFinding)}
        counts["events"] = int(s.scalar(select(func.count()).select_from(AuditEvent)
                                        .where(AuditEvent.case_id == admin_journal_id(TOWN))) or 0)
    return counts
