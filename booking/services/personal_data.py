"""Personal data rights (PIPL): what the platform holds about a person, account deletion, and the
retention of sign-ups that were never confirmed.

Deletion keeps the person's row, anonymised, so that past bookings, the audit log and the statistics
still count them (as a resident, student or enterprise member of their organization: the city's counts
need the category, never the person). Everything that identifies them goes: address, name, phone,
student number, password, feed token, booking purposes, inbox, kept calendar events, mail, and the
personal fields of audit events about them. Future bookings are cancelled as a cancellation by the person
would be, with the same notices, and the places they free go to the waitlist.
"""

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash

from booking import clock
from booking.services import audit
from booking.services.audit import AuditAction
from booking.services.bookings import record_cancellation, tell_cancelled
from booking.services.errors import Invalid
from booking.services.transactions import lock_rows, write_transaction
from models import (
    AccountToken,
    AuditEvent,
    Booking,
    BookingStatus,
    CalendarEvent,
    EmailMessage,
    EmailStatus,
    Notification,
    Organization,
    Resource,
    Series,
    User,
    WaitlistEntry,
    WaitlistStatus,
    WindowReminder,
    db,
)

DELETED_NAME = "已注销用户 · Deleted user"
# Audit detail keys that may name or reach a person; blanked in the events about a deleted one.
PERSONAL_KEYS = frozenset({"email", "phone", "display_name", "name", "student_number", "purpose", "user"})


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _name(named: Resource | Organization | None) -> dict[str, Any] | None:
    """A facility, university or company as the export names it: its id and both names."""
    if named is None:
        return None
    return {"id": named.id, "name_zh": named.name_zh, "name_en": named.name_en}


def _facilities(ids: set[int]) -> dict[int, dict[str, Any] | None]:
    found = db.session.scalars(sa.select(Resource).where(Resource.id.in_(ids))).all() if ids else []
    return {resource.id: _name(resource) for resource in found}


