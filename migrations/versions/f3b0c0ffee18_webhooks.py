"""webhooks

webhook_endpoint: a university's registered endpoints (URL, events, encrypted signing secret, enabled);
webhook_delivery: the outbox of events written with the change they report, and the delivery log. New tables
only: nothing existing is rebuilt.

"""
from alembic import op
import sqlalchemy as sa


revision = 'f3b0c0ffee18'
down_revision = 'a91c0ffee018'


def _utc():
    return sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'webhook_endpoint',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('university_id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('description', sa.String(length=100), nullable=False),
        sa.Column('events', sa.JSON(), nullable=False),
        sa.Column('secret', sa.String(length=300), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', _utc(), nullable=False),
        sa.Column('updated_at', _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['user_account.id'], name=op.f('fk_webhook_endpoint_created_by_id_user_account'),
            ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['university_id'], ['organization.id'], name=op.f('fk_webhook_endpoint_university_id_organization')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoint')),
    )
    op.create_index(op.f('ix_webhook_endpoint_university_id'), 'webhook_endpoint', ['university_id'])
    op.create_table(
        'webhook_delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('endpoint_id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.String(length=40), nullable=False),
        sa.Column('event', sa.String(length=40), nullable=False),
        sa.Column('booking_id', sa.Integer(), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_status_code', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('created_at', _utc(), nullable=False),
        sa.Column('next_attempt_at', _utc(), nullable=False),
        sa.Column('delivered_at', _utc(), nullable=True),
        sa.CheckConstraint('attempts >= 0', name=op.f('ck_webhook_delivery_attempts_not_negative')),
        sa.ForeignKeyConstraint(
            ['booking_id'], ['booking.id'], name=op.f('fk_webhook_delivery_booking_id_booking'), ondelete='SET NULL'
        ),
        sa.ForeignKeyConstraint(
            ['endpoint_id'], ['webhook_endpoint.id'], name=op.f('fk_webhook_delivery_endpoint_id_webhook_endpoint'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery')),
        sa.UniqueConstraint('message_id', name=op.f('uq_webhook_delivery_message_id')),
    )
    op.create_index(op.f('ix_webhook_delivery_endpoint_id'), 'webhook_delivery', ['endpoint_id'])
    op.create_index('ix_webhook_delivery_due', 'webhook_delivery', ['status', 'next_attempt_at'])


def downgrade():
    op.drop_index('ix_webhook_delivery_due', table_name='webhook_delivery')
    op.drop_index(op.f('ix_webhook_delivery_endpoint_id'), table_name='webhook_delivery')
    op.drop_table('webhook_delivery')
    op.drop_index(op.f('ix_webhook_endpoint_university_id'), table_name='webhook_endpoint')
    op.drop_table('webhook_endpoint')
