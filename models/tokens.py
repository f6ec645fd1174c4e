"""One-time account links: email verification and password reset, stored only as hashes."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow


class AccountToken(db.Model):
    """A link (and, for verification, a 6-digit code) sent to one address for one purpose.

    Only a SHA-256 digest of the link's secret is stored, and an HMAC of the code, so a copy of the
    database opens no account. A token is used at most once (`used_at`), expires (`expires_at`), and is
    bound to the person and to the address it was sent to.
    """

    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))  # "verify_email" or "reset_password"
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    code_hash: Mapped[str | None] = mapped_column(sa.String(64))
    code_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # The address the link was sent to: a verification confirms exactly this address.
    email: Mapped[str] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<AccountToken {self.id} {self.purpose} user={self.user_id}>"
