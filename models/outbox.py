"""The email outbox: messages written in the same transaction as the change they report, sent after commit."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, enum_column, utcnow
from models.enums import EmailStatus


class EmailMessage(db.Model):
    """One email to one address, already rendered in the recipient's language.

    A rolled-back transaction takes its messages with it, so nobody hears of a change that never
    happened; a failed send stays here with its error and is retried later (booking.mail).
    """

    __tablename__ = "email_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    # The notification kind it reports, or "digest".
    kind: Mapped[str] = mapped_column(sa.String(40))
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    # An iCalendar file to attach (booking confirmations), if any.
    ics: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    status: Mapped[EmailStatus] = mapped_column(enum_column(EmailStatus), default=EmailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When a queued message is due; for a claimed ("sending") one, when its claim lapses.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.Index("ix_email_message_due", "status", "next_attempt_at"),
    )

    def __repr__(self) -> str:
        return f"<EmailMessage {self.id} {self.kind} {self.status}>"
