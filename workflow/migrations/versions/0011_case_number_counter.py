"""Case numbers per organisation: case_number_counter, one row per (organisation, procedure prefix, year).

workflow/numbering.py increments a row in the transaction that opens a case (the row stays locked until it
commits), instead of taking max + 1 over every organisation's ids. The counters are seeded from the existing
cases, each organisation from its own: the trailing number of `[<org>-]<PREFIX>-<year>-<number>` ids, so an
organisation's series continues where it stood and no number it issued is issued again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""
import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the engine's ids before 0011 (EC-2026-0005) and after (houlong-EC-2026-0006)
CASE_ID = re.compile(r"(?:.+-)?([A-Z]+)-([0-9]{4})-([0-9]+)")


def upgrade() -> None:
    counter = op.create_table(
        'case_number_counter',
        sa.Column('org_id', sa.String(length=64), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('last_number', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organization.id']),
        sa.PrimaryKeyConstraint('org_id', 'prefix', 'year'),
    )
    conn = op.get_bind()
    last: dict[tuple[str, str, int], int] = {}
    for case_id, org_id in conn.execute(sa.text("SELECT id, org_id FROM case_file")):
        match = CASE_ID.fullmatch(case_id)
        if match is None:
            continue
        key = (org_id, match.group(1), int(match.group(2)))
        last[key] = max(last.get(key, 0), int(match.group(3)))
    if last:
        op.bulk_insert(counter, [{"org_id": org, "prefix": prefix, "year": year, "last_number": number}
                                 for (org, prefix, year), number in sorted(last.items())])
    app_role = os.environ.get("LAWFLOW_DB_APP_ROLE")
    if conn.dialect.name == "postgresql" and app_role:  # incremented, never deleted
        quoted = conn.dialect.identifier_preparer.quote(app_role)
        conn.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE ON case_number_counter TO {quoted}")


def downgrade() -> None:
    op.drop_table('case_number_counter')
