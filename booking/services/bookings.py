"""Booking use cases: request one booking or a series, book on someone's behalf, cancel, move.

Each use case is one transaction: lock (organization, user, facility), load what the engine needs,
let the engine judge, write, audit. A refusal raises `Refused` with every violation and
writes nothing.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import joinedload, lazyload, selectinload

from booking import engine, notify
from booking.engine.localtime import to_utc, zone
from booking.engine.violations import N_, Violation
from booking.services import applications, audit, calendar, refusals, specs, waitlist, webhooks
from booking.services.audit import AuditAction
from booking.services.booking_writes import (
    Booker,
    Context,
    Locked,
    audit_created,
    evaluate,
    flush_or_taken,
    load_context,
    lock_for,
    new_booking,
    tell_confirmed,
    tell_managers,
)
from booking.services.errors import NotFound, Refused
from booking.services.lifecycle import change_status, transition
from booking.services.permissions import can_see_booking
from booking.services.transactions import write_transaction
from models import (
    ACTIVE_STATUSES,
    AuditEvent,
    Booking,
    BookingStatus,
    Frequency,
    Resource,
    Series,
    User,
    db,
)


@dataclass(frozen=True)
class Occurrence:
    """One date of a series with the engine's verdict on it."""

    interval: engine.Interval
    decision: engine.Decision

    @property
    def ok(self) -> bool:
        return self.decision.ok


@dataclass(frozen=True)
class SeriesResult:
    series: Series | None  # None only when a single booking's form was sent again as a series
    booked: list[Booking]
    skipped: list[Occurrence]


# Tags are for the catalog, and the hours are read by the engine only, from the facility read again under its
# lock (`lock_for`): both load only if something asks. Built once, like the statements below.
# With its university, which every page about the facility names (a lazy load was a statement of its own).
_RESOURCE = (
    sa.select(Resource)
    .where(Resource.id == sa.bindparam("resource_id"))
    .options(joinedload(Resource.university), lazyload(Resource.tags), lazyload(Resource.hours))
)


def get_resource(resource_id: int) -> Resource:
    resource = db.session.execute(_RESOURCE, {"resource_id": resource_id}).scalar_one_or_none()
    if resource is None:
        raise NotFound
    return resource


def get_bookable_resource(resource_id: int) -> Resource:
    """A facility people may book or wait for: it exists and is active."""
    resource = get_resource(resource_id)
    if not resource.active:
        raise NotFound
    return resource


# The zone nearly every facility keeps (the column's default): a request's local times are read in it before
# the facility is known, so that the facility and the question whether its time is taken are one statement.
_USUAL_ZONE = "Asia/Shanghai"
_TAKEN = (
    sa.select(Booking.id)
    .where(
        Booking.resource_id == Resource.id,
        Booking.exclusive.is_(True),
        Booking.status.in_(ACTIVE_STATUSES),
        Booking.user_id != sa.bindparam("user_id"),
        Booking.start_at < sa.bindparam("end"),
        Booking.end_at > sa.bindparam("start"),
    )
    .exists()
)
# With what judging the request needs of the facility (its university and hours, as `load_context` reads
# them), so that a request refused from this read judges without reading the facility again.
_RESOURCE_AND_TAKEN = (
    sa.select(Resource)
    .where(Resource.id == sa.bindparam("resource_id"))
    .options(joinedload(Resource.university), joinedload(Resource.hours), lazyload(Resource.tags))
    .add_columns(_TAKEN)
)


def bookable_resource_for_request(
    resource_id: int, user: User, local_start: datetime, local_end: datetime
) -> tuple[Resource, bool]:
    """The facility a booking request asks for (as `get_bookable_resource`), and whether someone else already
    holds a booking of it that overlaps the asked local time: one statement, the same as the facility alone.

    An opening rush sends hundreds of requests for a few slots; those asking for a slot already taken are
    refused from this read (`request_booking(seen_taken=True)`) instead of queueing for the locks. Only an
    overlap of the times themselves counts (buffers only widen a conflict), so whatever this finds taken,
    the locked path would refuse too; it stays the authority for everything else. A facility in another zone
    than the usual one is never found taken here.
    """
    tz = zone(_USUAL_ZONE)
    found = (
        db.session.execute(
            _RESOURCE_AND_TAKEN,
            {
                "resource_id": resource_id,
                "user_id": user.id,
                "start": to_utc(local_start, tz),
                "end": to_utc(local_end, tz),
            },
        )
        .unique()
        .one_or_none()
    )
    if found is None or not found[0].active:
        raise NotFound
    resource, taken = found
    return resource, bool(taken) and resource.timezone == _USUAL_ZONE


