"""user session version

user_account.session_version: raised by logout and by a password change, so every session and
remember-me cookie issued before stops working (server-side revocation of signed cookies).

"""
from alembic import op
import sqlalchemy as sa

from booking.migration_ops import drop_columns


# revision identifiers, used by Alembic.
revision = 'a3c5e7d9f1b2'
down_revision = 'a7c3e9d2b415'


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    drop_columns('user_account', 'session_version')
