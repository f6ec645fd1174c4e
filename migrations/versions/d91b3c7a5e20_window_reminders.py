"""window reminders

window_reminder: a person asked to be told when a facility's booking window reaches the first date of a
series it cut short; the scheduler tells them once at remind_at (sent_at), unique per person, facility
and date.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd91b3c7a5e20'
down_revision = 'c4f2a8e61d07'


def upgrade():
    op.create_table(
        'window_reminder',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('resource_id', sa.Integer(), nullable=False),
        sa.Column('first_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('remind_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['resource_id'], ['resource.id'], name=op.f('fk_window_reminder_resource_id_resource')
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['user_account.id'], name=op.f('fk_window_reminder_user_id_user_account')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_window_reminder')),
        sa.UniqueConstraint('user_id', 'resource_id', 'first_start', name='uq_window_reminder'),
    )
    with op.batch_alter_table('window_reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_window_reminder_remind_at'), ['remind_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_window_reminder_resource_id'), ['resource_id'], unique=False)


def downgrade():
    with op.batch_alter_table('window_reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_window_reminder_resource_id'))
        batch_op.drop_index(batch_op.f('ix_window_reminder_remind_at'))
    op.drop_table('window_reminder')