def request_booking(
    user: User,
    resource_id: int,
    start: datetime,
    end: datetime,
    *,
    party_size: int = 1,
    purpose: str = "",
    submission_key: str | None = None,
    application: applications.Submission | None = None,
    seen_taken: bool = False,
    now: datetime,
) -> Booking:
    """Book one interval for `user`: confirmed, or pending where a manager must approve.

    A form sent again with the same `submission_key` books nothing and returns what the first send booked.
    With `seen_taken` (`bookable_resource_for_request` found the time held by someone else), the request is
    judged and refused without waiting for the locks.
    A refusal is counted by rule for the reports (booking.services.refusals) before it is raised."""
    try:
        return _request_booking(
            user,
            resource_id,
            start,
            end,
            party_size=party_size,
            purpose=purpose,
            submission_key=submission_key,
            application=application,
            seen_taken=seen_taken,
            now=now,
        )
    except Refused as refused:
        refusals.record(resource_id, refused.codes, now)
        raise


def _request_booking(
    user: User,
    resource_id: int,
    start: datetime,
    end: datetime,
    *,
    party_size: int,
    purpose: str,
    submission_key: str | None,
    application: applications.Submission | None,
    seen_taken: bool,
    now: datetime,
) -> Booking:
    request = engine.BookingRequest(start, end, party_size)
    booker = Booker.of(user)
    with _sent_once(booker, submission_key) as first:
        if seen_taken:
            # Judged from what is read now, without the locks: someone else's booking is in the way, and the
            # person hears every other reason too, as from the locked path. Should the time have been freed
            # meanwhile, the request goes on to the locks like any other.
            # The facility as that read found it (with its hours), not read a second time.
            facility = db.session.get(Resource, resource_id)
            context = load_context(resource_id, user, engine.Interval(start, end), now, resource=facility)
            decision = evaluate(context, request, now)
            if not decision.ok:
                raise Refused(decision.violations)
        with write_transaction() as fresh:
            locked = lock_for(booker, resource_id)
            context = load_context(
                resource_id, user, engine.Interval(start, end), now, resource=locked.resource
            )
            decision = evaluate(context, request, now)
            if not decision.ok:
                raise Refused(decision.violations)
            booking = new_booking(
                context, user, request, decision, purpose=purpose, now=now, submission_key=submission_key
            )
            flush_or_taken()
            applications.record([booking], application, locked.resource, now)
            audit_created(booking, user, now)
            if booking.status == BookingStatus.PENDING:
                tell_managers(booking, user, now)
            else:
                tell_confirmed(booking, now)
            # What the page reads next (the booking to redirect to, the person's language) is as committed.
            fresh += [booking, *locked]
        return booking
    return first.booking


_SUBMITTED = (
    sa.select(Booking)
    .where(Booking.user_id == sa.bindparam("user_id"), Booking.submission_key == sa.bindparam("key"))
    .options(selectinload(Booking.series))
)


@dataclass
class _FirstSend:
    """What an earlier send of the same form booked, found when this one was refused."""

    booking: Booking | None = None


@contextmanager
def _sent_once(booker: Booker, submission_key: str | None) -> Iterator[_FirstSend]:
    """Turn the refusal of a form sent again into the booking its first send made.

    A second send either finds the first one's booking in the way (the engine's `duplicate` rule, a
    conflict, a full room: both sends lock the person, so the second judges after the first committed) or,
    whatever it asked, cannot insert the person's key a second time (the unique constraint). Either way,
    if a booking with this key exists, it is the answer, and nothing was written. The happy path costs no
    statement: the key is looked up only after a refusal.
    """
    first = _FirstSend()
    try:
        yield first
    except (Refused, sa.exc.IntegrityError):
        if not submission_key:
            raise
        first.booking = db.session.execute(
            _SUBMITTED, {"user_id": booker.id, "key": submission_key}
        ).scalar_one_or_none()
        if first.booking is None:
            raise


