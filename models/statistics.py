"""Usage statistics: one row per facility and local day, snapshotted once the day is over."""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.resources import Resource


class FacilityDay(db.Model):
    """How one facility was used on one day (in its own time zone), for the city's reports.

    Written once by the nightly snapshot and never changed: the unique (resource, day) pair is how two
    schedulers, or a run repeated, write it only once.
    """

    __tablename__ = "facility_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(sa.ForeignKey("resource.id", ondelete="CASCADE"))
    # Copied from the facility so reports per university need no join.
    university_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    day: Mapped[date] = mapped_column(sa.Date)
    # Hours of that day the facility was open: opening hours less closures.
    open_hours: Mapped[float] = mapped_column(sa.Float)
    # Hours of that day held by bookings that went ahead (confirmed, checked in, completed), each booking
    # once; place_hours weighs each by its party size (the measure for shared rooms).
    booked_hours: Mapped[float] = mapped_column(sa.Float)
    place_hours: Mapped[float] = mapped_column(sa.Float)
    # Those bookings that started that day, in all and by the booker's category ({"resident": 3, ...}).
    bookings: Mapped[int] = mapped_column()
    bookings_by_category: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Bookings that started that day and ended as no-shows.
    no_shows: Mapped[int] = mapped_column()
    # The reports' measures (booking.services.reports defines them). Offered: open hours, or for placements
    # seats x open days (seat-days). Booked: hours of that day held by bookings that went ahead or were
    # missed, weighted by party size / capacity for shared rooms (seat-days for placements), by category.
    offered: Mapped[float] = mapped_column(sa.Float, default=0.0, server_default="0")
    booked_resident: Mapped[float] = mapped_column(sa.Float, default=0.0, server_default="0")
    booked_student: Mapped[float] = mapped_column(sa.Float, default=0.0, server_default="0")
    booked_enterprise: Mapped[float] = mapped_column(sa.Float, default=0.0, server_default="0")
    # Bookings for that day in any status (what was asked for), and how many of those were cancelled.
    requests: Mapped[int] = mapped_column(default=0, server_default="0")
    cancelled: Mapped[int] = mapped_column(default=0, server_default="0")
    # Minutes from request to a manager's decision, one entry per decided booking for that day.
    lead_minutes: Mapped[list[int]] = mapped_column(sa.JSON, default=list, server_default="[]")
    # Waitlist entries for that day that were never turned into a booking.
    waitlist_unserved: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    resource: Mapped[Resource] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("resource_id", "day", name="uq_facility_day_resource_day"),
        # Reports read a span of days for many facilities: of every university, or of one.
        sa.Index("ix_facility_day_day", "day"),
        sa.Index("ix_facility_day_university_day", "university_id", "day"),
    )

    def __repr__(self) -> str:
        return f"<FacilityDay {self.resource_id} {self.day}>"


class FacilityMonth(db.Model):
    """One facility's local month: the sums of its facility_day rows, which the reports read for whole months.

    Never written by hand: the statistics job rewrites a facility's month from its days whenever it writes
    one of them (booking.services.statistics), so a year's report reads twelve rows a facility, not 365.
    """

    __tablename__ = "facility_month"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(sa.ForeignKey("resource.id", ondelete="CASCADE"))
    university_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    # The month's first day.
    month: Mapped[date] = mapped_column(sa.Date)
    # How many facility_day rows the sums are made of.
    days: Mapped[int] = mapped_column()
    offered: Mapped[float] = mapped_column(sa.Float)
    booked_resident: Mapped[float] = mapped_column(sa.Float)
    booked_student: Mapped[float] = mapped_column(sa.Float)
    booked_enterprise: Mapped[float] = mapped_column(sa.Float)
    requests: Mapped[int] = mapped_column()
    cancelled: Mapped[int] = mapped_column()
    bookings: Mapped[int] = mapped_column()
    no_shows: Mapped[int] = mapped_column()
    waitlist_unserved: Mapped[int] = mapped_column()
    # The approval lead times of the month's days, in minutes, in order: every decision's, as in the days.
    # (Kept whole, not as a histogram: a median must be exact, and lead minutes rarely repeat.)
    lead_minutes: Mapped[list[int]] = mapped_column(sa.JSON, default=list, server_default="[]")

    __table_args__ = (
        sa.UniqueConstraint("resource_id", "month", name="uq_facility_month_resource_month"),
        sa.Index("ix_facility_month_month", "month"),
    )

    def __repr__(self) -> str:
        return f"<FacilityMonth {self.resource_id} {self.month}>"


class RefusalCount(db.Model):
    """How many requests for a facility a rule turned away on one local day, by violation code.

    Only counts: who asked, and for what, is not kept. Written by the booking service when it refuses.
    """

    __tablename__ = "refusal_count"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(sa.ForeignKey("resource.id", ondelete="CASCADE"))
    university_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    day: Mapped[date] = mapped_column(sa.Date)
    code: Mapped[str] = mapped_column(sa.String(40))
    count: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        sa.UniqueConstraint("day", "resource_id", "code", name="uq_refusal_count_day_resource_code"),
    )


class OpennessTarget(db.Model):
    """The city's target for one university: at least `percent` of its booked hours used by the city."""

    __tablename__ = "openness_target"

    university_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )
    percent: Mapped[int] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.CheckConstraint("percent BETWEEN 0 AND 100", name="percent_range"),)
