"""english campus and address

resource.campus_en, resource.address_en: a facility's campus and address in English, shown on English
pages where given (the existing campus and address are the Chinese ones). Empty for every existing row.

Revision ID: c4f2a8e61d07
Revises: c15becc70503
Create Date: 2026-12-07 04:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4f2a8e61d07'
down_revision = 'c15becc70503'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('resource', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campus_en', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('address_en', sa.String(length=300), nullable=False, server_default=''))


def downgrade():
    _drop_columns('resource', 'address_en', 'campus_en')


def _drop_columns(table, *columns):
    """SQLite: its native DROP COLUMN; a batch rebuild would DROP TABLE, which foreign keys forbid once
    rows refer to it."""
    if op.get_bind().dialect.name == 'sqlite':
        for column in columns:
            op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
    else:
        for column in columns:
            op.drop_column(table, column)
