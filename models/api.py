"""The public API's own storage: personal access tokens and the answers kept for idempotent POSTs."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.users import User


class ApiToken(db.Model):
    """A personal access token: named and scoped by its owner, shown once, stored as a SHA-256 digest.

    `scopes` is a space-separated subset of "read book manage". A revoked token (`revoked_at`) is kept so
    the owner's list says when it stopped working; it authenticates nothing."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    scopes: Mapped[str] = mapped_column(sa.String(40))
    # The first characters of the secret (after its "ccb_" prefix), so a person can tell tokens apart.
    hint: Mapped[str] = mapped_column(sa.String(12))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.name!r} user={self.user_id}>"


class IdempotentAnswer(db.Model):
    """The first answer to a POST sent with an Idempotency-Key, replayed for the same token and key."""

    __tablename__ = "api_idempotent_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(sa.ForeignKey("api_token.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(64))
    # The method and path the key was first used for: the same key on another operation is refused.
    request: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[int] = mapped_column()
    body: Mapped[str] = mapped_column(sa.Text())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.UniqueConstraint("token_id", "key"),)
