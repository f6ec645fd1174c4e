"""Who calls the API: a personal access token in `Authorization: Bearer`, never a browser session (so the
API has no CSRF surface); the scope an operation needs; and Idempotency-Key replay for POSTs."""

import hashlib
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, g, make_response, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from booking import clock
from booking.services import api_tokens
from booking.services.api_tokens import Scope
from booking.services.permissions import Role, has_role
from models import ApiToken, User

_KEY = re.compile(r"[\x21-\x7e]{1,64}")  # visible ASCII, as Stripe and the IETF draft allow


def bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def authenticate() -> None:
    """Before every API operation: the token, or 401. Cookies are never read."""
    secret = bearer()
    token = api_tokens.authenticate(secret, now=clock.now()) if secret else None
    if token is None:
        abort(401)
    g.api_token = token


def token() -> ApiToken:
    return g.api_token


def caller() -> User:
    return token().user


def need(scope: Scope, role: Role | None = None) -> User:
    """The caller, if the token holds `scope` (and the person `role`); 403 otherwise."""
    if scope.value not in token().scope_set:
        abort(403, _("This token does not have the “%(scope)s” scope.", scope=scope.value))
    user = caller()
    if role is not None and not has_role(user, role):
        abort(403)
    return user


def rate_key() -> str:
    """Rate limits count per token (its digest, without a database lookup), else per address."""
    secret = bearer()
    if secret:
        return "api-token:" + hashlib.sha256(secret.encode()).hexdigest()[:32]
    return "api-address:" + (request.remote_addr or "")


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _KEY.fullmatch(key):
        abort(400, _("The Idempotency-Key must be 1 to 64 visible ASCII characters."))
    return key


def submission_key() -> str | None:
    """The booking's own idempotency key (`Booking.submission_key`, unique per person), made from the
    token and its Idempotency-Key: two sends racing each other still book once."""
    key = idempotency_key()
    if key is None:
        return None
    return "api:" + hashlib.sha256(f"{token().id}:{key}".encode()).hexdigest()[:60]


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """A POST sent again with the same Idempotency-Key (same token) gets the first answer, and nothing more
    is done. Only successes are kept: a refused request changed nothing and may be tried again."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        key = idempotency_key()
        if key is None:
            return make_response(view(*args, **kwargs))
        operation = f"{request.method} {request.path}"
        first = api_tokens.recall(token().id, key)
        if first is not None:
            if first.request != operation[:200]:
                abort(422, _("This Idempotency-Key was used for another operation."))
            return _replay(first.status, first.body)
        response = make_response(view(*args, **kwargs))
        if 200 <= response.status_code < 300:
            api_tokens.remember(
                token().id,
                key,
                operation,
                response.status_code,
                response.get_data(as_text=True),
                now=clock.now(),
            )
            kept = api_tokens.recall(token().id, key)
            if kept is not None and kept.body != response.get_data(as_text=True):
                return _replay(kept.status, kept.body)  # a twin sent at the same moment answered first
        return response

    return wrapper


def _replay(status: int, body: str) -> Response:
    response = current_app.response_class(body, status=status, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response
