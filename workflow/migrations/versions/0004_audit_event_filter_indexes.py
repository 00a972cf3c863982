"""Indexes for the audit explorer's filters: the time range (and newest-first order), and the step.

The explorer filters audit_event by case, actor, role, step, kind and a date range, newest first. Case
(uq_audit_event_case_seq), actor and kind with time (ix_audit_event_kind_at) were indexed already; this adds
the time alone and the step with time. Plain CREATE INDEX: the append-only triggers stay as they are.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_audit_event_at', 'audit_event', ['at'], unique=False)
    op.create_index('ix_audit_event_trigger_at', 'audit_event', ['trigger', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_event_trigger_at', table_name='audit_event')
    op.drop_index('ix_audit_event_at', table_name='audit_event')
