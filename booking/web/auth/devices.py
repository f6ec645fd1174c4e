"""Browsers that have signed in to an account before: a signed cookie that spares them the per-account cap.

An attacker guessing one account's password from many addresses fills that account's failure count; the
owner, on a browser they have used to sign in, still gets in (OWASP's "device cookie"). Only a browser new
to the account waits. The cookie names no account: it holds short digests of the addresses signed in with.
"""

import hashlib

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

COOKIE = "known_device"
MAX_AGE = 365 * 86400
# The accounts one browser remembers (a shared family computer); the oldest is forgotten first.
MAX_ACCOUNTS = 5


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="known-device")


def _digest(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:16]


def _known() -> list[str]:
    value = request.cookies.get(COOKIE)
    if not value:
        return []
    try:
        known = _serializer().loads(value, max_age=MAX_AGE)
    except BadSignature:
        return []
    return [item for item in known if isinstance(item, str)] if isinstance(known, list) else []


def is_known(email: str) -> bool:
    """Whether this browser has signed in to the account with this (normalised) address before."""
    return _digest(email) in _known()


def remember(response: Response, email: str) -> None:
    """Note on the response that this browser signed in to the account."""
    digest = _digest(email)
    others = [item for item in _known() if item != digest]
    known = [*others[-(MAX_ACCOUNTS - 1) :], digest]
    response.set_cookie(
        COOKIE,
        _serializer().dumps(known),
        max_age=MAX_AGE,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )
