"""A user's session epoch: a new password or a deactivation ends the web sessions made before it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    # Not batch mode: on SQLite it would copy app_user and drop the original, which the tables referring to
    # it refuse (foreign keys are on). SQLite has DROP COLUMN itself since 3.35.
    op.execute("ALTER TABLE app_user DROP COLUMN session_epoch")
