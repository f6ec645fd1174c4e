"""facility day statistics

facility_day: one row per facility and local day (open hours, booked hours, bookings by category,
no-shows), written once by the nightly snapshot job; the unique (resource_id, day) pair makes a
second scheduler's insert a no-op.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '319554ff634c'
down_revision = '87f95eaf437d'


def upgrade():
    op.create_table(
        'facility_day',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('resource_id', sa.Integer(), nullable=False),
        sa.Column('university_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('open_hours', sa.Float(), nullable=False),
        sa.Column('booked_hours', sa.Float(), nullable=False),
        sa.Column('place_hours', sa.Float(), nullable=False),
        sa.Column('bookings', sa.Integer(), nullable=False),
        sa.Column('bookings_by_category', sa.JSON(), nullable=False),
        sa.Column('no_shows', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['resource_id'], ['resource.id'],
            name=op.f('fk_facility_day_resource_id_resource'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['university_id'], ['organization.id'], name=op.f('fk_facility_day_university_id_organization')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_facility_day')),
        sa.UniqueConstraint('resource_id', 'day', name='uq_facility_day_resource_day'),
    )
    with op.batch_alter_table('facility_day', schema=None) as batch_op:
        batch_op.create_index('ix_facility_day_day', ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_facility_day_university_id'), ['university_id'], unique=False)


def downgrade():
    with op.batch_alter_table('facility_day', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_facility_day_university_id'))
        batch_op.drop_index('ix_facility_day_day')
    op.drop_table('facility_day')
