"""Database-level refusal of changes to the audit tables (audit-design §2.6).

Triggers are guard rails, not proof: the hash chains and signed checkpoints are the evidence. They stop
the application and careless tools, and on PostgreSQL the runtime role cannot even disable them.
"""

from __future__ import annotations

import os

from sqlalchemy import text
from sqlalchemy.engine import Connection

APPEND_ONLY_TABLES: dict[str, list[str]] = {
    # table -> columns that identify a row; a second INSERT of the same identity is a REPLACE attempt
    "audit_event": ["id", "hash"],
    "audit_leaf": ["log_index", "event_id"],
    "audit_checkpoint": ["tree_size"],
    "audit_key": ["key_id"],
}
# Tables the runtime role may INSERT and UPDATE but never DELETE: a case is closed or archived, not removed.
NO_DELETE_TABLES = ["case_file", "audit_journal"]


def install_append_only(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        _sqlite(conn)
    elif conn.dialect.name == "postgresql":
        _postgresql(conn)
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"append-only enforcement is not implemented for {conn.dialect.name}")


def _sqlite(conn: Connection) -> None:
    for table, keys in APPEND_ONLY_TABLES.items():
        same_row = " OR ".join(f"{k} = NEW.{k}" for k in keys)
        if table == "audit_event":
            same_row += " OR (case_id = NEW.case_id AND seq = NEW.seq)"
        conn.exec_driver_sql(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END"
        )
        conn.exec_driver_sql(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END"
        )
        # INSERT OR REPLACE deletes the old row silently; refuse any insert that collides instead.
        conn.exec_driver_sql(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {same_row}) "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: REPLACE refused'); END"
        )
    for table in NO_DELETE_TABLES:
        conn.exec_driver_sql(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} rows are never deleted'); END"
        )


def _postgresql(conn: Connection) -> None:
    conn.execute(text(  # text(): the driver would read the plpgsql format's % as a placeholder
        """
        CREATE OR REPLACE FUNCTION lawflow_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    ))
    for table in [*APPEND_ONLY_TABLES, *NO_DELETE_TABLES]:
        ops = "UPDATE OR DELETE" if table in APPEND_ONLY_TABLES else "DELETE"
        for name, timing in ((f"{table}_append_only", f"BEFORE {ops} ON {table} FOR EACH ROW"),
                             (f"{table}_no_truncate", f"BEFORE TRUNCATE ON {table} FOR EACH STATEMENT")):
            conn.exec_driver_sql(f"CREATE TRIGGER {name} {timing} EXECUTE FUNCTION lawflow_refuse_change()")
            # ENABLE ALWAYS: fires even under session_replication_role = replica.
            conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}")
    app_role = os.environ.get("LAWFLOW_DB_APP_ROLE")
    if app_role:
        grant_runtime_role(conn, app_role)


def grant_runtime_role(conn: Connection, role: str) -> None:
    """The runtime login: SELECT and INSERT only on audit tables, no DELETE on cases, never the owner."""
    quoted = conn.dialect.identifier_preparer.quote(role)
    audit = ", ".join(APPEND_ONLY_TABLES)
    conn.exec_driver_sql(f"GRANT SELECT, INSERT ON {audit} TO {quoted}")
    conn.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE ON {', '.join(NO_DELETE_TABLES)} TO {quoted}")
    conn.exec_driver_sql(
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON organization, org_setting, app_user, role_assignment, "
        f"case_deadline, holiday_year TO {quoted}"
    )
    conn.exec_driver_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")


def install_append_only_tables(conn: Connection, tables: dict[str, list[str]]) -> None:
    """The same refusal for tables a later migration adds (not in APPEND_ONLY_TABLES, which the first migration
    protects at once): triggers against UPDATE, DELETE, REPLACE and TRUNCATE, and on PostgreSQL the runtime
    role gets SELECT and INSERT only. Uses lawflow_refuse_change(), which the first migration created."""
    for table, keys in tables.items():
        if conn.dialect.name == "sqlite":
            same_row = " OR ".join(f"{k} = NEW.{k}" for k in keys)
            for name, timing, when in (("no_update", "BEFORE UPDATE", ""), ("no_delete", "BEFORE DELETE", ""),
                                       ("no_replace", "BEFORE INSERT",
                                        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {same_row}) ")):
                verb = {"no_update": "UPDATE", "no_delete": "DELETE", "no_replace": "REPLACE"}[name]
                conn.exec_driver_sql(f"CREATE TRIGGER {table}_{name} {timing} ON {table} {when}"
                                     f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END")
            continue
        for name, timing in ((f"{table}_append_only", f"BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW"),
                             (f"{table}_no_truncate", f"BEFORE TRUNCATE ON {table} FOR EACH STATEMENT")):
            conn.exec_driver_sql(f"CREATE TRIGGER {name} {timing} EXECUTE FUNCTION lawflow_refuse_change()")
            conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}")
        app_role = os.environ.get("LAWFLOW_DB_APP_ROLE")
        if app_role:
            quoted = conn.dialect.identifier_preparer.quote(app_role)
            conn.exec_driver_sql(f"GRANT SELECT, INSERT ON {table} TO {quoted}")
            conn.exec_driver_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
