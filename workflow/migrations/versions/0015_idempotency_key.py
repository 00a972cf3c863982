"""Idempotent writes: idempotency_key, the outcome of a write sent with an Idempotency-Key header.

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-07
"""
import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'idempotency_key',
        sa.Column('principal', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('outcome', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('principal', 'key'),
    )
    op.create_index('ix_idempotency_key_principal_created', 'idempotency_key', ['principal', 'created_at'])
    conn = op.get_bind()
    app_role = os.environ.get("LAWFLOW_DB_APP_ROLE")
    if conn.dialect.name == "postgresql" and app_role:  # written with each keyed write, deleted once expired
        quoted = conn.dialect.identifier_preparer.quote(app_role)
        conn.exec_driver_sql(f"GRANT SELECT, INSERT, DELETE ON idempotency_key TO {quoted}")


def downgrade() -> None:
    op.drop_index('ix_idempotency_key_principal_created', table_name='idempotency_key')
    op.drop_table('idempotency_key')
