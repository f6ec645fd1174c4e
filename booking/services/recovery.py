"""Password reset by email: a single-use link, valid PASSWORD_RESET_MINUTES, that ends every session.

Asking for a link answers the same whether or not the address has an account (the view says "if an
account exists, we sent a link"), so the form tells nobody who is registered; the web layer throttles
it per client address and per address asked for.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from werkzeug.security import generate_password_hash

from booking import clock, notify
from booking.locales import babel_locale
from booking.mailbox import normalize_email
from booking.services import account_links, audit, passwords
from booking.services.audit import AuditAction
from booking.services.email_verification import render
from booking.services.errors import Invalid
from booking.services.transactions import lock_rows, write_transaction
from models import AccountToken, User, db


def lifetime() -> timedelta:
    return timedelta(minutes=int(current_app.config.get("PASSWORD_RESET_MINUTES", 30)))


def request_reset(email: str, *, now: datetime | None = None) -> None:
    """Email a reset link if an active account has this address; otherwise do nothing, silently."""
    now = now or clock.now()
    address = normalize_email(email)
    user = db.session.scalar(
        sa.select(User).where(User.email == address, User.active.is_(True), User.deleted_at.is_(None))
    )
    if user is None:
        return
    with write_transaction():
        lock_rows(user_ids=[user.id])
        issued = account_links.issue(
            user.id, account_links.RESET_PASSWORD, user.email, now=now, lifetime=lifetime()
        )
        with force_locale(babel_locale(notify.recipient_locale(user))):
            subject = _("Reset your password")
            body = render(
                "auth/email/reset.txt",
                name=user.display_name,
                url=notify.absolute_url("auth.reset_password", token=issued.token),
                until=format_datetime(issued.row.expires_at, "yyyy-MM-dd HH:mm"),
            )
        notify.queue(user, "reset_password", subject, body, at=now)
        audit.about(user, AuditAction.ACCOUNT_RESET_REQUESTED, actor_id=None, at=now)


def check_link(token: str, *, signed_in: User | None, now: datetime | None = None) -> AccountToken:
    """The reset link, if it may be used here: Invalid with the reason otherwise."""
    row = account_links.usable(token, account_links.RESET_PASSWORD, now or clock.now())
    if signed_in is not None and signed_in.id != row.user_id:
        raise Invalid(account_links.OTHER_ACCOUNT, field="token")
    return row


def reset_password(
    token: str, new_password: str, *, signed_in: User | None = None, now: datetime | None = None
) -> User:
    """Set a new password with a reset link: the link is used up, and every session of the person ends.

    Following the link also proves the address, so an unconfirmed one counts as confirmed."""
    now = now or clock.now()
    row = check_link(token, signed_in=signed_in, now=now)
    user = db.session.get(User, row.user_id)
    if user is None:
        raise Invalid(account_links.UNKNOWN_LINK, field="token")
    passwords.check(new_password, email=user.email, name=user.display_name, field="password")
    # Slow on purpose: hashed before the write lock is taken.
    new_hash = generate_password_hash(new_password, method=current_app.config["PASSWORD_HASH_METHOD"])
    with write_transaction() as fresh:
        lock_rows(user_ids=[row.user_id])
        row = account_links.usable(token, account_links.RESET_PASSWORD, now, lock=True)  # not used meanwhile
        user = db.session.get(User, row.user_id, populate_existing=True)
        if user is None or not user.active or user.deleted_at is not None:
            raise Invalid(account_links.UNKNOWN_LINK, field="token")
        if row.email != user.email:
            raise Invalid(account_links.ADDRESS_CHANGED, field="token")
        user.password_hash = new_hash
        user.session_version += 1  # every login issued before, on any device, ends
        user.email_verified_at = user.email_verified_at or now
        row.used_at = now
        account_links.void(user.id, account_links.RESET_PASSWORD, now)
        audit.about(user, AuditAction.ACCOUNT_PASSWORD_RESET, actor_id=user.id, at=now)
        fresh.append(user)
    return user
