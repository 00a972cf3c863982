"""The Alembic migrations and the typed models describe the same schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from workflow.db import alembic_config, migrate
from workflow.models import Base


def _diff(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_models_match_the_migrated_schema(owner_url: str) -> None:
    assert _diff(owner_url) == []


def test_0003_api_token_downgrades_and_upgrades(owner_url: str, town, monkeypatch: pytest.MonkeyPatch) -> None:
    """Down to 0002 drops api_token (and nothing else); up again restores it, with the runtime role's grants."""
    from workflow import tokens

    if owner_url.startswith("postgresql"):
        monkeypatch.setenv("LAWFLOW_DB_APP_ROLE", "lawflow_app")
    before = _tables(owner_url)
    assert "api_token" in before
    command.downgrade(alembic_config(owner_url), "0002")
    assert _tables(owner_url) == before - {"api_token"}
    migrate(owner_url)
    assert _tables(owner_url) == before
    assert _diff(owner_url) == []
    # the runtime role (lawflow_app on PostgreSQL) may issue, use and revoke tokens in the new table
    now = town.clock.now()
    with town.sessions.begin() as s:
        row, token = tokens.create(s, username="zhangwei", name="OA", by="admin", now=now)
        token_id = row.id
    owner = tokens.resolve(town.sessions, token, now)
    assert owner is not None and owner.username == "zhangwei"
    with town.sessions.begin() as s:
        tokens.revoke(s, token_id, now)
    assert tokens.resolve(town.sessions, token, now) is None
