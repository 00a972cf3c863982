"""The Alembic migrations and the typed models describe the same schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from workflow.db import alembic_config, migrate
from workflow.models import Base

TIMER_TABLES = ("timer_act", "notification", "timer_worker_state", "notification_channel", "email_outbox")  # 0012


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


# The tables each migration adds, in order: a downgrade below a revision drops exactly those added after it.
TABLES_ADDED = {"0003": {"api_token"}, "0005": {"portal_submission"}, "0007": {"login_failure"},
                "0010": {"web_session"}, "0011": {"case_number_counter"}, "0012": set(TIMER_TABLES), "0013": {"document_number_counter", "issued_document"},
                "0015": {"idempotency_key"}, "0017": {"request_tracking_code"},
                "0020": {"witness_town_key", "witnessed_checkpoint", "witness_finding"}, "0024": {"message_outbox"},
                "0025": {"org_timer_act"}, "0027": {"webhook_subscription", "webhook_secret"}}


def added_after(revision: str) -> set[str]:
    return {t for rev, tables in TABLES_ADDED.items() if rev > revision for t in tables}


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
    assert _tables(owner_url) == before - added_after("0002")
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


def _indexes(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {i["name"] for i in inspect(engine).get_indexes(table)}
    finally:
        engine.dispose()


def test_0004_explorer_indexes_downgrade_and_upgrade(owner_url: str) -> None:
    """0004 adds only the two audit_event indexes; the append-only triggers survive both directions."""
    from sqlalchemy import text

    wanted = {"ix_audit_event_at", "ix_audit_event_trigger_at"}
    assert wanted <= _indexes(owner_url, "audit_event")
    command.downgrade(alembic_config(owner_url), "0003")
    assert not wanted & _indexes(owner_url, "audit_event")
    migrate(owner_url)
    assert wanted <= _indexes(owner_url, "audit_event")
    assert _diff(owner_url) == []
    engine = create_engine(owner_url)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                names = set(conn.execute(text(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event'")).scalars())
            else:
                names = set(conn.execute(text(
                    "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_event'::regclass "
                    "AND NOT tgisinternal")).scalars())
    finally:
        engine.dispose()
    assert names and all(n.startswith("audit_event") for n in names)


def test_0005_gives_existing_organisations_a_portal_account_and_adds_the_rate_limit_table(
        owner_url: str, town, monkeypatch: pytest.MonkeyPatch) -> None:
    """An organisation created before 0005 has no portal account: the upgrade creates it (role `public`, no
    usable password) and portal_submission, which the runtime role may fill and purge."""
    from datetime import timedelta

    from sqlalchemy import delete, select

    from web import throttle
    from workflow.models import PortalSubmission, RoleAssignment, User

    if owner_url.startswith("postgresql"):
        monkeypatch.setenv("LAWFLOW_DB_APP_ROLE", "lawflow_app")
    before = _tables(owner_url)
    command.downgrade(alembic_config(owner_url), "0004")
    assert _tables(owner_url) == before - added_after("0004")
    engine = create_engine(owner_url)
    try:
        with engine.begin() as conn:  # as the organisation was before 0005: no portal account
            user_id = conn.execute(select(User.id).where(User.username == "public.houlong")).scalar_one()
            conn.execute(delete(RoleAssignment).where(RoleAssignment.user_id == user_id))
            conn.execute(delete(User).where(User.id == user_id))
    finally:
        engine.dispose()
    migrate(owner_url)
    assert _tables(owner_url) == before and _diff(owner_url) == []
    with town.sessions() as s:
        user = s.scalar(select(User).where(User.username == "public.houlong"))
        assert user is not None and user.active and user.role_names == {"public"} and user.org_id == "houlong"
        from workflow import accounts

        assert accounts.authenticate(s, "public.houlong", "") is None
    migrate(owner_url)  # idempotent: nothing to add the second time
    now = town.clock.now()
    assert throttle.admit(town.sessions, "a" * 64, "houlong", now - timedelta(days=2)) is None
    assert throttle.admit(town.sessions, "a" * 64, "houlong", now) is None  # purges the one from two days ago
    with town.sessions() as s:
        assert [r.at for r in s.scalars(select(PortalSubmission)).all()] != []
        assert len(s.scalars(select(PortalSubmission)).all()) == 1


def test_0006_scale_indexes_downgrade_and_upgrade(owner_url: str) -> None:
    """0006 adds the case list's indexes, and replaces (org_id, state) and (actor) by wider ones; down and up."""
    added = {"case_file": {"ix_case_file_org_updated", "ix_case_file_org_creator", "ix_case_file_org_state_updated"},
             "case_deadline": {"ix_case_deadline_case_due"}, "audit_event": {"ix_audit_event_actor_at"}}
    replaced = {"case_file": "ix_case_file_org_state", "audit_event": "ix_audit_event_actor"}

    def at_0006() -> bool:
        return all(names <= _indexes(owner_url, table) for table, names in added.items()) and not any(
            name in _indexes(owner_url, table) for table, name in replaced.items())

    def at_0005() -> bool:
        return not any(names & _indexes(owner_url, table) for table, names in added.items()) and all(
            name in _indexes(owner_url, table) for table, name in replaced.items())

    assert at_0006()
    command.downgrade(alembic_config(owner_url), "0005")
    assert at_0005()
    migrate(owner_url)
    assert at_0006()
    assert _diff(owner_url) == []


