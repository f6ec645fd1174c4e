"""campus sign-on

campus_sign_on: one university's CAS server (URL, protocol 2 or 3, the attribute carrying the student or staff
number, optionally the attribute telling students from staff and the values meaning staff, attributes that
prefill a new account's name and email, enabled), set by the city office. campus_identity: an account linked
to a person's CAS identity at one university (unique per university and CAS user, and per university and
account).

"""
from alembic import op
import sqlalchemy as sa


revision = 'ca5501e0b2d7'
down_revision = 'b15e7a11c0de'


def upgrade():
    op.create_table(
        'campus_sign_on',
        sa.Column('university_id', sa.Integer(), nullable=False),
        sa.Column('server_url', sa.String(length=300), nullable=False),
        sa.Column('protocol', sa.SmallInteger(), nullable=False),
        sa.Column('number_attribute', sa.String(length=64), nullable=False),
        sa.Column('role_attribute', sa.String(length=64), nullable=True),
        sa.Column('staff_values', sa.String(length=300), nullable=True),
        sa.Column('name_attribute', sa.String(length=64), nullable=True),
        sa.Column('email_attribute', sa.String(length=64), nullable=True),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['university_id'], ['organization.id'], name='fk_campus_sign_on_university_id_organization'
        ),
        sa.PrimaryKeyConstraint('university_id', name='pk_campus_sign_on'),
    )
    op.create_table(
        'campus_identity',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('university_id', sa.Integer(), nullable=False),
        sa.Column('cas_user', sa.String(length=255), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=40), nullable=False),
        sa.Column('role', sa.Enum('student', 'staff', name='campusrole', native_enum=False, length=10),
                  nullable=False),
        sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_sign_in_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['university_id'], ['organization.id'], name='fk_campus_identity_university_id_organization'
        ),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name='fk_campus_identity_user_id_user_account'),
        sa.PrimaryKeyConstraint('id', name='pk_campus_identity'),
        sa.UniqueConstraint('university_id', 'cas_user', name='uq_campus_identity_cas_user'),
        sa.UniqueConstraint('university_id', 'user_id', name='uq_campus_identity_user'),
    )
    op.create_index('ix_campus_identity_user_id', 'campus_identity', ['user_id'], unique=False)


def downgrade():
    op.drop_index('ix_campus_identity_user_id', table_name='campus_identity')
    op.drop_table('campus_identity')
    op.drop_table('campus_sign_on')
