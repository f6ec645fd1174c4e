"""People with an account: their category, verification, rights and preferences."""

import hashlib
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, enum_column, utcnow
from models.enums import Category, Verification, effective_category
from models.organizations import Organization


class User(UserMixin, db.Model):
    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored in its normalised form (booking.mailbox), so the unique constraint is one account per mailbox.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(100))
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    category: Mapped[Category] = mapped_column(enum_column(Category))
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    student_number: Mapped[str | None] = mapped_column(sa.String(40))
    verification: Mapped[Verification] = mapped_column(enum_column(Verification), default=Verification.NONE)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A manager is staff of exactly one university; admins belong to the city office.
    manages_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    is_admin: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    # Managers: True gets new requests in one digest email per scheduled run instead of one email each.
    notify_digest: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    feed_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # Raised by logout and by a password change: every login issued before stops working (session_marker).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the person proved they read mail at `email`. Accounts made by the platform itself (demo data,
    # create-admin, a university's sign-on) count as verified; self-service sign-up stores None until the
    # emailed link or code is used (booking.services.email_verification).
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=utcnow)
    # A new address the person asked for: it replaces `email` only once its own link or code is used.
    pending_email: Mapped[str | None] = mapped_column(sa.String(254))
    # Set when the person deleted their account; the row stays, anonymised, for the city's counts.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organization: Mapped[Organization | None] = relationship(foreign_keys=[organization_id])
    manages: Mapped[Organization | None] = relationship(foreign_keys=[manages_id])

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive accounts cannot log in
        return self.active

    @property
    def session_marker(self) -> str:
        """Changes with the session version and the password, so older sessions and remember-me cookies
        stop working."""
        return hashlib.sha256(f"{self.session_version}.{self.password_hash}".encode()).hexdigest()[:16]

    def get_id(self) -> str:  # Flask-Login's identity; the web layer adds when the login was issued
        return f"{self.id}.{self.session_marker}"

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_manager(self) -> bool:
        return self.manages_id is not None

    @property
    def effective_category(self) -> Category:
        """Unverified students and enterprise members book as residents (models.enums.effective_category;
        docs/architecture.md, "Domain rules")."""
        # Only an enterprise member's category depends on their organization: nobody else's is loaded.
        organization_verified = (
            self.category == Category.ENTERPRISE
            and self.organization is not None
            and self.organization.is_verified
        )
        return effective_category(self.category, self.verification, organization_verified)

    def can_manage(self, university_id: int | None) -> bool:
        return self.is_admin or (university_id is not None and self.manages_id == university_id)

    def __repr__(self) -> str:
        return f"<User {self.email}>"
