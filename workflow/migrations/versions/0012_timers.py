"""Timers that act (issue 11): timer_act (each act done once), notification (the in-app inbox),
timer_worker_state (what the admin page shows of the worker), notification_channel (a person's e-mail address)
and email_outbox (e-mails of notices, retried, dead letters kept).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""
import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'timer_act',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.String(length=64), nullable=False),
        sa.Column('case_id', sa.String(length=40), nullable=False),
        sa.Column('deadline', sa.String(length=64), nullable=False),
        sa.Column('started_on', sa.Date(), nullable=False),
        sa.Column('act', sa.String(length=80), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organization.id']),
        sa.ForeignKeyConstraint(['case_id'], ['case_file.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('case_id', 'deadline', 'started_on', 'act', name='uq_timer_act_key'),
    )
    op.create_index('ix_timer_act_org_done', 'timer_act', ['org_id', 'done_at'])
    op.create_table(
        'notification',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.String(length=64), nullable=False),
        sa.Column('recipient', sa.String(length=64), nullable=False),
        sa.Column('case_id', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('deadline', sa.String(length=64), nullable=False),
        sa.Column('due', sa.Date(), nullable=False),
        sa.Column('text_zh', sa.Text(), nullable=False),
        sa.Column('text_en', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['org_id'], ['organization.id']),
        sa.ForeignKeyConstraint(['case_id'], ['case_file.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_notification_recipient_unread', 'notification', ['recipient', 'read_at', 'id'])
    op.create_table(
        'timer_worker_state',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_done', sa.Integer(), nullable=False),
        sa.Column('last_failed', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    op.create_table(
        'notification_channel',
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('email_enabled', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('username'),
    )
    op.create_table(
        'email_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.String(length=64), nullable=False),
        sa.Column('notification_id', sa.Integer(), nullable=False),
        sa.Column('address', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['org_id'], ['organization.id']),
        sa.ForeignKeyConstraint(['notification_id'], ['notification.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('notification_id'),
    )
    op.create_index('ix_email_outbox_status_next', 'email_outbox', ['status', 'next_attempt_at'])
    conn = op.get_bind()
    app_role = os.environ.get("LAWFLOW_DB_APP_ROLE")
    if conn.dialect.name == "postgresql" and app_role:
        quoted = conn.dialect.identifier_preparer.quote(app_role)
        conn.exec_driver_sql(f"GRANT SELECT, INSERT ON timer_act TO {quoted}")  # each act once, never changed
        conn.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE ON notification TO {quoted}")  # read_at is set
        conn.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON timer_worker_state TO {quoted}")
        conn.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE ON notification_channel, email_outbox TO {quoted}")
        conn.exec_driver_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")


def downgrade() -> None:
    op.drop_index('ix_email_outbox_status_next', table_name='email_outbox')
    op.drop_table('email_outbox')
    op.drop_table('notification_channel')
    op.drop_table('timer_worker_state')
    op.drop_index('ix_notification_recipient_unread', table_name='notification')
    op.drop_table('notification')
    op.drop_index('ix_timer_act_org_done', table_name='timer_act')
    op.drop_table('timer_act')
