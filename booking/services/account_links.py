"""One-time account links (and codes) sent by email: issued hashed, used once, bound to one person and
one address, refused with a reason a person can act on.

The secret in a link is 256 random bits; only its SHA-256 digest is stored, so a copy of the database
holds no working link. A 6-digit code (for phones, where following a link into another browser loses
the session) is stored as an HMAC under the app's secret key, and a few wrong tries void it.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from booking.services.errors import Invalid
from models import AccountToken, db

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"
# Wrong codes after which a code stops working (a new one can be sent): 5 tries in 10^6 codes.
MAX_CODE_ATTEMPTS = 5

UNKNOWN_LINK = _l(
    "This link is not valid. It may have been copied incompletely, or a newer link was sent since: "
    "use the newest email, or ask for a new link."
)
EXPIRED_LINK = _l("This link has expired. Ask for a new one: it arrives in a minute.")
USED_LINK = _l(
    "This link has already been used, and each link works only once. Ask for a new one if you need it."
)
OTHER_ACCOUNT = _l(
    "This link belongs to another account than the one signed in here. Log out first, then open it again."
)
ADDRESS_CHANGED = _l("This link was sent to an address this account no longer uses. Ask for a new one.")


@dataclass(frozen=True)
class Issued:
    """A freshly issued link: the secret to put in the email (never stored) and the code, if any."""

    token: str
    code: str | None
    row: AccountToken


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def code_digest(user_id: int, code: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"code:{user_id}:{code}".encode(), hashlib.sha256).hexdigest()


def issue(
    user_id: int, purpose: str, email: str, *, now: datetime, lifetime: timedelta, with_code: bool = False
) -> Issued:
    """A new link for `purpose`, in the caller's transaction; earlier unused ones of that purpose stop
    working (only the newest email's link counts)."""
    db.session.execute(
        sa.delete(AccountToken).where(
            AccountToken.user_id == user_id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None)
        )
    )
    token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(10**6):06d}" if with_code else None
    row = AccountToken(
        user_id=user_id,
        purpose=purpose,
        token_hash=digest(token),
        code_hash=code_digest(user_id, code) if code else None,
        email=email,
        created_at=now,
        expires_at=now + lifetime,
    )
    db.session.add(row)
    return Issued(token=token, code=code, row=row)


def usable(token: str, purpose: str, now: datetime, *, lock: bool = False) -> AccountToken:
    """The unused, unexpired link with this secret; Invalid (with the reason) otherwise."""
    query = sa.select(AccountToken).where(
        AccountToken.token_hash == digest(token), AccountToken.purpose == purpose
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    row = db.session.scalar(query)
    if row is None:
        raise Invalid(UNKNOWN_LINK, field="token")
    if row.used_at is not None:
        raise Invalid(USED_LINK, field="token")
    if now >= row.expires_at:
        raise Invalid(EXPIRED_LINK, field="token")
    return row


def pending_code(user_id: int, now: datetime, *, lock: bool = False) -> AccountToken | None:
    """The person's newest verification that a code can still confirm."""
    query = (
        sa.select(AccountToken)
        .where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == VERIFY_EMAIL,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > now,
            AccountToken.code_hash.is_not(None),
        )
        .order_by(AccountToken.id.desc())
        .limit(1)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def code_matches(row: AccountToken, code: str) -> bool:
    return row.code_hash is not None and hmac.compare_digest(row.code_hash, code_digest(row.user_id, code))


def void(user_id: int, purpose: str, now: datetime) -> None:
    """Every unused link of the person for `purpose` stops working (in the caller's transaction)."""
    db.session.execute(
        sa.update(AccountToken)
        .where(
            AccountToken.user_id == user_id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None)
        )
        .values(used_at=now)
    )
