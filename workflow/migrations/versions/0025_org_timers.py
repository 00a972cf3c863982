"""Organisation-level timers (issue 11 item 1, workflow/timers/org_timers.py): org_timer_act (each act once, its
key unique), and notification.case_id made nullable, for a notice that concerns no case (a certificate, the next
year's holiday data). Existing notices all keep their case.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-08
"""
import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'org_timer_act',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.String(length=64), nullable=False),
        sa.Column('timer', sa.String(length=48), nullable=False),
        sa.Column('subject', sa.String(length=100), nullable=False),
        sa.Column('act', sa.String(length=40), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organization.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('org_id', 'timer', 'subject', 'act', name='uq_org_timer_act_key'),
    )
    # SQLite cannot drop a NOT NULL in place: batch mode copies the table (its index comes along).
    with op.batch_alter_table('notification') as batch:
        batch.alter_column('case_id', existing_type=sa.String(length=40), nullable=True)
    conn = op.get_bind()
    app_role = os.environ.get("LAWFLOW_DB_APP_ROLE")
    if conn.dialect.name == "postgresql" and app_role:
        quoted = conn.dialect.identifier_preparer.quote(app_role)
        conn.exec_driver_sql(f"GRANT SELECT, INSERT ON org_timer_act TO {quoted}")  # each act once, never changed
        conn.exec_driver_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")


def downgrade() -> None:
    op.execute("DELETE FROM notification WHERE case_id IS NULL")
    with op.batch_alter_table('notification') as batch:
        batch.alter_column('case_id', existing_type=sa.String(length=40), nullable=False)
    op.drop_table('org_timer_act')
