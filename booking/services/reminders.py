"""Reminders, each sent exactly once however many schedulers run: before a booking starts, and when a
facility's booking window reaches dates someone could not book yet."""

from datetime import datetime, timedelta

import sqlalchemy as sa

from booking import notify
from booking.engine.localtime import to_local, zone
from booking.services.errors import NotFound
from booking.services.transactions import changed_rows, write_transaction
from models import Booking, BookingStatus, Resource, User, WindowReminder, db

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
            claimed = changed_rows(
                sa.update(Booking)
                .where(
                    Booking.id == booking_id,
                    Booking.reminded_at.is_(None),
                    Booking.status == BookingStatus.CONFIRMED,
                )
                .values(reminded_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed != 1:
                continue
            booking = db.session.execute(
                sa.select(Booking).where(Booking.id == booking_id).execution_options(populate_existing=True)
            ).scalar_one()
            notify.notify(booking.user_id, "booking_reminder", at=now, booking=booking)
        sent += 1
    return sent


# --- when the booking window opens -------------------------------------------------------------------

# How far ahead a reminder may be asked for: beyond this, the date is surely a mistake.
MAX_REMINDER_AHEAD = timedelta(days=3 * 366)


def remind_when_open(
    user: User, resource_id: int, first_start: datetime, *, now: datetime
) -> WindowReminder | None:
    """Tell `user` when `first_start` (UTC) comes within the facility's booking window.

    The reminder time is worked out here from the facility's window, never taken from the request. None
    when that date is already bookable or absurdly far ahead (nothing written); asking twice keeps one.
    """
    with write_transaction():
        resource = db.session.get(Resource, resource_id)
        if resource is None or not resource.active or resource.policy is None:
            raise NotFound
        remind_at = first_start - timedelta(days=resource.policy.max_advance_days)
        if remind_at <= now or first_start - now > MAX_REMINDER_AHEAD:
            return None
        existing = db.session.scalar(
            sa.select(WindowReminder).where(
                WindowReminder.user_id == user.id,
                WindowReminder.resource_id == resource_id,
                WindowReminder.first_start == first_start,
            )
        )
        if existing is not None:
            return existing
        reminder = WindowReminder(
            user_id=user.id,
            resource_id=resource_id,
            first_start=first_start,
            remind_at=remind_at,
            created_at=now,
        )
        db.session.add(reminder)
    return reminder


def send_window_reminders(now: datetime) -> int:
    """Tell everyone whose awaited dates came within the booking window; each reminder is claimed with a
    conditional UPDATE of `sent_at`, as `send_reminders` claims bookings. Returns how many were sent."""
    due_ids = db.session.scalars(
        sa.select(WindowReminder.id)
        .where(WindowReminder.sent_at.is_(None), WindowReminder.remind_at <= now)
        .order_by(WindowReminder.remind_at, WindowReminder.id)
        .limit(BATCH)
    ).all()
    sent = 0
    for reminder_id in due_ids:
        with write_transaction():
            claimed = changed_rows(
                sa.update(WindowReminder)
                .where(WindowReminder.id == reminder_id, WindowReminder.sent_at.is_(None))
                .values(sent_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed != 1:
                continue
            reminder = db.session.get_one(WindowReminder, reminder_id)
            resource = reminder.resource
            when = to_local(reminder.first_start, zone(resource.timezone)).strftime("%Y-%m-%d %H:%M")
            notify.notify(
                reminder.user_id,
                "window_open",
                at=now,
                resource={"zh": resource.name_zh, "en": resource.name_en},
                when=when,
                resource_id=resource.id,
            )
        sent += 1
    return sent
