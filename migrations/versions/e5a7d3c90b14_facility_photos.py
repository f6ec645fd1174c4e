"""facility photos

resource.photo_file (a file name in PHOTO_DIR, outside the web root), photo_alt_zh, photo_alt_en: a photo
a manager uploaded, checked by content and resized, with its description in both languages.

Revision ID: e5a7d3c90b14
Revises: d91b3c7a5e20
Create Date: 2026-12-07 05:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a7d3c90b14'
down_revision = 'd91b3c7a5e20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('resource', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_file', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('photo_alt_zh', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('photo_alt_en', sa.String(length=300), nullable=False, server_default=''))


def downgrade():
    _drop_columns('resource', 'photo_alt_en', 'photo_alt_zh', 'photo_file')


def _drop_columns(table, *columns):
    """SQLite: its native DROP COLUMN; a batch rebuild would DROP TABLE, which foreign keys forbid once
    rows refer to it."""
    if op.get_bind().dialect.name == 'sqlite':
        for column in columns:
            op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
    else:
        for column in columns:
            op.drop_column(table, column)
