"""What every use case that writes a booking shares: the locks, the engine's view, the new row, its audit
event and the notices.

`booking.services.bookings` (requests, series, bookings on someone's behalf, moves) and
`booking.services.waitlist` (promotion) write bookings through these, so a booking made either way is
judged and written the same way: lock (organization, person, facility) in `lock_rows`' fixed order, read the
facility and the person again under their locks, let the engine judge, insert, flush (PostgreSQL's exclusion
constraint is the last word), audit, tell.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, lazyload

from booking import engine, notify
from booking.engine.violations import N_, Violation
from booking.services import audit, calendar, specs, webhooks
from booking.services.audit import AuditAction
from booking.services.errors import NotFound, Refused
from booking.services.transactions import lock_rows
from models import Booking, BookingStatus, QuotaPeriod, Resource, Series, User, db

_EXCLUSION_CONSTRAINT = "ex_booking_no_overlap"


def slot_taken() -> Violation:
    return Violation(
        "conflict",
        N_("Sorry, this time was just taken by someone else. Please choose another time."),
        {},
        overridable=False,
    )


@dataclass(frozen=True)
class Context:
    """A facility and a person as the engine judges their requests: specs, occupancy, quotas, usage."""

    resource: Resource
    spec: engine.ResourceSpec
    requester: engine.RequesterSpec
    existing: list[engine.Occupancy]
    quotas: list[engine.QuotaSpec]
    usage: list[engine.UsageItem]


# Everything the engine reads of a facility, read afresh: the policy (joined by default), the university and
# the hours. The statements are built once (with their SQL cache keys): every booking request runs them,
# and building them cost about as much CPU as running them.
_FACILITY = (
    sa.select(Resource)
    .where(Resource.id == sa.bindparam("resource_id"))
    .options(joinedload(Resource.university), joinedload(Resource.hours), lazyload(Resource.tags))
    .execution_options(populate_existing=True)
)
_LOCKED_FACILITY = _FACILITY.with_for_update(of=Resource, key_share=True)
_LOCKED_PERSON = (
    sa.select(User)
    .where(User.id == sa.bindparam("user_id"))
    .with_for_update(key_share=True)
    .execution_options(populate_existing=True)
)


def load_context(
    resource_id: int,
    user: User,
    span: engine.Interval,
    now: datetime,
    *,
    resource: Resource | None = None,
    excluding: int | None = None,
) -> Context:
    """Everything the engine needs to judge requests for `user` on one facility within `span`.

    `resource` is the facility as `lock_for` just read it under its lock (or as the read that found the
    asked time taken found it, with its university and hours); without it, it is read here.
    `excluding` names a booking being judged at another time (a move): it neither occupies the facility
    nor counts toward its holder's quotas.
    """
    excluded = () if excluding is None else (excluding,)
    if resource is None:
        resource = db.session.execute(_FACILITY, {"resource_id": resource_id}).unique().scalar_one_or_none()
    if resource is None:
        raise NotFound
    # A booking within `span` keeps the facility until its end plus the buffer.
    reach = engine.blocked_span(span.start, span.end, specs.policy_spec(resource.policy)).end
    closures = specs.load_closures([resource], span.start, reach).get(resource.id, [])
    spec = specs.resource_spec(resource, closures)
    existing = specs.load_occupancy([resource.id], span.start, reach, exclude_booking_ids=excluded).get(
        resource.id, []
    )
    requester = specs.requester_spec(user)
    quotas = specs.load_quotas(resource.university_id)
    # Usage is read only for the quotas that apply here; bookings not yet over only for an "at once" one.
    applying = [q for q in quotas if engine.quota_applies(q, spec, requester)]
    usage = (
        specs.load_usage(
            [user],
            span,
            now,
            not_over=any(q.period is QuotaPeriod.ACTIVE for q in applying),
            exclude_booking_ids=excluded,
        )
        if applying
        else []
    )
    return Context(
        resource=resource,
        spec=spec,
        requester=requester,
        existing=existing,
        quotas=quotas,
        usage=usage,
    )


@dataclass(frozen=True)
class Booker:
    """Whose rows a booking transaction locks, noted before it begins: it starts by expiring every loaded
    object, and reading `user.id` then would load the person again just to lock them."""

    id: int
    organization_id: int | None

    @classmethod
    def of(cls, user: User) -> "Booker":
        return cls(user.id, user.organization_id)


class Locked(NamedTuple):
    """The person and the facility as read again under their locks."""

    user: User
    resource: Resource


def lock_for(booker: Booker, resource_id: int) -> Locked:
    """Lock the person's organization, the person and the facility, in lock_rows' fixed order, and read
    the person and the facility again now that their rows are ours (suspension, verification, policy
    and hours may have changed meanwhile).

    Each row is locked and read by one statement, the facility's with its policy, university and hours.
    SQLite ignores FOR UPDATE: there BEGIN IMMEDIATE has already serialised the writers, and the
    statements just read.
    """
    lock_rows(organization_ids=[booker.organization_id])
    user = db.session.execute(_LOCKED_PERSON, {"user_id": booker.id}).scalar_one()
    resource = (
        db.session.execute(_LOCKED_FACILITY, {"resource_id": resource_id}).unique().scalar_one_or_none()
    )
    if resource is None:
        raise NotFound
    return Locked(user, resource)


def evaluate(context: Context, request: engine.BookingRequest, now: datetime) -> engine.Decision:
    return engine.evaluate(
        request, context.spec, context.requester, context.existing, context.quotas, context.usage, now
    )


def new_booking(
    context: Context,
    user: User,
    request: engine.BookingRequest,
    decision: engine.Decision,
    *,
    purpose: str,
    now: datetime,
    series: Series | None = None,
    booked_by: User | None = None,
    override_reason: str | None = None,
    submission_key: str | None = None,
) -> Booking:
    resource = context.resource
    policy = resource.policy
    status = BookingStatus.PENDING if decision.requires_approval else BookingStatus.CONFIRMED
    booking = Booking.held_by(
        user,
        resource,
        request.start,
        request.end,
        series=series,
        blocked_until=engine.blocked_span(request.start, request.end, context.spec.policy).end,
        party_size=request.party_size,
        purpose=purpose,
        status=status,
        booked_by_id=booked_by.id if booked_by else None,
        override_reason=override_reason,
        checkin_code=f"{secrets.randbelow(10**6):06d}" if policy.checkin_required else None,
        created_at=now,
        updated_at=now,
        submission_key=submission_key,
    )
    db.session.add(booking)
    return booking


def flush_or_taken() -> None:
    """Flush; PostgreSQL's exclusion constraint turns a lost race into the usual 'just taken' refusal."""
    try:
        db.session.flush()
    except sa.exc.IntegrityError as exc:
        if _EXCLUSION_CONSTRAINT in str(exc.orig):
            raise Refused([slot_taken()]) from exc
        raise


