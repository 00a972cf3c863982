"""An organisation's kind in the tree (issue 14): district 区, town 镇·街道, office 站所.

Existing rows are towns (every organisation lawflow ran before issue 14 was one); `lawflow org add --kind` names the
kind of new ones, and workflow/org_tree.py reads the tree (parent_id, migration 0001) with it.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('organization', sa.Column('kind', sa.String(length=16), nullable=False, server_default='town'))


def downgrade() -> None:
    # Plain ALTER TABLE on both (SQLite 3.35+ drops a column itself): a batch copy of `organization` would break
    # the foreign keys of every table that refers to it.
    op.execute("ALTER TABLE organization DROP COLUMN kind")
