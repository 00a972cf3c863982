"""Requests for government information: request_tracking_code, the hash of each request's tracking code.

Revision ID: 0017
Revises: 0015 (the integrator re-points it to 0016 when that lands)
Create Date: 2026-12-07
"""
import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'request_tracking_code',
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('case_id', sa.String(length=40), nullable=False),
        sa.Column('org_id', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case_file.id']),
        sa.ForeignKeyConstraint(['org_id'], ['organization.id']),
        sa.PrimaryKeyConstraint('code_hash'),
        sa.UniqueConstraint('case_id'),
    )
    conn = op.get_bind()
    app_role = os.environ.get("LAWFLOW_DB_APP_ROLE")
    if conn.dialect.name == "postgresql" and app_role:  # written once per request, read by the status page
        quoted = conn.dialect.identifier_preparer.quote(app_role)
        conn.exec_driver_sql(f"GRANT SELECT, INSERT ON request_tracking_code TO {quoted}")


def downgrade() -> None:
    op.drop_table('request_tracking_code')