def book_on_behalf(
    manager: User,
    user: User,
    resource_id: int,
    start: datetime,
    end: datetime,
    *,
    party_size: int = 1,
    purpose: str = "",
    reason: str,
    now: datetime,
) -> Booking:
    """A manager books for someone, overriding rules and quotas (never conflicts) with an audited reason."""
    if not reason.strip():
        raise Refused([_reason_required()])
    request = engine.BookingRequest(start, end, party_size)
    booker = Booker.of(user)
    with write_transaction():
        locked = lock_for(booker, resource_id)
        context = load_context(resource_id, user, engine.Interval(start, end), now, resource=locked.resource)
        if not manager.can_manage(context.resource.university_id):
            raise NotFound
        decision = evaluate(context, request, now)
        blocking = decision.blocking(override=True)
        if blocking:
            raise Refused(blocking)
        overridden = [v.code for v in decision.violations]
        booking = new_booking(
            context,
            user,
            request,
            engine.Decision((), requires_approval=False),
            purpose=purpose,
            now=now,
            booked_by=manager,
            override_reason=reason.strip(),
        )
        flush_or_taken()
        audit_created(
            booking, manager, now, on_behalf_of=user.id, reason=reason.strip(), overridden=overridden
        )
        _tell_booked_for(booking, manager, reason.strip(), now)
    return booking


def _tell_booked_for(booking: Booking, manager: User, reason: str, now: datetime) -> None:
    """The person a manager booked for hears of it (inbox and email), with the .ics for their calendar."""
    owner = db.session.get_one(User, booking.user_id)
    ics = calendar.invitation(booking, owner)
    notify.notify(
        booking.user_id,
        "booking_made_for_you",
        at=now,
        booking=booking,
        ics=ics,
        manager=manager.display_name,
        note=reason,
    )


def _reason_required() -> Violation:
    return Violation("reason_required", N_("Please give a reason."), {}, overridable=False)


def expand_series(
    resource: Resource,
    rule: engine.RecurrenceRule,
    first_local_start: datetime,
    duration: timedelta,
) -> list[engine.Interval]:
    """The series' dates in UTC; raises Refused for a malformed or too long rule."""
    try:
        return engine.expand(rule, first_local_start, duration, resource.timezone)
    except (engine.SeriesTooLong, engine.InvalidRecurrence) as exc:
        raise Refused([exc.violation]) from exc


def preview_series(
    user: User,
    resource_id: int,
    rule: engine.RecurrenceRule,
    first_local_start: datetime,
    duration: timedelta,
    *,
    party_size: int = 1,
    now: datetime,
) -> list[Occurrence]:
    """Every date of a series with its verdict, quotas counted across the series. Writes nothing."""
    resource = get_resource(resource_id)
    intervals = expand_series(resource, rule, first_local_start, duration)
    span = engine.Interval(intervals[0].start, intervals[-1].end)
    context = load_context(resource_id, user, span, now)
    return _judge_series(context, intervals, party_size, now)


def _judge_series(
    context: Context, intervals: list[engine.Interval], party_size: int, now: datetime
) -> list[Occurrence]:
    requests = [engine.BookingRequest(i.start, i.end, party_size) for i in intervals]
    decisions = engine.evaluate_series(
        requests, context.spec, context.requester, context.existing, context.quotas, context.usage, now
    )
    return [Occurrence(i, d) for i, d in zip(intervals, decisions, strict=True)]


def request_series(
    user: User,
    resource_id: int,
    rule: engine.RecurrenceRule,
    first_local_start: datetime,
    duration: timedelta,
    *,
    party_size: int = 1,
    purpose: str = "",
    only_available: bool = True,
    submission_key: str | None = None,
    application: applications.Submission | None = None,
    now: datetime,
) -> SeriesResult:
    """Book a repeating series: every date, or (only_available) the dates that pass every rule.

    The verdicts are computed again under the locks, so a preview that went stale cannot overbook. A form
    sent again with the same `submission_key` books nothing and returns the series the first send booked. A
    refused series is counted by rule, once per rule, like a refused single request.
    """
    try:
        return _request_series(
            user,
            resource_id,
            rule,
            first_local_start,
            duration,
            party_size=party_size,
            purpose=purpose,
            only_available=only_available,
            submission_key=submission_key,
            application=application,
            now=now,
        )
    except Refused as refused:
        refusals.record(resource_id, refused.codes, now)
        raise


