"""facility applications

application_form: the versioned questions, terms and attachment rule of a facility or a kind of facility;
booking_application: a request's answers and the terms version it accepted; booking_attachment: the files
attached to a request (stored in ATTACHMENT_DIR, outside the web root). New tables only: nothing existing
is rebuilt.

"""
from alembic import op
import sqlalchemy as sa


revision = 'c0ffee17a001'
down_revision = 'ca5501e0b2d7'


def _utc():
    return sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'application_form',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('university_id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=40), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('questions', sa.JSON(), nullable=False),
        sa.Column('terms_zh', sa.Text(), nullable=False),
        sa.Column('terms_en', sa.Text(), nullable=False),
        sa.Column('attachment', sa.String(length=10), nullable=False),
        sa.Column('attachment_hint_zh', sa.String(length=300), nullable=False),
        sa.Column('attachment_hint_en', sa.String(length=300), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', _utc(), nullable=False),
        sa.CheckConstraint('version >= 1', name=op.f('ck_application_form_version_positive')),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['user_account.id'], name=op.f('fk_application_form_created_by_id_user_account')
        ),
        sa.ForeignKeyConstraint(
            ['university_id'], ['organization.id'], name=op.f('fk_application_form_university_id_organization')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_application_form')),
        sa.UniqueConstraint('university_id', 'scope', 'version', name='uq_application_form_version'),
    )
    op.create_table(
        'booking_application',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('form_id', sa.Integer(), nullable=False),
        sa.Column('booking_id', sa.Integer(), nullable=False),
        sa.Column('series_id', sa.Integer(), nullable=True),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.Column('terms_accepted_at', _utc(), nullable=True),
        sa.Column('created_at', _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ['booking_id'], ['booking.id'], name=op.f('fk_booking_application_booking_id_booking')
        ),
        sa.ForeignKeyConstraint(
            ['form_id'], ['application_form.id'], name=op.f('fk_booking_application_form_id_application_form')
        ),
        sa.ForeignKeyConstraint(
            ['series_id'], ['series.id'], name=op.f('fk_booking_application_series_id_series')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_application')),
        sa.UniqueConstraint('booking_id', name=op.f('uq_booking_application_booking_id')),
    )
    op.create_index(
        op.f('ix_booking_application_series_id'), 'booking_application', ['series_id'], unique=False
    )
    op.create_table(
        'booking_attachment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('stored_name', sa.String(length=80), nullable=False),
        sa.Column('original_name', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=40), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('created_at', _utc(), nullable=False),
        sa.Column('removed_at', _utc(), nullable=True),
        sa.ForeignKeyConstraint(
            ['application_id'],
            ['booking_application.id'],
            name=op.f('fk_booking_attachment_application_id_booking_application'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_attachment')),
        sa.UniqueConstraint('stored_name', name=op.f('uq_booking_attachment_stored_name')),
    )
    op.create_index(
        op.f('ix_booking_attachment_application_id'), 'booking_attachment', ['application_id'], unique=False
    )


def downgrade():
    op.drop_index(op.f('ix_booking_attachment_application_id'), table_name='booking_attachment')
    op.drop_table('booking_attachment')
    op.drop_index(op.f('ix_booking_application_series_id'), table_name='booking_application')
    op.drop_table('booking_application')
    op.drop_table('application_form')
