"""Scoped API tokens and service accounts (issue 17 item 4): a token may be read-only, limited to some procedures,
and — for an integration's service account — allowed to act on behalf of the users of its organisation (the
request names the user; the user's own roles and separation of duties apply, and the audit event records the
integration beside the user). Existing tokens keep what they could do: full, every procedure, for their owner.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-08
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('api_token', sa.Column('read_only', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('api_token', sa.Column('procedures', sa.JSON(), nullable=True))
    op.add_column('api_token', sa.Column('acts_for_users', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    for column in ('acts_for_users', 'procedures', 'read_only'):
        op.execute(f"ALTER TABLE api_token DROP COLUMN {column}")
