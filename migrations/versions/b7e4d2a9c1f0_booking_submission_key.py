"""booking submission key

booking.submission_key: the one-time key of the form that made the booking; unique per person
(uq_booking_submission_key on submission_key, user_id), so a form sent twice books once.

Revision ID: b7e4d2a9c1f0
Revises: 319554ff634c
Create Date: 2026-12-07 04:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e4d2a9c1f0'
down_revision = '319554ff634c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_booking_submission_key'), ['submission_key', 'user_id']
        )


def downgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_booking_submission_key'), type_='unique')
        batch_op.drop_column('submission_key')
