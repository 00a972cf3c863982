"""The operator's commands: `lawflow org add` (an organisation with what it needs, audited), run as the
application's database role (on PostgreSQL lawflow_app, which may not change the schema). `lawflow demo` as that
role: tests/audit/test_database_replay.py."""

from __future__ import annotations

import json
import subprocess

import pytest
from sqlalchemy import select

from tests.cli import Lawflow
from workflow import accounts, administration
from workflow.models import AuditEvent, Organization, User, admin_journal_id
from workflow.runtime import Runtime

PASSWORD = "nanpu-admin-2026"


def run(rt: Runtime, *args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return Lawflow(rt, env=env, unset=("LAWFLOW_DB_APP_ROLE",))(*args, stdin=stdin)


def add_nanpu(rt: Runtime, *extra: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run(rt, "org", "add", "nanpu", "--name", "泉州市泉港区南埔镇人民政府", "--name-en", "Nanpu Town",
               "--parent", "houlong", "--admin", "nanpu.admin", "--admin-name", "南埔镇系统管理员", *extra,
               **({"LAWFLOW_NEW_ADMIN_PASSWORD": PASSWORD} | env))


def test_org_add_creates_the_organisation_its_portal_account_and_administrator(town: Runtime) -> None:
    result = add_nanpu(town)
    assert result.returncode == 0, result.stderr
    assert "nanpu" in result.stdout
    with town.sessions() as s:
        org = s.get(Organization, "nanpu")
        assert org is not None and org.parent_id == "houlong" and org.name_en == "Nanpu Town"
        portal = s.scalar(select(User).where(User.username == "public.nanpu"))
        assert portal is not None and portal.role_names == {"public"} and portal.org_id == "nanpu"
        assert accounts.authenticate(s, "nanpu.admin", PASSWORD) is not None
        admin = s.scalar(select(User).where(User.username == "nanpu.admin"))
        assert admin is not None and admin.role_names == {"admin"} and admin.org_id == "nanpu"
        events = s.scalars(select(AuditEvent).where(AuditEvent.case_id == admin_journal_id("nanpu"))).all()
    assert [(e.seq, e.trigger, e.role) for e in events] == [(1, "organisation_created", "operator")]
    assert events[0].actor.startswith("console:")
    payload = events[0].payload
    payload = json.loads(payload) if isinstance(payload, str) else payload
    assert payload["admin"] == "nanpu.admin" and payload["parent"] == "houlong"
    assert PASSWORD not in json.dumps(payload, ensure_ascii=False)
    verified = run(town, "audit", "verify", "--quiet")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_the_new_administrator_administers_their_own_organisation(town: Runtime) -> None:
    assert add_nanpu(town).returncode == 0
    administration.create_user(town.sessions, actor="nanpu.admin", registry=town.registry, now=town.clock.now(),
                               data={"username": "nanpu.officer", "display_name": "林官", "password": "x" * 12,
                                     "roles": ["enforcement_officer"]})
    with town.sessions() as s:
        officer = s.scalar(select(User).where(User.username == "nanpu.officer"))
        assert officer is not None and officer.org_id == "nanpu"
    with pytest.raises(administration.AdminError):  # and not Houlong's people
        administration.set_active(town.sessions, actor="nanpu.admin", username="zhangwei", active=False,
                                  now=town.clock.now())


def test_the_password_is_asked_for_when_not_given(town: Runtime) -> None:
    result = run(town, "org", "add", "nanpu", "--name", "南埔镇", "--admin", "nanpu.admin", "--admin-name", "管理员",
                 stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.returncode == 0, result.stderr
    with town.sessions() as s:
        assert accounts.authenticate(s, "nanpu.admin", PASSWORD) is not None
        org = s.get(Organization, "nanpu")
        assert org is not None and org.parent_id is None and org.name_en == "南埔镇"


@pytest.mark.parametrize("args, env, message", [
    (["org", "add", "houlong", "--name", "x", "--admin", "x.admin", "--admin-name", "x"], {}, "已存在"),
    (["org", "add", "nanpu", "--name", "x", "--parent", "nowhere", "--admin", "x.admin", "--admin-name", "x"], {},
     "上级单位「nowhere」不存在"),
    (["org", "add", "nanpu", "--name", "x", "--admin", "x.admin", "--admin-name", "x"],
     {"LAWFLOW_NEW_ADMIN_PASSWORD": "short"}, "密码至少10个字符"),
    (["org", "add", "Nan Pu", "--name", "x", "--admin", "x.admin", "--admin-name", "x"], {}, "单位编号"),
    (["org", "add", "nanpu", "--name", "x", "--admin", "zhangwei", "--admin-name", "x"], {}, "已存在"),
    (["org", "add", "nanpu", "--name", " ", "--admin", "x.admin", "--admin-name", "x"], {}, "单位名称"),
])
def test_a_refused_organisation_changes_nothing(town: Runtime, args: list[str], env: dict[str, str],
                                                message: str) -> None:
    with town.sessions() as s:
        before = (len(s.scalars(select(Organization)).all()), len(s.scalars(select(User)).all()),
                  len(s.scalars(select(AuditEvent)).all()))
    result = run(town, *args, **({"LAWFLOW_NEW_ADMIN_PASSWORD": PASSWORD} | env))
    assert result.returncode == 1, result.stdout
    assert message in result.stderr
    with town.sessions() as s:
        after = (len(s.scalars(select(Organization)).all()), len(s.scalars(select(User)).all()),
                 len(s.scalars(select(AuditEvent)).all()))
    assert after == before

