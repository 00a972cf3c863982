"""audit_event.facts: the optional hashed facts of an event that replay needs (e.g. deadline verdicts).

An event carries `facts` only when the engine found something outside the event that the case row depends on
(the timeliness of the deadlines a step ends); NULL otherwise, and then the event hashes exactly as before
(docs/audit-format.md §1). A plain ADD COLUMN, not batch mode: on SQLite batch mode would copy the table,
which its append-only triggers refuse.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('audit_event', sa.Column('facts', sa.Text(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE audit_event DROP COLUMN facts")
