"""Checking in: the person with the code shown at the venue, or a manager, within the check-in window.

A booking needs a check-in when it carries a code: one is set when the booking is made under a policy that
requires check-in, so changing the policy later does not change the terms of bookings already made. The
window comes from the facility's policy (`engine.checkin_window`, by default 15 minutes either side of
the start), half-open. Checking in is audited as `booking.checked_in`.
"""

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from booking import engine
from booking.engine.localtime import day_start_utc, to_local, zone
from booking.engine.violations import N_, Violation
from booking.services import specs
from booking.services.errors import NotFound, Refused
from booking.services.lifecycle import change_status
from booking.services.permissions import can_manage, get_managed
from booking.services.transactions import write_transaction
from models import Booking, BookingStatus, Organization, OrganizationKind, Resource, User, db


class CheckinState(StrEnum):
    NOT_REQUIRED = "not_required"  # no code: the booking needs no check-in
    NOT_CONFIRMED = "not_confirmed"  # pending, cancelled, no-show ...: nothing to check in
    TOO_EARLY = "too_early"
    OPEN = "open"
    CLOSED = "closed"
    CHECKED_IN = "checked_in"


@dataclass(frozen=True)
class CheckinStatus:
    state: CheckinState
    window: engine.Interval | None = None

    @property
    def open(self) -> bool:
        return self.state is CheckinState.OPEN


def window(booking: Booking) -> engine.Interval:
    return engine.checkin_window(booking.start_at, specs.policy_spec(booking.resource.policy))


def status(booking: Booking, now: datetime) -> CheckinStatus:
    """Where `booking` stands with check-in at `now`."""
    if booking.checkin_code is None:
        return CheckinStatus(CheckinState.NOT_REQUIRED)
    span = window(booking)
    if booking.status == BookingStatus.CHECKED_IN:
        return CheckinStatus(CheckinState.CHECKED_IN, span)
    if booking.status != BookingStatus.CONFIRMED:
        return CheckinStatus(CheckinState.NOT_CONFIRMED, span)
    if now < span.start:
        return CheckinStatus(CheckinState.TOO_EARLY, span)
    if now >= span.end:
        return CheckinStatus(CheckinState.CLOSED, span)
    return CheckinStatus(CheckinState.OPEN, span)


# --- refusals ----------------------------------------------------------------------------------------


def too_early(opens: datetime) -> Violation:
    return Violation(
        "checkin_too_early",
        N_("Check-in opens at %(opens)s. Please come back then."),
        {"opens": opens},
        overridable=False,
    )


def closed(closes: datetime) -> Violation:
    return Violation(
        "checkin_closed", N_("Check-in closed at %(closes)s."), {"closes": closes}, overridable=False
    )


def wrong_code() -> Violation:
    return Violation(
        "checkin_wrong_code",
        N_("That is not the check-in code of this booking. Please enter the code shown at the venue."),
        {},
        overridable=False,
    )


def already_checked_in() -> Violation:
    return Violation("checkin_done", N_("This booking is already checked in."), {}, overridable=False)


def not_checkable() -> Violation:
    return Violation("checkin_not_possible", N_("This booking cannot be checked in."), {}, overridable=False)


def _refusal(booking: Booking, now: datetime) -> Violation | None:
    current = status(booking, now)
    tz = zone(booking.resource.timezone)
    match current.state:
        case CheckinState.OPEN:
            return None
        case CheckinState.TOO_EARLY if current.window is not None:
            return too_early(to_local(current.window.start, tz))
        case CheckinState.CLOSED if current.window is not None:
            return closed(to_local(current.window.end, tz))
        case CheckinState.CHECKED_IN:
            return already_checked_in()
        case _:
            return not_checkable()


# --- checking in -------------------------------------------------------------------------------------


def _locked(booking_id: int) -> Booking | None:
    query = sa.select(Booking).where(Booking.id == booking_id).execution_options(populate_existing=True)
    if db.session.get_bind().dialect.name == "postgresql":
        # Against the no-show sweep: whichever takes the row first decides, the other sees its outcome.
        query = query.with_for_update(of=Booking)
    return db.session.scalars(query).one_or_none()


def check_in(user: User, booking_id: int, code: str, *, now: datetime) -> Booking:
    """Check in with the code shown at the venue: by the booking's holder, or a manager on their behalf."""
    with write_transaction():
        booking = _locked(booking_id)
        if booking is None:
            raise NotFound
        holder = booking.user_id == user.id
        if not holder and not can_manage(user, booking):
            raise NotFound
        refusal = _refusal(booking, now)
        if refusal is not None:
            raise Refused([refusal])
        if not hmac.compare_digest(code.strip().encode(), (booking.checkin_code or "").encode()):
            raise Refused([wrong_code()])
        _record(booking, user, now, by_manager=not holder)
    return booking


def check_in_by_manager(manager: User, booking_id: int, *, now: datetime) -> Booking:
    """A manager of the facility's university checks the person in (they showed up at the desk)."""
    with write_transaction():
        booking = _locked(booking_id)
        if booking is None or not can_manage(manager, booking):
            raise NotFound
        refusal = _refusal(booking, now)
        if refusal is not None:
            raise Refused([refusal])
        _record(booking, manager, now, by_manager=True)
    return booking


def _record(booking: Booking, actor: User, now: datetime, *, by_manager: bool) -> None:
    booking.checked_in_at = now
    change_status(booking, BookingStatus.CHECKED_IN, actor_id=actor.id, at=now, by_manager=by_manager)


# --- the manager's day -------------------------------------------------------------------------------

# What a manager's list of the day shows: bookings that are, or were, going to happen.
_TODAY_STATUSES = (
    BookingStatus.CONFIRMED,
    BookingStatus.CHECKED_IN,
    BookingStatus.COMPLETED,
    BookingStatus.NO_SHOW,
)


def today(
    viewer: User, now: datetime, *, timezone: str, university_id: int | None = None, limit: int = 500
) -> list[Booking]:
    """The bookings of the local day of `now` at the facilities `viewer` manages, by start time.

    Admins see every university, or the one given; a manager only their own (NotFound for another).
    """
    if university_id is not None and not can_manage(viewer, university_id):
        raise NotFound
    if university_id is None and not viewer.is_admin:
        if viewer.manages_id is None:
            raise NotFound
        university_id = viewer.manages_id
    tz = zone(timezone)
    day = to_local(now, tz).date()
    start, end = day_start_utc(day, tz), day_start_utc(day + timedelta(days=1), tz)
    query = (
        sa.select(Booking)
        .join(Resource, Resource.id == Booking.resource_id)
        .where(Booking.status.in_(_TODAY_STATUSES), Booking.start_at < end, Booking.end_at > start)
        .options(selectinload(Booking.resource), selectinload(Booking.user))
        .order_by(Booking.start_at, Resource.name_en, Booking.id)
        .limit(limit)
    )
    if university_id is not None:
        query = query.where(Resource.university_id == university_id)
    return list(db.session.scalars(query))


def universities(viewer: User) -> list[Organization]:
    """The universities whose day `viewer` may see: an admin's choice of all of them, or a manager's own."""
    query = sa.select(Organization).where(Organization.kind == OrganizationKind.UNIVERSITY)
    if not viewer.is_admin:
        query = query.where(Organization.id == viewer.manages_id)
    return list(db.session.scalars(query.order_by(Organization.name_en)))


def manageable_booking(viewer: User, booking_id: int) -> Booking:
    """A booking at a facility `viewer` manages; NotFound otherwise (never say which)."""
    return get_managed(viewer, Booking, booking_id)
