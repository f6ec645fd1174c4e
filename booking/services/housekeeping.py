"""Status sweeps over bookings whose time has come: undecided requests expire, finished bookings complete.

Each booking is claimed (`claims.claim`) and changed in its own short transaction, so a sweep run twice, or
by two schedulers at once, changes and reports every booking once.
"""

from datetime import datetime

import sqlalchemy as sa

from booking.services import claims, waitlist
from booking.services.lifecycle import change_status
from booking.services.transactions import write_transaction
from models import Booking, BookingStatus, db

BATCH = 500


def expire_pending(now: datetime) -> int:
    """Requests still undecided when they start expire; the requester is told and the waitlist served.

    Returns how many expired.
    """
    candidates = db.session.scalars(
        sa.select(Booking.id)
        .where(Booking.status == BookingStatus.PENDING, Booking.start_at <= now)
        .order_by(Booking.start_at, Booking.id)
        .limit(BATCH)
    ).all()
    expired: list[Booking] = []
    for booking_id in candidates:
        with write_transaction():
            booking = claims.claim(booking_id, {BookingStatus.PENDING})
            if booking is None or booking.start_at > now:
                continue
            change_status(booking, BookingStatus.EXPIRED, actor_id=None, at=now, notice="booking_expired")
        expired.append(booking)
    # A request held its place while it waited; whatever of it is still ahead is free now.
    waitlist.promote_freed(expired, now=now)
    return len(expired)


def complete_past(now: datetime) -> int:
    """Bookings that ended become completed: those checked in, and confirmed ones needing no check-in.

    A confirmed booking that needed a check-in (it has a code) is left to `strikes.mark_no_shows`: never
    checked in, it ends as a no-show, not as completed. Returns how many completed.
    """
    finished = sa.or_(
        Booking.status == BookingStatus.CHECKED_IN,
        sa.and_(Booking.status == BookingStatus.CONFIRMED, Booking.checkin_code.is_(None)),
    )
    candidates = db.session.scalars(
        sa.select(Booking.id)
        .where(finished, Booking.end_at <= now)
        .order_by(Booking.end_at, Booking.id)
        .limit(BATCH)
    ).all()
    completed = 0
    for booking_id in candidates:
        with write_transaction():
            booking = claims.claim(booking_id, {BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN})
            if booking is None or booking.end_at > now:
                continue
            if booking.status == BookingStatus.CONFIRMED and booking.checkin_code is not None:
                continue
            change_status(booking, BookingStatus.COMPLETED, actor_id=None, at=now)
        completed += 1
    return completed
