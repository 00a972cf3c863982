"""Web sessions kept on the server, so that logging out revokes a copied cookie; organisations' parents.

web_session holds one row per web login (the SHA-256 of the random token the signed cookie carries, never the
token): logging out deletes it, and a session whose row is gone is no login. organization.parent_id names the
supervising organisation (`lawflow org add --parent`). The runtime role may also read alembic_version, so that
`lawflow demo` run as that role can see the schema is current instead of trying to migrate it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""
import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('web_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_web_session_seen_at'), ['seen_at'], unique=False)
    # Not batch mode on SQLite: a copy-and-move of organization is refused by the tables referring to it;
    # SQLite adds a column with its REFERENCES clause in place.
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        op.execute("ALTER TABLE organization ADD COLUMN parent_id VARCHAR(64) REFERENCES organization (id)")
    else:
        op.add_column('organization', sa.Column('parent_id', sa.String(length=64), nullable=True))
        op.create_foreign_key('fk_organization_parent_id', 'organization', 'organization', ['parent_id'], ['id'])
    app_role = os.environ.get("LAWFLOW_DB_APP_ROLE")
    if conn.dialect.name == "postgresql" and app_role:  # sessions are added, refreshed and deleted at logout
        quoted = conn.dialect.identifier_preparer.quote(app_role)
        conn.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON web_session TO {quoted}")
        conn.exec_driver_sql(f"GRANT SELECT ON alembic_version TO {quoted}")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        op.drop_constraint('fk_organization_parent_id', 'organization', type_='foreignkey')
    op.execute("ALTER TABLE organization DROP COLUMN parent_id")
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_session_seen_at'))
        batch_op.drop_index(batch_op.f('ix_web_session_user_id'))
    op.drop_table('web_session')
