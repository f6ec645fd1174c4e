"""Inbox forms: buttons that change something (CSRF-protected), and the manager's email setting."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice

from booking.web.forms import Form


class ButtonForm(Form):
    """A button with nothing but the CSRF token: mark read, mark all read."""


class DigestForm(Form):
    emails = RadioField(
        _l("New requests by email"),
        choices=[
            SelectChoice("each", _l("One email per request")),
            SelectChoice("digest", _l("One summary email per scheduled run")),
        ],
        default="each",
    )
