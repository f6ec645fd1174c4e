"""Changing a booking's status: the one operation every service and job uses.

The status table and its rules: docs/architecture.md, "Booking statuses".

`change_status` applies a transition the engine allows (`booking.engine.statuses`), raises the iCalendar
SEQUENCE, writes the audit event, queues the holder's notice and the university's webhooks, all in the
caller's transaction: the notice's email leaves only after the commit (`booking.notify`), the webhooks from
the scheduler's outbox job (`booking.services.webhooks`), and nothing is told of a change rolled back.
"""

from collections.abc import Mapping
from datetime import datetime

from booking import engine, notify
from booking.services import audit, calendar, webhooks
from booking.services.audit import AuditAction
from models import Booking, BookingStatus, User, db

# The audit action of each status a booking is moved to (a new booking is audited as BOOKING_CREATED).
STATUS_ACTIONS = {
    BookingStatus.CONFIRMED: AuditAction.BOOKING_APPROVED,
    BookingStatus.REJECTED: AuditAction.BOOKING_REJECTED,
    BookingStatus.CANCELLED: AuditAction.BOOKING_CANCELLED,
    BookingStatus.EXPIRED: AuditAction.BOOKING_EXPIRED,
    BookingStatus.CHECKED_IN: AuditAction.BOOKING_CHECKED_IN,
    BookingStatus.NO_SHOW: AuditAction.BOOKING_NO_SHOW,
    BookingStatus.COMPLETED: AuditAction.BOOKING_COMPLETED,
}


class IllegalTransition(Exception):
    def __init__(self, booking: Booking, target: BookingStatus) -> None:
        super().__init__(f"booking {booking.id}: {booking.status} cannot become {target}")
        self.booking = booking
        self.target = target


def transition(booking: Booking, target: BookingStatus, *, at: datetime) -> BookingStatus:
    """Move `booking` to `target`, or raise IllegalTransition; returns the previous status.

    Every change raises the iCalendar SEQUENCE so calendar clients pick it up.
    """
    previous = booking.status
    if not engine.can_transition(previous, target):
        raise IllegalTransition(booking, target)
    booking.status = target
    booking.sequence += 1
    booking.updated_at = at
    return previous


def change_status(
    booking: Booking,
    target: BookingStatus,
    *,
    actor_id: int | None,
    action: AuditAction | None = None,
    at: datetime,
    notice: str | None = None,
    notice_params: Mapping[str, object] | None = None,
    with_invitation: bool = False,
    **details: object,
) -> BookingStatus:
    """Move `booking` to `target`, audit it as `action` (by default the one of `target`, `STATUS_ACTIONS`) by
    `actor_id` (None: a scheduled job) with `details`, and tell its holder with the `notice` kind, if one is
    given. Returns the previous status.

    `with_invitation` attaches the booking's .ics as it now is (a CANCEL once it no longer holds its slot),
    so the holder's calendar follows.
    """
    previous = transition(booking, target, at=at)
    audit.about(booking, action or STATUS_ACTIONS[target], actor_id=actor_id, at=at, **details)
    webhooks.record_status(booking, at)
    if notice is not None:
        ics = None
        if with_invitation:
            ics = calendar.invitation(booking, db.session.get_one(User, booking.user_id))
        notify.notify(booking.user_id, notice, at=at, booking=booking, ics=ics, **(notice_params or {}))
    return previous
