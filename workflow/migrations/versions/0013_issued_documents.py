"""Issued documents (issue 12): document_number_counter, one row per (organisation, 代字, year), and
issued_document, one row per document a step issued (its number, the SHA-256 of its stored PDF, its public
verification code). A number once issued is never deleted: a voided one keeps its row with its reason.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""
import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'document_number_counter',
        sa.Column('org_id', sa.String(length=64), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('last_number', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organization.id']),
        sa.PrimaryKeyConstraint('org_id', 'code', 'year'),
    )
    op.create_table(
        'issued_document',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('org_id', sa.String(length=64), nullable=False),
        sa.Column('case_id', sa.String(length=40), nullable=False),
        sa.Column('event_seq', sa.Integer(), nullable=False),
        sa.Column('doc_type', sa.String(length=64), nullable=False),
        sa.Column('template', sa.String(length=200), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('serial', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=100), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('verify_code', sa.String(length=32), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('voided_by', sa.String(length=64), nullable=True),
        sa.Column('void_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['org_id'], ['organization.id']),
        sa.ForeignKeyConstraint(['case_id'], ['case_file.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('verify_code'),
        sa.UniqueConstraint('org_id', 'code', 'year', 'serial', name='uq_issued_document_number'),
    )
    op.create_index('ix_issued_document_case_id', 'issued_document', ['case_id'])
    conn = op.get_bind()
    app_role = os.environ.get("LAWFLOW_DB_APP_ROLE")
    if conn.dialect.name == "postgresql" and app_role:  # numbers are incremented or voided, never deleted
        quoted = conn.dialect.identifier_preparer.quote(app_role)
        conn.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE ON document_number_counter TO {quoted}")
        conn.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE ON issued_document TO {quoted}")
        conn.exec_driver_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")


def downgrade() -> None:
    op.drop_index('ix_issued_document_case_id', table_name='issued_document')
    op.drop_table('issued_document')
    op.drop_table('document_number_counter')
