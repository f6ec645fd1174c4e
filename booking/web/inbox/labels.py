"""Inbox values for every template: a notification's text in the reader's language, the unread count."""

from typing import Any

from flask import Flask, g
from flask_login import current_user

from booking.notify import message_text
from booking.services import inbox
from models import Notification


def render_notification(notification: Notification) -> str:
    """The notification's sentence in the current request's language."""
    return message_text(notification.kind, notification.params or {})


def unread_notifications() -> int:
    """How many unread notifications the signed-in person has, none for visitors: counted when the session's
    account was loaded (booking.web.auth.sessions), else one COUNT."""
    if current_user is None or not current_user.is_authenticated:
        return 0
    counted = g.get("unread_notifications")
    return counted if counted is not None else inbox.unread_count(current_user.id)


def register(app: Flask) -> None:
    app.jinja_env.globals.update(render_notification=render_notification)

    @app.context_processor
    def _inbox_values() -> dict[str, Any]:
        # A function, not a number: the query runs only where a template shows the badge.
        return {"unread_notifications": unread_notifications}
