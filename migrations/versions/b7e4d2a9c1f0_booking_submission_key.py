"""booking submission key

booking.submission_key: the one-time key of the form that made the booking; unique per person
(unique index uq_booking_submission_key on submission_key, user_id), so a form sent twice books once.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e4d2a9c1f0'
down_revision = 'a3c5e7d9f1b2'


def upgrade():
    # Both are native ALTERs on SQLite: no batch rebuild of a table that other tables reference.
    op.add_column('booking', sa.Column('submission_key', sa.String(length=64), nullable=True))
    op.create_index('uq_booking_submission_key', 'booking', ['submission_key', 'user_id'], unique=True)


def downgrade():
    op.drop_index('uq_booking_submission_key', table_name='booking')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE booking DROP COLUMN submission_key')  # SQLite 3.35+, no rebuild
    else:
        op.drop_column('booking', 'submission_key')
