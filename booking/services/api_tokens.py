"""Personal access tokens for the public API: create, list, revoke, authenticate; and the answers kept for
POSTs sent with an Idempotency-Key.

A token is `ccb_` and 40 random URL-safe characters, shown once; only its SHA-256 digest is stored, so a
copy of the database opens nothing. Its scopes narrow what the person may do, never widen it: a manager's
"manage" token acts only where the manager may act on the pages.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa

from booking.mailbox import normalize_email
from booking.services import audit
from booking.services.audit import AuditAction
from booking.services.errors import Invalid, NotFound
from booking.services.transactions import write_transaction
from booking.text import N_
from models import ApiToken, IdempotentAnswer, User, db

PREFIX = "ccb_"
# A person keeps at most this many live tokens: enough for every system they connect, few enough to audit.
MAX_TOKENS = 20
NAME_MAX = 60
KEY_MAX = 64


class Scope(StrEnum):
    READ = "read"  # the catalog, availability, one's own bookings (and, for staff, what they manage)
    BOOK = "book"  # book, move, cancel, wait, check in: as the person
    MANAGE = "manage"  # approve and decline, reports: as the manager or the city office


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown to its owner once, never stored


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(user: User, name: str, scopes: set[Scope], *, now: datetime) -> NewToken:
    """A new token for `user`; its secret is in the answer and nowhere else."""
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise Invalid(N_("Give the token a name of at most 60 characters."), field="name")
    if not scopes:
        raise Invalid(N_("Choose at least one scope."), field="scopes")
    with write_transaction() as fresh:
        live = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        )
        if (live or 0) >= MAX_TOKENS:
            raise Invalid(N_("You have too many tokens; revoke one you no longer use first."), field="name")
        secret = PREFIX + secrets.token_urlsafe(30)
        token = ApiToken(
            user_id=user.id,
            name=name,
            scopes=" ".join(sorted(scope.value for scope in scopes)),
            hint=secret[len(PREFIX) : len(PREFIX) + 6],
            token_hash=digest(secret),
            created_at=now,
        )
        audit.created(
            token, AuditAction.API_TOKEN_CREATED, actor_id=user.id, at=now, name=name, scopes=token.scopes
        )
        fresh.append(token)
    return NewToken(token, secret)


def create_for_email(email: str, name: str, scopes: set[Scope], *, now: datetime) -> NewToken:
    """A token for the active account with this address (the `create-token` command); NotFound if none."""
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email), User.active))
    if user is None:
        raise NotFound
    return create(user, name, scopes, now=now)


def tokens_of(user: User) -> list[ApiToken]:
    """The person's tokens, live first, newest first."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke(user: User, token_id: int, *, now: datetime) -> ApiToken:
    """Revoke one of the person's own tokens; another's, or one not there, is NotFound."""
    with write_transaction() as fresh:
        token = db.session.get(ApiToken, token_id)
        if token is None or token.user_id != user.id:
            raise NotFound
        if token.revoked_at is None:
            token.revoked_at = now
            audit.about(token, AuditAction.API_TOKEN_REVOKED, actor_id=user.id, at=now, name=token.name)
        fresh.append(token)
    return token


def authenticate(secret: str, *, now: datetime) -> ApiToken | None:
    """The live token with this secret whose owner may still sign in, or None."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    if token is None or token.revoked_at is not None:
        return None
    user = token.user
    if not user.active:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        # Written at most once a minute per token: a busy integration does not turn reads into writes.
        with write_transaction() as fresh:
            db.session.execute(sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
            fresh.append(token)
        token = db.session.get(ApiToken, token.id) or token
    return token


def recall(token_id: int, key: str) -> IdempotentAnswer | None:
    """The answer first given to this token's POST with this Idempotency-Key, if any."""
    return db.session.scalar(
        sa.select(IdempotentAnswer).where(IdempotentAnswer.token_id == token_id, IdempotentAnswer.key == key)
    )


def remember(token_id: int, key: str, request: str, status: int, body: str, *, now: datetime) -> None:
    """Keep the first answer to a POST with an Idempotency-Key; a concurrent twin that kept its answer
    first wins (the unique constraint), and this one's is dropped."""
    try:
        with write_transaction():
            db.session.add(
                IdempotentAnswer(
                    token_id=token_id,
                    key=key,
                    request=request[:200],
                    status=status,
                    body=body,
                    created_at=now,
                )
            )
    except sa.exc.IntegrityError:
        pass
