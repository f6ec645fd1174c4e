"""Claiming one booking for a scheduled change, so that two schedulers (or a double run) act on it once.

A scheduled job picks its candidates with a plain read, then handles each in its own write transaction
that first claims the row: on PostgreSQL `SELECT ... FOR UPDATE SKIP LOCKED` with the expected status in
the WHERE clause (a row another scheduler holds is skipped; a row it already changed no longer matches);
on SQLite the write transaction's BEGIN IMMEDIATE already serialises writers, so the same SELECT reads the
committed state. The status change itself then goes through `lifecycle.transition`, the one owner of the
status table.
"""

from collections.abc import Collection

import sqlalchemy as sa

from models import Booking, BookingStatus, db


def claim(booking_id: int, expected: Collection[BookingStatus]) -> Booking | None:
    """Inside a write transaction: the booking, locked and freshly read, if its status is still one of
    `expected`; None when another transaction holds it or already moved it on."""
    query = (
        sa.select(Booking)
        .where(Booking.id == booking_id, Booking.status.in_(sorted(expected)))
        .execution_options(populate_existing=True)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Booking)
    return db.session.scalars(query).one_or_none()