def audit_created(booking: Booking, actor: User, now: datetime, **details: object) -> None:
    """Record the new booking: its audit event and, if it is confirmed at once, the university's webhooks."""
    audit.about(
        booking,
        AuditAction.BOOKING_CREATED,
        actor_id=actor.id,
        at=now,
        status=booking.status.value,
        **details,
    )
    if booking.status == BookingStatus.CONFIRMED:
        webhooks.record_status(booking, now)


def tell_confirmed(booking: Booking, now: datetime) -> None:
    """The confirmation email, with the booking attached as an .ics file for the person's calendar."""
    owner = db.session.get_one(User, booking.user_id)
    notify.notify(
        booking.user_id, "booking_confirmed", at=now, booking=booking, ics=calendar.invitation(booking, owner)
    )


def tell_managers(booking: Booking, requester: User, now: datetime, *, dates: int = 1) -> None:
    """Queue a 'request received' notification for every manager of the facility's university."""
    manager_ids = db.session.scalars(
        sa.select(User.id).where(User.manages_id == booking.resource.university_id, User.active.is_(True))
    ).all()
    for manager_id in manager_ids:
        notify.notify(
            manager_id,
            "booking_requested",
            at=now,
            booking=booking,
            person=requester.display_name,
            dates=dates,
        )
