"""Webhooks: a university's registered endpoints, and the outbox of deliveries written with the change."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, enum_column, utcnow
from models.enums import DeliveryStatus

URL_LENGTH = 500


class WebhookEndpoint(db.Model):
    """A URL of one university's own systems (door access, a portal) told of its facilities' bookings.

    `secret` is the shared HMAC key, stored encrypted (Fernet, booking.services.webhooks): the platform must
    read it back to sign, so it cannot be hashed like a password; a copy of the database alone cannot sign.
    """

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    university_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    url: Mapped[str] = mapped_column(sa.String(URL_LENGTH))
    description: Mapped[str] = mapped_column(sa.String(100), default="")
    # The WebhookEvent values it wants, as a JSON list of strings.
    events: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    secret: Mapped[str] = mapped_column(sa.String(300))
    enabled: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    deliveries: Mapped[list["WebhookDelivery"]] = relationship(
        back_populates="endpoint", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<WebhookEndpoint {self.id} {self.url}>"


class WebhookDelivery(db.Model):
    """One event for one endpoint, its JSON body fixed when the change was made.

    Written in the transaction of the change it reports, so a rolled-back change sends nothing; sent by the
    `deliver_webhooks` job, retried with backoff until WEBHOOK_MAX_ATTEMPTS.
    """

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), index=True
    )
    # The Webhook-Id header: the same on every attempt, so a receiver can drop a repeat.
    message_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    event: Mapped[str] = mapped_column(sa.String(40))
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("booking.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus), default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    last_status_code: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When a queued delivery is due; for a claimed ("sending") one, when its claim lapses.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    endpoint: Mapped[WebhookEndpoint] = relationship(back_populates="deliveries")

    __table_args__ = (
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
    )

    def __repr__(self) -> str:
        return f"<WebhookDelivery {self.id} {self.event} {self.status}>"
