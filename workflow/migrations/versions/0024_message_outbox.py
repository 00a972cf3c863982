"""Notices beyond the inbox and e-mail (issue 11): message_outbox (group-robot messages and daily digests,
retried, dead letters kept, one row per idempotency key) and a person's digest choice on notification_channel.

Revision ID: 0024
Revises: 0021 (the integrator re-points it to the last of 0022/0023 when they land)
Create Date: 2026-12-08
"""
import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0024'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'message_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('target', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('facts', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['org_id'], ['organization.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    op.create_index('ix_message_outbox_status_next', 'message_outbox', ['status', 'next_attempt_at'])
    # Existing people keep single messages (no digest) and would get theirs at 08:00 once they choose one.
    op.add_column('notification_channel', sa.Column('digest', sa.Boolean(), nullable=False,
                                                    server_default=sa.false()))
    op.add_column('notification_channel', sa.Column('digest_hour', sa.Integer(), nullable=False,
                                                    server_default='8'))
    conn = op.get_bind()
    app_role = os.environ.get("LAWFLOW_DB_APP_ROLE")
    if conn.dialect.name == "postgresql" and app_role:  # queued and updated by the worker, like email_outbox
        quoted = conn.dialect.identifier_preparer.quote(app_role)
        conn.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE ON message_outbox TO {quoted}")
        conn.exec_driver_sql(f"GRANT USAGE, SELECT ON SEQUENCE message_outbox_id_seq TO {quoted}")


def downgrade() -> None:
    # Plain ALTER TABLE on both (SQLite 3.35+ drops a column itself), as 0019 does.
    op.execute("ALTER TABLE notification_channel DROP COLUMN digest_hour")
    op.execute("ALTER TABLE notification_channel DROP COLUMN digest")
    op.drop_index('ix_message_outbox_status_next', table_name='message_outbox')
    op.drop_table('message_outbox')
