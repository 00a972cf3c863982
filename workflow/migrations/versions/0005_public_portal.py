"""The public consultation portal: each organisation's portal account, and the rate limit's submissions.

Organisations created before this revision get their portal account (`public.<org>`, role `public`, a
password hash no password matches), which `accounts.ensure_org` creates for new ones. portal_submission
holds one row per comment form submitted on the portal, with a keyed hash of the client address (never the
address), for a day.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As workflow/accounts.py has them at this revision (a migration does not follow later code changes).
PORTAL_ROLE = "public"
PORTAL_NAME = "社会公众（公开征求意见平台）"
UNUSABLE_PASSWORD = "!portal-account-no-login"


def upgrade() -> None:
    op.create_table('portal_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('org_id', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('portal_submission', schema=None) as batch_op:
        batch_op.create_index('ix_portal_submission_at', ['at'], unique=False)
        batch_op.create_index('ix_portal_submission_client_at', ['client', 'at'], unique=False)
    conn = op.get_bind()
    app_role = os.environ.get("LAWFLOW_DB_APP_ROLE")
    if conn.dialect.name == "postgresql" and app_role:  # rows are added and, after a day, deleted
        quoted = conn.dialect.identifier_preparer.quote(app_role)
        conn.exec_driver_sql(f"GRANT SELECT, INSERT, DELETE ON portal_submission TO {quoted}")
        conn.exec_driver_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")

    users = sa.table('app_user', sa.column('id', sa.Integer), sa.column('username', sa.String),
                     sa.column('display_name', sa.String), sa.column('unit', sa.String),
                     sa.column('org_id', sa.String), sa.column('password_hash', sa.String),
                     sa.column('active', sa.Boolean))
    roles = sa.table('role_assignment', sa.column('user_id', sa.Integer), sa.column('role', sa.String))
    for (org_id,) in conn.execute(sa.text("SELECT id FROM organization ORDER BY id")).all():
        username = f"public.{org_id}"
        if conn.execute(sa.select(users.c.id).where(users.c.username == username)).first() is not None:
            continue
        conn.execute(users.insert().values(username=username, display_name=PORTAL_NAME, unit="", org_id=org_id,
                                           password_hash=UNUSABLE_PASSWORD, active=True))
        user_id = conn.execute(sa.select(users.c.id).where(users.c.username == username)).scalar_one()
        conn.execute(roles.insert().values(user_id=user_id, role=PORTAL_ROLE))


def downgrade() -> None:
    # The portal accounts stay: audit events name them as actors, and the older schema holds them as it is.
    with op.batch_alter_table('portal_submission', schema=None) as batch_op:
        batch_op.drop_index('ix_portal_submission_client_at')
        batch_op.drop_index('ix_portal_submission_at')
    op.drop_table('portal_submission')
