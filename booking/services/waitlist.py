"""The waitlist: join a slot that is taken or full, leave it, and promotion when a place frees up.

Promotion is first-come: the waiting entries for a freed span are tried oldest first, each booked through
the very path `request_booking` takes (locks in the fixed order, every rule and quota evaluated under them,
PostgreSQL's exclusion constraint as the last word) in its own transaction. An entry that no longer passes
(its quota is used up meanwhile, the slot is still taken) is skipped and keeps waiting; the next is tried.
The booking is pending or confirmed as the facility's policy says, and the person is told.

An entry whose interval has started is closed: it is never promoted and reads as closed; no stored change is
needed for that, so no job has to race to make it.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from booking import engine, notify
from booking.engine.violations import N_, Violation
from booking.services import applications, audit, booking_writes
from booking.services.audit import AuditAction
from booking.services.errors import NotFound, Refused
from booking.services.transactions import changed_rows, write_transaction
from models import Booking, BookingStatus, Policy, User, WaitlistEntry, WaitlistStatus, db

# Waiting helps only when the room is what is missing; every other refusal stands whatever others do.
ROOM_CODES = frozenset({"conflict", "capacity"})
MAX_WAITING_PER_USER = 10
# How far back "My waitlist" shows entries that are no longer waiting.
HISTORY = timedelta(days=30)
BATCH = 200
# The safety net looks further: entries still blocked stay first in line and must not hide the rest.
SAFETY_NET_BATCH = 1000


def slot_free() -> Violation:
    return Violation(
        "waitlist_slot_free",
        N_("This time is free now, so there is no need to wait: you can book it."),
        {},
        overridable=False,
    )


def too_many(limit: int) -> Violation:
    return Violation(
        "waitlist_limit",
        N_("You are already waiting for %(limit)s times. Leave one of them before joining another."),
        {"limit": limit},
        overridable=False,
    )


def asks_questions() -> Violation:
    return Violation(
        "waitlist_asks_questions",
        N_(
            "This facility asks its own questions before a booking, so it keeps no waitlist: "
            "please choose a free time and book it directly."
        ),
        {},
        overridable=False,
    )


def not_waiting() -> Violation:
    return Violation(
        "waitlist_not_waiting", N_("This waitlist entry is no longer waiting."), {}, overridable=False
    )


def is_open(entry: WaitlistEntry, now: datetime) -> bool:
    """Still waiting for a place: not promoted, not left, and its interval has not started."""
    return entry.status == WaitlistStatus.WAITING and entry.start_at > now


# --- joining and leaving ---------------------------------------------------------------------------


def join(
    user: User,
    resource_id: int,
    start: datetime,
    end: datetime,
    *,
    party_size: int = 1,
    purpose: str = "",
    now: datetime,
    max_waiting: int = MAX_WAITING_PER_USER,
) -> WaitlistEntry:
    """Put `user` on the waitlist for an interval that is taken or full.

    Refused (Refused, nothing written) when the slot is free after all, or when anything besides the
    room stands in the way, since waiting would not change that. Joining twice for the same interval returns
    the entry already there.
    """
    request = engine.BookingRequest(start, end, party_size)
    booker = booking_writes.Booker.of(user)
    with write_transaction():
        resource = booking_writes.lock_for(booker, resource_id).resource
        existing = db.session.scalars(
            sa.select(WaitlistEntry).where(
                WaitlistEntry.user_id == user.id,
                WaitlistEntry.resource_id == resource_id,
                WaitlistEntry.start_at == start,
                WaitlistEntry.end_at == end,
                WaitlistEntry.status == WaitlistStatus.WAITING,
            )
        ).first()
        if existing is not None:
            return existing
        context = booking_writes.load_context(
            resource_id, user, engine.Interval(start, end), now, resource=resource
        )
        decision = booking_writes.evaluate(context, request, now)
        if decision.ok:
            raise Refused([slot_free()])
        others = [v for v in decision.violations if v.code not in ROOM_CODES]
        if others:
            raise Refused(others)
        if applications.form_in_force(resource) is not None:
            # A promotion would book without the answers, terms and files a manager decides on.
            raise Refused([asks_questions()])
        if _waiting_count(user, now) >= max_waiting:
            raise Refused([too_many(max_waiting)])
        entry = WaitlistEntry(
            resource_id=resource_id,
            user_id=user.id,
            start_at=start,
            end_at=end,
            party_size=party_size,
            purpose=purpose.strip(),
            status=WaitlistStatus.WAITING,
            created_at=now,
        )
        db.session.add(entry)
        db.session.flush()
        _audit(entry, AuditAction.WAITLIST_JOINED, actor_id=user.id, at=now)
    return entry


def _waiting_count(user: User, now: datetime) -> int:
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(WaitlistEntry)
        .where(
            WaitlistEntry.user_id == user.id,
            WaitlistEntry.status == WaitlistStatus.WAITING,
            WaitlistEntry.start_at > now,
        )
    )
    return count or 0


def leave(user: User, entry_id: int, *, now: datetime) -> WaitlistEntry:
    """Take `user` off the waitlist. NotFound for someone else's entry; refused once it was promoted."""
    with write_transaction():
        entry = db.session.get(WaitlistEntry, entry_id)
        if entry is None or entry.user_id != user.id:
            raise NotFound
        if entry.start_at <= now:
            raise Refused([not_waiting()])
        # Conditional, so a promotion committing at the same moment wins cleanly: then nothing changes here.
        left = changed_rows(
            sa.update(WaitlistEntry)
            .where(WaitlistEntry.id == entry_id, WaitlistEntry.status == WaitlistStatus.WAITING)
            .values(status=WaitlistStatus.LEFT)
            .execution_options(synchronize_session=False)
        )
        if left != 1:
            raise Refused([not_waiting()])
        db.session.refresh(entry)
        _audit(entry, AuditAction.WAITLIST_LEFT, actor_id=user.id, at=now)
    return entry


