"""Telling people what happened: in-app notifications and their emails, written in the caller's transaction.

A notification stores a `kind` and plain JSON `params`; its text is rendered when read, in the
reader's language (`message_text`). `notify()` also writes the email to the outbox
(`models.EmailMessage`), rendered in the recipient's saved language; `booking.mail` sends it once the
transaction commits. Because both rows are part of the caller's transaction, a rolled-back change
tells nobody.

Managers who chose a digest (`User.notify_digest`) get no email per request; their
`booking_requested` notifications wait (`digest_pending`) for `send_digests(now)`, which a
scheduled job calls.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _

from booking import mail
from booking.engine.localtime import to_local, zone
from booking.engine.violations import N_
from booking.locales import babel_locale
from booking.services.transactions import write_transaction
from models import Booking, EmailMessage, Notification, User, db

# kind -> English template. A param is a plain string or number, a {"zh": ..., "en": ...} pair
# (picked by the reader's language), or {"msgid": ...} (an N_-marked message translated when read).
MESSAGES: dict[str, str] = {
    "booking_requested": N_("New request: %(resource)s, %(when)s, from %(person)s."),
    "booking_confirmed": N_("Your booking of %(resource)s on %(when)s is confirmed."),
    "series_confirmed": N_("Your %(dates)s bookings of %(resource)s from %(when)s are confirmed."),
    "booking_made_for_you": N_(
        "%(manager)s booked %(resource)s on %(when)s for you. It is confirmed; the reason given: %(note)s"
    ),
    "booking_approved": N_("Your booking of %(resource)s on %(when)s was approved."),
    "booking_rejected": N_("Your booking of %(resource)s on %(when)s was declined: %(note)s"),
    "series_approved": N_("Your %(dates)s bookings of %(resource)s from %(when)s were approved."),
    "series_rejected": N_("Your %(dates)s requests for %(resource)s from %(when)s were declined: %(note)s"),
    "booking_cancelled": N_("You cancelled your booking of %(resource)s on %(when)s."),
    "series_cancelled": N_("You cancelled %(dates)s bookings of %(resource)s from %(when)s."),
    "booking_cancelled_by_manager": N_(
        "Your booking of %(resource)s on %(when)s was cancelled by the facility: %(note)s"
    ),
    "booking_cancelled_by_closure": N_(
        "Your booking of %(resource)s on %(when)s was cancelled because the facility is closed: %(note)s"
    ),
    "booking_expired": N_(
        "Your request for %(resource)s on %(when)s expired: no manager decided before it started."
    ),
    "booking_moved": N_("Your booking of %(resource)s was moved from %(previous)s to %(when)s."),
    "booking_reminder": N_("Reminder: %(resource)s, %(when)s."),
    "booking_no_show": N_("You did not check in for %(resource)s on %(when)s; it was recorded as a no-show."),
    "waitlist_promoted": N_("A place came free: you now have %(resource)s on %(when)s."),
    "window_open": N_("%(resource)s can now be booked for %(when)s, as you asked to be told."),
    "account_verified": N_("Your account was verified. You can now book as %(category)s."),
    "account_rejected": N_("Your verification was declined: %(note)s"),
    "account_suspended": N_("Your booking rights are suspended until %(until)s after repeated no-shows."),
}
# A request for several dates of a series (params: dates > 1).
SERIES_REQUESTED = N_("New request for %(dates)s dates: %(resource)s from %(when)s, from %(person)s.")
# A booking moved to a time that waits for a manager's approval again (params: pending).
MOVED_PENDING = N_(
    "Your booking of %(resource)s was moved from %(previous)s to %(when)s "
    "and now awaits a manager's approval."
)

# kind -> the email's subject line.
SUBJECTS: dict[str, str] = {
    "booking_requested": N_("New booking request: %(resource)s"),
    "booking_confirmed": N_("Booking confirmed: %(resource)s, %(when)s"),
    "series_confirmed": N_("Bookings confirmed: %(resource)s"),
    "booking_made_for_you": N_("Booked for you: %(resource)s, %(when)s"),
    "booking_approved": N_("Booking approved: %(resource)s"),
    "booking_rejected": N_("Booking declined: %(resource)s"),
    "series_approved": N_("Bookings approved: %(resource)s"),
    "series_rejected": N_("Requests declined: %(resource)s"),
    "booking_cancelled": N_("Booking cancelled: %(resource)s"),
    "series_cancelled": N_("Bookings cancelled: %(resource)s"),
    "booking_cancelled_by_manager": N_("Booking cancelled: %(resource)s"),
    "booking_cancelled_by_closure": N_("Booking cancelled, facility closed: %(resource)s"),
    "booking_expired": N_("Request expired: %(resource)s"),
    "booking_moved": N_("Booking moved: %(resource)s, %(when)s"),
    "booking_reminder": N_("Reminder: %(resource)s, %(when)s"),
    "booking_no_show": N_("Missed check-in: %(resource)s"),
    "waitlist_promoted": N_("A place came free: %(resource)s"),
    "window_open": N_("Now open for booking: %(resource)s, %(when)s"),
    "account_verified": N_("Your account was verified"),
    "account_rejected": N_("Your verification was declined"),
    "account_suspended": N_("Your booking rights are suspended"),
}

# How `account_verified` names the category the person may now book as.
CATEGORY_PHRASES: dict[str, str] = {
    "resident": N_("a resident"),
    "student": N_("a student"),
    "enterprise": N_("an enterprise member"),
}


class _Params(dict[str, str]):
    """Template values; a placeholder without a value renders empty instead of failing the page."""

    def __missing__(self, key: str) -> str:
        return ""


def booking_params(booking: Booking) -> dict[str, Any]:
    """What every booking message needs: the facility's names and the local time, as plain JSON."""
    resource = booking.resource
    start = to_local(booking.start_at, zone(resource.timezone))
    return {
        "resource": {"zh": resource.name_zh, "en": resource.name_en},
        "when": start.strftime("%Y-%m-%d %H:%M"),
    }


