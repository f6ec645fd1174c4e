"""Signed-in sessions: the login kept in the cookies, how long it lasts, and how it is revoked.

The session and remember-me cookies are signed, so they cannot be forged, but a signed cookie cannot be
taken back by itself. Each login therefore carries "<user id>.<issued at>.<marker>":

- the marker changes when the person's session version (raised by logout and by a password change) or
  password changes, so every copy of every earlier login stops working at the next request;
- "issued at" bounds a login, remember-me included, to SESSION_MAX_DAYS however often it is used;
- the session cookie is signed anew on every signed-in request, and Flask refuses one whose signature is
  older than PERMANENT_SESSION_LIFETIME: the idle limit (SESSION_IDLE_MINUTES).
"""

import hmac
from datetime import timedelta

from flask import Flask, current_app, g, session
from flask_login import login_user, user_loaded_from_cookie

from booking import clock
from booking.extensions import login_manager
from booking.services import accounts
from booking.web.input import parse_int
from models import User


def begin(user: User, *, remember: bool) -> None:
    """Log in on a fresh session (no fixation), keeping only the language the visitor chose."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user, remember=remember)
    # Flask-Login keeps this string in the session and, with remember-me, in the remember cookie.
    session["_user_id"] = f"{user.id}.{int(clock.now().timestamp())}.{user.session_marker}"


def init_app(app: Flask) -> None:
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=app.config["SESSION_MAX_DAYS"])
    login_manager.user_loader(load_user)
    user_loaded_from_cookie.connect(_bind_restored_session, app)


def load_user(login: str) -> User | None:
    """The account a still valid login names; None signs the visitor out."""
    user_part, _, rest = login.partition(".")
    issued_part, _, marker = rest.partition(".")
    try:
        user_id, issued = parse_int(user_part, low=1), parse_int(issued_part, low=0, high=2**40)
    except ValueError:
        return None
    max_age = current_app.config["SESSION_MAX_DAYS"] * 86400
    if clock.now().timestamp() - issued > max_age:
        return None
    found = accounts.signed_in(user_id)
    if found is None or not hmac.compare_digest(marker, found[0].session_marker):
        return None
    user, g.unread_notifications = found  # the navigation's badge (booking.web.inbox.labels)
    # Signed anew with this request's time, so the idle limit counts from the last request.
    session.modified = True
    return user


def _bind_restored_session(app: Flask, user: User) -> None:
    """A remember-me cookie restored the login: tie the new session to this browser as a login would.

    Flask-Login does not, and its "strong" protection would then end the restored session at the next
    request and delete the remember cookie with it.
    """
    session["_id"] = login_manager._session_identifier_generator()
