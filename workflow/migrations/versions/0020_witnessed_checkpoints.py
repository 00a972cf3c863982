"""Witnessed checkpoints at the district: its towns' trusted keys, the checkpoints it co-signed and kept, and the
inconsistencies it found (workflow/audit/cosigning.py, docs/witnessing.md). All three are append-only.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from workflow.migrations.append_only import install_append_only_tables

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = {"witness_town_key": ["id"], "witnessed_checkpoint": ["id"], "witness_finding": ["id"]}


def upgrade() -> None:
    op.create_table(
        'witness_town_key',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.String(length=64), nullable=False),
        sa.Column('origin', sa.String(length=200), nullable=False),
        sa.Column('key_id', sa.String(length=16), nullable=False),
        sa.Column('public_key', sa.String(length=64), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('added_by', sa.String(length=64), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organization.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('org_id', 'key_id'),
    )
    op.create_index(op.f('ix_witness_town_key_org_id'), 'witness_town_key', ['org_id'], unique=False)
    op.create_table(
        'witnessed_checkpoint',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.String(length=64), nullable=False),
        sa.Column('origin', sa.String(length=200), nullable=False),
        sa.Column('tree_size', sa.Integer(), nullable=False),
        sa.Column('root', sa.String(length=64), nullable=False),
        sa.Column('issued_at', sa.String(length=32), nullable=False),
        sa.Column('prev_checkpoint', sa.String(length=64), nullable=True),
        sa.Column('key_id', sa.String(length=16), nullable=False),
        sa.Column('signature', sa.String(length=100), nullable=False),
        sa.Column('cosignature', sa.Text(), nullable=False),
        sa.Column('transport', sa.String(length=8), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organization.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('org_id', 'tree_size'),
    )
    op.create_index(op.f('ix_witnessed_checkpoint_org_id'), 'witnessed_checkpoint', ['org_id'], unique=False)
    op.create_table(
        'witness_finding',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('tree_size', sa.Integer(), nullable=False),
        sa.Column('root', sa.String(length=64), nullable=False),
        sa.Column('held_size', sa.Integer(), nullable=False),
        sa.Column('held_root', sa.String(length=64), nullable=False),
        sa.Column('zh', sa.Text(), nullable=False),
        sa.Column('en', sa.Text(), nullable=False),
        sa.Column('checkpoint', sa.Text(), nullable=False),
        sa.Column('transport', sa.String(length=8), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organization.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_witness_finding_org_id'), 'witness_finding', ['org_id'], unique=False)
    install_append_only_tables(op.get_bind(), TABLES)


def downgrade() -> None:
    for table in TABLES:  # dropping a table drops its triggers with it
        op.drop_index(op.f(f'ix_{table}_org_id'), table_name=table)
        op.drop_table(table)