def category_param(category: str) -> dict[str, str]:
    """The `category` param of `account_verified`, translated when read."""
    return {"msgid": CATEGORY_PHRASES.get(category, category)}


# --- rendering ---------------------------------------------------------------------------------------


def param_text(value: Any) -> str:
    """One param in the current language."""
    if isinstance(value, dict):
        if "msgid" in value:
            return _(value["msgid"])
        chinese = str(get_locale() or "zh_CN").startswith("zh")
        first, second = ("zh", "en") if chinese else ("en", "zh")
        return str(value.get(first) or value.get(second) or "")
    return "" if value is None else str(value)


def _fill(template: str, params: dict[str, Any]) -> str:
    values = _Params({key: param_text(value) for key, value in params.items()})
    return _(template) % values


def message_text(kind: str, params: dict[str, Any]) -> str:
    """A notification's sentence in the current language (force_locale picks another)."""
    if kind not in MESSAGES:
        return kind
    template = MESSAGES[kind]
    if kind == "booking_requested" and int(params.get("dates") or 1) > 1:
        template = SERIES_REQUESTED
    elif kind == "booking_moved" and params.get("pending"):
        template = MOVED_PENDING
    return _fill(template, params)


def subject_text(kind: str, params: dict[str, Any]) -> str:
    return _fill(SUBJECTS.get(kind, kind), params)