def entries_of(user: User, now: datetime) -> list[WaitlistEntry]:
    """The user's waitlist: every entry still waiting, then the rest of the last 30 days, soonest first."""
    return list(
        db.session.scalars(
            sa.select(WaitlistEntry)
            .where(WaitlistEntry.user_id == user.id, WaitlistEntry.end_at > now - HISTORY)
            .options(selectinload(WaitlistEntry.resource))
            .order_by(WaitlistEntry.start_at, WaitlistEntry.id)
        )
    )


# --- promotion ---------------------------------------------------------------------------------------


def promote(resource_id: int, start: datetime, end: datetime, *, now: datetime) -> list[Booking]:
    """Serve the waitlist of one facility for a freed span [start, end): oldest entry first."""
    # An entry ending just before the span may still have needed it for its buffer.
    buffer = db.session.scalar(sa.select(Policy.buffer_minutes).where(Policy.resource_id == resource_id)) or 0
    candidates = db.session.scalars(
        sa.select(WaitlistEntry.id)
        .where(
            WaitlistEntry.resource_id == resource_id,
            WaitlistEntry.status == WaitlistStatus.WAITING,
            WaitlistEntry.start_at > now,
            WaitlistEntry.start_at < end,
            WaitlistEntry.end_at > start - timedelta(minutes=buffer),
        )
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        .limit(BATCH)
    ).all()
    return _promote_each(candidates, now)


def promote_freed(bookings: Iterable[Booking], *, now: datetime) -> list[Booking]:
    """Serve the waitlist for what `bookings` (just cancelled, rejected, expired or no-shows) held.

    Call it after the transaction that freed them has committed: promotion takes its own locks in the fixed
    order, which a transaction already holding a booking row must not do.
    """
    spans = [(b.resource_id, b.start_at, b.blocked_until) for b in bookings]
    promoted: list[Booking] = []
    for resource_id, start, blocked_until in spans:
        if blocked_until > now:
            promoted += promote(resource_id, max(start, now), blocked_until, now=now)
    return promoted


def promote_all(now: datetime) -> int:
    """The safety net: try every open entry, oldest first, in case an immediate promotion was missed."""
    candidates = db.session.scalars(
        sa.select(WaitlistEntry.id)
        .where(WaitlistEntry.status == WaitlistStatus.WAITING, WaitlistEntry.start_at > now)
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        .limit(SAFETY_NET_BATCH)
    ).all()
    return len(_promote_each(candidates, now))


def _promote_each(entry_ids: Iterable[int], now: datetime) -> list[Booking]:
    promoted = []
    for entry_id in entry_ids:
        booking = _promote_one(entry_id, now)
        if booking is not None:
            promoted.append(booking)
    return promoted


def _promote_one(entry_id: int, now: datetime) -> Booking | None:
    """Book one entry if every rule and quota holds now; None (the entry keeps waiting) otherwise."""
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or not is_open(entry, now):
        return None
    user, resource_id = entry.user, entry.resource_id
    request = engine.BookingRequest(entry.start_at, entry.end_at, entry.party_size)
    span = engine.Interval(entry.start_at, entry.end_at)
    # A look without locks first: most entries are still blocked, and they need no write transaction.
    unlocked = booking_writes.load_context(resource_id, user, span, now)
    if not booking_writes.evaluate(unlocked, request, now).ok:
        return None
    booker = booking_writes.Booker.of(user)
    try:
        with write_transaction():
            resource = booking_writes.lock_for(booker, resource_id).resource
            entry = db.session.scalars(
                sa.select(WaitlistEntry)
                .where(WaitlistEntry.id == entry_id, WaitlistEntry.status == WaitlistStatus.WAITING)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).one_or_none()
            if entry is None:  # promoted or left meanwhile
                return None
            context = booking_writes.load_context(resource_id, user, span, now, resource=resource)
            decision = booking_writes.evaluate(context, request, now)
            if not decision.ok:
                return None
            booking = booking_writes.new_booking(
                context, user, request, decision, purpose=entry.purpose, now=now
            )
            booking_writes.flush_or_taken()
            entry.status = WaitlistStatus.PROMOTED
            entry.booking_id = booking.id
            booking_writes.audit_created(booking, user, now, waitlist_entry=entry.id)
            _audit(entry, AuditAction.WAITLIST_PROMOTED, actor_id=None, at=now)
            notify.notify(user.id, "waitlist_promoted", at=now, booking=booking)
            if booking.status == BookingStatus.PENDING:
                booking_writes.tell_managers(booking, user, now)
    except Refused:
        # Lost the slot to a concurrent booking at the last moment (PostgreSQL's exclusion constraint).
        return None
    return booking


def _audit(entry: WaitlistEntry, action: AuditAction, *, actor_id: int | None, at: datetime) -> None:
    audit.about(
        entry,
        action,
        actor_id=actor_id,
        at=at,
        resource=entry.resource_id,
        user=entry.user_id,
        booking=entry.booking_id,
    )
