"""user session version

user_account.session_version: raised by logout and by a password change, so every session and
remember-me cookie issued before stops working (server-side revocation of signed cookies).

Revision ID: a3c5e7d9f1b2
Revises: a7c3e9d2b415
Create Date: 2026-12-07 04:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c5e7d9f1b2'
down_revision = 'a7c3e9d2b415'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    _drop_columns('user_account', 'session_version')


def _drop_columns(table, *columns):
    """SQLite: its native DROP COLUMN; a batch rebuild would DROP TABLE, which foreign keys forbid once
    rows refer to it."""
    if op.get_bind().dialect.name == 'sqlite':
        for column in columns:
            op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
    else:
        for column in columns:
            op.drop_column(table, column)
