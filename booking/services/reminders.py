"""Reminders before a booking starts, each sent exactly once however many schedulers run."""

from datetime import datetime, timedelta

import sqlalchemy as sa

from booking import notify
from booking.services.transactions import write_transaction
from models import Booking, BookingStatus, db

DEFAULT_LEAD = timedelta(hours=24)
BATCH = 500


def due(now: datetime, lead: timedelta = DEFAULT_LEAD) -> list[int]:
    """Confirmed bookings starting within `lead` from now that nobody has reminded yet, soonest first."""
    return list(
        db.session.scalars(
            sa.select(Booking.id)
            .where(
                Booking.status == BookingStatus.CONFIRMED,
                Booking.reminded_at.is_(None),
                Booking.start_at > now,
                Booking.start_at <= now + lead,
            )
            .order_by(Booking.start_at, Booking.id)
            .limit(BATCH)
        )
    )


def send_reminders(now: datetime, *, lead: timedelta = DEFAULT_LEAD) -> int:
    """Remind the holder of every booking that is due; returns how many were reminded.

    Each reminder is claimed with a conditional UPDATE of `reminded_at` in the transaction that writes the
    notification: of two schedulers racing for one booking, exactly one sees a row count of 1 (PostgreSQL
    makes the second UPDATE wait for the first and re-check `reminded_at IS NULL`; SQLite serialises the
    write transactions), and only that one tells the person.
    """
    sent = 0
    for booking_id in due(now, lead):
        with write_transaction():
            claimed = db.session.execute(
                sa.update(Booking)
                .where(
                    Booking.id == booking_id,
                    Booking.reminded_at.is_(None),
                    Booking.status == BookingStatus.CONFIRMED,
                )
                .values(reminded_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed != 1:
                continue
            booking = db.session.execute(
                sa.select(Booking).where(Booking.id == booking_id).execution_options(populate_existing=True)
            ).scalar_one()
            notify.notify(booking.user_id, "booking_reminder", at=now, booking=booking)
        sent += 1
    return sent
