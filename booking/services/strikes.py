"""No-shows and the suspensions they lead to (docs/architecture.md, "Domain rules").

A booking that needed a check-in (it carries a code, set when it was made under a check-in policy) and was
not checked in by the end of its window becomes a no-show: it keeps its times for the record, but no longer
holds its place, since only active statuses do, so the rest of the slot is free and the waitlist is served.
No-shows still count toward quotas.

Three no-shows within 90 days suspend self-service booking for 30 days (`StrikeRules`, from the config).
Strikes are spent by the suspension they cause, and forgiven when a manager lifts it: only no-shows after
the latest suspension or lifting count toward the next one. Who may lift a suspension: an administrator, or
a manager of a university at whose facilities the person has a no-show recent enough to be behind it (within
the strike window plus the suspension's length), so every university that suffered the no-shows may forgive.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from booking import engine, notify
from booking.engine.localtime import to_local, zone
from booking.engine.violations import N_, Violation
from booking.services import audit, claims, specs, waitlist
from booking.services.audit import AuditAction
from booking.services.errors import NotFound, Refused
from booking.services.lifecycle import change_status
from booking.services.transactions import lock_rows, write_transaction
from models import AuditEvent, Booking, BookingStatus, Resource, User, db

SUSPENDED = AuditAction.USER_SUSPENDED
LIFTED = AuditAction.USER_SUSPENSION_LIFTED
BATCH = 500


@dataclass(frozen=True)
class StrikeRules:
    strikes: int = 3
    window: timedelta = timedelta(days=90)
    suspension: timedelta = timedelta(days=30)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "StrikeRules":
        return cls(
            strikes=int(config.get("NO_SHOW_STRIKES", cls.strikes)),
            window=timedelta(days=int(config.get("NO_SHOW_WINDOW_DAYS", cls.window.days))),
            suspension=timedelta(days=int(config.get("SUSPENSION_DAYS", cls.suspension.days))),
        )


def not_suspended() -> Violation:
    return Violation("not_suspended", N_("This account is not suspended."), {}, overridable=False)


# --- no-shows ----------------------------------------------------------------------------------------


def checkin_closes(booking: Booking) -> datetime:
    """The end of the booking's check-in window, by its facility's current policy."""
    return engine.checkin_window(booking.start_at, specs.policy_spec(booking.resource.policy)).end


def mark_no_shows(now: datetime, *, rules: StrikeRules | None = None) -> int:
    """Confirmed bookings that needed a check-in and got none by the window's end become no-shows.

    The person is told; a third strike suspends them. Returns how many no-shows were recorded.
    """
    rules = rules or StrikeRules()
    started = db.session.scalars(
        sa.select(Booking)
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.checkin_code.is_not(None),
            Booking.start_at <= now,
        )
        .options(selectinload(Booking.resource))
        .order_by(Booking.start_at, Booking.id)
        .limit(BATCH)
    ).all()
    due = [(b.id, b.user_id) for b in started if checkin_closes(b) <= now]
    marked: list[Booking] = []
    for booking_id, user_id in due:
        with write_transaction():
            # The person's row first (the fixed lock order), so their strikes are counted one at a time.
            lock_rows(user_ids=[user_id])
            booking = claims.claim(booking_id, {BookingStatus.CONFIRMED})
            if booking is None or booking.checkin_code is None or checkin_closes(booking) > now:
                continue
            change_status(booking, BookingStatus.NO_SHOW, actor_id=None, at=now, notice="booking_no_show")
            db.session.flush()
            _count_strikes(booking, now, rules)
        marked.append(booking)
    waitlist.promote_freed(marked, now=now)
    return len(marked)


def _count_strikes(booking: Booking, now: datetime, rules: StrikeRules) -> None:
    user = db.session.get_one(User, booking.user_id)
    db.session.refresh(user)
    since = now - rules.window
    reset = strikes_reset_at(user.id)
    if reset is not None and reset > since:
        since = reset
    strikes = db.session.execute(
        sa.select(Booking.id, Resource.university_id)
        .join(Resource, Resource.id == Booking.resource_id)
        .where(Booking.user_id == user.id, Booking.status == BookingStatus.NO_SHOW, Booking.start_at > since)
        .order_by(Booking.start_at)
    ).all()
    if len(strikes) < rules.strikes:
        return
    until = now + rules.suspension
    if user.suspended_until is not None and user.suspended_until > until:
        until = user.suspended_until
    user.suspended_until = until
    audit.about(
        user,
        SUSPENDED,
        booking.resource.university_id,
        actor_id=None,
        at=now,
        until=until.isoformat(),
        no_shows=[row.id for row in strikes],
        universities=sorted({row.university_id for row in strikes}),
    )
    local_until = to_local(until, zone(booking.resource.timezone))
    notify.notify(user.id, "account_suspended", at=now, until=local_until.strftime("%Y-%m-%d %H:%M"))


def strikes_reset_at(user_id: int) -> datetime | None:
    """When the person's strikes were last spent (suspended) or forgiven (lifted), if ever."""
    return db.session.scalar(
        sa.select(sa.func.max(AuditEvent.at)).where(
            AuditEvent.target_type == "user",
            AuditEvent.target_id == user_id,
            AuditEvent.action.in_([SUSPENDED, LIFTED]),
        )
    )


# --- lifting a suspension --------------------------------------------------------------------------


def is_suspended(user: User, now: datetime) -> bool:
    return user.suspended_until is not None and user.suspended_until > now


def can_lift(viewer: User, user: User, now: datetime, rules: StrikeRules | None = None) -> bool:
    """Admins always; a manager when the person has a no-show at a facility of the manager's university
    recent enough to be behind a suspension still running (within the strike window plus its length)."""
    if viewer.is_admin:
        return True
    if viewer.manages_id is None:
        return False
    rules = rules or StrikeRules()
    horizon = now - rules.window - rules.suspension
    return (
        db.session.scalar(
            sa.select(Booking.id)
            .join(Resource, Resource.id == Booking.resource_id)
            .where(
                Booking.user_id == user.id,
                Booking.status == BookingStatus.NO_SHOW,
                Booking.start_at >= horizon,
                Resource.university_id == viewer.manages_id,
            )
            .limit(1)
        )
        is not None
    )


def lift_suspension(
    manager: User, user_id: int, now: datetime, *, note: str = "", rules: StrikeRules | None = None
) -> User:
    """End a person's suspension now, audited. NotFound unless `manager` may lift it (`can_lift`)."""
    with write_transaction():
        lock_rows(user_ids=[user_id])
        user = db.session.get(User, user_id)
        if user is None:
            raise NotFound
        db.session.refresh(user)
        if not can_lift(manager, user, now, rules):
            raise NotFound
        if not is_suspended(user, now):
            raise Refused([not_suspended()])
        until = user.suspended_until
        user.suspended_until = None
        audit.about(
            user,
            LIFTED,
            manager.manages_id,
            actor_id=manager.id,
            at=now,
            was_until=until.isoformat() if until else None,
            note=note.strip(),
        )
    return user


def suspended_people(
    viewer: User, now: datetime, *, rules: StrikeRules | None = None, limit: int = 200
) -> list[User]:
    """The people suspended now whose suspension `viewer` may lift, soonest end first."""
    rows = db.session.scalars(
        sa.select(User).where(User.suspended_until > now).order_by(User.suspended_until, User.id).limit(limit)
    ).all()
    return [user for user in rows if can_lift(viewer, user, now, rules)]
