"""calendar versions and kept events

resource.calendar_version/calendar_updated_at and organization.calendar_version/calendar_updated_at:
raised and stamped when something a booking's calendar event shows changes (a facility's name, address,
coordinates, zone or mode; a university's name), so feeds, ETags, SEQUENCE and DTSTAMP follow.
calendar_event: each booking's VEVENT text per feed variant, kept with the version it was made from
(context digest, combined sequence, the booking's updated_at), so that a large feed is assembled rather
than rebuilt.

"""
from alembic import op
import sqlalchemy as sa

from booking.migration_ops import drop_columns


# revision identifiers, used by Alembic.
revision = 'b7c41d0e9a26'
down_revision = 'b7e4d2a9c1f0'


def upgrade():
    for table in ('resource', 'organization'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('calendar_version', sa.Integer(), server_default='0', nullable=False))
            batch_op.add_column(sa.Column('calendar_updated_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'calendar_event',
        sa.Column('booking_id', sa.Integer(), nullable=False),
        sa.Column('variant', sa.String(length=32), nullable=False),
        sa.Column('context', sa.String(length=32), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('stamp', sa.DateTime(timezone=True), nullable=False),
        sa.Column('vevent', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ['booking_id'], ['booking.id'],
            name=op.f('fk_calendar_event_booking_id_booking'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('booking_id', 'variant', name=op.f('pk_calendar_event')),
    )


def downgrade():
    op.drop_table('calendar_event')
    for table in ('organization', 'resource'):
        drop_columns(table, 'calendar_updated_at', 'calendar_version')