def _request_series(
    user: User,
    resource_id: int,
    rule: engine.RecurrenceRule,
    first_local_start: datetime,
    duration: timedelta,
    *,
    party_size: int,
    purpose: str,
    only_available: bool,
    submission_key: str | None,
    application: applications.Submission | None,
    now: datetime,
) -> SeriesResult:
    resource = get_resource(resource_id)
    intervals = expand_series(resource, rule, first_local_start, duration)
    booker = Booker.of(user)
    with _sent_once(booker, submission_key) as first:
        return _book_series(
            user,
            booker,
            resource_id,
            rule,
            first_local_start,
            duration,
            intervals,
            party_size=party_size,
            purpose=purpose,
            only_available=only_available,
            submission_key=submission_key,
            application=application,
            now=now,
        )
    series = first.booking.series
    booked = list(series.bookings) if series else [first.booking]
    return SeriesResult(series=series, booked=booked, skipped=[])


def _book_series(
    user: User,
    booker: Booker,
    resource_id: int,
    rule: engine.RecurrenceRule,
    first_local_start: datetime,
    duration: timedelta,
    intervals: list[engine.Interval],
    *,
    party_size: int,
    purpose: str,
    only_available: bool,
    submission_key: str | None,
    application: applications.Submission | None,
    now: datetime,
) -> SeriesResult:
    span = engine.Interval(intervals[0].start, intervals[-1].end)
    with write_transaction():
        locked = lock_for(booker, resource_id)
        context = load_context(resource_id, user, span, now, resource=locked.resource)
        occurrences = _judge_series(context, intervals, party_size, now)
        refused = [o for o in occurrences if not o.ok]
        if len(refused) == len(occurrences) or (refused and not only_available):
            raise Refused(_distinct(v for o in refused for v in o.decision.violations))
        series = Series(
            user_id=user.id,
            resource_id=resource_id,
            frequency=rule.frequency,
            interval=rule.interval,
            weekdays=sorted(rule.weekdays),
            count=rule.count,
            until=rule.until,
            local_start=first_local_start.time(),
            duration_minutes=int(duration.total_seconds() // 60),
            created_at=now,
        )
        db.session.add(series)
        booked = [
            new_booking(
                context,
                user,
                engine.BookingRequest(o.interval.start, o.interval.end, party_size),
                o.decision,
                purpose=purpose,
                now=now,
                series=series,
                submission_key=submission_key if n == 0 else None,
            )
            for n, o in enumerate(o for o in occurrences if o.ok)
        ]
        flush_or_taken()
        applications.record(booked, application, locked.resource, now)
        for booking in booked:
            audit_created(booking, user, now, series=series.id)
        pending = [b for b in booked if b.status == BookingStatus.PENDING]
        if pending:
            tell_managers(pending[0], user, now, dates=len(pending))
        confirmed = [b for b in booked if b.status == BookingStatus.CONFIRMED]
        if confirmed:
            notify.notify(
                user.id,
                "series_confirmed",
                at=now,
                booking=confirmed[0],
                dates=len(confirmed),
                ics=calendar.invitation(confirmed, user),
            )
    return SeriesResult(series=series, booked=booked, skipped=refused)


@dataclass(frozen=True)
class WindowCut:
    """The dates of a series that lie beyond the booking window, and when the first of them opens."""

    dates: int
    first_start: datetime  # UTC: the earliest of them
    first_opens: datetime  # UTC: from this instant the earliest of them can be booked


def window_cut(resource: Resource, occurrences: Sequence[Occurrence]) -> WindowCut | None:
    """How the booking window cut a series short; None when it did not."""
    beyond = [o for o in occurrences if any(v.code == "max_advance" for v in o.decision.violations)]
    if not beyond:
        return None
    first = min(o.interval.start for o in beyond)
    return WindowCut(len(beyond), first, first - timedelta(days=resource.policy.max_advance_days))


def _distinct(violations: Iterable[Violation]) -> list[Violation]:
    seen: dict[tuple[str, str], Violation] = {}
    for v in violations:
        seen.setdefault((v.code, str(v)), v)
    return list(seen.values())


# --- cancelling -------------------------------------------------------------------------------------


def cancel_deadline(booking: Booking) -> datetime:
    """The last instant the holder may cancel `booking` on their own (`engine.cancel_deadline`)."""
    return engine.cancel_deadline(booking.start_at, specs.policy_spec(booking.resource.policy))


def can_cancel(user: User, booking: Booking, now: datetime) -> bool:
    """Whether `user` may cancel `booking` now (the booking page shows the button only then)."""
    return _cancel_refusal(user, booking, now) is None


def later_in_series(booking: Booking) -> int:
    """How many later dates of the booking's series are still pending or confirmed."""
    if booking.series_id is None:
        return 0
    later = db.session.scalar(
        sa.select(sa.func.count(Booking.id)).where(
            Booking.series_id == booking.series_id,
            Booking.start_at > booking.start_at,
            Booking.status.in_([BookingStatus.PENDING, BookingStatus.CONFIRMED]),
        )
    )
    return later or 0


def cancel(
    user: User,
    booking_id: int,
    *,
    now: datetime,
    following: bool = False,
    reason: str = "",
) -> list[Booking]:
    """Cancel a booking, or it and every later active occurrence of its series. Returns the cancelled ones."""
    with write_transaction():
        booking, _locked = _lock_booking(user, booking_id, lambda b: _cancel_refusal(user, b, now))
        targets = [booking]
        if following and booking.series_id is not None:
            targets += db.session.scalars(
                sa.select(Booking)
                .where(
                    Booking.series_id == booking.series_id,
                    Booking.start_at > booking.start_at,
                    Booking.status.in_([BookingStatus.PENDING, BookingStatus.CONFIRMED]),
                )
                .order_by(Booking.start_at, Booking.id)
                .with_for_update(of=Booking)
                .execution_options(populate_existing=True)
            ).all()
        by_manager = booking.user_id != user.id
        for target in targets:
            if not can_cancel(user, target, now):
                continue
            record_cancellation(
                user,
                target,
                reason=reason,
                now=now,
                notice="booking_cancelled_by_manager" if by_manager else None,
            )
        cancelled = [t for t in targets if t.status == BookingStatus.CANCELLED]
        if cancelled and not by_manager:
            tell_cancelled(user, cancelled, now)
    # The freed places go to the waitlist right after the commit, each promotion in its own transaction:
    # it must take its locks in the fixed order (person, then facility), which this transaction, already
    # holding the booking rows, cannot; and a promotion that fails must not undo the cancellation.
    waitlist.promote_freed(cancelled, now=now)
    return cancelled


def tell_cancelled(holder: User, cancelled: list[Booking], now: datetime) -> None:
    """The holder's own cancellation, confirmed by email with a METHOD:CANCEL file, so that the events
    imported from earlier emails leave their calendar too."""
    first = min(cancelled, key=lambda b: b.start_at)
    many = {"dates": len(cancelled)} if len(cancelled) > 1 else {}
    notify.notify(
        holder.id,
        "series_cancelled" if many else "booking_cancelled",
        at=now,
        booking=first,
        ics=calendar.invitation(cancelled, holder),
        **many,
    )


def record_cancellation(
    actor: User,
    booking: Booking,
    *,
    reason: str,
    now: datetime,
    notice: str | None = None,
    **details: object,
) -> None:
    """Cancel one booking inside the caller's transaction: status, note, audit event, and (for someone
    else's booking) the `notice` that tells its holder why."""
    reason = reason.strip()
    if notice is not None:
        booking.decision_note = reason[:500] or None
    change_status(
        booking,
        BookingStatus.CANCELLED,
        actor_id=actor.id,
        action=AuditAction.BOOKING_CANCELLED,
        at=now,
        notice=notice,
        notice_params={"note": reason or "-"},
        with_invitation=True,
        by_manager=notice is not None,
        reason=reason,
        **details,
    )


def _cancel_refusal(user: User, booking: Booking, now: datetime) -> Violation | None:
    resource = booking.resource
    return engine.cancel_refusal(
        booking.status,
        booking.start_at,
        specs.policy_spec(resource.policy),
        now,
        holder=booking.user_id == user.id,
        manager=user.can_manage(resource.university_id),
        timezone=resource.timezone,
    )


# --- moving -----------------------------------------------------------------------------------------

_LOCKED_BOOKING = (
    sa.select(Booking)
    .where(Booking.id == sa.bindparam("booking_id"))
    .with_for_update(of=Booking)
    .execution_options(populate_existing=True)
)


def can_move(user: User, booking: Booking, now: datetime) -> bool:
    """Whether `user` may move `booking` to another time now (the booking page offers it only then)."""
    if booking.user_id != user.id and not user.can_manage(booking.resource.university_id):
        return False
    return move_refusal(user, booking, now) is None


def move_needs_approval(user: User, booking: Booking) -> bool:
    """Whether a new time chosen by `user` would wait for a manager's approval (the page says so first)."""
    resource = booking.resource
    needs = engine.requires_approval(booking.user.effective_category, resource.policy.approval, resource.mode)
    return needs and not user.can_manage(resource.university_id)


def move_refusal(user: User, booking: Booking, now: datetime) -> Violation | None:
    """Why `user` may not move `booking` now, or None (`engine.move_refusal`)."""
    resource = booking.resource
    return engine.move_refusal(
        resource.mode,
        booking.status,
        booking.start_at,
        specs.policy_spec(resource.policy),
        now,
        manager=user.can_manage(resource.university_id),
        timezone=resource.timezone,
    )


def move(actor: User, booking_id: int, start: datetime, end: datetime, *, now: datetime) -> Booking:
    """Move a booking to [start, end), keeping it (and its place in a series) with a higher SEQUENCE.

    The new time is judged like a new request for the booking's holder, under the same locks, except
    that the booking neither blocks nor counts against itself. Where the holder's requests need approval
    it waits for a manager again, unless a manager of the facility moved it. A refusal raises
    Refused and changes nothing.
    """
    with write_transaction() as fresh:
        booking, locked = _lock_booking(actor, booking_id, lambda b: move_refusal(actor, b, now))
        resource = locked.resource
        request = engine.BookingRequest(start, end, booking.party_size)
        context = load_context(
            resource.id,
            locked.user,
            engine.Interval(start, end),
            now,
            resource=resource,
            excluding=booking.id,
        )
        decision = evaluate(context, request, now)
        if not decision.ok:
            raise Refused(decision.violations)
        by_manager = actor.can_manage(resource.university_id)
        old = engine.Interval(booking.start_at, booking.end_at)
        freed_until = booking.blocked_until
        previous = _move_to(booking, request, decision, by_manager=by_manager, now=now)
        flush_or_taken()
        _audit_moved(booking, actor, old, previous, now)
        _tell_moved(booking, locked.user, old.start, by_manager=by_manager, now=now)
        fresh += [booking, *locked]
    # The old time goes to the waitlist after the commit, in its own transactions (as after a cancel).
    if freed_until > now:
        waitlist.promote(booking.resource_id, max(old.start, now), freed_until, now=now)
    return booking


def _move_to(
    booking: Booking,
    request: engine.BookingRequest,
    decision: engine.Decision,
    *,
    by_manager: bool,
    now: datetime,
) -> BookingStatus:
    """Give `booking` its new time and status and raise its SEQUENCE once, and queue the university's
    `booking.moved` webhooks; returns the previous status."""
    previous = booking.status
    previous_start, previous_end = booking.start_at, booking.end_at
    if not decision.requires_approval:
        target = BookingStatus.CONFIRMED
    elif by_manager:
        # A manager's own move needs no approval, and is no decision on a request still waiting.
        target = previous
    else:
        target = BookingStatus.PENDING
    booking.start_at = request.start
    booking.end_at = request.end
    policy = specs.policy_spec(booking.resource.policy)
    booking.blocked_until = engine.blocked_span(request.start, request.end, policy).end
    booking.reminded_at = None  # the reminder is due again, before the new time
    if target == previous:
        booking.sequence += 1
        booking.updated_at = now
    else:
        transition(booking, target, at=now)
        if target == BookingStatus.PENDING:
            # The approval was of the old time; the new one awaits its own decision.
            booking.decided_by_id = None
            booking.decided_at = None
    webhooks.record_moved(booking, previous_start, previous_end, now)
    return previous


def _audit_moved(
    booking: Booking, actor: User, old: engine.Interval, previous_status: BookingStatus, now: datetime
) -> None:
    audit.about(
        booking,
        AuditAction.BOOKING_MOVED,
        actor_id=actor.id,
        at=now,
        from_start=old.start.isoformat(),
        from_end=old.end.isoformat(),
        to_start=booking.start_at.isoformat(),
        to_end=booking.end_at.isoformat(),
        previous_status=previous_status.value,
        status=booking.status.value,
        by_manager=booking.user_id != actor.id,
        series=booking.series_id,
    )


def _tell_moved(
    booking: Booking, holder: User, old_start: datetime, *, by_manager: bool, now: datetime
) -> None:
    """The holder gets the new time with the updated .ics; managers a request to decide, if it waits again."""
    tz = engine.localtime.zone(booking.resource.timezone)
    notify.notify(
        booking.user_id,
        "booking_moved",
        at=now,
        booking=booking,
        ics=calendar.invitation(booking, holder),
        previous=engine.localtime.to_local(old_start, tz).strftime("%Y-%m-%d %H:%M"),
        pending=booking.status == BookingStatus.PENDING,
    )
    if booking.status == BookingStatus.PENDING and not by_manager:
        tell_managers(booking, holder, now)


# --- reading ----------------------------------------------------------------------------------------


def _lock_booking(
    actor: User, booking_id: int, refuse: Callable[[Booking], Violation | None]
) -> tuple[Booking, Locked]:
    """A booking `actor` may see, locked for a change, with its holder and facility read under their locks.

    The holder's organization, the holder and the facility are locked first, in lock_rows' fixed order as a
    new request takes them, then the booking itself, read afresh: a cancel, move or decision committed
    meanwhile is seen, and two changes to one booking (a cancel racing a move) take turns instead of
    deadlocking or overwriting each other's SEQUENCE.

    `refuse` says why the change is not possible, if it is not; it is asked before the locks too, so a
    change that is refused anyway (a booking that has started, say, which the no-show sweep may hold while
    it updates the holder) never waits for them.
    """
    booking = get_visible_booking(actor, booking_id)
    _raise_refusal(refuse(booking))
    locked = lock_for(Booker.of(booking.user), booking.resource_id)
    booking = db.session.execute(_LOCKED_BOOKING, {"booking_id": booking_id}).scalar_one()
    _raise_refusal(refuse(booking))
    return booking, locked


def _raise_refusal(refusal: Violation | None) -> None:
    if refusal is not None:
        raise Refused([refusal])


def get_visible_booking(user: User, booking_id: int) -> Booking:
    """A booking its owner or its university's managers may see; anyone else gets NotFound, not 403."""
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise NotFound
    if not can_see_booking(user, booking):
        raise NotFound
    return booking


MY_BOOKINGS_PER_PAGE = 50


def my_bookings(user: User, show: str, now: datetime, *, page: int = 1) -> Pagination:
    """One page of the user's bookings: 'upcoming' (active, not ended), 'past', or 'cancelled' (and
    declined); every booking is on some page, none is cut off."""
    # The list shows each facility's name, mode and zone: not its tags, hours or policy (eager by default).
    query = (
        sa.select(Booking)
        .where(Booking.user_id == user.id)
        .options(
            selectinload(Booking.resource).options(
                lazyload(Resource.tags), lazyload(Resource.hours), lazyload(Resource.policy)
            )
        )
    )
    ended = {BookingStatus.CANCELLED, BookingStatus.REJECTED, BookingStatus.EXPIRED}
    if show == "cancelled":
        query = query.where(Booking.status.in_(ended)).order_by(Booking.start_at.desc())
    elif show == "past":
        query = query.where(Booking.status.not_in(ended), Booking.end_at <= now).order_by(
            Booking.start_at.desc()
        )
    else:
        query = query.where(Booking.status.in_(ACTIVE_STATUSES), Booking.end_at > now).order_by(
            Booking.start_at
        )
    query = query.order_by(Booking.id)
    return db.paginate(query, page=max(page, 1), per_page=MY_BOOKINGS_PER_PAGE, error_out=False, count=True)


def history(booking: Booking) -> list[AuditEvent]:
    """The audit events of one booking, oldest first: its status history."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.target_type == "booking", AuditEvent.target_id == booking.id)
            .options(selectinload(AuditEvent.actor))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


__all__ = [
    "Frequency",
    "NotFound",
    "Occurrence",
    "Refused",
    "SeriesResult",
    "book_on_behalf",
    "can_cancel",
    "can_move",
    "cancel",
    "cancel_deadline",
    "get_visible_booking",
    "history",
    "move",
    "move_needs_approval",
    "move_refusal",
    "my_bookings",
    "preview_series",
    "request_booking",
    "request_series",
]
