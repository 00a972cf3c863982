"""Migration 0024 (message_outbox, the digest choice on notification_channel) goes down and up again on SQLite and
PostgreSQL, and the runtime role may then do what the worker and the inbox page do with them."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, select

from tests.test_migrations import _diff, _tables, added_after
from workflow.db import alembic_config, migrate, writing
from workflow.models import MessageOutbox
from workflow.timers import digest, mail, outbox


def _columns(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def test_0024_message_outbox_downgrades_and_upgrades(owner_url: str, town, monkeypatch: pytest.MonkeyPatch) -> None:
    if owner_url.startswith("postgresql"):
        monkeypatch.setenv("LAWFLOW_DB_APP_ROLE", "lawflow_app")
    before = _tables(owner_url)
    command.downgrade(alembic_config(owner_url), "0021")
    assert _tables(owner_url) == before - added_after("0021")
    assert "message_outbox" not in _tables(owner_url)
    assert not {"digest", "digest_hour"} & _columns(owner_url, "notification_channel")
    migrate(owner_url)
    assert _tables(owner_url) == before and _diff(owner_url) == []
    now = town.clock.now()
    with writing(town.sessions) as s:  # as the runtime role on PostgreSQL
        mail.set_channel(s, "wanghai", "wanghai@houlong.gov.cn", True, now)
        digest.set_preferences(s, "wanghai", True, 18, now)
        s.add(MessageOutbox(org_id="houlong", key="robot:test", channel="robot", target="g", subject="s",
                            facts={}, status="dead", attempts=5, next_attempt_at=now, last_error="x", created_at=now))
    with writing(town.sessions) as s:
        row_id = s.scalar(select(MessageOutbox.id))
        assert row_id is not None and outbox.retry(s, MessageOutbox, "houlong", row_id, now)
