"""Email verification: a person proves they read mail at their address, by a link or a 6-digit code.

Self-service sign-up starts unverified: such an account may browse, but the booking engine refuses
its requests (`email_unverified`) until the address is confirmed. A change of address waits in
`pending_email` until the new address is confirmed the same way; the old one stays in use meanwhile
and is told of the request. Managers never see unconfirmed addresses (booking.services.people).
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash

from booking import clock, notify
from booking.locales import babel_locale
from booking.mailbox import InvalidAddress, checked_email
from booking.services import account_links, audit
from booking.services.audit import AuditAction
from booking.services.errors import Invalid
from booking.services.transactions import lock_rows, write_transaction
from models import AccountToken, User, db

ALREADY_CONFIRMED = _l("Your email address is already confirmed.")
NO_CODE = _l("There is no code waiting for this account, or it has expired. Send a new one.")
WRONG_CODE = _l("This code is not the one we sent. Check the newest email and try again.")
TOO_MANY_TRIES = _l("Too many wrong codes: this one no longer works. Send a new one.")
ADDRESS_TAKEN = _l("Another account already uses this email address.")


def render(template: str, **context: object) -> str:
    """An email body from its text template (no request, so no context processors)."""
    return current_app.jinja_env.get_template(template).render(**context)


def lifetime() -> timedelta:
    return timedelta(hours=int(current_app.config.get("EMAIL_VERIFY_HOURS", 48)))


def send(user: User, now: datetime, *, address: str | None = None) -> None:
    """Issue a link and code for `address` (the person's own, or the new one they asked for) and queue the
    email, in the caller's transaction, in the person's language."""
    address = address or user.email
    issued = account_links.issue(
        user.id, account_links.VERIFY_EMAIL, address, now=now, lifetime=lifetime(), with_code=True
    )
    with force_locale(babel_locale(notify.recipient_locale(user))):
        subject = _("Confirm your email address: code %(code)s", code=issued.code)
        body = render(
            "auth/email/verify.txt",
            name=user.display_name,
            email=address,
            url=notify.absolute_url("auth.confirm_email", token=issued.token),
            code=issued.code,
            until=format_datetime(issued.row.expires_at, "yyyy-MM-dd HH:mm"),
        )
    notify.queue(user, "verify_email", subject, body, at=now, to_address=address)


def resend(user: User, *, now: datetime | None = None) -> None:
    """A new link and code for what the person still has to confirm (their address, or the new one)."""
    now = now or clock.now()
    with write_transaction():
        lock_rows(user_ids=[user.id])
        db.session.refresh(user)
        if user.pending_email is None and user.email_verified_at is not None:
            raise Invalid(ALREADY_CONFIRMED)
        send(user, now, address=user.pending_email or user.email)


def confirm_link(token: str, *, signed_in: User | None, now: datetime | None = None) -> User:
    """Confirm the address a link was sent to. Invalid, changing nothing, for an unknown, expired, used or
    other person's link."""
    now = now or clock.now()
    with write_transaction() as fresh:
        row = account_links.usable(token, account_links.VERIFY_EMAIL, now, lock=True)
        if signed_in is not None and signed_in.id != row.user_id:
            raise Invalid(account_links.OTHER_ACCOUNT, field="token")
        user = _confirm(row, now)
        fresh.append(user)
    return user


def confirm_code(user: User, code: str, *, now: datetime | None = None) -> User:
    """Confirm with the 6-digit code of the person's newest email. A wrong code counts against it."""
    now = now or clock.now()
    refusal = None
    with write_transaction() as fresh:
        lock_rows(user_ids=[user.id])
        row = account_links.pending_code(user.id, now, lock=True)
        if row is None:
            raise Invalid(NO_CODE, field="code")
        if row.code_attempts >= account_links.MAX_CODE_ATTEMPTS:
            raise Invalid(TOO_MANY_TRIES, field="code")
        if account_links.code_matches(row, code):
            fresh.append(_confirm(row, now))
        else:
            # Counted in this transaction, which commits: the refusal is raised after it.
            row.code_attempts += 1
            refusal = TOO_MANY_TRIES if row.code_attempts >= account_links.MAX_CODE_ATTEMPTS else WRONG_CODE
    if refusal is not None:
        raise Invalid(refusal, field="code")
    return user


def _confirm(row: AccountToken, now: datetime) -> User:
    lock_rows(user_ids=[row.user_id])
    user = db.session.get(User, row.user_id, populate_existing=True)
    if user is None or user.deleted_at is not None:
        raise Invalid(account_links.UNKNOWN_LINK, field="token")
    if row.email == user.pending_email:
        taken = db.session.scalar(sa.select(User.id).where(User.email == row.email, User.id != user.id))
        if taken is not None:
            raise Invalid(ADDRESS_TAKEN, field="token")
        previous, user.email, user.pending_email = user.email, row.email, None
        user.email_verified_at = now
        action, details = AuditAction.ACCOUNT_EMAIL_CHANGED, {"previous_domain": previous.partition("@")[2]}
    elif row.email == user.email:
        user.email_verified_at = user.email_verified_at or now
        action, details = AuditAction.ACCOUNT_EMAIL_VERIFIED, {}
    else:
        raise Invalid(account_links.ADDRESS_CHANGED, field="token")
    row.used_at = now
    account_links.void(user.id, account_links.VERIFY_EMAIL, now)
    audit.about(user, action, actor_id=user.id, at=now, **details)
    return user


def request_change(user: User, *, new_email: str, password: str, now: datetime | None = None) -> str:
    """Ask to move the account to `new_email`: confirmed by a link sent there, the old address told.
    Needs the current password. Returns the normalised new address."""
    now = now or clock.now()
    try:
        address = checked_email(new_email)
    except InvalidAddress:
        raise Invalid(_l("Enter a valid email address."), field="email") from None
    if not check_password_hash(user.password_hash, password):
        raise Invalid(_l("Your current password is not correct."), field="password")
    if address == user.email:
        raise Invalid(_l("This is already your email address."), field="email")
    with write_transaction():
        lock_rows(user_ids=[user.id])
        db.session.refresh(user)
        if db.session.scalar(sa.select(User.id).where(User.email == address)) is not None:
            raise Invalid(ADDRESS_TAKEN, field="email")
        user.pending_email = address
        send(user, now, address=address)
        _tell_old_address(user, address, now)
        audit.about(user, AuditAction.ACCOUNT_EMAIL_CHANGE_REQUESTED, actor_id=user.id, at=now)
    return address


def _tell_old_address(user: User, new_email: str, now: datetime) -> None:
    with force_locale(babel_locale(notify.recipient_locale(user))):
        subject = _("Your email address is being changed")
        body = render(
            "auth/email/address_change.txt",
            name=user.display_name,
            new_email=new_email,
            url=notify.absolute_url("auth.forgot_password"),
        )
    notify.queue(user, "email_change", subject, body, at=now)
