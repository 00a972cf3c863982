"""Indexes for 100,000 cases and a million events: the case list's filters and order, and the explorer's actor.

The case list (workflow/worklist.py) orders an organisation's cases by their last change or next deadline
and filters them by creator, stage and procedure, and titles: (org_id, updated_at, id, title), (org_id,
created_by, updated_at, id) and (org_id, state, procedure, procedure_version, updated_at, id) let the
database choose, count and order a page from the index alone (on SQLite a case row is expensive to reach:
the columns after its JSON data sit in overflow pages). The last replaces (org_id, state), its prefix. A case's next deadline is MIN(due) over (case_id, due). The audit explorer's
actor filter lists a person's events newest first: (actor, at) replaces (actor). Plain CREATE/DROP INDEX:
the append-only triggers on audit_event stay as they are. On SQLite the upgrade ends with ANALYZE.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_case_file_org_updated', 'case_file', ['org_id', 'updated_at', 'id', 'title'], unique=False)
    op.create_index('ix_case_file_org_creator', 'case_file', ['org_id', 'created_by', 'updated_at', 'id'],
                    unique=False)
    op.create_index('ix_case_file_org_state_updated', 'case_file',
                    ['org_id', 'state', 'procedure', 'procedure_version', 'updated_at', 'id'], unique=False)
    op.drop_index('ix_case_file_org_state', table_name='case_file')
    op.create_index('ix_case_deadline_case_due', 'case_deadline', ['case_id', 'due'], unique=False)
    op.create_index('ix_audit_event_actor_at', 'audit_event', ['actor', 'at'], unique=False)
    op.drop_index('ix_audit_event_actor', table_name='audit_event')
    if op.get_bind().dialect.name == "sqlite":
        # The planner's statistics (PostgreSQL's autovacuum keeps its own). Without them SQLite guesses that
        # an organisation holds a handful of cases, and filters a list of 95,000 case by case.
        op.execute("ANALYZE")


def downgrade() -> None:
    op.create_index('ix_audit_event_actor', 'audit_event', ['actor'], unique=False)
    op.drop_index('ix_audit_event_actor_at', table_name='audit_event')
    op.drop_index('ix_case_deadline_case_due', table_name='case_deadline')
    op.create_index('ix_case_file_org_state', 'case_file', ['org_id', 'state'], unique=False)
    op.drop_index('ix_case_file_org_state_updated', table_name='case_file')
    op.drop_index('ix_case_file_org_creator', table_name='case_file')
    op.drop_index('ix_case_file_org_updated', table_name='case_file')
