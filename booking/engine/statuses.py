"""The booking status machine and what a status allows: which transitions, cancelling, moving.

Plain values in (statuses, times, the facility's policy, whether the actor holds or manages the booking),
plain answers out; `booking.services.lifecycle` applies the transitions to stored bookings.
"""

from datetime import datetime

from booking.engine.deadlines import cancel_deadline
from booking.engine.localtime import to_local, zone
from booking.engine.types import PolicySpec
from booking.engine.violations import N_, Violation
from models.enums import ACTIVE_STATUSES, BookingStatus, Mode

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
MOVABLE_STATUSES = frozenset({S.PENDING, S.CONFIRMED})


def can_transition(current: BookingStatus, target: BookingStatus) -> bool:
    return target in TRANSITIONS[current]


def cancel_refusal(
    status: BookingStatus,
    start: datetime,
    policy: PolicySpec,
    now: datetime,
    *,
    holder: bool,
    manager: bool,
    timezone: str,
) -> Violation | None:
    """Why the booking cannot be cancelled now by its `holder` or a `manager` of its facility, or None.

    Managers may cancel any active booking not yet checked in; its holder a pending request until it
    starts, a confirmed booking until the cancellation deadline (inclusive).
    """
    if status not in ACTIVE_STATUSES or status == S.CHECKED_IN:
        return Violation(
            "not_cancellable", N_("This booking can no longer be cancelled."), {}, overridable=False
        )
    deadline = cancel_deadline(start, policy)
    if manager or (holder and (now < start if status == S.PENDING else now <= deadline)):
        return None
    return _past_deadline(
        "cancel_deadline",
        N_(
            "Bookings here can be cancelled up to %(minutes)s minutes before the start; "
            "the deadline was %(deadline)s."
        ),
        policy,
        deadline,
        timezone,
    )


def move_refusal(
    mode: Mode,
    status: BookingStatus,
    start: datetime,
    policy: PolicySpec,
    now: datetime,
    *,
    manager: bool,
    timezone: str,
) -> Violation | None:
    """Why a booking cannot be moved to another time now, or None.

    Moving gives up the old time as cancelling does, so it is at least as constrained: the holder must
    be before the cancellation deadline; the facility's managers, who may cancel at any time, only
    before the start. Placements (whole terms at a training base) are applied for again instead.
    """
    if mode == Mode.PLACEMENT:
        return Violation(
            "placement_not_movable",
            N_("A placement cannot be moved to other dates. Cancel the application and apply again."),
            {},
            overridable=False,
        )
    if status not in MOVABLE_STATUSES:
        return Violation("not_movable", N_("This booking can no longer be moved."), {}, overridable=False)
    if now >= start:
        return Violation(
            "move_started",
            N_("This booking has already started, so it can no longer be moved."),
            {},
            overridable=False,
        )
    deadline = cancel_deadline(start, policy)
    if manager or now <= deadline:
        return None
    return _past_deadline(
        "move_deadline",
        N_(
            "Like cancelling, moving a booking here is possible up to %(minutes)s minutes before the start; "
            "the deadline was %(deadline)s."
        ),
        policy,
        deadline,
        timezone,
    )


def _past_deadline(
    code: str, message: str, policy: PolicySpec, deadline: datetime, timezone: str
) -> Violation:
    """The refusal of a change after the cancellation deadline, which it names in the facility's time."""
    params = {"minutes": policy.cancel_deadline_minutes, "deadline": to_local(deadline, zone(timezone))}
    return Violation(code, message, params, overridable=False)
