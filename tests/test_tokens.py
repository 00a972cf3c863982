"""API tokens: only a hash is stored, the token is printed once, revoked tokens and disabled owners fail."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from workflow import tokens
from workflow.db import writing
from workflow.models import ApiToken, User
from workflow.runtime import Runtime


def test_only_the_sha256_is_stored_and_the_token_resolves_to_its_owner(town: Runtime) -> None:
    now = town.clock.now()
    with town.sessions.begin() as s:
        row, token = tokens.create(s, username="chenjing", name="司法所 OA", by="admin", now=now)
        token_id = row.id
    assert token.startswith("lf_") and len(token) >= 40
    with town.sessions() as s:
        stored = s.get(ApiToken, token_id)
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in {str(v) for v in vars(stored).values()}
        assert stored.last_used_at is None
    owner = tokens.resolve(town.sessions, token, now)
    assert owner == tokens.TokenOwner(token_id, "chenjing", "陈静", "houlong",
                                      frozenset({"legal_counsel", "legal_reviewer"}))
    with town.sessions() as s:
        assert tokens.aware(s.get(ApiToken, token_id).last_used_at) == now


def test_last_used_is_written_at_most_once_a_minute(town: Runtime) -> None:
    now = town.clock.now()
    with town.sessions.begin() as s:
        row, token = tokens.create(s, username="zhangwei", name="x", by="admin", now=now)
        token_id = row.id
    for seconds in (0, 10, 59):
        tokens.resolve(town.sessions, token, now + timedelta(seconds=seconds))
    with town.sessions() as s:
        assert tokens.aware(s.get(ApiToken, token_id).last_used_at) == now
    tokens.resolve(town.sessions, token, now + timedelta(seconds=61))
    with town.sessions() as s:
        assert tokens.aware(s.get(ApiToken, token_id).last_used_at) == now + timedelta(seconds=61)


def test_unknown_tokens_resolve_to_nobody(town: Runtime) -> None:
    for presented in ("", "lf_", "lf_nonsense", "Bearer lf_x", "x" * 500):
        assert tokens.resolve(town.sessions, presented, town.clock.now()) is None, presented


def test_revoked_tokens_and_disabled_owners_fail(town: Runtime) -> None:
    now = town.clock.now()
    with town.sessions.begin() as s:
        first, token1 = tokens.create(s, username="zhangwei", name="a", by="admin", now=now)
        _, token2 = tokens.create(s, username="lina", name="b", by="admin", now=now)
        first_id = first.id
    with town.sessions.begin() as s:
        tokens.revoke(s, first_id, now)
    assert tokens.resolve(town.sessions, token1, now) is None
    with town.sessions.begin() as s, pytest.raises(ValueError, match="已撤销"):
        tokens.revoke(s, first_id, now)
    with writing(town.sessions) as s:
        s.scalar(select(User).where(User.username == "lina")).active = False
    assert tokens.resolve(town.sessions, token2, now) is None


def test_create_refuses_bad_input(town: Runtime) -> None:
    for username, name, message in (("nobody", "OA", "不存在"), ("zhangwei", "  ", "名称"),
                                    ("zhangwei", "x" * 101, "名称")):
        with town.sessions.begin() as s, pytest.raises(ValueError, match=message):
            tokens.create(s, username=username, name=name, by="admin", now=town.clock.now())


@pytest.fixture
def lawflow(town: Runtime):
    """`lawflow ...` in-process (click's runner), against the test database."""
    from click.testing import CliRunner

    from workflow.cli import cli

    env = {"LAWFLOW_DATABASE_URL": town.database_url, "LAWFLOW_INSTANCE": str(town.instance)}

    def run(*args: str):
        result = CliRunner().invoke(cli, list(args), obj={}, env=env)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result

    return run


def test_tokens_from_the_command_line(lawflow, town: Runtime) -> None:
    refused = lawflow("tokens", "create", "zhangwei", "--name", "OA", "--as", "zhangwei")
    assert refused.exit_code == 1 and "不是系统管理员" in refused.stderr
    created = lawflow("tokens", "create", "zhangwei", "--name", "党政办 OA 系统", "--as", "admin")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("lf_") and "\n" not in token  # stdout holds the token alone: scripts can capture it
    assert "不会再次显示" in created.stderr
    assert tokens.resolve(town.sessions, token, town.clock.now()).username == "zhangwei"
    listed = lawflow("tokens", "list")
    assert listed.exit_code == 0 and "zhangwei" in listed.stdout and "党政办 OA 系统" in listed.stdout
    assert token not in listed.stdout and token[3:12] not in listed.stdout
    token_id = listed.stdout.split()[0]
    revoked = lawflow("tokens", "revoke", token_id, "--as", "admin")
    assert revoked.exit_code == 0, revoked.output
    assert "已撤销" in lawflow("tokens", "list", "--user", "zhangwei").stdout
    assert tokens.resolve(town.sessions, token, town.clock.now()) is None
    again = lawflow("tokens", "revoke", token_id, "--as", "admin")
    assert again.exit_code == 1 and "已撤销" in again.stderr
    assert lawflow("tokens", "revoke", "999", "--as", "admin").exit_code == 1
    assert lawflow("tokens", "create", "nobody", "--name", "x", "--as", "admin").exit_code == 1
