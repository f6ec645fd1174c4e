"""Bookings, the series they may belong to, and the waitlist."""

import uuid
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, enum_column, utcnow
from models.enums import ACTIVE_STATUSES, BookingStatus, Frequency, Mode, WaitlistStatus
from models.organizations import Organization
from models.resources import Resource
from models.users import User


class Series(db.Model):
    """A repeat rule; each occurrence is its own Booking row."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    resource_id: Mapped[int] = mapped_column(sa.ForeignKey("resource.id"), index=True)
    frequency: Mapped[Frequency] = mapped_column(enum_column(Frequency))
    interval: Mapped[int] = mapped_column(default=1)
    weekdays: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    count: Mapped[int | None] = mapped_column()
    until: Mapped[date | None] = mapped_column(sa.Date)
    local_start: Mapped[time] = mapped_column(sa.Time)
    duration_minutes: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    bookings: Mapped[list["Booking"]] = relationship(back_populates="series", order_by="Booking.start_at")


class Booking(db.Model):
    __tablename__ = "booking"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable forever; the iCalendar UID. Carries no personal data.
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True, default=lambda: str(uuid.uuid4()))
    resource_id: Mapped[int] = mapped_column(sa.ForeignKey("resource.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    series_id: Mapped[int | None] = mapped_column(sa.ForeignKey("series.id"), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # end_at plus the facility's buffer at booking time: what the slot really blocks.
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime())
    # Copied from the facility's mode so PostgreSQL's exclusion constraint can be partial on it.
    exclusive: Mapped[bool] = mapped_column(default=True)
    party_size: Mapped[int] = mapped_column(default=1)
    purpose: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[BookingStatus] = mapped_column(enum_column(BookingStatus), index=True)
    booked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    override_reason: Mapped[str | None] = mapped_column(sa.String(500))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(sa.String(500))
    checkin_code: Mapped[str | None] = mapped_column(sa.String(12))
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The one-time key of the form that made it (the first booking of a series): a form sent again finds
    # this booking instead of making another. Unique per person, so two sends at once cannot both insert.
    submission_key: Mapped[str | None] = mapped_column(sa.String(64))

    resource: Mapped[Resource] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    organization: Mapped[Organization | None] = relationship()
    series: Mapped[Series | None] = relationship(back_populates="bookings")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    booked_by: Mapped[User | None] = relationship(foreign_keys=[booked_by_id])

    __table_args__ = (
        sa.CheckConstraint("end_at > start_at", name="ends_after_start"),
        sa.CheckConstraint("blocked_until >= end_at", name="blocked_after_end"),
        sa.CheckConstraint("party_size >= 1", name="party_size_positive"),
        # Serves conflict checks, grids and availability search: one facility's bookings by time.
        sa.Index("ix_booking_resource_span", "resource_id", "start_at", "blocked_until"),
        sa.Index("ix_booking_status_start", "status", "start_at"),
        # A unique index, not a constraint: SQLite adds it without rebuilding the table.
        sa.Index("uq_booking_submission_key", "submission_key", "user_id", unique=True),
    )

    @classmethod
    def held_by(
        cls, user: User, resource: Resource, start: datetime, end: datetime, **columns: Any
    ) -> "Booking":
        """A new booking of `resource` held by `user` from `start` to `end`: in the name of the holder's
        organization, `exclusive` as the facility's mode is; `columns` set the rest (or override those)."""
        held = {
            "resource_id": resource.id,
            "user_id": user.id,
            "organization_id": user.organization_id,
            "start_at": start,
            "end_at": end,
            "exclusive": resource.mode == Mode.EXCLUSIVE,
        }
        return cls(**(held | columns))

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class WaitlistEntry(db.Model):
    """Someone waiting for an interval that was taken; served first-come."""

    __tablename__ = "waitlist_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(sa.ForeignKey("resource.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    party_size: Mapped[int] = mapped_column(default=1)
    purpose: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[WaitlistStatus] = mapped_column(
        enum_column(WaitlistStatus), default=WaitlistStatus.WAITING
    )
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("booking.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    resource: Mapped[Resource] = relationship()
    user: Mapped[User] = relationship()


class WindowReminder(db.Model):
    """A person's wish to be told when a facility's booking window reaches a date it could not book yet
    (the later dates of a series it cut short); told once, at `remind_at`."""

    __tablename__ = "window_reminder"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "resource_id", "first_start", name="uq_window_reminder"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    resource_id: Mapped[int] = mapped_column(sa.ForeignKey("resource.id"), index=True)
    first_start: Mapped[datetime] = mapped_column(UTCDateTime())  # the first date that was out of reach
    remind_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    resource: Mapped[Resource] = relationship()
