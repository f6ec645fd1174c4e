"""Reading back what a service or job committed, from a fresh snapshot (the test's transaction ends first)."""

import sqlalchemy as sa

from models import Booking, BookingStatus, Notification, db


def status_of(booking: Booking) -> BookingStatus:
    db.session.rollback()
    return db.session.get(Booking, booking.id).status


def told(kind: str) -> list[tuple[int, int | None]]:
    """Who was notified of `kind`, and about which booking: (user id, booking id), sorted."""
    db.session.rollback()
    return sorted(
        db.session.execute(
            sa.select(Notification.user_id, Notification.booking_id).where(Notification.kind == kind)
        ).tuples()
    )
