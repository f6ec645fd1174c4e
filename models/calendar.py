"""Calendar events kept ready: each booking's VEVENT text, built once per version and reused by feeds."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db


class CalendarEvent(db.Model):
    """One booking's VEVENT as one kind of feed shows it (`variant`: private or public, and the language).

    `version` digests everything the text was made from (the booking's, facility's and university's
    calendar versions, the words and links); a row whose version differs from the current one is stale
    and is rebuilt, so nothing ever has to invalidate it.
    """

    __tablename__ = "calendar_event"

    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("booking.id", ondelete="CASCADE"), primary_key=True)
    variant: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(128))
    vevent: Mapped[str] = mapped_column(sa.Text)
