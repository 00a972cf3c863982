"""Webhooks on the event feed (issue 17 item 2): an organisation's subscriptions (a URL, the event kinds and
procedures wanted, whose reading applies, how far the feed has been queued) and their signing secrets (a new one
may be added while the old one still signs). Deliveries are rows of message_outbox (channel "webhook"), one per
(subscription, event): the index lets the delivery log read one subscription's rows.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-08
"""
import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'webhook_subscription',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('kinds', sa.JSON(), nullable=True),
        sa.Column('procedures', sa.JSON(), nullable=True),
        sa.Column('owner', sa.String(length=64), nullable=False),
        sa.Column('cursor', sa.Integer(), nullable=False),
        sa.Column('replays', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['org_id'], ['organization.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_webhook_subscription_org_id', 'webhook_subscription', ['org_id'])
    op.create_table(
        'webhook_secret',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('secret', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('retires_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscription.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_webhook_secret_subscription_id', 'webhook_secret', ['subscription_id'])
    op.create_index('ix_message_outbox_channel_target', 'message_outbox', ['channel', 'target'])
    conn = op.get_bind()
    app_role = os.environ.get("LAWFLOW_DB_APP_ROLE")
    if conn.dialect.name == "postgresql" and app_role:  # written by the API and the worker
        quoted = conn.dialect.identifier_preparer.quote(app_role)
        for table in ('webhook_subscription', 'webhook_secret'):
            conn.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE ON {table} TO {quoted}")
            conn.exec_driver_sql(f"GRANT USAGE, SELECT ON SEQUENCE {table}_id_seq TO {quoted}")


def downgrade() -> None:
    op.drop_index('ix_message_outbox_channel_target', table_name='message_outbox')
    op.drop_index('ix_webhook_secret_subscription_id', table_name='webhook_secret')
    op.drop_table('webhook_secret')
    op.drop_index('ix_webhook_subscription_org_id', table_name='webhook_subscription')
    op.drop_table('webhook_subscription')
