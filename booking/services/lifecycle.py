"""The booking status machine: the one place where a booking changes status.

The table and its rules: docs/architecture.md, "Booking statuses".
"""

from datetime import datetime

from models import Booking, BookingStatus

S = BookingStatus
TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    S.PENDING: frozenset({S.CONFIRMED, S.REJECTED, S.CANCELLED, S.EXPIRED}),
    # Back to pending: its holder moved it to a time that needs a manager's approval (bookings.move).
    S.CONFIRMED: frozenset({S.PENDING, S.CHECKED_IN, S.CANCELLED, S.NO_SHOW, S.COMPLETED}),
    S.CHECKED_IN: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
    S.NO_SHOW: frozenset(),
}


class IllegalTransition(Exception):
    def __init__(self, booking: Booking, target: BookingStatus) -> None:
        super().__init__(f"booking {booking.id}: {booking.status} cannot become {target}")
        self.booking = booking
        self.target = target


def can_transition(current: BookingStatus, target: BookingStatus) -> bool:
    return target in TRANSITIONS[current]


def transition(booking: Booking, target: BookingStatus, *, at: datetime) -> BookingStatus:
    """Move `booking` to `target`, or raise IllegalTransition; returns the previous status.

    Every change raises the iCalendar SEQUENCE so calendar clients pick it up.
    """
    previous = booking.status
    if not can_transition(previous, target):
        raise IllegalTransition(booking, target)
    booking.status = target
    booking.sequence += 1
    booking.updated_at = at
    return previous
