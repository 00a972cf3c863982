"""A case addressed to an organisation below its own (issue 14 item 2, workflow/addressee.py): the supervision
procedure is the district's case, and the town it supervises answers in it. The addressed organisation's id is kept
on the case row, indexed, so that the town's case list, to-do list and audit pages find it in plain SQL on SQLite
and PostgreSQL alike. Existing cases are addressed to no one (NULL).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('case_file', sa.Column('addressee_org_id', sa.String(length=64), nullable=True))
    op.create_index('ix_case_file_addressee_org_id', 'case_file', ['addressee_org_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_case_file_addressee_org_id', table_name='case_file')
    # Plain ALTER TABLE on both (SQLite 3.35+ drops a column itself), as 0019 does.
    op.execute("ALTER TABLE case_file DROP COLUMN addressee_org_id")
