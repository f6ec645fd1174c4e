"""What happened and who was told: the audit log and the in-app notification inbox."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.users import User


class AuditEvent(db.Model):
    """Every state change and every override: who did what to which record, and when."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    # The university whose managers may read the event; None for city-wide events.
    university_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    target_type: Mapped[str] = mapped_column(sa.String(40))
    target_id: Mapped[int | None] = mapped_column()
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()

    __table_args__ = (sa.Index("ix_audit_event_target", "target_type", "target_id"),)


class Notification(db.Model):
    """An in-app message; the text is rendered from kind and params in the reader's language."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("booking.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set for a manager who takes request emails as a digest; cleared when a digest includes it.
    digest_pending: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    __table_args__ = (
        sa.Index("ix_notification_user_read", "user_id", "read_at"),
        # The inbox: one person's notifications, newest first.
        sa.Index("ix_notification_user_created", "user_id", "created_at"),
        sa.Index("ix_notification_digest_pending", "digest_pending", "user_id"),
    )