def export(user: User) -> dict[str, Any]:
    """Everything held about `user`, as plain JSON values (the download and the readable page)."""
    organization = user.organization
    bookings = db.session.scalars(
        sa.select(Booking).where(Booking.user_id == user.id).order_by(Booking.start_at, Booking.id)
    ).all()
    waitlist = db.session.scalars(
        sa.select(WaitlistEntry).where(WaitlistEntry.user_id == user.id).order_by(WaitlistEntry.id)
    ).all()
    series = db.session.scalars(sa.select(Series).where(Series.user_id == user.id).order_by(Series.id)).all()
    reminders = db.session.scalars(
        sa.select(WindowReminder).where(WindowReminder.user_id == user.id).order_by(WindowReminder.id)
    ).all()
    notifications = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    ).all()
    emails = db.session.scalars(
        sa.select(EmailMessage).where(EmailMessage.user_id == user.id).order_by(EmailMessage.id)
    ).all()
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(
            sa.or_(
                AuditEvent.actor_id == user.id,
                sa.and_(AuditEvent.target_type == "user", AuditEvent.target_id == user.id),
            )
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    facilities = _facilities(
        {b.resource_id for b in bookings}
        | {s.resource_id for s in series}
        | {w.resource_id for w in waitlist}
        | {r.resource_id for r in reminders}
    )
    return {
        "account": {
            "id": user.id,
            "email": user.email,
            "email_confirmed_at": _iso(user.email_verified_at),
            "pending_email": user.pending_email,
            "display_name": user.display_name,
            "phone": user.phone,
            "category": user.category.value,
            "organization": _name(organization),
            "student_number": user.student_number,
            "verification": user.verification.value,
            "verified_at": _iso(user.verified_at),
            "manager_of": _name(user.manages),
            "is_admin": user.is_admin,
            "language": user.locale,
            "manager_digest_email": user.notify_digest,
            "calendar_feed": user.feed_token_hash is not None,
            "suspended_until": _iso(user.suspended_until),
            "active": user.active,
            "created_at": _iso(user.created_at),
        },
        "bookings": [
            {
                "id": b.id,
                "facility": facilities[b.resource_id],
                "start": _iso(b.start_at),
                "end": _iso(b.end_at),
                "party_size": b.party_size,
                "purpose": b.purpose,
                "status": b.status.value,
                "series": b.series_id,
                "decision_note": b.decision_note,
                "checked_in_at": _iso(b.checked_in_at),
                "created_at": _iso(b.created_at),
            }
            for b in bookings
        ],
        "series": [
            {
                "id": s.id,
                "facility": facilities[s.resource_id],
                "frequency": s.frequency.value,
                "interval": s.interval,
                "weekdays": s.weekdays,
                "count": s.count,
                "until": s.until.isoformat() if s.until else None,
                "local_start": s.local_start.isoformat(),
                "duration_minutes": s.duration_minutes,
            }
            for s in series
        ],
        "waitlist": [
            {
                "id": w.id,
                "facility": facilities[w.resource_id],
                "start": _iso(w.start_at),
                "end": _iso(w.end_at),
                "party_size": w.party_size,
                "purpose": w.purpose,
                "status": w.status.value,
                "created_at": _iso(w.created_at),
            }
            for w in waitlist
        ],
        "window_reminders": [
            {
                "facility": facilities[r.resource_id],
                "first_start": _iso(r.first_start),
                "sent_at": _iso(r.sent_at),
            }
            for r in reminders
        ],
        "notifications": [
            {"kind": n.kind, "params": n.params, "created_at": _iso(n.created_at), "read_at": _iso(n.read_at)}
            for n in notifications
        ],
        "emails": [
            {
                "kind": m.kind,
                "to": m.to_address,
                "subject": m.subject,
                "status": m.status.value,
                "created_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
            }
            for m in emails
        ],
        "activity": [
            {
                "at": _iso(e.at),
                "action": e.action,
                "target": f"{e.target_type}:{e.target_id}" if e.target_id is not None else e.target_type,
                "by_you": e.actor_id == user.id,
                "details": e.details,
            }
            for e in events
        ],
    }


def delete_account(user: User, *, password: str, now: datetime | None = None) -> list[Booking]:
    """Delete the person's own account (the current password proves it is them). Returns the future
    bookings it cancelled, whose places the caller then offers to the waitlist (waitlist.promote_freed)."""
    now = now or clock.now()
    if not check_password_hash(user.password_hash, password):
        raise Invalid(_l("Your current password is not correct."), field="password")
    if user.is_admin or user.is_manager:
        raise Invalid(
            _l(
                "Accounts with manager or city-office rights cannot be deleted by their owner: ask the city "
                "office to remove the rights first, so that nothing you are responsible for is left without "
                "a responsible person."
            )
        )
    with write_transaction():
        lock_rows(user_ids=[user.id])
        cancelled = _cancel_future_bookings(user, now)
        _anonymise(user.id, now)
        audit.about(
            user,
            AuditAction.ACCOUNT_DELETED,
            actor_id=user.id,
            at=now,
            cancelled_bookings=len(cancelled),
        )
    return cancelled


def _cancel_future_bookings(user: User, now: datetime) -> list[Booking]:
    future = db.session.scalars(
        sa.select(Booking)
        .where(
            Booking.user_id == user.id,
            Booking.start_at > now,
            Booking.status.in_([BookingStatus.PENDING, BookingStatus.CONFIRMED]),
        )
        .order_by(Booking.start_at, Booking.id)
        .with_for_update(of=Booking)
        .execution_options(populate_existing=True)
    ).all()
    for booking in future:
        record_cancellation(user, booking, reason="account deleted", now=now, account_deleted=True)
    if future:
        # The usual notice of one's own cancellation (with the calendar file that removes the events);
        # it is written before the address is wiped and leaves with the outbox after the commit.
        tell_cancelled(user, list(future), now)
    return list(future)


def _anonymise(user_id: int, now: datetime) -> None:
    user = db.session.get(User, user_id, populate_existing=True)
    assert user is not None
    user.email = f"deleted-{user_id}@deleted.invalid"
    user.pending_email = None
    user.display_name = DELETED_NAME
    user.phone = None
    user.student_number = None
    user.password_hash = "!"  # no password hash matches this
    user.feed_token_hash = None
    user.locale = None
    user.active = False
    user.notify_digest = False
    user.session_version += 1
    user.deleted_at = now
    booking_ids = sa.select(Booking.id).where(Booking.user_id == user_id)
    db.session.execute(sa.update(Booking).where(Booking.user_id == user_id).values(purpose=""))
    db.session.execute(sa.delete(CalendarEvent).where(CalendarEvent.booking_id.in_(booking_ids)))
    db.session.execute(
        sa.update(WaitlistEntry)
        .where(WaitlistEntry.user_id == user_id, WaitlistEntry.status == WaitlistStatus.WAITING)
        .values(status=WaitlistStatus.LEFT)
    )
    db.session.execute(sa.update(WaitlistEntry).where(WaitlistEntry.user_id == user_id).values(purpose=""))
    db.session.execute(sa.delete(WindowReminder).where(WindowReminder.user_id == user_id))
    db.session.execute(sa.delete(Notification).where(Notification.user_id == user_id))
    db.session.execute(sa.delete(AccountToken).where(AccountToken.user_id == user_id))
    # Mail already sent or given up keeps the address: it goes. The notices of this deletion, still
    # queued, are sent after the commit.
    db.session.execute(
        sa.delete(EmailMessage).where(
            EmailMessage.user_id == user_id,
            EmailMessage.status.in_([EmailStatus.SENT.value, EmailStatus.FAILED.value]),
        )
    )
    _scrub_audit(user_id)


def _scrub_audit(user_id: int) -> None:
    about = db.session.scalars(
        sa.select(AuditEvent).where(
            sa.or_(
                AuditEvent.actor_id == user_id,
                sa.and_(AuditEvent.target_type == "user", AuditEvent.target_id == user_id),
            )
        )
    ).all()
    for event in about:
        if PERSONAL_KEYS & set(event.details or {}):
            event.details = {k: v for k, v in event.details.items() if k not in PERSONAL_KEYS}


def purge_unconfirmed(now: datetime, *, days: int) -> int:
    """Remove sign-ups whose address was never confirmed within `days`: the row and what hangs on it.

    Only accounts that never booked (they could not) and hold no rights; each in its own transaction.
    The audit log keeps one event per removal, naming no one."""
    cutoff = now - timedelta(days=days)
    has_booking = sa.select(Booking.id).where(Booking.user_id == User.id).exists()
    has_series = sa.select(Series.id).where(Series.user_id == User.id).exists()
    candidates = db.session.scalars(
        sa.select(User.id)
        .where(
            User.email_verified_at.is_(None),
            User.deleted_at.is_(None),
            User.created_at < cutoff,
            User.is_admin.is_(False),
            User.manages_id.is_(None),
            ~has_booking,
            ~has_series,
        )
        .order_by(User.id)
    ).all()
    removed = 0
    for user_id in candidates:
        with write_transaction():
            lock_rows(user_ids=[user_id])
            user = db.session.get(User, user_id, populate_existing=True)
            if user is None or user.email_verified_at is not None or user.deleted_at is not None:
                continue  # confirmed meanwhile
            _remove(user_id)
            audit.record(
                AuditAction.ACCOUNT_PURGED_UNCONFIRMED,
                "user",
                user_id,
                actor_id=None,
                university_id=None,
                at=now,
                days=days,
            )
            removed += 1
    return removed


def _remove(user_id: int) -> None:
    for model in (WaitlistEntry, WindowReminder, Notification, AccountToken, EmailMessage):
        db.session.execute(sa.delete(model).where(model.user_id == user_id))
    _scrub_audit(user_id)
    db.session.execute(sa.update(AuditEvent).where(AuditEvent.actor_id == user_id).values(actor_id=None))
    db.session.execute(sa.delete(User).where(User.id == user_id))