def test_0007_adds_the_login_throttle_table_which_the_runtime_role_fills_and_purges(
        owner_url: str, town, monkeypatch: pytest.MonkeyPatch) -> None:
    """0007 adds only login_failure; after the upgrade the runtime role (lawflow_app on PostgreSQL) counts,
    purges and clears failed logins in it."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from web import login_throttle
    from workflow.models import LoginFailure

    if owner_url.startswith("postgresql"):
        monkeypatch.setenv("LAWFLOW_DB_APP_ROLE", "lawflow_app")
    before = _tables(owner_url)
    assert "login_failure" in before
    command.downgrade(alembic_config(owner_url), "0006")
    assert _tables(owner_url) == before - added_after("0006")
    migrate(owner_url)
    assert _tables(owner_url) == before and _diff(owner_url) == []
    now = town.clock.now()
    account, client = "a" * 64, "b" * 64
    assert login_throttle.admit(town.sessions, account, client, now - timedelta(hours=1)).lock is None
    assert login_throttle.admit(town.sessions, "c" * 64, client, now).lock is None  # purges the hour-old row
    with town.sessions() as s:
        assert s.scalar(select(func.count()).select_from(LoginFailure)) == 1
    login_throttle.succeeded(town.sessions, "c" * 64)
    with town.sessions() as s:
        assert s.scalar(select(func.count()).select_from(LoginFailure)) == 0


def test_0008_adds_the_session_epoch_with_every_account_at_zero(owner_url: str) -> None:
    """0008 adds app_user.session_epoch (NOT NULL, 0 for the accounts there already); down and up."""
    from sqlalchemy import create_engine, inspect, text

    def columns() -> set[str]:
        engine = create_engine(owner_url)
        try:
            return {c["name"] for c in inspect(engine).get_columns("app_user")}
        finally:
            engine.dispose()

    assert "session_epoch" in columns()
    command.downgrade(alembic_config(owner_url), "0007")
    assert "session_epoch" not in columns()
    engine = create_engine(owner_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO organization (id, name_zh, name_en) VALUES ('t8', '测试', 'Test')"))
            conn.execute(text("INSERT INTO app_user (username, display_name, unit, org_id, password_hash, active)"
                              " VALUES ('u8', '用户', '', 't8', 'x', :yes)"), {"yes": True})
    finally:
        engine.dispose()
    migrate(owner_url)
    engine = create_engine(owner_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT session_epoch FROM app_user WHERE username = 'u8'")).scalar_one() == 0
    finally:
        engine.dispose()
    assert _diff(owner_url) == []


def test_0011_seeds_each_organisations_counters_from_its_own_cases(owner_url: str, town,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Cases numbered the old way (one series for every organisation: EC-2026-0005) keep their ids; 0011 seeds
    each organisation's counter from the highest number among its own cases, so that no number an
    organisation has issued is issued to it again, and the runtime role may then open cases."""
    from datetime import UTC, datetime

    from sqlalchemy import select, text

    from workflow.models import CaseNumberCounter

    if owner_url.startswith("postgresql"):
        monkeypatch.setenv("LAWFLOW_DB_APP_ROLE", "lawflow_app")
    command.downgrade(alembic_config(owner_url), "0010")
    assert "case_number_counter" not in _tables(owner_url)
    engine = create_engine(owner_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO organization (id, name_zh, name_en) VALUES ('fengwei', '峰尾镇', 'Fengwei')"))
            for case_id, org_id, procedure in (("MD-2026-0001", "houlong", "major_decision"),
                                               ("MD-2026-0002", "fengwei", "major_decision"),
                                               ("MD-2026-0003", "houlong", "major_decision"),
                                               ("EC-2026-0001", "fengwei", "enforcement_case"),
                                               ("MD-2025-0009", "houlong", "major_decision")):
                conn.execute(text(
                    "INSERT INTO case_file (id, org_id, procedure, procedure_version, title, state, version, data,"
                    " created_by, created_at, updated_at, audit_seq, audit_head) VALUES (:id, :org, :p, 1, 't',"
                    " 'proposed', 1, '{}', 'zhangwei', :at, :at, 0, :head)"),
                    {"id": case_id, "org": org_id, "p": procedure, "at": datetime(2026, 3, 1, tzinfo=UTC),
                     "head": "0" * 64})
    finally:
        engine.dispose()
    migrate(owner_url)
    assert _diff(owner_url) == []
    with town.sessions() as s:
        counters = {(c.org_id, c.prefix, c.year): c.last_number for c in s.scalars(select(CaseNumberCounter))}
    assert counters == {("houlong", "MD", 2026): 3, ("houlong", "MD", 2025): 9, ("fengwei", "MD", 2026): 2,
                        ("fengwei", "EC", 2026): 1}
    outcome = town.engine.create_case("major_decision", "zhangwei", {  # as the runtime role
        "title": "方案", "category": "public_policy", "proposer": "leader", "summary": "摘要"})
    assert outcome.ok and outcome.case_id == "houlong-MD-2026-0004"


def test_every_migration_that_adds_a_table_is_listed() -> None:
    """TABLES_ADDED covers every table of the models: a new migration's tables are named with it."""
    listed = {t for tables in TABLES_ADDED.values() for t in tables}
    first = {"organization", "org_setting", "app_user", "role_assignment", "enforcement_certificate", "case_file",
             "case_deadline", "audit_event", "audit_journal", "audit_leaf", "audit_checkpoint", "audit_key",
             "holiday_year"}
    assert set(Base.metadata.tables) - first == listed


def test_0013_issued_documents_downgrade_and_upgrade(owner_url: str, town, monkeypatch: pytest.MonkeyPatch) -> None:
    """The document register and the issued documents' table go and come back; the schema then matches the
    models. Downgraded to the revision 0013 follows, whatever it is numbered after a merge."""
    import importlib

    down = importlib.import_module("workflow.migrations.versions.0013_issued_documents").down_revision
    if owner_url.startswith("postgresql"):
        monkeypatch.setenv("LAWFLOW_DB_APP_ROLE", "lawflow_app")
    before = _tables(owner_url)
    assert {"document_number_counter", "issued_document"} <= before
    command.downgrade(alembic_config(owner_url), down)
    assert _tables(owner_url) == before - added_after(down)
    migrate(owner_url)
    assert _diff(owner_url) == []


def test_0012_timers_downgrade_and_upgrade(owner_url: str, town, monkeypatch: pytest.MonkeyPatch) -> None:
    """Down to 0011 drops the timer tables (and nothing else); up again restores them, and the runtime role may
    then do what the worker does: a reminder with its notices and its act, once."""
    from datetime import date

    from workflow.timers.worker import Worker

    if owner_url.startswith("postgresql"):
        monkeypatch.setenv("LAWFLOW_DB_APP_ROLE", "lawflow_app")
    before = _tables(owner_url)
    command.downgrade(alembic_config(owner_url), "0011")
    assert _tables(owner_url) == before - added_after("0011")
    migrate(owner_url)
    assert _tables(owner_url) == before
    assert _diff(owner_url) == []
    engine = town.engine
    town.clock.set_local_date(date(2026, 3, 2))
    opened = engine.create_case("major_decision", "zhangwei", {
        "title": "方案", "category": "public_policy", "proposer": "leader", "summary": "摘要"})
    assert opened.ok and opened.case_id
    assert engine.fire(opened.case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}).ok
    assert engine.fire(opened.case_id, "open_public_comment", "zhangwei", {
        "draft_ref": "稿", "explanation": "说明", "channels": ["网站"], "period_days": 30}).ok
    town.clock.set_local_date(date(2026, 4, 2))
    report = Worker(engine, name="migration-test").run_once()  # as the runtime role on PostgreSQL
    assert [act for _c, _d, act, _on in report.done] == ["fire:end_public_comment"] and not report.failed
