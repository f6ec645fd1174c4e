"""facility photos

resource.photo_file (a file name in PHOTO_DIR, outside the web root), photo_alt_zh, photo_alt_en: a photo
a manager uploaded, checked by content and resized, with its description in both languages.

"""
from alembic import op
import sqlalchemy as sa

from booking.migration_ops import drop_columns


# revision identifiers, used by Alembic.
revision = 'e5a7d3c90b14'
down_revision = 'd91b3c7a5e20'


def upgrade():
    with op.batch_alter_table('resource', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_file', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('photo_alt_zh', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('photo_alt_en', sa.String(length=300), nullable=False, server_default=''))


def downgrade():
    drop_columns('resource', 'photo_alt_en', 'photo_alt_zh', 'photo_file')