def absolute_url(endpoint: str, **values: Any) -> str:
    """A link for an email: built on BASE_URL, whichever request (if any) is being served."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)


def _link(booking_id: int | None) -> str:
    if booking_id is not None:
        return absolute_url("bookings.detail", booking_id=booking_id)
    return absolute_url("inbox.index")


def recipient_locale(user: User) -> str:
    """The language of a person's emails: their saved preference, else the site's default (zh_CN)."""
    if user.locale in current_app.config["LANGUAGES"]:
        return user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _render(template: str, **context: Any) -> str:
    # Straight from the environment: an email has no request, so no context processor should run.
    return current_app.jinja_env.get_template(template).render(**context)


# --- writing -----------------------------------------------------------------------------------------


def notify(
    user_id: int,
    kind: str,
    *,
    at: datetime,
    booking: Booking | None = None,
    ics: bytes | None = None,
    **params: Any,
) -> Notification:
    """Queue a notification for `user_id` in the current transaction, and its email unless batched.

    `ics` (an iCalendar file) is attached to the email.
    """
    if kind not in MESSAGES:
        raise ValueError(f"unknown notification kind {kind!r}")
    recipient = db.session.get(User, user_id)
    if recipient is None:
        raise ValueError(f"no user {user_id}")
    values = booking_params(booking) if booking is not None else {}
    values.update(params)
    booking_id = booking.id if booking is not None else None
    batched = kind == "booking_requested" and recipient.notify_digest
    notification = Notification(
        user_id=user_id,
        kind=kind,
        params=values,
        booking_id=booking_id,
        created_at=at,
        digest_pending=batched,
    )
    db.session.add(notification)
    if not batched:
        _queue_email(recipient, kind, values, booking_id, at=at, ics=ics)
    return notification


def _queue_email(
    recipient: User,
    kind: str,
    params: dict[str, Any],
    booking_id: int | None,
    *,
    at: datetime,
    ics: bytes | None,
) -> EmailMessage:
    with force_locale(babel_locale(recipient_locale(recipient))):
        subject = subject_text(kind, params)
        body = _render(
            "inbox/email.txt",
            name=recipient.display_name,
            text=message_text(kind, params),
            url=_link(booking_id),
            settings_url=absolute_url("inbox.index") if kind == "booking_requested" else None,
        )
    return queue(recipient, kind, subject, body, at=at, ics=ics)


def queue(
    recipient: User, kind: str, subject: str, body: str, *, at: datetime, ics: bytes | None = None
) -> EmailMessage:
    """Put one rendered email in the outbox, in the current transaction; it is sent after commit."""
    mail.install_outbox_hooks()
    message = EmailMessage(
        user_id=recipient.id,
        kind=kind,
        to_address=recipient.email,
        subject=subject[:300],
        body=body,
        ics=ics,
        created_at=at,
        next_attempt_at=at,
    )
    db.session.add(message)
    return message


# --- digests -----------------------------------------------------------------------------------------


def send_digests(now: datetime) -> int:
    """Email each batched manager one summary of the requests since their last one; returns how many.

    Each manager's digest is one transaction that claims the waiting notifications (locked on
    PostgreSQL, serialised on SQLite), so two runs at once never list a request twice.
    """
    waiting = (Notification.digest_pending.is_(True), Notification.created_at <= now)
    user_ids = db.session.scalars(sa.select(Notification.user_id).where(*waiting).distinct()).all()
    sent = 0
    for user_id in sorted(user_ids):
        with write_transaction():
            rows = db.session.scalars(
                sa.select(Notification)
                .where(Notification.user_id == user_id, *waiting)
                .order_by(Notification.created_at, Notification.id)
                .with_for_update()
            ).all()
            if rows:
                for row in rows:
                    row.digest_pending = False
                _queue_digest(db.session.get(User, user_id), rows, now)
                sent += 1
    return sent


def _queue_digest(recipient: User, rows: Sequence[Notification], now: datetime) -> EmailMessage:
    with force_locale(babel_locale(recipient_locale(recipient))):
        subject = ngettext("%(num)d new booking request", "%(num)d new booking requests", len(rows))
        items = [(message_text(row.kind, row.params), _link(row.booking_id)) for row in rows]
        body = _render(
            "inbox/digest.txt",
            name=recipient.display_name,
            items=items,
            settings_url=absolute_url("inbox.index"),
        )
    return queue(recipient, "digest", subject, body, at=now)
