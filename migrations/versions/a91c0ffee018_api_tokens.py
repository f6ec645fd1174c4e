"""api tokens

api_token: personal access tokens for the public API (stored as SHA-256 digests, named, scoped, revocable);
api_idempotent_answer: the first answer to a POST sent with an Idempotency-Key, per token and key. New tables
only.

"""
from alembic import op
import sqlalchemy as sa


revision = 'a91c0ffee018'
down_revision = 'f3a8c2d6e417'


def _utc():
    return sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'api_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('scopes', sa.String(length=40), nullable=False),
        sa.Column('hint', sa.String(length=12), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', _utc(), nullable=False),
        sa.Column('last_used_at', _utc(), nullable=True),
        sa.Column('revoked_at', _utc(), nullable=True),
        sa.ForeignKeyConstraint(
            ['user_id'], ['user_account.id'], name=op.f('fk_api_token_user_id_user_account'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash')),
    )
    op.create_index(op.f('ix_api_token_user_id'), 'api_token', ['user_id'], unique=False)
    op.create_table(
        'api_idempotent_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('request', sa.String(length=200), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ['token_id'], ['api_token.id'], name=op.f('fk_api_idempotent_answer_token_id_api_token'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_idempotent_answer')),
        sa.UniqueConstraint('token_id', 'key', name=op.f('uq_api_idempotent_answer_token_id')),
    )


def downgrade():
    op.drop_table('api_idempotent_answer')
    op.drop_index(op.f('ix_api_token_user_id'), table_name='api_token')
    op.drop_table('api_token')
