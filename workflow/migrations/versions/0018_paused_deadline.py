"""A time limit whose count stands still: case_deadline.due may be empty, with the reason in paused_zh / paused_en.

A deadline computed by a family's due-date rule (definitions' `due_by:`, workflow/due_rules.py) is paused while,
say, a consultation runs (政府信息公开条例第三十二条、第三十四条): the row stays, without a due day, so it is never
overdue and brings no timer, and the pages say why it stands still. Rows are derived state (the engine rewrites them
after each step), so nothing is backfilled.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('case_deadline', schema=None) as batch_op:
        batch_op.alter_column('due', existing_type=sa.Date(), nullable=True)
        batch_op.add_column(sa.Column('paused_zh', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('paused_en', sa.Text(), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM case_deadline WHERE due IS NULL")  # a paused limit has no day an older schema could hold
    with op.batch_alter_table('case_deadline', schema=None) as batch_op:
        batch_op.drop_column('paused_en')
        batch_op.drop_column('paused_zh')
        batch_op.alter_column('due', existing_type=sa.Date(), nullable=False)
