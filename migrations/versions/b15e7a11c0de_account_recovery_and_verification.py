"""account recovery, email verification and deletion

user_account.email_verified_at (existing accounts are backfilled as verified: they signed up before
verification existed, and the demo and test accounts must keep booking), pending_email (a change of
address waiting for its own confirmation) and deleted_at (an account deleted by its owner, kept
anonymised for the city's counts); account_token: the hashed one-time links and codes of email
verification and password reset.

"""

from alembic import op
import sqlalchemy as sa

from booking.migration_ops import drop_columns


revision = "b15e7a11c0de"
down_revision = "a14c0ffee001"


def upgrade():
    # Native ADD COLUMN on both databases: no batch rebuild of a table that others refer to.
    op.add_column("user_account", sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("user_account", sa.Column("pending_email", sa.String(length=254), nullable=True))
    op.add_column("user_account", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE user_account SET email_verified_at = created_at")
    op.create_table(
        "account_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_account_token_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_token_token_hash")),
    )
    op.create_index(op.f("ix_account_token_user_id"), "account_token", ["user_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_account_token_user_id"), table_name="account_token")
    op.drop_table("account_token")
    drop_columns("user_account", "deleted_at", "pending_email", "email_verified_at")
