"""english campus and address

resource.campus_en, resource.address_en: a facility's campus and address in English, shown on English
pages where given (the existing campus and address are the Chinese ones). Empty for every existing row.

"""
from alembic import op
import sqlalchemy as sa

from booking.migration_ops import drop_columns


# revision identifiers, used by Alembic.
revision = 'c4f2a8e61d07'
down_revision = 'c15becc70503'


def upgrade():
    with op.batch_alter_table('resource', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campus_en', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('address_en', sa.String(length=300), nullable=False, server_default=''))


def downgrade():
    drop_columns('resource', 'address_en', 'campus_en')
