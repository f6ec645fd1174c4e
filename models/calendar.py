"""Calendar events kept ready: each booking's VEVENT text, built once per version and reused by feeds."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db


class CalendarEvent(db.Model):
    """One booking's VEVENT as one kind of feed shows it (`variant`: private, in one language).

    The text is current while the version it was made from is: `context` (a digest of the words and links
    of the feed), `sequence` (the booking's SEQUENCE plus its facility's and university's calendar versions,
    which rises with every change any of them makes to the event) and `stamp` (the booking's updated_at).
    A feed compares them in its query, so nothing ever has to invalidate a kept event.
    """

    __tablename__ = "calendar_event"

    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("booking.id", ondelete="CASCADE"), primary_key=True)
    variant: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    context: Mapped[str] = mapped_column(sa.String(32))
    sequence: Mapped[int] = mapped_column()
    stamp: Mapped[datetime] = mapped_column(UTCDateTime())
    vevent: Mapped[str] = mapped_column(sa.Text)
