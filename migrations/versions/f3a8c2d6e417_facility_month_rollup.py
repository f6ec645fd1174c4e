"""facility month rollup

facility_month: each facility's local month, the sums of its facility_day rows and their approval lead
times, which the reports read for whole months (a year is twelve rows a facility, not 365).
The statistics job keeps it in step with facility_day; here it is filled from the days already written,
with this migration's own copy of the sums (a migration does not import the application). facility_day
gains an index on (university, day) for a university's days of a period.

"""
import json

from alembic import op
import sqlalchemy as sa


revision = 'f3a8c2d6e417'
down_revision = 'c0ffee17a001'

SUMMED = (
    'offered',
    'booked_resident',
    'booked_student',
    'booked_enterprise',
    'requests',
    'cancelled',
    'bookings',
    'no_shows',
    'waitlist_unserved',
)


def upgrade():
    month = op.create_table(
        'facility_month',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('resource_id', sa.Integer(), nullable=False),
        sa.Column('university_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('offered', sa.Float(), nullable=False),
        sa.Column('booked_resident', sa.Float(), nullable=False),
        sa.Column('booked_student', sa.Float(), nullable=False),
        sa.Column('booked_enterprise', sa.Float(), nullable=False),
        sa.Column('requests', sa.Integer(), nullable=False),
        sa.Column('cancelled', sa.Integer(), nullable=False),
        sa.Column('bookings', sa.Integer(), nullable=False),
        sa.Column('no_shows', sa.Integer(), nullable=False),
        sa.Column('waitlist_unserved', sa.Integer(), nullable=False),
        sa.Column('lead_minutes', sa.JSON(), server_default='[]', nullable=False),
        sa.ForeignKeyConstraint(
            ['resource_id'], ['resource.id'], name=op.f('fk_facility_month_resource_id_resource'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['university_id'], ['organization.id'], name=op.f('fk_facility_month_university_id_organization')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_facility_month')),
        sa.UniqueConstraint('resource_id', 'month', name='uq_facility_month_resource_month'),
    )
    op.create_index('ix_facility_month_month', 'facility_month', ['month'], unique=False)
    op.create_index(op.f('ix_facility_month_university_id'), 'facility_month', ['university_id'], unique=False)
    # A university's days of a period (a manager's weekly trend) as one index range.
    op.create_index('ix_facility_day_university_day', 'facility_day', ['university_id', 'day'], unique=False)
    _fill(month)


def _fill(month: sa.Table) -> None:
    """Sum the facility_day rows already written into their months, a month of one facility at a time."""
    days = sa.table(
        'facility_day',
        sa.column('resource_id'),
        sa.column('university_id'),
        sa.column('day', sa.Date()),
        sa.column('lead_minutes', sa.Text()),
        *(sa.column(name) for name in SUMMED),
    )
    bind = op.get_bind()
    query = sa.select(days).order_by(days.c.resource_id, days.c.day)
    rows: list[dict] = []
    current: dict | None = None
    lead: list = []
    for day in bind.execute(query):
        first = day.day.replace(day=1)
        if current is None or (current['resource_id'], current['month']) != (day.resource_id, first):
            if current is not None:
                current['lead_minutes'] = sorted(lead)
                rows.append(current)
            current = {
                'resource_id': day.resource_id,
                'university_id': day.university_id,
                'month': first,
                'days': 0,
                **dict.fromkeys(SUMMED, 0),
            }
            lead = []
        current['days'] += 1
        for name in SUMMED:
            current[name] += getattr(day, name) or 0
        minutes = day.lead_minutes
        if isinstance(minutes, str):  # SQLite's JSON is text; psycopg hands PostgreSQL's over parsed
            minutes = json.loads(minutes)
        lead += minutes or []
        if len(rows) >= 5000:
            bind.execute(sa.insert(month), rows)
            rows = []
    if current is not None:
        current['lead_minutes'] = sorted(lead)
        rows.append(current)
    if rows:
        bind.execute(sa.insert(month), rows)


def downgrade():
    op.drop_index('ix_facility_day_university_day', table_name='facility_day')
    op.drop_index(op.f('ix_facility_month_university_id'), table_name='facility_month')
    op.drop_index('ix_facility_month_month', table_name='facility_month')
    op.drop_table('facility_month')
